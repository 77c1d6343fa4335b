-- Accounts at an OpenID Provider linked to Motto accounts. The provider's
-- (issuer, subject) names the person, never their email address; an account has
-- at most one identity per provider.
CREATE TABLE user_identities (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    linked_at TEXT NOT NULL,
    last_login_at TEXT,
    UNIQUE (issuer, subject),
    UNIQUE (user_id, issuer)
);
