-- Who has a document open in the editor, as last heard (the editor page says so
-- every 20 seconds). A light signal shared by every instance; rows older than a
-- few minutes mean nothing and are cleared as new ones arrive.
CREATE TABLE document_presence (
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    seen_at TEXT NOT NULL,
    PRIMARY KEY (document_id, user_id)
);

-- Whether a space's documents may be shared by public link (its owners decide;
-- an administrator's switch can forbid links everywhere).
ALTER TABLE spaces ADD COLUMN share_links INTEGER NOT NULL DEFAULT 1;

-- A read-only public link to one document. Only a hash of the link's secret is
-- kept (the link is shown once, when made); the optional password is an argon2
-- hash. Views are counted, not audited one by one.
CREATE TABLE share_links (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    password_hash TEXT,
    expires_at TEXT,
    created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    views INTEGER NOT NULL DEFAULT 0,
    last_viewed_at TEXT
);
CREATE INDEX share_links_document ON share_links (document_id);
