-- The admin console: filters over the audit log, the integrity checks it shows,
-- and the sessions each account has open.
CREATE INDEX audit_events_outcome ON audit_events (outcome, id);
CREATE INDEX audit_events_source_ip ON audit_events (source_ip, id);
CREATE INDEX audit_events_target ON audit_events (target_type, target_id, id);

-- Each run of the chain verification (page, schedule or `motto verify-audit`).
CREATE TABLE audit_checks (
    id BIGSERIAL PRIMARY KEY,
    checked_at TIMESTAMPTZ NOT NULL,
    events BIGINT NOT NULL,
    intact BOOLEAN NOT NULL,
    first_broken_id BIGINT,
    reason TEXT
);

-- Sessions as people see them (the session store itself is opaque): one row per
-- login, keyed by a random id kept in the session; ended at logout or expiry, and
-- dead once the account's session epoch moves on.
CREATE TABLE user_sessions (
    id TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    epoch BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    source_ip TEXT,
    user_agent TEXT,
    ended_at TIMESTAMPTZ
);
CREATE INDEX user_sessions_user ON user_sessions (user_id, last_seen_at);
