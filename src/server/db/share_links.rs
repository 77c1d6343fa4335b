//! Share links: stored by the hash of their secret, never the secret itself.

use super::{Db, DbError, Tx};
use crate::{on_pool, on_tx};
use chrono::{DateTime, Utc};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct LinkRow {
    pub id: i64,
    pub document_id: i64,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub has_password: bool,
    pub revoked_at: Option<DateTime<Utc>>,
    pub views: i64,
    pub last_viewed_at: Option<DateTime<Utc>>,
    pub space_name: String,
}

const LINK: &str = "SELECT l.id, l.document_id, u.username AS created_by, l.created_at, \
     l.expires_at, l.password_hash IS NOT NULL AS has_password, l.revoked_at, l.views, \
     l.last_viewed_at, s.name AS space_name FROM share_links l \
     JOIN documents d ON d.id = l.document_id JOIN spaces s ON s.id = d.space_id \
     LEFT JOIN users u ON u.id = l.created_by";

pub struct NewLink<'a> {
    pub document: i64,
    pub token_hash: &'a str,
    pub password_hash: Option<&'a str>,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_by: i64,
}

pub async fn insert(tx: &mut Tx, link: NewLink<'_>) -> Result<i64, DbError> {
    let sql = "INSERT INTO share_links (document_id, token_hash, password_hash, expires_at, \
               created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
    Ok(on_tx!(tx, conn => sqlx::query_scalar(sql)
        .bind(link.document)
        .bind(link.token_hash)
        .bind(link.password_hash)
        .bind(link.expires_at)
        .bind(link.created_by)
        .bind(Utc::now())
        .fetch_one(&mut *conn)
        .await)?)
}

/// The links of one document, newest first.
pub async fn for_document(db: &Db, document: i64) -> Result<Vec<LinkRow>, DbError> {
    let sql = format!("{LINK} WHERE l.document_id = $1 ORDER BY l.id DESC");
    Ok(on_pool!(db, pool => sqlx::query_as(&sql).bind(document).fetch_all(pool).await)?)
}

/// Every link there is, newest first (the admin console; at most `limit`).
pub async fn all(db: &Db, limit: i64) -> Result<Vec<LinkRow>, DbError> {
    let sql = format!("{LINK} ORDER BY l.id DESC LIMIT $1");
    Ok(on_pool!(db, pool => sqlx::query_as(&sql).bind(limit).fetch_all(pool).await)?)
}

pub async fn get(db: &Db, id: i64) -> Result<Option<LinkRow>, DbError> {
    let sql = format!("{LINK} WHERE l.id = $1");
    Ok(on_pool!(db, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)?)
}

/// Revoke a link; false when it was revoked already (or does not exist).
pub async fn revoke(tx: &mut Tx, id: i64) -> Result<bool, DbError> {
    let sql = "UPDATE share_links SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL";
    let n = on_tx!(tx, conn => sqlx::query(sql)
        .bind(Utc::now())
        .bind(id)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// What a visitor's link leads to, when it leads anywhere: the link works only
/// while it is not revoked or expired, its document is live, its space allows
/// links.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Opened {
    pub id: i64,
    pub password_hash: Option<String>,
    pub title: String,
    pub body: String,
    pub updated_at: DateTime<Utc>,
}

pub async fn open(db: &Db, token_hash: &str) -> Result<Option<Opened>, DbError> {
    let sql = "SELECT l.id, l.password_hash, d.title, d.body, d.updated_at FROM share_links l \
               JOIN documents d ON d.id = l.document_id JOIN spaces s ON s.id = d.space_id \
               WHERE l.token_hash = $1 AND l.revoked_at IS NULL \
               AND (l.expires_at IS NULL OR l.expires_at > $2) \
               AND d.deleted_at IS NULL AND s.share_links = $3";
    Ok(on_pool!(db, pool => sqlx::query_as(sql)
        .bind(token_hash)
        .bind(Utc::now())
        .bind(true)
        .fetch_optional(pool)
        .await)?)
}

/// Count one view.
pub async fn viewed(db: &Db, id: i64) -> Result<(), DbError> {
    let sql = "UPDATE share_links SET views = views + 1, last_viewed_at = $1 WHERE id = $2";
    on_pool!(db, pool => sqlx::query(sql)
        .bind(Utc::now())
        .bind(id)
        .execute(pool)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// Whether a space's documents may be shared by link.
pub async fn allowed_in(db: &Db, space: i64) -> Result<bool, DbError> {
    let sql = "SELECT share_links FROM spaces WHERE id = $1";
    Ok(
        on_pool!(db, pool => sqlx::query_scalar(sql).bind(space).fetch_optional(pool).await)?
            .unwrap_or(false),
    )
}

pub async fn set_allowed_in(tx: &mut Tx, space: i64, allowed: bool) -> Result<(), DbError> {
    let sql = "UPDATE spaces SET share_links = $1 WHERE id = $2";
    on_tx!(tx, conn => sqlx::query(sql)
        .bind(allowed)
        .bind(space)
        .execute(&mut *conn)
        .await
        .map(|_| ()))?;
    Ok(())
}
