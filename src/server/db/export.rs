//! Everything one person owns, read for their data export; and the account's end.

use super::{Db, DbError, Tx};
use crate::{on_pool, on_tx};
use chrono::{DateTime, Utc};

/// A document without its text (read one at a time while the archive is written).
#[derive(Debug, sqlx::FromRow)]
pub struct DocumentMeta {
    pub id: i64,
    pub title: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

/// An earlier version without its text.
#[derive(Debug, sqlx::FromRow)]
pub struct RevisionMeta {
    pub document_id: i64,
    pub version: i64,
    pub title: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, sqlx::FromRow)]
pub struct ConversationRow {
    pub id: i64,
    pub title: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

#[derive(Debug, sqlx::FromRow)]
pub struct MessageRow {
    pub conversation_id: i64,
    pub role: String,
    pub content: String,
    pub status: String,
    pub citations: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, sqlx::FromRow)]
pub struct KeyRow {
    pub name: String,
    pub prefix: String,
    pub scopes: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

pub async fn documents(db: &Db, owner: i64) -> Result<Vec<DocumentMeta>, DbError> {
    let sql = "SELECT id, title, version, created_at, updated_at, deleted_at \
               FROM documents WHERE owner_id = $1 ORDER BY id";
    Ok(on_pool!(db, pool => sqlx::query_as(sql).bind(owner).fetch_all(pool).await)?)
}

pub async fn revisions(db: &Db, owner: i64) -> Result<Vec<RevisionMeta>, DbError> {
    let sql = "SELECT r.document_id, r.version, r.title, r.created_at \
               FROM document_revisions r JOIN documents d ON d.id = r.document_id \
               WHERE d.owner_id = $1 ORDER BY r.document_id, r.version";
    Ok(on_pool!(db, pool => sqlx::query_as(sql).bind(owner).fetch_all(pool).await)?)
}

/// The text of one document of `owner` (the current version).
pub async fn document_body(db: &Db, owner: i64, id: i64) -> Result<Option<String>, DbError> {
    let sql = "SELECT body FROM documents WHERE id = $1 AND owner_id = $2";
    Ok(
        on_pool!(db, pool => sqlx::query_scalar(sql).bind(id).bind(owner).fetch_optional(pool).await)?,
    )
}

/// The text of one earlier version of a document of `owner`.
pub async fn revision_body(
    db: &Db,
    owner: i64,
    id: i64,
    version: i64,
) -> Result<Option<String>, DbError> {
    let sql = "SELECT r.body FROM document_revisions r JOIN documents d ON d.id = r.document_id \
               WHERE r.document_id = $1 AND r.version = $2 AND d.owner_id = $3";
    Ok(
        on_pool!(db, pool => sqlx::query_scalar(sql).bind(id).bind(version).bind(owner).fetch_optional(pool).await)?,
    )
}

pub async fn conversations(db: &Db, owner: i64) -> Result<Vec<ConversationRow>, DbError> {
    let sql = "SELECT id, title, created_at, updated_at, deleted_at \
               FROM conversations WHERE owner_id = $1 ORDER BY id";
    Ok(on_pool!(db, pool => sqlx::query_as(sql).bind(owner).fetch_all(pool).await)?)
}

/// The messages of one conversation of `owner`, in order.
pub async fn conversation_messages(
    db: &Db,
    owner: i64,
    conversation: i64,
) -> Result<Vec<MessageRow>, DbError> {
    let sql = "SELECT m.conversation_id, m.role, m.content, m.status, m.citations, m.created_at \
               FROM messages m JOIN conversations c ON c.id = m.conversation_id \
               WHERE c.owner_id = $1 AND c.id = $2 ORDER BY m.id";
    Ok(
        on_pool!(db, pool => sqlx::query_as(sql).bind(owner).bind(conversation).fetch_all(pool).await)?,
    )
}

pub async fn api_keys(db: &Db, owner: i64) -> Result<Vec<KeyRow>, DbError> {
    let sql = "SELECT name, prefix, scopes, created_at, expires_at, last_used_at, revoked_at \
               FROM api_keys WHERE user_id = $1 ORDER BY id";
    Ok(on_pool!(db, pool => sqlx::query_as(sql).bind(owner).fetch_all(pool).await)?)
}

/// Delete the account row; the database deletes everything that hangs off it
/// (documents and their revisions and index entries, conversations and messages,
/// sessions, keys, tokens, codes). Audit events are not linked to it and stay,
/// naming only the number the account had.
pub async fn delete_user(tx: &mut Tx, user: i64) -> Result<bool, DbError> {
    let n = on_tx!(tx, conn => sqlx::query("DELETE FROM users WHERE id = $1").bind(user).execute(&mut *conn).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}
