-- Each verification that found the chain intact also records where the chain
-- ended then (the last event's id and hash). The next verification checks that
-- the chain still reaches that event with that hash: cutting the tail and
-- rewriting audit_chain_head to match is then caught, not reported as intact.
ALTER TABLE audit_checks ADD COLUMN last_id INTEGER;
ALTER TABLE audit_checks ADD COLUMN last_hash TEXT;
