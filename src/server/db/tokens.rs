//! Refresh tokens: SHA-256 at rest, single use, grouped in families.

use super::{Db, DbError};
use crate::on_pool;
use chrono::{DateTime, Utc};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct RefreshRow {
    pub id: i64,
    pub user_id: i64,
    pub family: String,
    pub epoch: i64,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

pub struct NewRefresh<'a> {
    pub user_id: i64,
    pub family: &'a str,
    pub token_hash: &'a str,
    pub epoch: i64,
    pub expires_at: DateTime<Utc>,
}

pub async fn insert(db: &Db, r: &NewRefresh<'_>) -> Result<(), DbError> {
    let sql =
        "INSERT INTO refresh_tokens (user_id, family, token_hash, epoch, created_at, expires_at) \
               VALUES ($1, $2, $3, $4, $5, $6)";
    on_pool!(db, pool => sqlx::query(sql)
        .bind(r.user_id)
        .bind(r.family)
        .bind(r.token_hash)
        .bind(r.epoch)
        .bind(Utc::now())
        .bind(r.expires_at)
        .execute(pool)
        .await
        .map(|_| ()))?;
    Ok(())
}

pub async fn by_hash(db: &Db, hash: &str) -> Result<Option<RefreshRow>, DbError> {
    let sql = "SELECT id, user_id, family, epoch, expires_at, used_at, revoked_at \
               FROM refresh_tokens WHERE token_hash = $1";
    Ok(on_pool!(db, pool => sqlx::query_as(sql).bind(hash).fetch_optional(pool).await)?)
}

/// When the family's first token was issued (its login).
pub async fn family_started(db: &Db, family: &str) -> Result<Option<DateTime<Utc>>, DbError> {
    let sql = "SELECT MIN(created_at) FROM refresh_tokens WHERE family = $1";
    Ok(on_pool!(db, pool => sqlx::query_scalar(sql).bind(family).fetch_one(pool).await)?)
}

/// Mark a token used; false when it already was (or is revoked): one statement,
/// so two refreshes racing with the same token cannot both win.
pub async fn spend(db: &Db, id: i64) -> Result<bool, DbError> {
    let sql = "UPDATE refresh_tokens SET used_at = $1 \
               WHERE id = $2 AND used_at IS NULL AND revoked_at IS NULL";
    let n = on_pool!(db, pool => sqlx::query(sql).bind(Utc::now()).bind(id).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub async fn revoke_family(db: &Db, family: &str) -> Result<(), DbError> {
    let sql = "UPDATE refresh_tokens SET revoked_at = $1 WHERE family = $2 AND revoked_at IS NULL";
    on_pool!(db, pool => sqlx::query(sql).bind(Utc::now()).bind(family).execute(pool).await.map(|_| ()))?;
    Ok(())
}
