-- API keys of the gateway. Secrets are never stored: secret_hash is the hex SHA-256 of the
-- secret's text. The gateway caches the non-revoked rows and reloads on NOTIFY yanxiu_keys.
CREATE SCHEMA IF NOT EXISTS auth;

CREATE TABLE auth.keys (
    key_id      text PRIMARY KEY CHECK (key_id ~ '^[0-9a-f]{12}$'),
    role        text NOT NULL
                CHECK (role IN ('county_admin', 'school_admin', 'platform', 'teacher')),
    school_id   text,
    platform    text,
    teacher_id  text,
    secret_hash text NOT NULL CHECK (secret_hash ~ '^[0-9a-f]{64}$'),
    label       text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz,
    -- each role carries exactly the scope it is limited to
    CHECK (CASE role
           WHEN 'county_admin' THEN school_id IS NULL AND platform IS NULL AND teacher_id IS NULL
           WHEN 'school_admin' THEN school_id <> '' AND platform IS NULL AND teacher_id IS NULL
           WHEN 'platform' THEN platform <> '' AND school_id IS NULL AND teacher_id IS NULL
           WHEN 'teacher' THEN teacher_id <> '' AND school_id IS NULL AND platform IS NULL
           END)
);

-- Any change, by yanxiuctl or by hand, reaches every gateway's cache.
CREATE FUNCTION auth.keys_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('yanxiu_keys', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER keys_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON auth.keys
    FOR EACH STATEMENT EXECUTE FUNCTION auth.keys_changed();
