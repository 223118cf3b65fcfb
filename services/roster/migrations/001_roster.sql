-- The roster: county -> district (片区) -> school -> groups -> teachers, with classes and
-- students. Every key is led by its tenant column (county_id or school_id) so the tables can
-- be distributed on it later. Rows are never deleted: status goes 'active' -> 'inactive'.
-- Values are kept as the spreadsheet sent them (text, '' for empty), validated on the way in.

CREATE TABLE roster.districts (
    county_id text NOT NULL, id text NOT NULL,
    name text NOT NULL, identifier text NOT NULL DEFAULT '',
    status text NOT NULL DEFAULT 'active', updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (county_id, id));

CREATE TABLE roster.schools (
    county_id text NOT NULL, id text NOT NULL,
    name text NOT NULL, identifier text NOT NULL DEFAULT '', district_id text NOT NULL DEFAULT '',
    status text NOT NULL DEFAULT 'active', updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (county_id, id));

CREATE TABLE roster.academic_sessions (
    county_id text NOT NULL, id text NOT NULL,
    title text NOT NULL, type text NOT NULL, start_date text NOT NULL, end_date text NOT NULL,
    parent_id text NOT NULL DEFAULT '', school_year text NOT NULL DEFAULT '',
    status text NOT NULL DEFAULT 'active', updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (county_id, id));

CREATE TABLE roster.users (
    school_id text NOT NULL, id text NOT NULL,
    role text NOT NULL, enabled text NOT NULL, org_ids text NOT NULL, username text NOT NULL,
    given_name text NOT NULL, family_name text NOT NULL, middle_name text NOT NULL DEFAULT '',
    identifier text NOT NULL DEFAULT '', email text NOT NULL DEFAULT '',
    sms text NOT NULL DEFAULT '', phone text NOT NULL DEFAULT '', grades text NOT NULL DEFAULT '',
    subject text NOT NULL DEFAULT '',
    status text NOT NULL DEFAULT 'active', updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (school_id, id));
-- A sourcedId names one person county-wide (teachers move between schools).
CREATE UNIQUE INDEX users_id_key ON roster.users (id);
CREATE INDEX users_email ON roster.users (lower(email)) WHERE email <> '';

CREATE TABLE roster.courses (
    school_id text NOT NULL, id text NOT NULL,
    title text NOT NULL, school_year_id text NOT NULL DEFAULT '', course_code text NOT NULL DEFAULT '',
    grades text NOT NULL DEFAULT '', subjects text NOT NULL DEFAULT '',
    status text NOT NULL DEFAULT 'active', updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (school_id, id));

CREATE TABLE roster.classes (
    school_id text NOT NULL, id text NOT NULL,
    title text NOT NULL, grades text NOT NULL DEFAULT '', course_id text NOT NULL,
    class_code text NOT NULL DEFAULT '', class_type text NOT NULL, location text NOT NULL DEFAULT '',
    term_ids text NOT NULL, subjects text NOT NULL DEFAULT '', periods text NOT NULL DEFAULT '',
    status text NOT NULL DEFAULT 'active', updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (school_id, id));

CREATE TABLE roster.enrollments (
    school_id text NOT NULL, id text NOT NULL,
    class_id text NOT NULL, user_id text NOT NULL, role text NOT NULL,
    "primary" text NOT NULL DEFAULT '', begin_date text NOT NULL DEFAULT '', end_date text NOT NULL DEFAULT '',
    status text NOT NULL DEFAULT 'active', updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (school_id, id));

-- 教研组 (type research) and 备课组 (type preparation, parent = its 教研组).
CREATE TABLE roster.groups (
    school_id text NOT NULL, id text NOT NULL,
    type text NOT NULL, name text NOT NULL, subject text NOT NULL DEFAULT '',
    grades text NOT NULL DEFAULT '', parent_id text NOT NULL DEFAULT '', leader_id text NOT NULL DEFAULT '',
    status text NOT NULL DEFAULT 'active', updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (school_id, id));

-- id is group_id || '|' || user_id, so membership diffs like every other row.
CREATE TABLE roster.group_members (
    school_id text NOT NULL, id text NOT NULL,
    group_id text NOT NULL, user_id text NOT NULL,
    status text NOT NULL DEFAULT 'active', updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (school_id, id));
CREATE INDEX group_members_user ON roster.group_members (school_id, user_id);

-- 师徒结对: one mentor, one mentee, for a period.
CREATE TABLE roster.mentor_pairs (
    school_id text NOT NULL, id text NOT NULL,
    mentor_id text NOT NULL, mentee_id text NOT NULL,
    begin_date text NOT NULL DEFAULT '', end_date text NOT NULL DEFAULT '',
    status text NOT NULL DEFAULT 'active', updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (school_id, id));

-- Row-level security: the second wall behind the service's own checks. A session sees a
-- school's rows only when it declared that school, or declared county scope.
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['users','courses','classes','enrollments','groups','group_members','mentor_pairs'] LOOP
        EXECUTE format('ALTER TABLE roster.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE roster.%I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY school_scope ON roster.%I USING (
            current_setting('yanxiu.scope', true) = 'county'
            OR school_id = NULLIF(current_setting('yanxiu.school_id', true), ''))$p$, t);
    END LOOP;
END $$;

-- Events, written in the same transaction as the change. seq comes from a counter row
-- updated in that transaction, so sequence order is commit order and has no gaps.
CREATE TABLE roster.outbox (
    seq bigint PRIMARY KEY,
    topic text NOT NULL,
    tenant text NOT NULL,
    subject_id text NOT NULL,
    payload jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE roster.outbox_counter (one boolean PRIMARY KEY DEFAULT true CHECK (one), last bigint NOT NULL);
INSERT INTO roster.outbox_counter (last) VALUES (0);
