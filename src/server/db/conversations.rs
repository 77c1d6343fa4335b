//! Conversations, their messages and their document scope. Every query is scoped to
//! the owner (messages through their conversation).

use super::{spaces::allowed, Backend, Db, DbError, Tx};
use crate::domain::space::SpaceAction::Read;
use crate::{on_pool, on_tx};
use chrono::{DateTime, Utc};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ConversationRow {
    pub id: i64,
    pub title: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SummaryRow {
    pub id: i64,
    pub title: String,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub message_count: i64,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct MessageRow {
    pub id: i64,
    pub role: String,
    pub content: String,
    pub status: String,
    pub error: Option<String>,
    pub citations: String,
    pub assistant: Option<String>,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub tokens_estimated: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ScopeRow {
    pub id: i64,
    pub title: String,
    pub deleted_at: Option<DateTime<Utc>>,
    /// Whether the conversation's owner may still read it (they may have left
    /// its space, or it was moved): when not, nothing of it may be shown.
    pub readable: bool,
}

/// How a reply ended, as stored.
pub struct Finished<'a> {
    pub content: &'a str,
    pub status: &'a str,
    pub error: Option<&'a str>,
    pub citations: &'a str,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub tokens_estimated: bool,
}

const COLUMNS: &str = "id, title, created_at, updated_at, deleted_at";
const MESSAGE_COLUMNS: &str = "id, role, content, status, error, citations, assistant, \
     prompt_tokens, completion_tokens, tokens_estimated, created_at";

pub async fn insert(tx: &mut Tx, owner: i64, title: &str) -> Result<i64, DbError> {
    let sql = "INSERT INTO conversations (owner_id, title, created_at, updated_at) \
               VALUES ($1, $2, $3, $3) RETURNING id";
    Ok(on_tx!(tx, conn => sqlx::query_scalar(sql)
        .bind(owner)
        .bind(title)
        .bind(Utc::now())
        .fetch_one(&mut *conn)
        .await)?)
}

/// Limit a conversation to documents; only live documents of `owner` are taken.
/// Returns how many were added.
pub async fn add_scope(
    tx: &mut Tx,
    owner: i64,
    conversation: i64,
    documents: &[i64],
) -> Result<u64, DbError> {
    let mut added = 0;
    let sql = format!(
        "INSERT INTO conversation_documents (conversation_id, document_id) \
         SELECT $1, id FROM documents WHERE id = $2 AND space_id IN ({}) AND deleted_at IS NULL",
        allowed(Read, 3)
    );
    for doc in documents {
        added += on_tx!(tx, conn => sqlx::query(&sql)
            .bind(conversation)
            .bind(doc)
            .bind(owner)
            .execute(&mut *conn)
            .await
            .map(|r| r.rows_affected()))?;
    }
    Ok(added)
}

pub async fn get(db: &Db, owner: i64, id: i64) -> Result<Option<ConversationRow>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM conversations WHERE id = $1 AND owner_id = $2");
    Ok(on_pool!(db, pool => sqlx::query_as(&sql).bind(id).bind(owner).fetch_optional(pool).await)?)
}

/// A live conversation `reader` may read because it is shared with a space they
/// can read (not their own: see [`get`]).
pub async fn get_shared(db: &Db, reader: i64, id: i64) -> Result<Option<ConversationRow>, DbError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM conversations WHERE id = $1 AND deleted_at IS NULL AND EXISTS \
         (SELECT 1 FROM conversation_shares s WHERE s.conversation_id = $1 \
         AND s.space_id IN ({}))",
        allowed(Read, 2)
    );
    Ok(on_pool!(db, pool => sqlx::query_as(&sql).bind(id).bind(reader).fetch_optional(pool).await)?)
}

/// The username of a conversation's owner.
pub async fn owner_name(db: &Db, id: i64) -> Result<Option<String>, DbError> {
    let sql = "SELECT u.username FROM conversations c JOIN users u ON u.id = c.owner_id \
               WHERE c.id = $1";
    Ok(on_pool!(db, pool => sqlx::query_scalar(sql).bind(id).fetch_optional(pool).await)?)
}

/// The spaces a conversation is shared with: (id, name), by name.
pub async fn shares_of(db: &Db, id: i64) -> Result<Vec<(i64, String)>, DbError> {
    let sql = "SELECT s.id, s.name FROM conversation_shares c JOIN spaces s ON s.id = c.space_id \
               WHERE c.conversation_id = $1 ORDER BY lower(s.name), s.id";
    Ok(on_pool!(db, pool => sqlx::query_as(sql).bind(id).fetch_all(pool).await)?)
}

/// Share a conversation with a space; false when it was shared there already.
pub async fn share(tx: &mut Tx, id: i64, space: i64) -> Result<bool, DbError> {
    let sql = "INSERT INTO conversation_shares (conversation_id, space_id, created_at) \
               VALUES ($1, $2, $3) ON CONFLICT (conversation_id, space_id) DO NOTHING";
    let n = on_tx!(tx, conn => sqlx::query(sql)
        .bind(id)
        .bind(space)
        .bind(Utc::now())
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Stop sharing a conversation with a space; true when it was shared there.
pub async fn unshare(tx: &mut Tx, id: i64, space: i64) -> Result<bool, DbError> {
    let sql = "DELETE FROM conversation_shares WHERE conversation_id = $1 AND space_id = $2";
    let n = on_tx!(tx, conn => sqlx::query(sql)
        .bind(id)
        .bind(space)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// The live conversations shared with a space: (id, title, owner's username,
/// updated), most recent first.
pub async fn shared_in(
    db: &Db,
    space: i64,
) -> Result<Vec<(i64, String, String, DateTime<Utc>)>, DbError> {
    let sql = "SELECT c.id, c.title, u.username, c.updated_at FROM conversation_shares s \
               JOIN conversations c ON c.id = s.conversation_id JOIN users u ON u.id = c.owner_id \
               WHERE s.space_id = $1 AND c.deleted_at IS NULL ORDER BY c.updated_at DESC, c.id DESC \
               LIMIT 200";
    Ok(on_pool!(db, pool => sqlx::query_as(sql).bind(space).fetch_all(pool).await)?)
}

/// The documents a conversation is limited to (trashed ones included, so the page
/// can say they are gone), each marked with whether `user` may still read it.
pub async fn scope(db: &Db, user: i64, conversation: i64) -> Result<Vec<ScopeRow>, DbError> {
    let sql = format!(
        "SELECT d.id, d.title, d.deleted_at, d.space_id IN ({}) AS readable \
         FROM conversation_documents s JOIN documents d ON d.id = s.document_id \
         WHERE s.conversation_id = $1 ORDER BY lower(d.title), d.id",
        allowed(Read, 2)
    );
    Ok(
        on_pool!(db, pool => sqlx::query_as(&sql).bind(conversation).bind(user).fetch_all(pool).await)?,
    )
}

pub async fn messages(db: &Db, conversation: i64) -> Result<Vec<MessageRow>, DbError> {
    let sql =
        format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = $1 ORDER BY id");
    Ok(on_pool!(db, pool => sqlx::query_as(&sql).bind(conversation).fetch_all(pool).await)?)
}

pub async fn message(db: &Db, conversation: i64, id: i64) -> Result<Option<MessageRow>, DbError> {
    let sql =
        format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = $1 AND id = $2");
    Ok(
        on_pool!(db, pool => sqlx::query_as(&sql).bind(conversation).bind(id).fetch_optional(pool).await)?,
    )
}

pub async fn insert_message(
    tx: &mut Tx,
    conversation: i64,
    role: &str,
    content: &str,
    status: &str,
    assistant: Option<&str>,
) -> Result<i64, DbError> {
    let now = Utc::now();
    let sql =
        "INSERT INTO messages (conversation_id, role, content, status, assistant, created_at) \
               VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
    let id = on_tx!(tx, conn => sqlx::query_scalar(sql)
        .bind(conversation)
        .bind(role)
        .bind(content)
        .bind(status)
        .bind(assistant)
        .bind(now)
        .fetch_one(&mut *conn)
        .await)?;
    let touch = "UPDATE conversations SET updated_at = $1 WHERE id = $2";
    on_tx!(tx, conn => sqlx::query(touch).bind(now).bind(conversation).execute(&mut *conn).await.map(|_| ()))?;
    Ok(id)
}

/// Store how a pending reply ended. False when it was no longer pending.
pub async fn finish_message(db: &Db, id: i64, f: &Finished<'_>) -> Result<bool, DbError> {
    let sql = "UPDATE messages SET content = $1, status = $2, error = $3, citations = $4, \
               prompt_tokens = $5, completion_tokens = $6, tokens_estimated = $7, completed_at = $8 \
               WHERE id = $9 AND status = 'pending'";
    let n = on_pool!(db, pool => sqlx::query(sql)
        .bind(f.content)
        .bind(f.status)
        .bind(f.error)
        .bind(f.citations)
        .bind(f.prompt_tokens)
        .bind(f.completion_tokens)
        .bind(f.tokens_estimated)
        .bind(Utc::now())
        .bind(id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub async fn rename(tx: &mut Tx, owner: i64, id: i64, title: &str) -> Result<bool, DbError> {
    let sql = "UPDATE conversations SET title = $1 WHERE id = $2 AND owner_id = $3 AND deleted_at IS NULL";
    let n = on_tx!(tx, conn => sqlx::query(sql)
        .bind(title)
        .bind(id)
        .bind(owner)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Give an untitled conversation the start of its first message as a title.
pub async fn title_if_default(
    tx: &mut Tx,
    id: i64,
    default: &str,
    title: &str,
) -> Result<(), DbError> {
    let sql = "UPDATE conversations SET title = $1 WHERE id = $2 AND title = $3";
    on_tx!(tx, conn => sqlx::query(sql).bind(title).bind(id).bind(default).execute(&mut *conn).await.map(|_| ()))?;
    Ok(())
}

/// Move to the trash (`trashed = true`) or back; true when a row changed.
pub async fn set_trashed(tx: &mut Tx, owner: i64, id: i64, trashed: bool) -> Result<bool, DbError> {
    let sql = if trashed {
        "UPDATE conversations SET deleted_at = $1 WHERE id = $2 AND owner_id = $3 AND deleted_at IS NULL"
    } else {
        "UPDATE conversations SET deleted_at = NULL, updated_at = $1 \
         WHERE id = $2 AND owner_id = $3 AND deleted_at IS NOT NULL"
    };
    let n = on_tx!(tx, conn => sqlx::query(sql)
        .bind(Utc::now())
        .bind(id)
        .bind(owner)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Delete for good; only from the trash.
pub async fn purge(tx: &mut Tx, owner: i64, id: i64) -> Result<bool, DbError> {
    let sql =
        "DELETE FROM conversations WHERE id = $1 AND owner_id = $2 AND deleted_at IS NOT NULL";
    let n = on_tx!(tx, conn => sqlx::query(sql)
        .bind(id)
        .bind(owner)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Trashed conversations older than `before`, for the purge job: (owner, id).
pub async fn expired_trash(db: &Db, before: DateTime<Utc>) -> Result<Vec<(i64, i64)>, DbError> {
    let sql = "SELECT owner_id, id FROM conversations WHERE deleted_at IS NOT NULL AND deleted_at < $1 LIMIT 500";
    Ok(on_pool!(db, pool => sqlx::query_as(sql).bind(before).fetch_all(pool).await)?)
}

/// `text` as a LIKE pattern that matches it literally anywhere (`\` escapes).
pub fn like_pattern(text: &str) -> String {
    let mut out = String::from("%");
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// A page of the owner's conversations, newest activity first; with `search`, only
/// those whose title or any message contains it.
pub async fn list(
    db: &Db,
    owner: i64,
    trashed: bool,
    search: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<SummaryRow>, i64), DbError> {
    let (filter, order) = if trashed {
        ("IS NOT NULL", "c.deleted_at DESC, c.id DESC")
    } else {
        ("IS NULL", "c.updated_at DESC, c.id DESC")
    };
    let matching = if search.is_some() {
        " AND (lower(c.title) LIKE $2 ESCAPE '\\' OR EXISTS (SELECT 1 FROM messages m \
           WHERE m.conversation_id = c.id AND lower(m.content) LIKE $2 ESCAPE '\\'))"
    } else {
        " AND $2 = $2"
    };
    let pattern = search.map(like_pattern).unwrap_or_default();
    let sql = format!(
        "SELECT c.id, c.title, c.updated_at, c.deleted_at, \
           (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id) AS message_count \
         FROM conversations c WHERE c.owner_id = $1 AND c.deleted_at {filter}{matching} \
         ORDER BY {order} LIMIT $3 OFFSET $4"
    );
    let count = format!(
        "SELECT COUNT(*) FROM conversations c WHERE c.owner_id = $1 AND c.deleted_at {filter}{matching}"
    );
    let rows = on_pool!(db, pool => sqlx::query_as(&sql)
        .bind(owner)
        .bind(&pattern)
        .bind(limit)
        .bind(offset)
        .fetch_all(pool)
        .await)?;
    let total: i64 = on_pool!(db, pool => sqlx::query_scalar(&count)
        .bind(owner)
        .bind(&pattern)
        .fetch_one(pool)
        .await)?;
    Ok((rows, total))
}

/// Of the cited documents `ids`, those `user` may still read: their current
/// version and whether they are live (not in the trash).
pub async fn cited(
    db: &Db,
    user: i64,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, (i64, bool)>, DbError> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    // Ids are integers we produced: safe to inline, and one query for any number.
    let list = ids
        .iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let sql = format!(
        "SELECT id, version, deleted_at IS NULL AS live FROM documents \
         WHERE space_id IN ({}) AND id IN ({list})",
        allowed(Read, 1)
    );
    let rows: Vec<(i64, i64, bool)> =
        on_pool!(db, pool => sqlx::query_as(&sql).bind(user).fetch_all(pool).await)?;
    Ok(rows
        .into_iter()
        .map(|(id, v, live)| (id, (v, live)))
        .collect())
}

/// Token totals over all of the owner's assistant messages (trashed conversations
/// included: the tokens were spent).
pub async fn usage(db: &Db, owner: i64) -> Result<(i64, i64, i64, i64), DbError> {
    let estimated = match db.backend() {
        Backend::Sqlite => "m.tokens_estimated = 1",
        Backend::Postgres => "m.tokens_estimated",
    };
    let sql = format!(
        "SELECT COUNT(*), CAST(COALESCE(SUM(m.prompt_tokens), 0) AS BIGINT), \
           CAST(COALESCE(SUM(m.completion_tokens), 0) AS BIGINT), \
           CAST(COALESCE(SUM(CASE WHEN {estimated} THEN 1 ELSE 0 END), 0) AS BIGINT) \
         FROM messages m JOIN conversations c ON c.id = m.conversation_id \
         WHERE c.owner_id = $1 AND m.role = 'assistant'"
    );
    Ok(on_pool!(db, pool => sqlx::query_as(&sql).bind(owner).fetch_one(pool).await)?)
}

/// Ranked ids of the live documents `owner` may read that match any of `terms`
/// (an OR search, as a question's words are not all in the answer), limited to
/// `scope` when it is not empty. Filtered in SQL at question time: the assistant
/// can never rank or quote a document its asker may not read.
pub async fn search_any(
    db: &Db,
    owner: i64,
    terms: &[String],
    scope: &[i64],
    limit: i64,
) -> Result<Vec<i64>, DbError> {
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    // Ids are numbers, so they go into the SQL as they are.
    let ids_in_scope = |column: &str| {
        if scope.is_empty() {
            String::new()
        } else {
            let list = scope
                .iter()
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(",");
            format!(" AND {column} IN ({list})")
        }
    };
    let spaces = allowed(Read, 2);
    match db.backend() {
        Backend::Sqlite => {
            // Terms are letters and digits only (see `keywords`); quoted all the same.
            // No prefix match: the query goes through the same stemmer as the text.
            let query = terms
                .iter()
                .map(|t| format!("\"{t}\""))
                .collect::<Vec<_>>()
                .join(" OR ");
            // Matches kept to the readable set first (see `readable_ids_sqlite`).
            let readable = super::documents::readable_ids_sqlite(2, &ids_in_scope("id"));
            let sql = format!(
                "WITH r AS ({readable}), \
                 m AS (SELECT documents_fts.rowid AS id, bm25(documents_fts, 10.0, 1.0) AS score \
                       FROM documents_fts WHERE documents_fts MATCH $1 AND +documents_fts.rowid IN r) \
                 SELECT m.id FROM m JOIN documents d ON d.id = m.id \
                 ORDER BY m.score, d.updated_at DESC LIMIT $3"
            );
            Ok(on_pool!(db, pool => sqlx::query_scalar(&sql)
                .bind(query)
                .bind(owner)
                .bind(limit)
                .fetch_all(pool)
                .await)?)
        }
        Backend::Postgres => {
            let in_scope = ids_in_scope("d.id");
            let query = terms
                .iter()
                .map(|t| t.to_string())
                .collect::<Vec<_>>()
                .join(" | ");
            // Inline query and an array of spaces: see `documents::search`.
            let sql = format!(
                "WITH q AS MATERIALIZED (SELECT to_tsquery('english', $1) AS q) \
                 SELECT d.id FROM documents d \
                 WHERE d.space_id = ANY (ARRAY({spaces})) AND d.deleted_at IS NULL \
                 AND d.search @@ to_tsquery('english', $1){in_scope} \
                 ORDER BY ts_rank_cd(d.search, (SELECT q FROM q)) DESC, \
                 d.updated_at DESC LIMIT $3"
            );
            Ok(on_pool!(db, pool => sqlx::query_scalar(&sql)
                .bind(query)
                .bind(owner)
                .bind(limit)
                .fetch_all(pool)
                .await)?)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_match_wildcards_literally() {
        assert_eq!(like_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
        assert_eq!(like_pattern("Hello"), "%hello%");
    }
}
