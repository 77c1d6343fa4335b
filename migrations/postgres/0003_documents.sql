-- Documents, their revisions, and the full-text index (a generated tsvector with a
-- GIN index: always in step with the row, inside the writing transaction).
CREATE TABLE documents (
    id BIGSERIAL PRIMARY KEY,
    owner_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    deleted_at TIMESTAMPTZ,
    search TSVECTOR GENERATED ALWAYS AS (
        setweight(to_tsvector('english', title), 'A') ||
        setweight(to_tsvector('english', body), 'B')
    ) STORED
);
-- Partial indexes: the list pages read only live (or only trashed) documents, and
-- PostgreSQL cannot use `deleted_at IS NULL` inside a full index to give the order.
CREATE INDEX documents_live_updated ON documents (owner_id, updated_at DESC, id DESC)
    WHERE deleted_at IS NULL;
CREATE INDEX documents_live_title ON documents (owner_id, lower(title), id)
    WHERE deleted_at IS NULL;
CREATE INDEX documents_trash ON documents (owner_id, deleted_at DESC, id DESC)
    WHERE deleted_at IS NOT NULL;
CREATE INDEX documents_search ON documents USING GIN (search);

-- Earlier versions: each save keeps the one it replaced.
CREATE TABLE document_revisions (
    id BIGSERIAL PRIMARY KEY,
    document_id BIGINT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    version BIGINT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (document_id, version)
);
