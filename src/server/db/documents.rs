//! Documents, revisions and full-text search. Every query that reads or changes
//! documents is scoped by `spaces::allowed`: the spaces where the caller may do
//! that, so a document outside them is simply not found.

use super::{spaces::allowed, Backend, Db, DbError, Tx, TxConn};
use crate::domain::document::{DocSort, MATCH_END, MATCH_START};
use crate::domain::space::SpaceAction::{Purge, Read, Write};
use crate::{on_pool, on_tx};
use chrono::{DateTime, Utc};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct DocumentRow {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
    /// The space it lives in.
    pub space_id: i64,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SummaryRow {
    pub id: i64,
    pub title: String,
    pub excerpt: String,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct RevisionRow {
    pub version: i64,
    pub title: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct RevisionSizeRow {
    pub version: i64,
    pub title: String,
    /// Bytes of the body.
    pub size: i64,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct HitRow {
    pub id: i64,
    pub title: String,
    pub snippet: String,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, title, body, version, created_at, updated_at, deleted_at, space_id";

pub async fn insert(tx: &mut Tx, owner: i64, title: &str, body: &str) -> Result<i64, DbError> {
    let now = Utc::now();
    // In the owner's personal space (shared spaces come with their own pages).
    let sql =
        "INSERT INTO documents (owner_id, space_id, title, body, version, created_at, updated_at) \
               VALUES ($1, (SELECT id FROM spaces WHERE personal_user_id = $1), $2, $3, 1, $4, $4) \
               RETURNING id";
    Ok(on_tx!(tx, conn => sqlx::query_scalar(sql)
        .bind(owner)
        .bind(title)
        .bind(body)
        .bind(now)
        .fetch_one(&mut *conn)
        .await)?)
}

/// A document `user` may read, trashed or not.
pub async fn get(db: &Db, user: i64, id: i64) -> Result<Option<DocumentRow>, DbError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM documents WHERE id = $1 AND space_id IN ({})",
        allowed(Read, 2)
    );
    Ok(on_pool!(db, pool => sqlx::query_as(&sql).bind(id).bind(user).fetch_optional(pool).await)?)
}

/// A document `user` may change, inside a write transaction (PostgreSQL locks
/// the row).
pub async fn get_for_update(
    tx: &mut Tx,
    user: i64,
    id: i64,
) -> Result<Option<DocumentRow>, DbError> {
    let lock = if matches!(tx.conn_mut(), TxConn::Postgres(_)) {
        " FOR UPDATE"
    } else {
        ""
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM documents WHERE id = $1 AND space_id IN ({}){lock}",
        allowed(Write, 2)
    );
    Ok(
        on_tx!(tx, conn => sqlx::query_as(&sql).bind(id).bind(user).fetch_optional(&mut *conn).await)?,
    )
}

/// The space a document is in.
pub async fn space_of(tx: &mut Tx, id: i64) -> Result<i64, DbError> {
    let sql = "SELECT space_id FROM documents WHERE id = $1";
    Ok(on_tx!(tx, conn => sqlx::query_scalar(sql).bind(id).fetch_one(&mut *conn).await)?)
}

pub async fn save_revision(tx: &mut Tx, doc: &DocumentRow) -> Result<(), DbError> {
    let sql = "INSERT INTO document_revisions (document_id, version, title, body, created_at) \
               VALUES ($1, $2, $3, $4, $5)";
    on_tx!(tx, conn => sqlx::query(sql)
        .bind(doc.id)
        .bind(doc.version)
        .bind(&doc.title)
        .bind(&doc.body)
        .bind(doc.updated_at)
        .execute(&mut *conn)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// Write a new version; false when `base_version` is no longer current.
pub async fn update(
    tx: &mut Tx,
    user: i64,
    id: i64,
    base_version: i64,
    title: &str,
    body: &str,
) -> Result<bool, DbError> {
    let sql = format!(
        "UPDATE documents SET title = $1, body = $2, version = version + 1, updated_at = $3 \
         WHERE id = $4 AND space_id IN ({}) AND version = $6 AND deleted_at IS NULL",
        allowed(Write, 5)
    );
    let n = on_tx!(tx, conn => sqlx::query(&sql)
        .bind(title)
        .bind(body)
        .bind(Utc::now())
        .bind(id)
        .bind(user)
        .bind(base_version)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Move to the trash (`trashed = true`) or back; true when a row changed.
pub async fn set_trashed(tx: &mut Tx, user: i64, id: i64, trashed: bool) -> Result<bool, DbError> {
    let sql = if trashed {
        format!(
            "UPDATE documents SET deleted_at = $1 WHERE id = $2 AND space_id IN ({}) \
             AND deleted_at IS NULL",
            allowed(Write, 3)
        )
    } else {
        format!(
            "UPDATE documents SET deleted_at = NULL, updated_at = $1 \
             WHERE id = $2 AND space_id IN ({}) AND deleted_at IS NOT NULL",
            allowed(Write, 3)
        )
    };
    let n = on_tx!(tx, conn => sqlx::query(&sql)
        .bind(Utc::now())
        .bind(id)
        .bind(user)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Delete for good; only from the trash.
pub async fn purge(tx: &mut Tx, user: i64, id: i64) -> Result<bool, DbError> {
    let sql = format!(
        "DELETE FROM documents WHERE id = $1 AND space_id IN ({}) AND deleted_at IS NOT NULL",
        allowed(Purge, 2)
    );
    let n = on_tx!(tx, conn => sqlx::query(&sql)
        .bind(id)
        .bind(user)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Trashed documents older than `before`, for the purge job.
pub async fn expired_trash(db: &Db, before: DateTime<Utc>) -> Result<Vec<i64>, DbError> {
    let sql = "SELECT id FROM documents WHERE deleted_at IS NOT NULL AND deleted_at < $1 LIMIT 500";
    Ok(on_pool!(db, pool => sqlx::query_scalar(sql).bind(before).fetch_all(pool).await)?)
}

/// Delete a document that has been in the trash since before `before` (the
/// purge job: no person's access is involved).
pub async fn purge_expired(tx: &mut Tx, id: i64, before: DateTime<Utc>) -> Result<bool, DbError> {
    let sql = "DELETE FROM documents WHERE id = $1 AND deleted_at IS NOT NULL AND deleted_at < $2";
    let n = on_tx!(tx, conn => sqlx::query(sql)
        .bind(id)
        .bind(before)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Who wrote a document (whose storage it takes); None when there is no such
/// document or its author's account was deleted.
pub async fn author_of(tx: &mut Tx, id: i64) -> Result<Option<i64>, DbError> {
    let sql = "SELECT owner_id FROM documents WHERE id = $1";
    let found: Option<Option<i64>> =
        on_tx!(tx, conn => sqlx::query_scalar(sql).bind(id).fetch_optional(&mut *conn).await)?;
    Ok(found.flatten())
}

/// Where a document lives and who wrote it, for its page.
#[derive(Debug, sqlx::FromRow)]
pub struct Placement {
    pub space_name: String,
    pub shared: bool,
    /// None: the author's account was deleted.
    pub author: Option<String>,
}

pub async fn placement(db: &Db, id: i64) -> Result<Option<Placement>, DbError> {
    let sql = "SELECT s.name AS space_name, (s.kind = 'shared') AS shared, u.username AS author \
               FROM documents d JOIN spaces s ON s.id = d.space_id \
               LEFT JOIN users u ON u.id = d.owner_id WHERE d.id = $1";
    Ok(on_pool!(db, pool => sqlx::query_as(sql).bind(id).fetch_optional(pool).await)?)
}

/// The documents `user` may read (every space of theirs), a page of them.
/// One page of the documents `user` can read (or, `trashed`, could restore),
/// in one space or (`space` None) in all of them, and how many there are.
#[allow(clippy::too_many_arguments)]
pub async fn list(
    db: &Db,
    user: i64,
    trashed: bool,
    sort: DocSort,
    space: Option<i64>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<SummaryRow>, i64), DbError> {
    let filter = if trashed { "IS NOT NULL" } else { "IS NULL" };
    // The trash lists what the caller could restore; the live list what they can read.
    let spaces = allowed(if trashed { Write } else { Read }, 1);
    // SQLite: the live documents of the caller's spaces come from their index.
    // Left to its statistics, SQLite scans the table whenever one space holds a
    // good part of it, and reaching `space_id` (the last column) reads past each
    // body: a page of 50 (and its count) from 2,000 documents took 5.6 ms
    // instead of 0.2.
    let by_space = if !trashed && db.backend() == Backend::Sqlite {
        " INDEXED BY documents_space_live_updated"
    } else {
        ""
    };
    let order = match (trashed, sort) {
        (true, _) => "deleted_at DESC, id DESC",
        (false, DocSort::Updated) => "updated_at DESC, id DESC",
        (false, DocSort::Title) => "lower(title), id",
    };
    // The page's ids first, from the index alone; then their rows. Selecting the
    // excerpt in the same pass would read (PostgreSQL: detoast) the body of every
    // readable document before the sort picks fifty.
    let sql = format!(
        "SELECT id, title, substr(body, 1, 240) AS excerpt, updated_at FROM documents \
         WHERE id IN (SELECT id FROM documents{by_space} \
         WHERE space_id IN ({spaces}) AND deleted_at {filter} AND ($4 IS NULL OR space_id = $4) \
         ORDER BY {order} LIMIT $2 OFFSET $3) \
         ORDER BY {order}"
    );
    let count = format!(
        "SELECT COUNT(*) FROM documents{by_space} WHERE space_id IN ({spaces}) AND deleted_at {filter} \
         AND ($2 IS NULL OR space_id = $2)"
    );
    let rows = on_pool!(db, pool => sqlx::query_as(&sql).bind(user).bind(limit).bind(offset).bind(space).fetch_all(pool).await)?;
    let total: i64 = on_pool!(db, pool => sqlx::query_scalar(&count).bind(user).bind(space).fetch_one(pool).await)?;
    Ok((rows, total))
}

pub async fn titles(db: &Db, user: i64, limit: i64) -> Result<Vec<(i64, String)>, DbError> {
    let sql = format!(
        "SELECT id, title FROM documents WHERE space_id IN ({}) AND deleted_at IS NULL \
         ORDER BY lower(title), id LIMIT $2",
        allowed(Read, 1)
    );
    Ok(on_pool!(db, pool => sqlx::query_as(&sql).bind(user).bind(limit).fetch_all(pool).await)?)
}

/// A document's earlier versions, newest first, with their sizes but not their
/// text (a list of sizes must not read every version's body).
pub async fn revisions(db: &Db, id: i64) -> Result<Vec<RevisionSizeRow>, DbError> {
    let sql = "SELECT version, title, CAST(octet_length(body) AS BIGINT) AS size, created_at \
               FROM document_revisions WHERE document_id = $1 ORDER BY version DESC";
    Ok(on_pool!(db, pool => sqlx::query_as(sql).bind(id).fetch_all(pool).await)?)
}

pub async fn revision(db: &Db, id: i64, version: i64) -> Result<Option<RevisionRow>, DbError> {
    let sql = "SELECT version, title, body, created_at FROM document_revisions \
               WHERE document_id = $1 AND version = $2";
    Ok(on_pool!(db, pool => sqlx::query_as(sql).bind(id).bind(version).fetch_optional(pool).await)?)
}

/// A safe FTS5 query from free text: each word quoted, all required, the last one
/// also as a prefix. Returns None when there is nothing to search for.
pub fn fts5_query(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(16)
        .map(|w| w.to_string())
        .collect();
    let last = words.last()?.clone();
    let mut parts: Vec<String> = words[..words.len() - 1]
        .iter()
        .map(|w| format!("\"{w}\""))
        .collect();
    // A prefix of one or two letters matches nearly everything and costs seconds
    // to rank on a large collection; from three letters on it helps as-you-type.
    if last.chars().count() >= 3 {
        parts.push(format!("\"{last}\"*"));
    } else {
        parts.push(format!("\"{last}\""));
    }
    Some(parts.join(" "))
}

/// SQLite: the ids of the live documents the user bound as `$n` may read (plus
/// `extra`, a condition on `documents`), for full-text queries to keep their
/// matches to with `+documents_fts.rowid IN (...)`. FTS5 walks every match in
/// the index cheaply; looking each match up in `documents` to check its space
/// is what cost (1,000 spaces, 101,000 documents: 74,000 matches for a word,
/// 286 ms; against this set, 37 ms). The `+` keeps SQLite from turning the set
/// into one full-text lookup per id instead (about 2 ms each).
pub fn readable_ids_sqlite(n: usize, extra: &str) -> String {
    format!(
        "SELECT id FROM documents INDEXED BY documents_space_live_updated \
         WHERE space_id IN ({}) AND deleted_at IS NULL{extra}",
        allowed(Read, n)
    )
}

/// Ranked matches in title and body, best first, with a highlighted snippet.
/// The best matches for `text` among the live documents `user` can read, in one
/// space or (`space` None) in all of them.
pub async fn search(
    db: &Db,
    user: i64,
    text: &str,
    space: Option<i64>,
    limit: i64,
) -> Result<Vec<HitRow>, DbError> {
    let spaces = allowed(Read, 2);
    match db.backend() {
        Backend::Sqlite => {
            let Some(query) = fts5_query(text) else {
                return Ok(Vec::new());
            };
            // Rank the readable matches first, then build snippets for the rows
            // shown only (snippet() is the expensive part). The second pass walks
            // the matches once more and keeps the fifty: looking each of them up
            // in `documents` instead cost more than the whole ranking.
            let readable = readable_ids_sqlite(2, " AND ($4 IS NULL OR space_id = $4)");
            let sql = format!(
                "WITH r AS ({readable}), \
                 m AS (SELECT documents_fts.rowid AS id, bm25(documents_fts, 10.0, 1.0) AS score \
                       FROM documents_fts WHERE documents_fts MATCH $1 AND +documents_fts.rowid IN r), \
                 top AS MATERIALIZED (SELECT m.id, m.score, d.updated_at AS u \
                       FROM m JOIN documents d ON d.id = m.id ORDER BY m.score, u DESC LIMIT $3) \
                 SELECT d.id, d.title, \
                   snippet(documents_fts, 1, '{MATCH_START}', '{MATCH_END}', '…', 16) AS snippet, \
                   d.updated_at \
                 FROM documents_fts CROSS JOIN top ON top.id = documents_fts.rowid \
                 CROSS JOIN documents d ON d.id = top.id \
                 WHERE documents_fts MATCH $1 ORDER BY top.score, top.u DESC"
            );
            Ok(
                on_pool!(db, pool => sqlx::query_as(&sql).bind(query).bind(user).bind(limit).bind(space).fetch_all(pool).await)?,
            )
        }
        Backend::Postgres => {
            if text.trim().is_empty() {
                return Ok(Vec::new());
            }
            let options = format!(
                "StartSel={MATCH_START}, StopSel={MATCH_END}, MaxWords=24, MinWords=8, MaxFragments=1"
            );
            // Rank first, then run ts_headline (the expensive part) on the rows shown.
            // The query is written inline (not in a CTE) and the spaces as an
            // array, so the planner can estimate both: for a common word it walks
            // the readable spaces' index instead of fetching every match in the
            // database (1,000 spaces, 101,000 documents: 156 ms, now 70 ms).
            // (The materialized copy is for ranking and excerpts: parsed once, not
            // once a row.)
            let sql = format!(
                "WITH q AS MATERIALIZED (SELECT websearch_to_tsquery('english', $1) AS q), \
                 top AS (SELECT d.id, ts_rank_cd(d.search, (SELECT q FROM q)) AS score, \
                           d.updated_at AS u \
                         FROM documents d \
                         WHERE d.space_id = ANY (ARRAY({spaces})) AND d.deleted_at IS NULL \
                         AND d.search @@ websearch_to_tsquery('english', $1) \
                         AND ($5::BIGINT IS NULL OR d.space_id = $5) \
                         ORDER BY score DESC, u DESC LIMIT $3) \
                 SELECT d.id, d.title, \
                        ts_headline('english', d.body, (SELECT q FROM q), $4) AS snippet, \
                        d.updated_at \
                 FROM top JOIN documents d ON d.id = top.id \
                 ORDER BY top.score DESC, top.u DESC"
            );
            Ok(
                on_pool!(db, pool => sqlx::query_as(&sql).bind(text).bind(user).bind(limit).bind(options).bind(space).fetch_all(pool).await)?,
            )
        }
    }
}

/// Note that `user` has `document` open in the editor now, clear signals older
/// than `stale`, and name the others heard from since `since`.
pub async fn presence(
    db: &Db,
    user: i64,
    document: i64,
    since: DateTime<Utc>,
    stale: DateTime<Utc>,
) -> Result<Vec<String>, DbError> {
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let upsert =
        "INSERT INTO document_presence (document_id, user_id, seen_at) VALUES ($1, $2, $3) \
                  ON CONFLICT (document_id, user_id) DO UPDATE SET seen_at = excluded.seen_at";
    on_tx!(&mut tx, conn => sqlx::query(upsert)
        .bind(document)
        .bind(user)
        .bind(now)
        .execute(&mut *conn)
        .await
        .map(|_| ()))?;
    let clear = "DELETE FROM document_presence WHERE document_id = $1 AND seen_at < $2";
    on_tx!(&mut tx, conn => sqlx::query(clear)
        .bind(document)
        .bind(stale)
        .execute(&mut *conn)
        .await
        .map(|_| ()))?;
    let others = "SELECT u.username FROM document_presence p JOIN users u ON u.id = p.user_id \
                  WHERE p.document_id = $1 AND p.user_id <> $2 AND p.seen_at >= $3 \
                  ORDER BY u.username_key";
    let names: Vec<String> = on_tx!(&mut tx, conn => sqlx::query_scalar(others)
        .bind(document)
        .bind(user)
        .bind(since)
        .fetch_all(&mut *conn)
        .await)?;
    tx.commit().await?;
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fts5_queries_are_quoted_and_prefix_the_last_word() {
        assert_eq!(fts5_query("rust web").as_deref(), Some("\"rust\" \"web\"*"));
        assert_eq!(
            fts5_query("\"; DROP TABLE documents; --").as_deref(),
            Some("\"DROP\" \"TABLE\" \"documents\"*")
        );
        assert_eq!(fts5_query("  ** ").as_deref(), None);
        assert_eq!(fts5_query("go ab").as_deref(), Some("\"go\" \"ab\""));
    }
}
