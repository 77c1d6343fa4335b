-- One round trip fewer under the chain head's lock. An audited write on
-- PostgreSQL used to hold the head's row lock across three statements
-- (audit_reserve, the INSERT, audit_link) and the commit; appends queue on that
-- lock, so every round trip inside it is paid by every writer in the line.
-- audit_append() inserts the reserved event and moves the head onto it in one
-- call, with the same checks as audit_link: only onto the tip the caller's
-- transaction reserved (and so holds locked), never backwards.
CREATE FUNCTION audit_append(
    p_id BIGINT,
    p_occurred_at TIMESTAMPTZ,
    p_actor_user_id BIGINT,
    p_actor_api_key_id BIGINT,
    p_action TEXT,
    p_target_type TEXT,
    p_target_id TEXT,
    p_outcome TEXT,
    p_source_ip TEXT,
    p_user_agent TEXT,
    p_request_id TEXT,
    p_details TEXT,
    p_prev_hash TEXT,
    p_hash TEXT,
    p_mac TEXT
)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    head audit_chain_head%ROWTYPE;
BEGIN
    SELECT * INTO head FROM audit_chain_head WHERE id = 1 FOR UPDATE;
    IF p_id IS NULL OR p_id <> head.seq THEN
        RAISE EXCEPTION 'audit_append: event % is not the reserved tip %', p_id, head.seq;
    END IF;
    INSERT INTO audit_events (id, occurred_at, actor_user_id, actor_api_key_id, action,
        target_type, target_id, outcome, source_ip, user_agent, request_id, details,
        prev_hash, hash, mac)
    VALUES (p_id, p_occurred_at, p_actor_user_id, p_actor_api_key_id, p_action,
        p_target_type, p_target_id, p_outcome, p_source_ip, p_user_agent, p_request_id,
        p_details, p_prev_hash, p_hash, p_mac);
    UPDATE audit_chain_head
    SET last_hash = p_hash, last_mac = COALESCE(p_mac, last_mac)
    WHERE id = 1;
END;
$$;
REVOKE ALL ON FUNCTION audit_append(BIGINT, TIMESTAMPTZ, BIGINT, BIGINT, TEXT, TEXT, TEXT,
    TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT) FROM PUBLIC;
