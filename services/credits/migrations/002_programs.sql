-- Programs (研修项目) with their rule sets as data, and the append-only ledger of credits
-- (program*.c, ledger*.c, transcript.c, progress.c, grades.c). Dates and days are those of
-- Asia/Shanghai.

-- The definition is kept exactly as validated and normalised (json, not jsonb: the order
-- of its fields is the order an admin reads). The columns beside it are what SQL needs.
CREATE TABLE credits.programs (
    county_id   text NOT NULL,
    id          text NOT NULL,
    name        text NOT NULL,
    template    text NOT NULL DEFAULT '',
    starts_on   date NOT NULL,
    ends_on     date NOT NULL,
    start_at    timestamptz NOT NULL,          -- starts_on 00:00 in Asia/Shanghai
    end_at      timestamptz NOT NULL,          -- the day after ends_on, 00:00 (exclusive)
    definition  json NOT NULL,
    rules_hash  text NOT NULL,                 -- of the definition: standings computed under
                                               -- other rules are recomputed
    created_by  text NOT NULL DEFAULT '',      -- key id of the admin
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (county_id, id),
    CHECK (starts_on <= ends_on AND start_at < end_at));

-- Who is credited when a statement arrives. Reading (transcripts, progress) takes membership
-- from the roster's directory instead, so teachers who join later are enrolled at once.
CREATE TABLE credits.program_scope (
    county_id   text NOT NULL,
    program_id  text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('county', 'district', 'school')),
    ref         text NOT NULL DEFAULT '',
    PRIMARY KEY (county_id, program_id, kind, ref));

-- What statements count, one row per match item of the rule set (derived from the
-- definition). Within a category the item of lowest ord that matches wins.
CREATE TABLE credits.program_rules (
    county_id      text NOT NULL,
    program_id     text NOT NULL,
    ord            int NOT NULL,
    category       text NOT NULL,
    item           text NOT NULL,
    measure        text NOT NULL CHECK (measure IN ('minutes', 'count', 'attended')),
    verb_id        text NOT NULL,
    activity_type  text,                       -- NULL: any
    score_min      numeric,                    -- result.score.raw at least this
    PRIMARY KEY (county_id, program_id, ord));
CREATE INDEX program_rules_verb ON credits.program_rules (county_id, verb_id);

-- The ledger: raw facts (minutes studied, activities, scores, attendance), never points.
-- Caps, stages and rounding are applied when reading. Nothing is updated or deleted: a
-- voided statement or a correction adds an entry that reverses another (reverses).
CREATE TABLE credits.ledger (
    county_id     text NOT NULL,
    program_id    text NOT NULL,
    teacher_id    text NOT NULL,
    id            bigint GENERATED ALWAYS AS IDENTITY,
    category      text NOT NULL,
    item          text NOT NULL DEFAULT '',    -- the match item (its weight), '' for entered facts
    measure       text NOT NULL CHECK (measure IN ('minutes', 'count', 'score', 'attended')),
    amount        numeric NOT NULL,            -- in the measure's unit
    started_at    timestamptz,                 -- statement minutes: start of the studied interval
    occurred_at   timestamptz NOT NULL,        -- when it happened (a statement's timestamp)
    recorded_at   timestamptz NOT NULL DEFAULT now(),
    source        text NOT NULL CHECK (source IN ('statement', 'void', 'activity', 'grade', 'manual')),
    statement_id  uuid,                        -- the evidence (for 'void': the voiding statement)
    activity_id   text,                        -- the xAPI object or the scheduled activity
    reverses      bigint,                      -- the entry this one cancels
    actor         text,                        -- key id of the admin who entered it
    reason        text,
    PRIMARY KEY (county_id, program_id, teacher_id, id),
    CHECK ((started_at IS NULL) OR (measure = 'minutes' AND source = 'statement')));
-- a statement is credited once per program and category, whoever retries
CREATE UNIQUE INDEX ledger_statement ON credits.ledger (county_id, statement_id, program_id, category)
    WHERE statement_id IS NOT NULL;
-- an entry is reversed at most once
CREATE UNIQUE INDEX ledger_reverses ON credits.ledger (county_id, program_id, teacher_id, reverses)
    WHERE reverses IS NOT NULL;
-- a scheduled activity's attendance is recorded once
CREATE UNIQUE INDEX ledger_activity ON credits.ledger (county_id, program_id, teacher_id, category, activity_id)
    WHERE source = 'activity';

CREATE FUNCTION credits.ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'credits.ledger is append-only: add a reversing entry instead'
        USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE ON credits.ledger
    FOR EACH ROW EXECUTE FUNCTION credits.ledger_append_only();
CREATE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON credits.ledger
    FOR EACH STATEMENT EXECUTE FUNCTION credits.ledger_append_only();
REVOKE UPDATE, DELETE, TRUNCATE ON credits.ledger FROM PUBLIC;

-- Every writer of the ledger holds the transaction lock hashtext('credits.ledger'), so entry
-- ids grow in commit order: "every entry up to id N" is a consistent cut, which is what the
-- sweep's watermark relies on.
CREATE INDEX ledger_seq ON credits.ledger (county_id, id);

-- Standings: each teacher's numbers as the rules computed them, kept by the sweep
-- (ledger_outbox.c) for every entry up to sweep_state.last_id, so progress over a whole county
-- reads one row per teacher and computes only those with newer entries. A cache: the ledger
-- stays the truth, and a changed rule set (rules_hash) makes rows stale.
CREATE TABLE credits.standings (
    county_id     text NOT NULL,
    program_id    text NOT NULL,
    teacher_id    text NOT NULL,
    rules_hash    text NOT NULL,
    total_points  float8 NOT NULL,
    passed        boolean NOT NULL,
    minutes       float8 NOT NULL,
    points        float8[] NOT NULL,           -- per category, in the rule set's order
    computed_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (county_id, program_id, teacher_id));
CREATE TABLE credits.sweep_state (
    county_id  text PRIMARY KEY,
    last_id    bigint NOT NULL DEFAULT 0);

-- Milestones reached (half the pass threshold, passed), each announced once.
CREATE TABLE credits.milestones (
    county_id     text NOT NULL,
    program_id    text NOT NULL,
    teacher_id    text NOT NULL,
    milestone     text NOT NULL CHECK (milestone IN ('half', 'passed')),
    total_points  numeric NOT NULL,
    reached_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (county_id, program_id, teacher_id, milestone));

-- Events, written in the same transaction as what they announce; seq comes from a counter
-- row updated in that transaction, so sequence order is commit order and has no gaps.
CREATE TABLE credits.outbox (
    seq         bigint PRIMARY KEY,
    topic       text NOT NULL,
    tenant      text NOT NULL,                 -- the teacher's school, else the county
    subject_id  text NOT NULL,                 -- the teacher
    payload     jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now());
CREATE TABLE credits.outbox_counter (one boolean PRIMARY KEY DEFAULT true CHECK (one), last bigint NOT NULL);
INSERT INTO credits.outbox_counter (last) VALUES (0);
