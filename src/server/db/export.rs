//! Everything one person owns, read for their data export; and the account's end.

use super::{documents::DocumentRow, Db, DbError, Tx};
use crate::{on_pool, on_tx};
use chrono::{DateTime, Utc};

#[derive(Debug, sqlx::FromRow)]
pub struct RevisionRow {
    pub document_id: i64,
    pub version: i64,
    pub title: String,
    pub body: String,
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

pub async fn documents(db: &Db, owner: i64) -> Result<Vec<DocumentRow>, DbError> {
    let sql = "SELECT id, title, body, version, created_at, updated_at, deleted_at \
               FROM documents WHERE owner_id = $1 ORDER BY id";
    Ok(on_pool!(db, pool => sqlx::query_as(sql).bind(owner).fetch_all(pool).await)?)
}

pub async fn revisions(db: &Db, owner: i64) -> Result<Vec<RevisionRow>, DbError> {
    let sql = "SELECT r.document_id, r.version, r.title, r.body, r.created_at \
               FROM document_revisions r JOIN documents d ON d.id = r.document_id \
               WHERE d.owner_id = $1 ORDER BY r.document_id, r.version";
    Ok(on_pool!(db, pool => sqlx::query_as(sql).bind(owner).fetch_all(pool).await)?)
}

pub async fn conversations(db: &Db, owner: i64) -> Result<Vec<ConversationRow>, DbError> {
    let sql = "SELECT id, title, created_at, updated_at, deleted_at \
               FROM conversations WHERE owner_id = $1 ORDER BY id";
    Ok(on_pool!(db, pool => sqlx::query_as(sql).bind(owner).fetch_all(pool).await)?)
}

pub async fn messages(db: &Db, owner: i64) -> Result<Vec<MessageRow>, DbError> {
    let sql = "SELECT m.conversation_id, m.role, m.content, m.status, m.citations, m.created_at \
               FROM messages m JOIN conversations c ON c.id = m.conversation_id \
               WHERE c.owner_id = $1 ORDER BY m.conversation_id, m.id";
    Ok(on_pool!(db, pool => sqlx::query_as(sql).bind(owner).fetch_all(pool).await)?)
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
