-- xAPI statements as received (jsonb, the evidence behind every credit) with the fields the
-- ledger and the queries need pulled out. Written by xapi_store.c, read by the ledger.
CREATE TABLE credits.statements (
    county_id      text NOT NULL,
    id             uuid NOT NULL,
    stored         timestamptz NOT NULL,          -- set by the LRS, never decreasing in seq order
    seq            bigint NOT NULL,               -- commit order (gap-free counter), for "more"
    platform       text NOT NULL,                 -- the key that sent it (authority)
    actor_key      text NOT NULL,                 -- canonical IFI: "mbox:…", "sha1:…", "account:homePage|name", "openid:…"; "group:…" for a Group (never a teacher)
    teacher_id     text,                          -- NULL until the roster knows the actor
    verb_id        text NOT NULL,
    activity_id    text,                          -- object.id when the object is an Activity
    activity_type  text,                          -- object.definition.type
    registration   uuid,
    occurred_at    timestamptz NOT NULL,          -- statement.timestamp (stored when absent)
    duration_ms    bigint,                        -- result.duration, when present and without years or months
    voided         boolean NOT NULL DEFAULT false,
    voids          uuid,                          -- for a voiding statement: the target id
    statement      jsonb NOT NULL,                -- exactly as it will be returned
    -- for the Statements resource's filters (xapi_query.c) and matching (xapi_rematch.c):
    object_ref     uuid,                          -- object.id when the object is a StatementRef (voiding or not)
    account_name   text,                          -- actor.account.name when the account lives on the sending platform's home page
    agents         text[] NOT NULL DEFAULT '{}',  -- IFI keys of the actor and an Agent/Group object, with group members: "agent"
    related_agents text[] NOT NULL DEFAULT '{}',  -- and of authority, instructor, team, and the SubStatement's: "related_agents"
    related_activities text[] NOT NULL DEFAULT '{}', -- object, context and SubStatement activity ids: "related_activities"
    PRIMARY KEY (county_id, id));
CREATE INDEX statements_seq ON credits.statements (county_id, seq);
CREATE INDEX statements_platform ON credits.statements (county_id, platform, seq);
CREATE INDEX statements_teacher ON credits.statements (county_id, teacher_id, occurred_at);
CREATE INDEX statements_unmatched ON credits.statements (county_id, actor_key, platform, account_name) WHERE teacher_id IS NULL;
CREATE INDEX statements_voids ON credits.statements (county_id, voids) WHERE voids IS NOT NULL;
CREATE INDEX statements_object_ref ON credits.statements (county_id, object_ref) WHERE object_ref IS NOT NULL;
-- the "agent" filter: the actor, and (partial GIN: cheap to keep, most statements have no
-- other agent) the statements whose agents are more than their actor
CREATE INDEX statements_actor ON credits.statements (county_id, actor_key, seq);
CREATE INDEX statements_agents ON credits.statements USING gin (agents) WHERE agents <> ARRAY[actor_key];
CREATE INDEX statements_activity ON credits.statements (county_id, activity_id, seq) WHERE activity_id IS NOT NULL;
-- seq of the last statement and its stored time; the row is updated by every batch, under
-- the advisory lock of xapi_store.c, so seq order is commit order and stored never goes back
CREATE TABLE credits.statement_counter (one boolean PRIMARY KEY DEFAULT true CHECK (one), last bigint NOT NULL,
    last_stored timestamptz NOT NULL DEFAULT 'epoch');
INSERT INTO credits.statement_counter (last) VALUES (0);
