-- API keys: shown once, stored as SHA-256, scoped, expiring, revocable.
CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    -- The public start of the key (motto_ and 8 characters), to recognise it.
    prefix TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    -- Space-separated, e.g. "documents:read conversations:write".
    scopes TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
);
CREATE INDEX api_keys_user ON api_keys (user_id, id);
