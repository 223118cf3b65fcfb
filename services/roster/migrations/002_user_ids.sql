-- OneRoster userIds ("{platform:id},{…}"): how training platforms name a teacher.
ALTER TABLE roster.users ADD COLUMN user_ids text NOT NULL DEFAULT '';
