//! Per-person quotas: the limits set for a person, and what they use.

use super::{Db, DbError, Tx};
use crate::{on_pool, on_tx};
use chrono::{DateTime, Utc};

/// The limits an administrator set for this person (None: the configured default).
#[derive(Clone, Debug, Default, sqlx::FromRow)]
pub struct Overrides {
    pub quota_storage_bytes: Option<i64>,
    pub quota_tokens_per_day: Option<i64>,
    pub quota_api_keys: Option<i64>,
}

const OVERRIDES: &str =
    "SELECT quota_storage_bytes, quota_tokens_per_day, quota_api_keys FROM users WHERE id = $1";

pub async fn overrides(db: &Db, user: i64) -> Result<Overrides, DbError> {
    Ok(
        on_pool!(db, pool => sqlx::query_as(OVERRIDES).bind(user).fetch_optional(pool).await)?
            .unwrap_or_default(),
    )
}

/// [`overrides`] inside a transaction.
pub async fn overrides_in(tx: &mut Tx, user: i64) -> Result<Overrides, DbError> {
    Ok(
        on_tx!(tx, conn => sqlx::query_as(OVERRIDES).bind(user).fetch_optional(&mut *conn).await)?
            .unwrap_or_default(),
    )
}

pub async fn set_overrides(tx: &mut Tx, user: i64, o: &Overrides) -> Result<bool, DbError> {
    let sql = "UPDATE users SET quota_storage_bytes = $1, quota_tokens_per_day = $2, \
               quota_api_keys = $3 WHERE id = $4";
    let n = on_tx!(tx, conn => sqlx::query(sql)
        .bind(o.quota_storage_bytes)
        .bind(o.quota_tokens_per_day)
        .bind(o.quota_api_keys)
        .bind(user)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Count `adding` more bytes against the person's storage if they fit under
/// `limit` (None: no limit). One conditional UPDATE, so two writes at once cannot
/// both squeeze into the last room. False when they do not fit.
pub async fn reserve_storage(
    tx: &mut Tx,
    user: i64,
    adding: i64,
    limit: Option<i64>,
) -> Result<bool, DbError> {
    let sql = "UPDATE users SET storage_bytes = storage_bytes + $1 \
               WHERE id = $2 AND ($3 IS NULL OR storage_bytes + $1 <= $3)";
    let n = on_tx!(tx, conn => sqlx::query(sql)
        .bind(adding)
        .bind(user)
        .bind(limit)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

const STORAGE: &str = "SELECT storage_bytes FROM users WHERE id = $1";

pub async fn storage(db: &Db, user: i64) -> Result<i64, DbError> {
    Ok(
        on_pool!(db, pool => sqlx::query_scalar(STORAGE).bind(user).fetch_optional(pool).await)?
            .unwrap_or(0),
    )
}

/// [`storage`] inside a transaction.
pub async fn storage_in(tx: &mut Tx, user: i64) -> Result<i64, DbError> {
    Ok(
        on_tx!(tx, conn => sqlx::query_scalar(STORAGE).bind(user).fetch_optional(&mut *conn).await)?
            .unwrap_or(0),
    )
}

/// Count `delta` bytes more (or fewer) against the person's storage.
pub async fn add_storage(tx: &mut Tx, user: i64, delta: i64) -> Result<(), DbError> {
    let sql = "UPDATE users SET storage_bytes = storage_bytes + $1 WHERE id = $2";
    on_tx!(tx, conn => sqlx::query(sql).bind(delta).bind(user).execute(&mut *conn).await.map(|_| ()))?;
    Ok(())
}

/// Bytes a document holds: its text and every earlier version's.
pub async fn document_bytes(tx: &mut Tx, id: i64) -> Result<i64, DbError> {
    let sql = "SELECT CAST(octet_length(body) AS BIGINT) \
               + COALESCE((SELECT CAST(SUM(octet_length(r.body)) AS BIGINT) \
                           FROM document_revisions r WHERE r.document_id = $1), 0) \
               FROM documents WHERE id = $1";
    Ok(
        on_tx!(tx, conn => sqlx::query_scalar(sql).bind(id).fetch_optional(&mut *conn).await)?
            .unwrap_or(0),
    )
}

/// Count every person's storage again from the documents (after bulk loads).
pub async fn recount_storage(db: &Db) -> Result<(), DbError> {
    let sql = "UPDATE users SET storage_bytes = \
          COALESCE((SELECT CAST(SUM(octet_length(d.body)) AS BIGINT) FROM documents d WHERE d.owner_id = users.id), 0) \
        + COALESCE((SELECT CAST(SUM(octet_length(r.body)) AS BIGINT) FROM document_revisions r \
                    JOIN documents d ON d.id = r.document_id WHERE d.owner_id = users.id), 0)";
    on_pool!(db, pool => sqlx::query(sql).execute(pool).await.map(|_| ()))?;
    Ok(())
}

/// Tokens the assistant used for this person since `since` (prompt and answer).
pub async fn tokens_since(db: &Db, user: i64, since: DateTime<Utc>) -> Result<i64, DbError> {
    let sql = "SELECT CAST(COALESCE(SUM(m.prompt_tokens + m.completion_tokens), 0) AS BIGINT) \
               FROM messages m JOIN conversations c ON c.id = m.conversation_id \
               WHERE c.owner_id = $1 AND m.role = 'assistant' AND m.created_at >= $2";
    Ok(on_pool!(db, pool => sqlx::query_scalar(sql).bind(user).bind(since).fetch_one(pool).await)?)
}

/// Keys that still work.
pub async fn live_api_keys(db: &Db, user: i64) -> Result<i64, DbError> {
    let sql = "SELECT COUNT(*) FROM api_keys WHERE user_id = $1 AND revoked_at IS NULL \
               AND expires_at > $2";
    Ok(
        on_pool!(db, pool => sqlx::query_scalar(sql).bind(user).bind(Utc::now()).fetch_one(pool).await)?,
    )
}
