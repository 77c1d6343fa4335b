-- The admin console: filters over the audit log, the integrity checks it shows,
-- and the sessions each account has open.
CREATE INDEX audit_events_outcome ON audit_events (outcome, id);
CREATE INDEX audit_events_source_ip ON audit_events (source_ip, id);
CREATE INDEX audit_events_target ON audit_events (target_type, target_id, id);

-- Each run of the chain verification (page, schedule or `motto verify-audit`).
CREATE TABLE audit_checks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    checked_at TEXT NOT NULL,
    events INTEGER NOT NULL,
    intact BOOLEAN NOT NULL,
    first_broken_id INTEGER,
    reason TEXT
);

-- Sessions as people see them (the session store itself is opaque): one row per
-- login, keyed by a random id kept in the session; ended at logout or expiry, and
-- dead once the account's session epoch moves on.
CREATE TABLE user_sessions (
    id TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    epoch INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    source_ip TEXT,
    user_agent TEXT,
    ended_at TEXT
);
CREATE INDEX user_sessions_user ON user_sessions (user_id, last_seen_at);
