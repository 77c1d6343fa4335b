-- Per-person quotas. The limits an administrator set for this person (NULL: the
-- configured default), and the bytes of document text stored (current versions
-- and every earlier one, trash included), kept in step by every write so a
-- check costs one row read.
ALTER TABLE users ADD COLUMN quota_storage_bytes INTEGER;
ALTER TABLE users ADD COLUMN quota_tokens_per_day INTEGER;
ALTER TABLE users ADD COLUMN quota_api_keys INTEGER;
ALTER TABLE users ADD COLUMN storage_bytes INTEGER NOT NULL DEFAULT 0;
UPDATE users SET storage_bytes =
    COALESCE((SELECT SUM(octet_length(d.body)) FROM documents d WHERE d.owner_id = users.id), 0)
  + COALESCE((SELECT SUM(octet_length(r.body)) FROM document_revisions r
              JOIN documents d ON d.id = r.document_id WHERE d.owner_id = users.id), 0);
