-- Conversations with the assistant, their messages, and the documents a
-- conversation is limited to (none: all of the owner's documents).
CREATE TABLE conversations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    created_at TEXT NOT NULL,
    -- The time of the last message: the list is ordered by it.
    updated_at TEXT NOT NULL,
    deleted_at TEXT
);
CREATE INDEX conversations_live ON conversations (owner_id, updated_at DESC, id DESC)
    WHERE deleted_at IS NULL;
CREATE INDEX conversations_trash ON conversations (owner_id, deleted_at DESC, id DESC)
    WHERE deleted_at IS NOT NULL;

CREATE TABLE conversation_documents (
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    PRIMARY KEY (conversation_id, document_id)
);

CREATE TABLE messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
    content TEXT NOT NULL,
    -- pending (being written), complete, stopped (by the user), failed.
    status TEXT NOT NULL CHECK (status IN ('pending', 'complete', 'stopped', 'failed')),
    error TEXT,
    -- JSON array of the passages the answer cites.
    citations TEXT NOT NULL DEFAULT '[]',
    -- Which assistant wrote it: "retrieval" or the model name.
    assistant TEXT,
    prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    -- True when the counts are our estimate rather than the provider's figures.
    tokens_estimated BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TEXT NOT NULL,
    completed_at TEXT
);
CREATE INDEX messages_conversation ON messages (conversation_id, id);
