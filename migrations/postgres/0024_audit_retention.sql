-- Retention: events older than AUDIT_RETENTION_DAYS may be removed, but only a
-- run of events that ends exactly where a signed checkpoint ends, and only after
-- Motto wrote that run to an archive file. Each prune is recorded here (append-
-- only) and by an `audit.prune` event in the chain; the chain then verifies
-- from that checkpoint on. The application role prunes only through
-- audit_prune(), which checks the checkpoint.
CREATE TABLE audit_prunes (
    id BIGSERIAL PRIMARY KEY,
    upto_id BIGINT NOT NULL,
    checkpoint_seq BIGINT NOT NULL,
    archive TEXT NOT NULL,
    archive_sha256 TEXT NOT NULL,
    pruned_at TIMESTAMPTZ NOT NULL
);
CREATE FUNCTION audit_prunes_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_prunes is append-only';
END;
$$;
CREATE TRIGGER audit_prunes_no_update_delete BEFORE UPDATE OR DELETE ON audit_prunes
    FOR EACH ROW EXECUTE FUNCTION audit_prunes_append_only();
CREATE TRIGGER audit_prunes_no_truncate BEFORE TRUNCATE ON audit_prunes
    FOR EACH STATEMENT EXECUTE FUNCTION audit_prunes_append_only();

-- An event may be deleted only once a recorded prune covers it.
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.id <= (SELECT COALESCE(MAX(upto_id), 0) FROM audit_prunes) THEN
            RETURN OLD;
        END IF;
    END IF;
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$;

CREATE FUNCTION audit_prune(p_upto BIGINT, p_checkpoint BIGINT, p_archive TEXT, p_sha256 TEXT)
RETURNS BIGINT
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    done BIGINT;
    removed BIGINT;
BEGIN
    SELECT COALESCE(MAX(upto_id), 0) INTO done FROM audit_prunes;
    IF p_upto IS NULL OR p_upto <= done THEN
        RAISE EXCEPTION 'audit_prune: events up to % are already pruned', done;
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM audit_checkpoints WHERE seq = p_checkpoint AND last_id = p_upto
    ) THEN
        RAISE EXCEPTION 'audit_prune: no checkpoint % ends at event %', p_checkpoint, p_upto;
    END IF;
    IF coalesce(p_archive, '') = '' OR coalesce(p_sha256, '') !~ '^[0-9a-f]{64}$' THEN
        RAISE EXCEPTION 'audit_prune: name the archive and its SHA-256';
    END IF;
    INSERT INTO audit_prunes (upto_id, checkpoint_seq, archive, archive_sha256, pruned_at)
    VALUES (p_upto, p_checkpoint, p_archive, p_sha256, now());
    DELETE FROM audit_events WHERE id <= p_upto AND id > done;
    GET DIAGNOSTICS removed = ROW_COUNT;
    RETURN removed;
END;
$$;
REVOKE ALL ON FUNCTION audit_prune(BIGINT, BIGINT, TEXT, TEXT) FROM PUBLIC;
