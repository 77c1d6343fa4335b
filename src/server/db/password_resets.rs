//! Password reset tokens: SHA-256 at rest, single use, short-lived.

use super::{Db, DbError, Tx};
use crate::{on_pool, on_tx};
use chrono::{DateTime, Utc};

/// Record a new token for the user and retire every older one still open: only
/// the newest link works.
pub async fn issue(
    db: &Db,
    user: i64,
    token_hash: &str,
    expires_at: DateTime<Utc>,
) -> Result<(), DbError> {
    let mut tx = db.begin().await?;
    let now = Utc::now();
    on_tx!(&mut tx, conn => sqlx::query(
        "UPDATE password_resets SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL",
    )
    .bind(now)
    .bind(user)
    .execute(&mut *conn)
    .await
    .map(|_| ()))?;
    on_tx!(&mut tx, conn => sqlx::query(
        "INSERT INTO password_resets (user_id, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(user)
    .bind(token_hash)
    .bind(now)
    .bind(expires_at)
    .execute(&mut *conn)
    .await
    .map(|_| ()))?;
    tx.commit().await?;
    Ok(())
}

/// The user of an open, unexpired token.
pub async fn open_token(db: &Db, token_hash: &str) -> Result<Option<i64>, DbError> {
    Ok(on_pool!(db, pool => sqlx::query_scalar(
        "SELECT user_id FROM password_resets WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(Utc::now())
    .fetch_optional(pool)
    .await)?)
}

/// Spend a token: the user it belongs to when it is open and unexpired. One
/// statement, so the same link cannot be used twice even at the same moment.
pub async fn spend(tx: &mut Tx, token_hash: &str) -> Result<Option<i64>, DbError> {
    let now = Utc::now();
    Ok(on_tx!(tx, conn => sqlx::query_scalar(
        "UPDATE password_resets SET used_at = $1 \
         WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 RETURNING user_id",
    )
    .bind(now)
    .bind(token_hash)
    .fetch_optional(&mut *conn)
    .await)?)
}
