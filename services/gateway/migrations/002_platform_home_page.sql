-- A platform's home page: the IRI under which its xAPI actor accounts are named
-- (actor.account.homePage). Sent with every statement batch the platform posts, so the credits
-- service can tell the platform's own user ids from anyone else's. Keys created before this
-- column existed keep NULL; yanxiuctl requires it for new platform keys.
ALTER TABLE auth.keys ADD COLUMN home_page text
    CHECK (home_page IS NULL
           OR (role = 'platform' AND length(home_page) <= 255
               AND home_page ~ '^https?://[^[:space:][:cntrl:]]+$'));
