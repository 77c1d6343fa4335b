-- Spaces: where documents live. Every person has one personal space (private to
-- them); shared spaces have members, people or groups, each with a role.
CREATE TABLE spaces (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('personal', 'shared')),
    -- The person whose personal space this is; NULL for a shared space.
    personal_user_id BIGINT UNIQUE REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    CHECK ((kind = 'personal') = (personal_user_id IS NOT NULL))
);

-- Groups of people, made by administrators or (source 'external') kept in step
-- with an identity provider's claims; external_id is the provider's name for it.
CREATE TABLE groups (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL DEFAULT 'local' CHECK (source IN ('local', 'external')),
    external_id TEXT UNIQUE,
    created_at TIMESTAMPTZ NOT NULL
);

-- Who is in a group, and who put them there: an external membership is managed
-- by the identity provider and not editable in Motto.
CREATE TABLE group_members (
    group_id BIGINT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    source TEXT NOT NULL DEFAULT 'local' CHECK (source IN ('local', 'external')),
    added_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id);

-- Members of a space: a person or a group, with a role. A person's access is the
-- highest role they hold directly or through any of their groups.
CREATE TABLE space_members (
    id BIGSERIAL PRIMARY KEY,
    space_id BIGINT NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
    user_id BIGINT REFERENCES users(id) ON DELETE CASCADE,
    group_id BIGINT REFERENCES groups(id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('viewer', 'editor', 'owner')),
    added_at TIMESTAMPTZ NOT NULL,
    CHECK ((user_id IS NULL) <> (group_id IS NULL)),
    UNIQUE (space_id, user_id),
    UNIQUE (space_id, group_id)
);
CREATE INDEX space_members_user ON space_members (user_id, space_id);
CREATE INDEX space_members_group ON space_members (group_id, space_id);

-- Everyone who has an account gets their personal space, owned by them.
INSERT INTO spaces (kind, personal_user_id, name, created_at, updated_at)
SELECT 'personal', id, 'Personal', created_at, created_at FROM users;
INSERT INTO space_members (space_id, user_id, role, added_at)
SELECT id, personal_user_id, 'owner', created_at FROM spaces WHERE kind = 'personal';

-- Every existing document moves into its owner's personal space; nothing else
-- about it changes.
ALTER TABLE documents ADD COLUMN space_id BIGINT REFERENCES spaces(id) ON DELETE CASCADE;
UPDATE documents
SET space_id = (SELECT s.id FROM spaces s WHERE s.personal_user_id = documents.owner_id);
ALTER TABLE documents ALTER COLUMN space_id SET NOT NULL;
CREATE INDEX documents_space_live_updated ON documents (space_id, updated_at DESC, id DESC)
    WHERE deleted_at IS NULL;
