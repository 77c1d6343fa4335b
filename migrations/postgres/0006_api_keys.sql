-- API keys: shown once, stored as SHA-256, scoped, expiring, revocable.
CREATE TABLE api_keys (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    -- The public start of the key (motto_ and 8 characters), to recognise it.
    prefix TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    -- Space-separated, e.g. "documents:read conversations:write".
    scopes TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX api_keys_user ON api_keys (user_id, id);
