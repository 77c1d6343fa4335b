//! API keys: only their SHA-256 is stored.

use super::{Db, DbError, Tx};
use crate::{on_pool, on_tx};
use chrono::{DateTime, Utc};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct KeyRow {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub prefix: String,
    pub scopes: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str =
    "id, user_id, name, prefix, scopes, created_at, expires_at, last_used_at, revoked_at";

pub struct NewKey<'a> {
    pub user_id: i64,
    pub name: &'a str,
    pub prefix: &'a str,
    pub key_hash: &'a str,
    pub scopes: &'a str,
    pub expires_at: DateTime<Utc>,
}

pub async fn insert(tx: &mut Tx, k: &NewKey<'_>) -> Result<KeyRow, DbError> {
    let sql = format!(
        "INSERT INTO api_keys (user_id, name, prefix, key_hash, scopes, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {COLUMNS}"
    );
    Ok(on_tx!(tx, conn => sqlx::query_as(&sql)
        .bind(k.user_id)
        .bind(k.name)
        .bind(k.prefix)
        .bind(k.key_hash)
        .bind(k.scopes)
        .bind(Utc::now())
        .bind(k.expires_at)
        .fetch_one(&mut *conn)
        .await)?)
}

pub async fn list(db: &Db, user: i64) -> Result<Vec<KeyRow>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM api_keys WHERE user_id = $1 ORDER BY id DESC");
    Ok(on_pool!(db, pool => sqlx::query_as(&sql).bind(user).fetch_all(pool).await)?)
}

pub async fn by_hash(db: &Db, hash: &str) -> Result<Option<KeyRow>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM api_keys WHERE key_hash = $1");
    Ok(on_pool!(db, pool => sqlx::query_as(&sql).bind(hash).fetch_optional(pool).await)?)
}

/// Revoke the owner's key; false when there is no such live key.
pub async fn revoke(tx: &mut Tx, user: i64, id: i64) -> Result<bool, DbError> {
    let sql =
        "UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL";
    let n = on_tx!(tx, conn => sqlx::query(sql)
        .bind(Utc::now())
        .bind(id)
        .bind(user)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Revoke every live key of `user`; how many.
pub async fn revoke_all(tx: &mut Tx, user: i64) -> Result<u64, DbError> {
    let sql = "UPDATE api_keys SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL";
    Ok(on_tx!(tx, conn => sqlx::query(sql)
        .bind(Utc::now())
        .bind(user)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected()))?)
}

pub async fn touch(db: &Db, id: i64) -> Result<(), DbError> {
    let sql = "UPDATE api_keys SET last_used_at = $1 WHERE id = $2";
    on_pool!(db, pool => sqlx::query(sql).bind(Utc::now()).bind(id).execute(pool).await.map(|_| ()))?;
    Ok(())
}
