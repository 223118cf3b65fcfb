-- The xAPI document resources: state (activity, agent, registration, stateId), activity
-- profiles (activity, profileId) and agent profiles (agent, profileId). Each platform has
-- documents of its own; parts a kind does not use are ''.
CREATE TABLE credits.documents (
    county_id text NOT NULL,
    platform text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('state', 'activity_profile', 'agent_profile')),
    activity_id text NOT NULL,
    agent_key text NOT NULL,
    registration text NOT NULL,
    doc_id text NOT NULL,
    content_type text NOT NULL,
    content bytea NOT NULL,
    etag text NOT NULL, -- SHA-1 of the content, hex
    updated timestamptz NOT NULL,
    PRIMARY KEY (county_id, platform, kind, activity_id, agent_key, registration, doc_id)
);
