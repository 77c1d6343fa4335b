//! Email confirmation links: SHA-256 at rest, single use, a day long.

use super::{Db, DbError, Tx};
use crate::{on_pool, on_tx};
use chrono::{DateTime, Utc};

/// Record a new link for `email` and retire the account's older ones: only the
/// newest link works.
pub async fn issue(
    tx: &mut Tx,
    user: i64,
    email: &str,
    token_hash: &str,
    expires_at: DateTime<Utc>,
) -> Result<(), DbError> {
    let now = Utc::now();
    on_tx!(tx, conn => sqlx::query(
        "UPDATE email_confirmations SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL",
    )
    .bind(now)
    .bind(user)
    .execute(&mut *conn)
    .await
    .map(|_| ()))?;
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO email_confirmations (user_id, email, token_hash, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(user)
    .bind(email)
    .bind(token_hash)
    .bind(now)
    .bind(expires_at)
    .execute(&mut *conn)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// The address waiting for confirmation, if a link for it is still open.
pub async fn pending(db: &Db, user: i64) -> Result<Option<(String, DateTime<Utc>)>, DbError> {
    Ok(on_pool!(db, pool => sqlx::query_as(
        "SELECT email, created_at FROM email_confirmations \
         WHERE user_id = $1 AND used_at IS NULL AND expires_at > $2 ORDER BY id DESC LIMIT 1",
    )
    .bind(user)
    .bind(Utc::now())
    .fetch_optional(pool)
    .await)?)
}

/// When the account's latest link was made, used or not.
pub async fn last_sent(db: &Db, user: i64) -> Result<Option<DateTime<Utc>>, DbError> {
    Ok(on_pool!(db, pool => sqlx::query_scalar(
        "SELECT created_at FROM email_confirmations WHERE user_id = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(user)
    .fetch_optional(pool)
    .await)?)
}

/// Spend a link: (account, address) when it is open and unexpired. One statement,
/// so the same link cannot be used twice even at the same moment.
pub async fn spend(tx: &mut Tx, token_hash: &str) -> Result<Option<(i64, String)>, DbError> {
    let now = Utc::now();
    Ok(on_tx!(tx, conn => sqlx::query_as(
        "UPDATE email_confirmations SET used_at = $1 \
         WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 RETURNING user_id, email",
    )
    .bind(now)
    .bind(token_hash)
    .fetch_optional(&mut *conn)
    .await)?)
}

/// Whether a confirmed account owns this address (by its key).
pub async fn owned(db: &Db, email_key: &str) -> Result<Option<(i64, String)>, DbError> {
    Ok(on_pool!(db, pool => sqlx::query_as(
        "SELECT id, email FROM users WHERE email_key = $1",
    )
    .bind(email_key)
    .fetch_optional(pool)
    .await)?)
}

/// The account now owns `email`: its key, confirmed now. A conflict means another
/// account confirmed it first.
pub async fn confirm(tx: &mut Tx, user: i64, email: &str, email_key: &str) -> Result<(), DbError> {
    let now = Utc::now();
    on_tx!(tx, conn => sqlx::query(
        "UPDATE users SET email = $1, email_key = $2, email_confirmed_at = $3, updated_at = $3 \
         WHERE id = $4",
    )
    .bind(email)
    .bind(email_key)
    .bind(now)
    .bind(user)
    .execute(&mut *conn)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// An unconfirmed account's address, changed before it was confirmed.
pub async fn set_unconfirmed(tx: &mut Tx, user: i64, email: &str) -> Result<(), DbError> {
    on_tx!(tx, conn => sqlx::query(
        "UPDATE users SET email = $1, updated_at = $2 WHERE id = $3 AND email_confirmed_at IS NULL",
    )
    .bind(email)
    .bind(Utc::now())
    .bind(user)
    .execute(&mut *conn)
    .await
    .map(|_| ()))?;
    Ok(())
}
