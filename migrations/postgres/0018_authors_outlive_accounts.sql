-- A document in a shared space outlives the account of the person who wrote it:
-- `owner_id` (its author) becomes NULL, shown as "a deleted account", instead of
-- the document being deleted with the account. Documents in the person's
-- personal space still go with it (through the space).
ALTER TABLE documents ALTER COLUMN owner_id DROP NOT NULL;
ALTER TABLE documents DROP CONSTRAINT documents_owner_id_fkey;
ALTER TABLE documents ADD CONSTRAINT documents_owner_id_fkey
    FOREIGN KEY (owner_id) REFERENCES users(id) ON DELETE SET NULL;
