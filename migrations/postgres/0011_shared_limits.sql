-- Rate-limit windows and login throttling shared by every instance on this
-- database (used when REDIS_URL is not set). SQLite has one instance, which
-- keeps these counts in memory, so it has no such tables.

-- One fixed window per (endpoint class, client key); windows are aligned to the
-- period, so every instance counts into the same one.
CREATE TABLE rate_windows (
    class        TEXT   NOT NULL,
    key          TEXT   NOT NULL,
    window_start BIGINT NOT NULL, -- ms since the epoch
    count        INTEGER NOT NULL,
    PRIMARY KEY (class, key)
);
CREATE INDEX rate_windows_start ON rate_windows (window_start);

-- Failed logins per (account digest @ source) ("pair") and per source.
CREATE TABLE login_throttle (
    scope    TEXT    NOT NULL CHECK (scope IN ('pair', 'source')),
    key      TEXT    NOT NULL,
    failures INTEGER NOT NULL,
    last_ms  BIGINT  NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX login_throttle_last ON login_throttle (last_ms);

-- Each failed login per account (digest), for the per-account hourly cap.
CREATE TABLE login_account_failures (
    account TEXT   NOT NULL,
    at_ms   BIGINT NOT NULL
);
CREATE INDEX login_account_failures_account ON login_account_failures (account, at_ms);
CREATE INDEX login_account_failures_at ON login_account_failures (at_ms);

-- Sources that logged in to an account before: they keep access under attack.
CREATE TABLE login_known_sources (
    account TEXT NOT NULL,
    source  TEXT NOT NULL,
    PRIMARY KEY (account, source)
);
