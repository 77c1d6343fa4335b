-- A document in a shared space outlives the account of the person who wrote it:
-- `owner_id` (its author) becomes NULL, shown as "a deleted account", instead of
-- the document being deleted with the account. Documents in the person's
-- personal space still go with it (through the space).
--
-- SQLite cannot change a column's constraints in place, so the table is rebuilt
-- (SQLite's documented twelve-step way). Migrations run with foreign keys off
-- (`Db::migrate`: they cannot be switched inside a transaction), so dropping the
-- old table deletes nothing that refers to it; they are checked afterwards. Like
-- every migration this runs in one transaction: a failure keeps nothing. Ids,
-- the full-text index and the id counter are kept: no id of a purged document
-- is ever handed out again.
CREATE TABLE documents_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    space_id INTEGER NOT NULL REFERENCES spaces(id) ON DELETE CASCADE
);
INSERT INTO documents_new (id, owner_id, title, body, version, created_at, updated_at, deleted_at, space_id)
SELECT id, owner_id, title, body, version, created_at, updated_at, deleted_at, space_id FROM documents;
DELETE FROM sqlite_sequence WHERE name = 'documents_new';
INSERT INTO sqlite_sequence (name, seq) SELECT 'documents_new', seq FROM sqlite_sequence WHERE name = 'documents';
DROP TABLE documents;
ALTER TABLE documents_new RENAME TO documents;
CREATE INDEX documents_live_updated ON documents (owner_id, updated_at DESC, id DESC)
    WHERE deleted_at IS NULL;
CREATE INDEX documents_live_title ON documents (owner_id, lower(title), id)
    WHERE deleted_at IS NULL;
CREATE INDEX documents_trash ON documents (owner_id, deleted_at DESC, id DESC)
    WHERE deleted_at IS NOT NULL;
CREATE INDEX documents_space_live_updated ON documents (space_id, updated_at DESC, id DESC)
    WHERE deleted_at IS NULL;
CREATE TRIGGER documents_fts_insert AFTER INSERT ON documents BEGIN
    INSERT INTO documents_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
END;
CREATE TRIGGER documents_fts_delete AFTER DELETE ON documents BEGIN
    INSERT INTO documents_fts (documents_fts, rowid, title, body)
    VALUES ('delete', old.id, old.title, old.body);
END;
CREATE TRIGGER documents_fts_update AFTER UPDATE OF title, body ON documents BEGIN
    INSERT INTO documents_fts (documents_fts, rowid, title, body)
    VALUES ('delete', old.id, old.title, old.body);
    INSERT INTO documents_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
END;
