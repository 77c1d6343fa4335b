-- Least privilege on PostgreSQL. When Motto runs as an application role apart
-- from the role that owns the schema (DATABASE_OWNER_URL), that role may INSERT
-- audit events but not UPDATE, DELETE or TRUNCATE them, nor disable their
-- triggers (only an owner can), nor touch the chain head except through these
-- three functions, which run with the owner's rights and only ever move the head
-- forward onto an event that exists. (Grants are applied by `motto migrate`.)

-- Reserve the next `p_count` ids; the head row stays locked until the caller's
-- transaction ends, so appenders form one line.
CREATE FUNCTION audit_reserve(p_count BIGINT)
RETURNS TABLE (seq BIGINT, last_hash TEXT, last_mac TEXT, keyed_from BIGINT)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF p_count IS NULL OR p_count < 1 THEN
        RAISE EXCEPTION 'audit_reserve: reserve at least one event';
    END IF;
    RETURN QUERY
    UPDATE audit_chain_head h SET seq = h.seq + p_count WHERE h.id = 1
    RETURNING h.seq - p_count, h.last_hash, h.last_mac, h.keyed_from;
END;
$$;

-- Move the head onto the last reserved event, which must exist with that hash
-- and MAC and link to the head's previous tip.
CREATE FUNCTION audit_link(p_id BIGINT, p_hash TEXT, p_mac TEXT)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    head audit_chain_head%ROWTYPE;
BEGIN
    SELECT * INTO head FROM audit_chain_head WHERE id = 1 FOR UPDATE;
    IF p_id <> head.seq THEN
        RAISE EXCEPTION 'audit_link: event % is not the reserved tip %', p_id, head.seq;
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM audit_events
        WHERE id = p_id AND hash = p_hash AND mac IS NOT DISTINCT FROM p_mac
    ) THEN
        RAISE EXCEPTION 'audit_link: no event % with that hash and MAC', p_id;
    END IF;
    UPDATE audit_chain_head
    SET last_hash = p_hash, last_mac = COALESCE(p_mac, last_mac)
    WHERE id = 1;
END;
$$;

-- The tip, locked until the caller's transaction ends (for sealing).
CREATE FUNCTION audit_lock_tip()
RETURNS TABLE (seq BIGINT, last_hash TEXT, last_mac TEXT, keyed_from BIGINT)
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT h.seq, h.last_hash, h.last_mac, h.keyed_from
    FROM audit_chain_head h WHERE h.id = 1 FOR UPDATE;
$$;

REVOKE ALL ON FUNCTION audit_reserve(BIGINT) FROM PUBLIC;
REVOKE ALL ON FUNCTION audit_link(BIGINT, TEXT, TEXT) FROM PUBLIC;
REVOKE ALL ON FUNCTION audit_lock_tip() FROM PUBLIC;
