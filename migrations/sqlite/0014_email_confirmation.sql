-- Email addresses are confirmed by a link before an account owns them. Until then
-- the account's email_key is a placeholder no typed login can produce (it has
-- capitals; login keys are lower-cased), so an unconfirmed address neither logs in
-- nor receives password resets, nor keeps its real owner from confirming it.
-- Accounts from before confirmation existed count as confirmed.
ALTER TABLE users ADD COLUMN email_confirmed_at TEXT;
UPDATE users SET email_confirmed_at = created_at;

-- Confirmation links: SHA-256 at rest, single use, 24 hours; issuing a new one
-- retires the older ones of the account.
CREATE TABLE email_confirmations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);
CREATE INDEX email_confirmations_user ON email_confirmations (user_id);
