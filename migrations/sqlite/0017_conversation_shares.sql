-- A conversation shared read-only with a space: the space's members may read it
-- (each citation shown as their own access allows); only its owner writes in it.
CREATE TABLE conversation_shares (
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    space_id INTEGER NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    PRIMARY KEY (conversation_id, space_id)
);
CREATE INDEX conversation_shares_space ON conversation_shares (space_id);
