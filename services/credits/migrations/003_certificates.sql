-- Certificates signed with the county's Ed25519 key (certificate*.c). The payload is what was
-- signed (its canonical form is recomputed to verify, so jsonb's own layout does not matter);
-- the signature is base64. A certificate is never deleted, and revoking it (revoked_at and
-- revoke_reason, once) is the only change it ever sees: a trigger holds the rows to that.
CREATE TABLE credits.certificates (
    county_id      text NOT NULL,
    id             uuid NOT NULL,
    program_id     text NOT NULL,
    teacher_id     text NOT NULL,
    payload        jsonb NOT NULL,
    signature      text NOT NULL,
    issued_at      timestamptz NOT NULL,
    revoked_at     timestamptz,
    revoke_reason  text,
    PRIMARY KEY (county_id, id),
    CHECK ((revoked_at IS NULL) = (revoke_reason IS NULL)));
-- one live certificate per (program, teacher); a revoked one makes room for a new one
CREATE UNIQUE INDEX certificates_live ON credits.certificates (county_id, program_id, teacher_id)
    WHERE revoked_at IS NULL;
CREATE INDEX certificates_teacher ON credits.certificates (county_id, teacher_id);

CREATE FUNCTION credits.certificates_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'certificates are never deleted' USING ERRCODE = 'restrict_violation';
    END IF;
    IF OLD.revoked_at IS NOT NULL
       OR (NEW.county_id, NEW.id, NEW.program_id, NEW.teacher_id, NEW.payload, NEW.signature,
           NEW.issued_at) IS DISTINCT FROM
          (OLD.county_id, OLD.id, OLD.program_id, OLD.teacher_id, OLD.payload, OLD.signature,
           OLD.issued_at) THEN
        RAISE EXCEPTION 'a certificate only changes by being revoked, once'
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER certificates_guard BEFORE UPDATE OR DELETE ON credits.certificates
    FOR EACH ROW EXECUTE FUNCTION credits.certificates_guard();
