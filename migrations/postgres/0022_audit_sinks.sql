-- Streaming audit events to outside systems (syslog, HTTPS). The events table
-- is the outbox: each sink keeps how far it has delivered, in event order, and
-- moves on only once a delivery succeeded, so a sink that is down misses
-- nothing and gets every event once it is back (also across restarts).
-- One instance at a time delivers to a sink: the one holding its lease.
CREATE TABLE audit_sinks (
    id TEXT PRIMARY KEY,                          -- kind and destination, e.g. 'syslog tls://siem:6514'
    delivered_id BIGINT NOT NULL DEFAULT 0,      -- the last event the sink has received
    delivered_at TIMESTAMPTZ,
    failures INTEGER NOT NULL DEFAULT 0,          -- failed attempts in a row
    failing_since TIMESTAMPTZ,
    last_error TEXT,
    lease_owner TEXT,
    lease_until BIGINT NOT NULL DEFAULT 0        -- Unix milliseconds
);
