-- A third account role, `auditor`: reads the audit console and its exports,
-- nothing else of the administration.
--
-- SQLite cannot change a CHECK constraint in place, so the table is rebuilt
-- (the twelve-step way, as in 0018: migrations run with foreign keys off, and
-- are checked afterwards). Ids and the id counter are kept.
CREATE TABLE users_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL,
    username_key TEXT NOT NULL UNIQUE,
    email TEXT NOT NULL,
    email_key TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin', 'auditor')),
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    session_epoch INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    last_login_at TEXT,
    totp_secret TEXT,
    totp_pending TEXT,
    totp_last_step INTEGER,
    totp_enabled_at TEXT,
    theme TEXT NOT NULL DEFAULT 'system',
    time_zone TEXT,
    quota_storage_bytes INTEGER,
    quota_tokens_per_day INTEGER,
    quota_api_keys INTEGER,
    storage_bytes INTEGER NOT NULL DEFAULT 0,
    email_confirmed_at TEXT
);
INSERT INTO users_new (id, username, username_key, email, email_key, password_hash, role,
    disabled, session_epoch, created_at, updated_at, last_login_at, totp_secret,
    totp_pending, totp_last_step, totp_enabled_at, theme, time_zone, quota_storage_bytes,
    quota_tokens_per_day, quota_api_keys, storage_bytes, email_confirmed_at)
SELECT id, username, username_key, email, email_key, password_hash, role,
    disabled, session_epoch, created_at, updated_at, last_login_at, totp_secret,
    totp_pending, totp_last_step, totp_enabled_at, theme, time_zone, quota_storage_bytes,
    quota_tokens_per_day, quota_api_keys, storage_bytes, email_confirmed_at
FROM users;
DELETE FROM sqlite_sequence WHERE name = 'users_new';
INSERT INTO sqlite_sequence (name, seq) SELECT 'users_new', seq FROM sqlite_sequence WHERE name = 'users';
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
CREATE INDEX users_role ON users (role);
