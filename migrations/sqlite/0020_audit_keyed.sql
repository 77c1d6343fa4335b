-- The keyed audit chain and its signed checkpoints.
-- Each event from `keyed_from` on carries an HMAC-SHA-256 over its content and
-- the previous MAC, under a key the database never sees; events written before
-- this migration keep their public hash only and are sealed by the first
-- checkpoint. Nothing already written is rewritten.
ALTER TABLE audit_events ADD COLUMN mac TEXT;
ALTER TABLE audit_chain_head ADD COLUMN last_mac TEXT;
ALTER TABLE audit_chain_head ADD COLUMN keyed_from INTEGER NOT NULL DEFAULT 1;
UPDATE audit_chain_head SET keyed_from = seq + 1 WHERE id = 1;

-- Signed checkpoints, as written to the checkpoint directory (one JSON line
-- each). The copy here serves the admin page and the next checkpoint's link;
-- the copy outside the database is the one an auditor trusts.
CREATE TABLE audit_checkpoints (
    seq INTEGER PRIMARY KEY,
    first_id INTEGER NOT NULL,
    last_id INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    line TEXT NOT NULL
);

CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'audit_checkpoints is append-only');
END;
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'audit_checkpoints is append-only');
END;
