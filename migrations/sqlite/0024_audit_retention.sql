-- Retention: events older than AUDIT_RETENTION_DAYS may be removed, but only a
-- run of events that ends exactly where a signed checkpoint ends, and only after
-- Motto wrote that run to an archive file. Each prune is recorded here (append-
-- only) and by an `audit.prune` event in the chain; the chain then verifies
-- from that checkpoint on.
CREATE TABLE audit_prunes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    upto_id INTEGER NOT NULL,          -- events 1..upto_id are gone
    checkpoint_seq INTEGER NOT NULL,   -- the checkpoint that ends at upto_id
    archive TEXT NOT NULL,             -- the archive file of the removed run
    archive_sha256 TEXT NOT NULL,
    pruned_at TEXT NOT NULL
);
CREATE TRIGGER audit_prunes_no_update BEFORE UPDATE ON audit_prunes
BEGIN
    SELECT RAISE(ABORT, 'audit_prunes is append-only');
END;
CREATE TRIGGER audit_prunes_no_delete BEFORE DELETE ON audit_prunes
BEGIN
    SELECT RAISE(ABORT, 'audit_prunes is append-only');
END;

-- An event may be deleted only once a recorded prune covers it.
DROP TRIGGER audit_events_no_delete;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
WHEN OLD.id > (SELECT COALESCE(MAX(upto_id), 0) FROM audit_prunes)
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
