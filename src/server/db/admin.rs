//! Queries for the admin console: the audit log with filters and keyset pages,
//! integrity checks, users with their sessions, and the session register.

use super::{audit::AuditRow, conversations::like_pattern, Db, DbError, Tx, TxConn};
use crate::{on_pool, on_tx};
use chrono::{DateTime, Utc};

/// A value bound to a numbered parameter of a query built at run time.
#[derive(Clone, Debug)]
pub enum Bind {
    I64(i64),
    Str(String),
    Time(DateTime<Utc>),
}

/// Audit filters, already parsed.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    /// Events by any of these users (an unknown username gives an empty list, which
    /// matches nothing).
    pub actors: Option<Vec<i64>>,
    pub action_prefix: Option<String>,
    pub outcome: Option<String>,
    pub source_ip: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub text: Option<String>,
}

impl AuditFilter {
    /// `WHERE ...` (or empty) and its binds, numbered from `$1`.
    pub fn sql(&self) -> (String, Vec<Bind>) {
        let mut clauses: Vec<String> = Vec::new();
        let mut binds: Vec<Bind> = Vec::new();
        let next = |b: Bind, binds: &mut Vec<Bind>| {
            binds.push(b);
            format!("${}", binds.len())
        };
        if let Some(actors) = &self.actors {
            if actors.is_empty() {
                clauses.push("1 = 0".into());
            } else {
                let list = actors
                    .iter()
                    .map(|a| a.to_string())
                    .collect::<Vec<_>>()
                    .join(",");
                clauses.push(format!("actor_user_id IN ({list})"));
            }
        }
        if let Some(prefix) = &self.action_prefix {
            // A prefix pattern: escape, then drop like_pattern's leading `%`.
            let pattern = like_pattern(prefix);
            let p = next(Bind::Str(pattern[1..].to_string()), &mut binds);
            clauses.push(format!("action LIKE {p} ESCAPE '\\'"));
        }
        if let Some(outcome) = &self.outcome {
            let p = next(Bind::Str(outcome.clone()), &mut binds);
            clauses.push(format!("outcome = {p}"));
        }
        if let Some(ip) = &self.source_ip {
            let p = next(Bind::Str(ip.clone()), &mut binds);
            clauses.push(format!("source_ip = {p}"));
        }
        if let Some(from) = self.from {
            let p = next(Bind::Time(from), &mut binds);
            clauses.push(format!("occurred_at >= {p}"));
        }
        if let Some(to) = self.to {
            let p = next(Bind::Time(to), &mut binds);
            clauses.push(format!("occurred_at < {p}"));
        }
        if let Some(text) = &self.text {
            let p = next(Bind::Str(like_pattern(text)), &mut binds);
            clauses.push(format!(
                "(lower(action) LIKE {p} ESCAPE '\\' OR lower(COALESCE(target_id, '')) LIKE {p} ESCAPE '\\' \
                 OR lower(details) LIKE {p} ESCAPE '\\' OR lower(COALESCE(user_agent, '')) LIKE {p} ESCAPE '\\' \
                 OR lower(COALESCE(request_id, '')) LIKE {p} ESCAPE '\\')"
            ));
        }
        let sql = if clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", clauses.join(" AND "))
        };
        (sql, binds)
    }
}

const AUDIT_COLUMNS: &str =
    "id, occurred_at, actor_user_id, actor_api_key_id, action, target_type, \
     target_id, outcome, source_ip, user_agent, request_id, details, prev_hash, hash, mac";

/// Up to `limit` matching events older than `before` (all when None), newest
/// first. Ids only grow, so a page never shifts when new events arrive.
pub async fn audit_events(
    db: &Db,
    filter: &AuditFilter,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditRow>, DbError> {
    let (where_sql, mut binds) = filter.sql();
    let mut sql = format!("SELECT {AUDIT_COLUMNS} FROM audit_events {where_sql}");
    if let Some(before) = before {
        binds.push(Bind::I64(before));
        let joiner = if where_sql.is_empty() { "WHERE" } else { "AND" };
        sql.push_str(&format!(" {joiner} id < ${}", binds.len()));
    }
    binds.push(Bind::I64(limit));
    sql.push_str(&format!(" ORDER BY id DESC LIMIT ${}", binds.len()));
    Ok(on_pool!(db, pool => {
        let mut q = sqlx::query_as::<_, AuditRow>(&sql);
        for b in &binds {
            q = match b {
                Bind::I64(v) => q.bind(*v),
                Bind::Str(s) => q.bind(s.clone()),
                Bind::Time(t) => q.bind(*t),
            };
        }
        q.fetch_all(pool).await
    })?)
}

pub async fn audit_event(db: &Db, id: i64) -> Result<Option<AuditRow>, DbError> {
    let sql = format!("SELECT {AUDIT_COLUMNS} FROM audit_events WHERE id = $1");
    Ok(on_pool!(db, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)?)
}

/// Usernames of the given user ids (those that still exist).
pub async fn usernames(
    db: &Db,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, String>, DbError> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let list = ids
        .iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let sql = format!("SELECT id, username FROM users WHERE id IN ({list})");
    let rows: Vec<(i64, String)> =
        on_pool!(db, pool => sqlx::query_as(&sql).fetch_all(pool).await)?;
    Ok(rows.into_iter().collect())
}

/// The id of the user whose normalised username is `key`.
pub async fn user_id_by_username(db: &Db, key: &str) -> Result<Option<i64>, DbError> {
    Ok(
        on_pool!(db, pool => sqlx::query_scalar("SELECT id FROM users WHERE username_key = $1")
        .bind(key)
        .fetch_optional(pool)
        .await)?,
    )
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct CheckRow {
    pub checked_at: DateTime<Utc>,
    pub events: i64,
    pub intact: bool,
    pub first_broken_id: Option<i64>,
    pub reason: Option<String>,
    /// Where an intact chain ended: the next check must still reach it.
    pub last_id: Option<i64>,
    pub last_hash: Option<String>,
}

impl CheckRow {
    pub fn from_report(report: &super::audit::ChainReport) -> CheckRow {
        CheckRow {
            checked_at: Utc::now(),
            events: report.rows,
            intact: report.is_intact(),
            first_broken_id: report.first_broken.as_ref().map(|b| b.id),
            reason: report.first_broken.as_ref().map(|b| b.reason.clone()),
            last_id: report.last_hash.as_ref().map(|_| report.last_id()),
            last_hash: report.last_hash.clone(),
        }
    }
}

pub async fn insert_check(db: &Db, check: &CheckRow) -> Result<(), DbError> {
    let sql = "INSERT INTO audit_checks (checked_at, events, intact, first_broken_id, reason, last_id, last_hash) \
               VALUES ($1, $2, $3, $4, $5, $6, $7)";
    on_pool!(db, pool => sqlx::query(sql)
        .bind(check.checked_at)
        .bind(check.events)
        .bind(check.intact)
        .bind(check.first_broken_id)
        .bind(&check.reason)
        .bind(check.last_id)
        .bind(&check.last_hash)
        .execute(pool)
        .await
        .map(|_| ()))?;
    Ok(())
}

pub async fn latest_check(db: &Db) -> Result<Option<CheckRow>, DbError> {
    let sql = "SELECT checked_at, events, intact, first_broken_id, reason, last_id, last_hash \
               FROM audit_checks ORDER BY id DESC LIMIT 1";
    Ok(on_pool!(db, pool => sqlx::query_as(sql).fetch_optional(pool).await)?)
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct UserListRow {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub role: String,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
    pub active_sessions: i64,
    pub two_factor: bool,
    pub storage_bytes: i64,
}

/// Sessions that are still usable: not ended, of the current epoch, seen within
/// the idle timeout and started within the absolute one.
fn active_sessions_sql() -> &'static str {
    "(SELECT COUNT(*) FROM user_sessions s WHERE s.user_id = u.id AND s.ended_at IS NULL \
       AND s.epoch = u.session_epoch AND s.last_seen_at > $1 AND s.created_at > $2)"
}

pub async fn users(
    db: &Db,
    search: Option<&str>,
    idle_since: DateTime<Utc>,
    started_since: DateTime<Utc>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<UserListRow>, i64), DbError> {
    let pattern = search.map(like_pattern).unwrap_or_else(|| "%".into());
    let filter = "(u.username_key LIKE $3 ESCAPE '\\' OR u.email_key LIKE $3 ESCAPE '\\')";
    let sql = format!(
        "SELECT u.id, u.username, u.email, u.role, u.disabled, u.created_at, u.last_login_at, \
           {} AS active_sessions, (u.totp_secret IS NOT NULL) AS two_factor, u.storage_bytes \
         FROM users u WHERE {filter} ORDER BY u.username_key, u.id LIMIT $4 OFFSET $5",
        active_sessions_sql()
    );
    let rows = on_pool!(db, pool => sqlx::query_as(&sql)
        .bind(idle_since)
        .bind(started_since)
        .bind(&pattern)
        .bind(limit)
        .bind(offset)
        .fetch_all(pool)
        .await)?;
    let count = "SELECT COUNT(*) FROM users u WHERE (u.username_key LIKE $1 ESCAPE '\\' OR u.email_key LIKE $1 ESCAPE '\\')";
    let total: i64 =
        on_pool!(db, pool => sqlx::query_scalar(count).bind(&pattern).fetch_one(pool).await)?;
    Ok((rows, total))
}

pub async fn user(
    db: &Db,
    id: i64,
    idle_since: DateTime<Utc>,
    started_since: DateTime<Utc>,
) -> Result<Option<UserListRow>, DbError> {
    let sql = format!(
        "SELECT u.id, u.username, u.email, u.role, u.disabled, u.created_at, u.last_login_at, \
           {} AS active_sessions, (u.totp_secret IS NOT NULL) AS two_factor, u.storage_bytes \
         FROM users u WHERE u.id = $3",
        active_sessions_sql()
    );
    Ok(on_pool!(db, pool => sqlx::query_as(&sql)
        .bind(idle_since)
        .bind(started_since)
        .bind(id)
        .fetch_optional(pool)
        .await)?)
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SessionRow {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
}

pub async fn active_sessions(
    db: &Db,
    user: i64,
    idle_since: DateTime<Utc>,
    started_since: DateTime<Utc>,
) -> Result<Vec<SessionRow>, DbError> {
    let sql = "SELECT s.id, s.created_at, s.last_seen_at, s.source_ip, s.user_agent \
               FROM user_sessions s JOIN users u ON u.id = s.user_id \
               WHERE s.user_id = $1 AND s.ended_at IS NULL AND s.epoch = u.session_epoch \
                 AND s.last_seen_at > $2 AND s.created_at > $3 \
               ORDER BY s.last_seen_at DESC LIMIT 100";
    Ok(on_pool!(db, pool => sqlx::query_as(sql)
        .bind(user)
        .bind(idle_since)
        .bind(started_since)
        .fetch_all(pool)
        .await)?)
}

/// Enabled administrators; on PostgreSQL their rows are locked until the
/// transaction ends, so two admins cannot demote each other at the same moment.
pub async fn enabled_admins(tx: &mut Tx) -> Result<Vec<i64>, DbError> {
    let lock = if matches!(tx.conn_mut(), TxConn::Postgres(_)) {
        " FOR UPDATE"
    } else {
        ""
    };
    let sql =
        format!("SELECT id FROM users WHERE role = 'admin' AND disabled = $1 ORDER BY id{lock}");
    Ok(on_tx!(tx, conn => sqlx::query_scalar(&sql).bind(false).fetch_all(&mut *conn).await)?)
}

pub async fn set_disabled(tx: &mut Tx, id: i64, disabled: bool) -> Result<bool, DbError> {
    let sql = "UPDATE users SET disabled = $1, updated_at = $2 WHERE id = $3";
    let n = on_tx!(tx, conn => sqlx::query(sql)
        .bind(disabled)
        .bind(Utc::now())
        .bind(id)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub async fn set_role(tx: &mut Tx, id: i64, role: &str) -> Result<bool, DbError> {
    let sql = "UPDATE users SET role = $1, updated_at = $2 WHERE id = $3";
    let n = on_tx!(tx, conn => sqlx::query(sql)
        .bind(role)
        .bind(Utc::now())
        .bind(id)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

// --- The session register ----------------------------------------------------

pub struct NewSession<'a> {
    pub id: &'a str,
    pub user_id: i64,
    pub epoch: i64,
    pub source_ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

pub async fn insert_session(db: &Db, s: &NewSession<'_>) -> Result<(), DbError> {
    let now = Utc::now();
    let sql = "INSERT INTO user_sessions (id, user_id, epoch, created_at, last_seen_at, source_ip, user_agent) \
               VALUES ($1, $2, $3, $4, $4, $5, $6)";
    on_pool!(db, pool => sqlx::query(sql)
        .bind(s.id)
        .bind(s.user_id)
        .bind(s.epoch)
        .bind(now)
        .bind(s.source_ip)
        .bind(s.user_agent)
        .execute(pool)
        .await
        .map(|_| ()))?;
    Ok(())
}

pub async fn touch_session(db: &Db, id: &str) -> Result<(), DbError> {
    let sql = "UPDATE user_sessions SET last_seen_at = $1 WHERE id = $2 AND ended_at IS NULL";
    on_pool!(db, pool => sqlx::query(sql).bind(Utc::now()).bind(id).execute(pool).await.map(|_| ()))?;
    Ok(())
}

pub async fn end_session(db: &Db, id: &str) -> Result<(), DbError> {
    let sql = "UPDATE user_sessions SET ended_at = $1 WHERE id = $2 AND ended_at IS NULL";
    on_pool!(db, pool => sqlx::query(sql).bind(Utc::now()).bind(id).execute(pool).await.map(|_| ()))?;
    Ok(())
}

/// Mark every session of a user ended (their epoch moved on too).
pub async fn end_user_sessions(tx: &mut Tx, user: i64) -> Result<(), DbError> {
    let sql = "UPDATE user_sessions SET ended_at = $1 WHERE user_id = $2 AND ended_at IS NULL";
    on_tx!(tx, conn => sqlx::query(sql).bind(Utc::now()).bind(user).execute(&mut *conn).await.map(|_| ()))?;
    Ok(())
}

/// End one of a user's sessions; false when it is not theirs or already ended.
pub async fn end_session_of(tx: &mut Tx, user: i64, id: &str) -> Result<bool, DbError> {
    let sql = "UPDATE user_sessions SET ended_at = $1 WHERE id = $2 AND user_id = $3 AND ended_at IS NULL";
    let n = on_tx!(tx, conn => sqlx::query(sql).bind(Utc::now()).bind(id).bind(user).execute(&mut *conn).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// End every session of a user but `keep`; how many were ended.
pub async fn end_sessions_except(tx: &mut Tx, user: i64, keep: &str) -> Result<u64, DbError> {
    let sql = "UPDATE user_sessions SET ended_at = $1 WHERE user_id = $2 AND id <> $3 AND ended_at IS NULL";
    Ok(
        on_tx!(tx, conn => sqlx::query(sql).bind(Utc::now()).bind(user).bind(keep).execute(&mut *conn).await.map(|r| r.rows_affected()))?,
    )
}

/// Carry a session over to the user's new epoch (the one kept at a password change).
pub async fn move_session_to_epoch(tx: &mut Tx, id: &str, epoch: i64) -> Result<(), DbError> {
    let sql = "UPDATE user_sessions SET epoch = $1 WHERE id = $2";
    on_tx!(tx, conn => sqlx::query(sql).bind(epoch).bind(id).execute(&mut *conn).await.map(|_| ()))?;
    Ok(())
}

/// Whether a registered session was ended (from the account page or an admin).
pub async fn session_ended(db: &Db, id: &str) -> Result<bool, DbError> {
    let sql = "SELECT ended_at IS NOT NULL FROM user_sessions WHERE id = $1";
    let ended: Option<bool> =
        on_pool!(db, pool => sqlx::query_scalar(sql).bind(id).fetch_optional(pool).await)?;
    Ok(ended.unwrap_or(false))
}

/// Forget sessions that ended (or went idle) more than `days` ago.
pub async fn prune_sessions(db: &Db, before: DateTime<Utc>) -> Result<u64, DbError> {
    let sql = "DELETE FROM user_sessions WHERE last_seen_at < $1";
    Ok(
        on_pool!(db, pool => sqlx::query(sql).bind(before).execute(pool).await.map(|r| r.rows_affected()))?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_become_numbered_clauses() {
        let f = AuditFilter {
            actors: Some(vec![3, 4]),
            action_prefix: Some("auth.".into()),
            outcome: Some("denied".into()),
            text: Some("50%".into()),
            ..Default::default()
        };
        let (sql, binds) = f.sql();
        assert!(sql.starts_with("WHERE actor_user_id IN (3,4) AND action LIKE $1"));
        assert!(sql.contains("outcome = $2"));
        assert!(sql.contains("lower(details) LIKE $3"));
        assert_eq!(binds.len(), 3);
        assert!(matches!(&binds[0], Bind::Str(s) if s == "auth.%"));
        assert!(matches!(&binds[2], Bind::Str(s) if s == "%50\\%%"));
        let (sql, _) = AuditFilter {
            actors: Some(vec![]),
            ..Default::default()
        }
        .sql();
        assert_eq!(sql, "WHERE 1 = 0");
        assert_eq!(AuditFilter::default().sql().0, "");
    }
}
