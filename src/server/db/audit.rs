//! The tamper-evident audit log (ASVS 16.2.1, 16.2.2, 16.4.2).
//!
//! Each event is appended inside the caller's transaction, so a state change and its
//! event commit or roll back together. Rows form one chain with two links (see
//! `audit_chain`): a public SHA-256 `hash` and a keyed `mac`; `audit_chain_head`
//! holds the tip. Appending updates the head first, which takes the write lock
//! (SQLite) or a row lock (PostgreSQL), so concurrent appenders queue up and the
//! chain stays linear. Signed checkpoints (`audit_checkpoints`, and files outside
//! the database) seal runs of events.

pub use super::AuditTrailDown;
use super::{Backend, Db, DbError, Tx};
pub use crate::server::audit_chain::PRUNE_ACTION;
pub use crate::server::audit_chain::{chain_hash, AuditRow, BrokenLink, GENESIS_HASH};
use crate::server::audit_chain::{check_checkpoints, ChainTip, SignedCheckpoint, Walker};
use crate::{on_pool, on_tx};
use chrono::{DateTime, Utc};
use serde::Serialize;

const MAX_USER_AGENT: usize = 512;
const VERIFY_BATCH: i64 = 5000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Success,
    Failure,
    Denied,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Denied => "denied",
        }
    }
}

/// Who acted and from where; built from the request (or empty for the system).
#[derive(Clone, Debug, Default)]
pub struct AuditContext {
    pub actor_user_id: Option<i64>,
    pub actor_api_key_id: Option<i64>,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

/// What happened.
#[derive(Clone, Debug)]
pub struct NewEvent {
    pub action: &'static str,
    pub target_type: Option<&'static str>,
    pub target_id: Option<String>,
    pub outcome: Outcome,
    /// Never a password, token, key or session id (ASVS 16.2.5).
    pub details: serde_json::Value,
}

impl NewEvent {
    pub fn new(action: &'static str, outcome: Outcome) -> Self {
        NewEvent {
            action,
            target_type: None,
            target_id: None,
            outcome,
            details: serde_json::Value::Object(Default::default()),
        }
    }

    pub fn target(mut self, target_type: &'static str, id: impl ToString) -> Self {
        self.target_type = Some(target_type);
        self.target_id = Some(id.to_string());
        self
    }

    pub fn details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// Append an event inside the caller's transaction. Returns the event id.
pub async fn record(tx: &mut Tx, ctx: &AuditContext, event: NewEvent) -> Result<i64, DbError> {
    let now = Utc::now();
    let occurred_at = DateTime::<Utc>::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now);
    let key = tx.audit_keys().mac.clone();
    let (reserve, link) = head_sql(tx.backend());
    // PostgreSQL inserts the event and moves the head in one call (one round
    // trip fewer while the head is locked); SQLite runs both statements.
    let (insert, link) = match tx.backend() {
        Backend::Postgres => (
            "SELECT audit_append($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
            None,
        ),
        Backend::Sqlite => (
            "INSERT INTO audit_events (id, occurred_at, actor_user_id, actor_api_key_id, action, \
             target_type, target_id, outcome, source_ip, user_agent, request_id, details, \
             prev_hash, hash, mac) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
            Some(link),
        ),
    };
    append(tx, reserve, insert, link, ctx, event, occurred_at, key)
        .await
        .map_err(|e| DbError::Other(AuditTrailDown(format!("{e:#}")).into()))
}

#[allow(clippy::too_many_arguments)]
async fn append(
    tx: &mut Tx,
    reserve: &str,
    insert: &str,
    link: Option<&str>,
    ctx: &AuditContext,
    event: NewEvent,
    occurred_at: DateTime<Utc>,
    key: crate::server::crypto::KeyBytes,
) -> Result<i64, DbError> {
    on_tx!(tx, conn => {
        let (seq, last_hash, last_mac, keyed_from): (i64, String, Option<String>, i64) =
            sqlx::query_as(reserve)
            .bind(1i64)
            .fetch_one(&mut *conn)
            .await?;
        let mut tip = ChainTip { seq, last_hash, last_mac, keyed_from };
        let mut row = AuditRow {
            id: 0,
            occurred_at,
            actor_user_id: ctx.actor_user_id,
            actor_api_key_id: ctx.actor_api_key_id,
            action: event.action.to_string(),
            target_type: event.target_type.map(str::to_string),
            target_id: event.target_id,
            outcome: event.outcome.as_str().to_string(),
            source_ip: ctx.source_ip.clone(),
            user_agent: ctx.user_agent.as_deref().map(|ua| truncate(ua, MAX_USER_AGENT)),
            request_id: ctx.request_id.clone(),
            details: event.details.to_string(),
            prev_hash: String::new(),
            hash: String::new(),
            mac: None,
        };
        tip.append(&mut row, &key);
        sqlx::query(insert)
        .bind(row.id)
        .bind(row.occurred_at)
        .bind(row.actor_user_id)
        .bind(row.actor_api_key_id)
        .bind(&row.action)
        .bind(&row.target_type)
        .bind(&row.target_id)
        .bind(&row.outcome)
        .bind(&row.source_ip)
        .bind(&row.user_agent)
        .bind(&row.request_id)
        .bind(&row.details)
        .bind(&row.prev_hash)
        .bind(&row.hash)
        .bind(&row.mac)
        .execute(&mut *conn)
        .await?;
        if let Some(link) = link {
            sqlx::query(link)
                .bind(row.id)
                .bind(&tip.last_hash)
                .bind(&tip.last_mac)
                .execute(&mut *conn)
                .await?;
        }
        Ok(row.id)
    })
}

/// How to reserve ids on the chain head (bind: how many) and move it onto the
/// last appended event (bind: its id, hash and MAC). On PostgreSQL through the
/// owner's functions (the application role may not update the head); SQLite has
/// no roles.
pub fn head_sql(backend: Backend) -> (&'static str, &'static str) {
    match backend {
        Backend::Sqlite => (
            "UPDATE audit_chain_head SET seq = seq + $1 WHERE id = 1 \
             RETURNING seq - $1, last_hash, last_mac, keyed_from",
            "UPDATE audit_chain_head SET last_hash = $2, last_mac = COALESCE($3, last_mac) \
             WHERE id = 1 AND seq = $1",
        ),
        Backend::Postgres => (
            "SELECT seq, last_hash, last_mac, keyed_from FROM audit_reserve($1)",
            "SELECT audit_link($1, $2, $3)",
        ),
    }
}

/// The tip of the chain, locked until `tx` ends (appenders wait behind it).
pub async fn lock_tip(tx: &mut Tx) -> Result<ChainTip, DbError> {
    let sql = match tx.backend() {
        Backend::Sqlite => {
            "UPDATE audit_chain_head SET seq = seq WHERE id = 1 \
             RETURNING seq, last_hash, last_mac, keyed_from"
        }
        Backend::Postgres => "SELECT seq, last_hash, last_mac, keyed_from FROM audit_lock_tip()",
    };
    on_tx!(tx, conn => {
        let (seq, last_hash, last_mac, keyed_from): (i64, String, Option<String>, i64) =
            sqlx::query_as(sql)
            .fetch_one(&mut *conn)
            .await?;
        Ok(ChainTip { seq, last_hash, last_mac, keyed_from })
    })
}

async fn tip(db: &Db) -> Result<ChainTip, DbError> {
    let (seq, last_hash, last_mac, keyed_from): (i64, String, Option<String>, i64) = on_pool!(db, pool => sqlx::query_as(
            "SELECT seq, last_hash, last_mac, keyed_from FROM audit_chain_head WHERE id = 1",
        )
        .fetch_one(pool)
        .await)?;
    Ok(ChainTip {
        seq,
        last_hash,
        last_mac,
        keyed_from,
    })
}

/// Record one event in its own transaction (for events with no other state change).
pub async fn record_now(db: &Db, ctx: &AuditContext, event: NewEvent) -> Result<i64, DbError> {
    let mut tx = db.begin().await?;
    let id = record(&mut tx, ctx, event).await?;
    tx.commit().await?;
    Ok(id)
}

/// The newest checkpoint, read inside `tx` (after [`lock_tip`], so no other
/// instance can seal meanwhile).
pub async fn last_checkpoint(tx: &mut Tx) -> Result<Option<SignedCheckpoint>, DbError> {
    let line: Option<String> = on_tx!(tx, conn => sqlx::query_scalar(
        "SELECT line FROM audit_checkpoints ORDER BY seq DESC LIMIT 1",
    )
    .fetch_optional(&mut *conn)
    .await)?;
    line.map(|l| SignedCheckpoint::parse(&l).map_err(|e| DbError::Other(anyhow::anyhow!(e))))
        .transpose()
}

pub async fn insert_checkpoint(tx: &mut Tx, cp: &SignedCheckpoint) -> Result<(), DbError> {
    let created_at = DateTime::parse_from_rfc3339(&cp.body.created_at)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| DbError::Other(anyhow::anyhow!("checkpoint time: {e}")))?;
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO audit_checkpoints (seq, first_id, last_id, created_at, line) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(cp.body.seq)
    .bind(cp.body.first_id)
    .bind(cp.body.last_id)
    .bind(created_at)
    .bind(cp.to_line().trim_end())
    .execute(&mut *conn)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// Checkpoints after `seq`, oldest first (what a sink has not received yet).
pub async fn checkpoints_after(db: &Db, seq: i64) -> Result<Vec<SignedCheckpoint>, DbError> {
    let lines: Vec<String> = on_pool!(db, pool => sqlx::query_scalar(
        "SELECT line FROM audit_checkpoints WHERE seq > $1 ORDER BY seq",
    )
    .bind(seq)
    .fetch_all(pool)
    .await)?;
    lines
        .iter()
        .map(|l| SignedCheckpoint::parse(l).map_err(|e| DbError::Other(anyhow::anyhow!(e))))
        .collect()
}

/// The newest checkpoint, for the admin page and the sealing schedule.
pub async fn latest_checkpoint(db: &Db) -> Result<Option<SignedCheckpoint>, DbError> {
    let line: Option<String> = on_pool!(db, pool => sqlx::query_scalar(
        "SELECT line FROM audit_checkpoints ORDER BY seq DESC LIMIT 1",
    )
    .fetch_optional(pool)
    .await)?;
    line.map(|l| SignedCheckpoint::parse(&l).map_err(|e| DbError::Other(anyhow::anyhow!(e))))
        .transpose()
}

/// How many events the chain holds (the head's count).
pub async fn event_count(db: &Db) -> Result<i64, DbError> {
    Ok(tip(db).await?.seq)
}

/// A retention prune: events 1 to `upto_id` were archived and removed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Prune {
    pub upto_id: i64,
    pub checkpoint_seq: i64,
    pub archive: String,
    pub archive_sha256: String,
    pub pruned_at: DateTime<Utc>,
}

/// The latest prune, if events were ever pruned.
pub async fn last_prune(db: &Db) -> Result<Option<Prune>, DbError> {
    Ok(on_pool!(db, pool => sqlx::query_as(
        "SELECT upto_id, checkpoint_seq, archive, archive_sha256, pruned_at \
         FROM audit_prunes ORDER BY upto_id DESC LIMIT 1",
    )
    .fetch_optional(pool)
    .await)?)
}

/// Remove events up to `upto` (already archived), which checkpoint
/// `checkpoint_seq` must end at, recording the prune. Returns how many events
/// went. On PostgreSQL through the owner's `audit_prune()`, which checks the same.
pub async fn prune(
    tx: &mut Tx,
    upto: i64,
    checkpoint_seq: i64,
    archive: &str,
    sha256: &str,
) -> Result<i64, DbError> {
    match tx.backend() {
        Backend::Postgres => Ok(on_tx!(tx, conn => sqlx::query_scalar(
            "SELECT audit_prune($1, $2, $3, $4)",
        )
        .bind(upto)
        .bind(checkpoint_seq)
        .bind(archive)
        .bind(sha256)
        .fetch_one(&mut *conn)
        .await)?),
        Backend::Sqlite => on_tx!(tx, conn => {
            let done: i64 = sqlx::query_scalar(
                "SELECT COALESCE(MAX(upto_id), 0) FROM audit_prunes",
            )
            .fetch_one(&mut *conn)
            .await?;
            let sealed: Option<i64> = sqlx::query_scalar(
                "SELECT seq FROM audit_checkpoints WHERE seq = $1 AND last_id = $2",
            )
            .bind(checkpoint_seq)
            .bind(upto)
            .fetch_optional(&mut *conn)
            .await?;
            if upto <= done || sealed.is_none() {
                return Err(DbError::Other(anyhow::anyhow!(
                    "cannot prune to event {upto}: already pruned to {done}, or no checkpoint {checkpoint_seq} ends there"
                )));
            }
            sqlx::query(
                "INSERT INTO audit_prunes (upto_id, checkpoint_seq, archive, archive_sha256, pruned_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(upto)
            .bind(checkpoint_seq)
            .bind(archive)
            .bind(sha256)
            .bind(Utc::now())
            .execute(&mut *conn)
            .await?;
            let removed = sqlx::query("DELETE FROM audit_events WHERE id <= $1 AND id > $2")
                .bind(upto)
                .bind(done)
                .execute(&mut *conn)
                .await?
                .rows_affected();
            Ok(removed as i64)
        }),
    }
}

/// When event `id` happened (`None`: no such event, e.g. pruned).
pub async fn occurred_at(db: &Db, id: i64) -> Result<Option<DateTime<Utc>>, DbError> {
    Ok(on_pool!(db, pool => sqlx::query_scalar(
        "SELECT occurred_at FROM audit_events WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await)?)
}

/// The outcome of checking the whole chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChainReport {
    /// Rows checked.
    pub rows: i64,
    /// The first event whose link does not hold, with the reason.
    pub first_broken: Option<BrokenLink>,
    /// The hash of the last event (when there is one), recorded with the check so
    /// the next one can tell whether the chain still reaches it.
    pub last_hash: Option<String>,
    /// Signed checkpoints the events were checked against.
    pub checkpoints: usize,
    /// The last event those checkpoints seal (0: none).
    pub sealed_to: i64,
    /// Events 1 to this were pruned (archived, then removed) and are not in
    /// the walk (0: none).
    pub pruned_to: i64,
}

impl ChainReport {
    pub fn is_intact(&self) -> bool {
        self.first_broken.is_none()
    }

    /// The id of the last event checked (pruned events counted).
    pub fn last_id(&self) -> i64 {
        self.pruned_to + self.rows
    }

    fn broken(rows: i64, link: BrokenLink) -> ChainReport {
        ChainReport {
            rows,
            first_broken: Some(link),
            last_hash: None,
            checkpoints: 0,
            sealed_to: 0,
            pruned_to: 0,
        }
    }
}

/// The checkpoints kept in the database, oldest first.
pub async fn stored_checkpoints(db: &Db) -> Result<Vec<SignedCheckpoint>, DbError> {
    checkpoints_after(db, 0).await
}

/// Walk the chain from the start, in batches, checking every link, every MAC and
/// the signed checkpoints kept in the database; report the first broken link: an
/// edited row, a deleted, inserted or reordered row, or a truncated tail.
pub async fn verify(db: &Db) -> Result<ChainReport, DbError> {
    let stored = stored_checkpoints(db).await?;
    let report = walk(db, stored).await?;
    if !report.is_intact() {
        return Ok(report);
    }
    compare_with_last_check(db, report).await
}

/// As [`verify`], against checkpoints kept outside the database (a directory or
/// a URL): those are the ones to trust. The database's own copies must agree
/// with them, and any it has beyond them must be missing outside.
pub async fn verify_against(
    db: &Db,
    outside: Vec<SignedCheckpoint>,
) -> Result<ChainReport, DbError> {
    let stored = stored_checkpoints(db).await?;
    let public = &db.audit_keys().checkpoint_public;
    let outside = match check_checkpoints(outside, public) {
        Ok(list) => list,
        Err(link) => return Ok(ChainReport::broken(0, link)),
    };
    for s in &stored {
        match outside.iter().find(|o| o.body.seq == s.body.seq) {
            Some(o) if o != s => {
                return Ok(ChainReport::broken(
                    0,
                    BrokenLink {
                        id: s.body.first_id,
                        reason: format!(
                            "checkpoint {} in the database differs from the one kept outside it",
                            s.body.seq
                        ),
                    },
                ))
            }
            Some(_) => {}
            None => {
                return Ok(ChainReport::broken(
                    0,
                    BrokenLink {
                        id: s.body.first_id,
                        reason: format!(
                            "checkpoint {} (events {}–{}) is in the database but missing from the checkpoints kept outside it",
                            s.body.seq, s.body.first_id, s.body.last_id
                        ),
                    },
                ))
            }
        }
    }
    let report = walk(db, outside).await?;
    if !report.is_intact() {
        return Ok(report);
    }
    compare_with_last_check(db, report).await
}

/// Up to `limit` events from id `from` on, in chain order.
pub async fn chain_batch(db: &Db, from: i64, limit: i64) -> Result<Vec<AuditRow>, DbError> {
    chain_range(db, from, i64::MAX, limit).await
}

/// Up to `limit` events with ids from `from` to `upto`, in chain order.
async fn chain_range(db: &Db, from: i64, upto: i64, limit: i64) -> Result<Vec<AuditRow>, DbError> {
    if let super::Pool::Sqlite(pool) = db.pool() {
        if let Some(rows) = sqlite_json_range(pool, from, upto, limit).await? {
            return Ok(rows);
        }
    }
    Ok(on_pool!(db, pool => sqlx::query_as(
        "SELECT id, occurred_at, actor_user_id, actor_api_key_id, action, target_type, \
         target_id, outcome, source_ip, user_agent, request_id, details, prev_hash, hash, mac \
         FROM audit_events WHERE id >= $1 AND id <= $2 ORDER BY id LIMIT $3",
    )
    .bind(from)
    .bind(upto)
    .bind(limit)
    .fetch_all(pool)
    .await)?)
}

/// The columns of one event as SQLite's `json_array` gives them.
type JsonRow = (
    i64,
    String,
    Option<i64>,
    Option<i64>,
    String,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    String,
    String,
    Option<String>,
);

/// SQLite: the batch as one JSON array built inside SQLite. sqlx's SQLite
/// driver hands every row from its worker thread to the caller on its own
/// (measured: about 80 s to read a million events that way, 2 s for SQLite
/// itself to read them), so verifying and exporting long chains read a batch
/// in one value instead. `None` when a timestamp is in a form this parser does
/// not know: the caller then reads the batch row by row, so nothing is ever
/// decoded differently from sqlx (the hashes would say so).
async fn sqlite_json_range(
    pool: &sqlx::SqlitePool,
    from: i64,
    upto: i64,
    limit: i64,
) -> Result<Option<Vec<AuditRow>>, DbError> {
    let json: Option<String> = sqlx::query_scalar(
        "SELECT json_group_array(json_array(id, occurred_at, actor_user_id, actor_api_key_id, \
         action, target_type, target_id, outcome, source_ip, user_agent, request_id, details, \
         prev_hash, hash, mac)) \
         FROM (SELECT * FROM audit_events WHERE id >= $1 AND id <= $2 ORDER BY id LIMIT $3)",
    )
    .bind(from)
    .bind(upto)
    .bind(limit)
    .fetch_one(pool)
    .await?;
    let Some(json) = json else {
        return Ok(Some(Vec::new()));
    };
    let parsed: Vec<JsonRow> = serde_json::from_str(&json)
        .map_err(|e| DbError::Other(anyhow::anyhow!("audit batch from SQLite: {e}")))?;
    let mut rows = Vec::with_capacity(parsed.len());
    for r in parsed {
        let Ok(at) = DateTime::parse_from_rfc3339(&r.1) else {
            return Ok(None);
        };
        rows.push(AuditRow {
            id: r.0,
            occurred_at: at.with_timezone(&Utc),
            actor_user_id: r.2,
            actor_api_key_id: r.3,
            action: r.4,
            target_type: r.5,
            target_id: r.6,
            outcome: r.7,
            source_ip: r.8,
            user_agent: r.9,
            request_id: r.10,
            details: r.11,
            prev_hash: r.12,
            hash: r.13,
            mac: r.14,
        });
    }
    // The aggregate's order follows the subquery's in SQLite; sort anyway (a
    // no-op when it does) so the batch is in chain order, as ORDER BY id gives.
    rows.sort_by_key(|r| r.id);
    Ok(Some(rows))
}

/// The highest event id stored (0: none).
async fn max_event_id(db: &Db) -> Result<i64, DbError> {
    let max: Option<i64> = on_pool!(db, pool => sqlx::query_scalar(
        "SELECT MAX(id) FROM audit_events",
    )
    .fetch_one(pool)
    .await)?;
    Ok(max.unwrap_or(0))
}

async fn walk(db: &Db, checkpoints: Vec<SignedCheckpoint>) -> Result<ChainReport, DbError> {
    let keys = db.audit_keys();
    let checkpoints = match check_checkpoints(checkpoints, &keys.checkpoint_public) {
        Ok(list) => list,
        Err(link) => return Ok(ChainReport::broken(0, link)),
    };
    let head = tip(db).await?;
    if let Some(cp) = checkpoints.first() {
        if cp.body.keyed_from != head.keyed_from {
            return Ok(ChainReport::broken(
                0,
                BrokenLink {
                    id: cp.body.keyed_from.min(head.keyed_from),
                    reason: format!(
                        "the chain head says the keyed chain starts at event {}, but the checkpoints say {}: the head was rewritten",
                        head.keyed_from, cp.body.keyed_from
                    ),
                },
            ));
        }
    }
    let pruned_to = last_prune(db).await?.map_or(0, |p| p.upto_id);
    let mut walker = match Walker::after_prune(
        Some(&keys.mac),
        head.keyed_from,
        &checkpoints,
        pruned_to + 1,
    ) {
        Ok(w) => w,
        Err(link) => return Ok(ChainReport::broken(0, link)),
    };
    // The walk covers the chain as the head showed it above, and no further:
    // an event appended meanwhile (it commits with its head update) is not part
    // of the chain that head describes, so a busy server is not reported as
    // broken. Events past the head that never became part of it are looked for
    // after the walk.
    let mut from = pruned_to + 1;
    loop {
        let batch = chain_range(db, from, head.seq, VERIFY_BATCH).await?;
        let done = (batch.len() as i64) < VERIFY_BATCH;
        for row in &batch {
            if let Err(link) = walker.push(row) {
                return Ok(ChainReport::broken(walker.rows, link));
            }
        }
        match batch.last() {
            Some(last) if !done => from = last.id + 1,
            _ => break,
        }
    }
    if let Err(link) = walker.finish() {
        return Ok(ChainReport::broken(walker.rows, link));
    }
    let rows = walker.rows;
    let last_id = walker.last_id();
    let last_hash = walker.last_hash().unwrap_or(GENESIS_HASH).to_string();
    if head.seq != last_id || head.last_hash != last_hash {
        return Ok(ChainReport::broken(
            rows,
            BrokenLink {
                id: last_id + 1,
                reason: format!(
                    "the chain head records {} events but the log ends at event {last_id}: events at the end were removed",
                    head.seq
                ),
            },
        ));
    }
    // Rows beyond the head: either appended since it was read (the head has
    // moved on with them: read it again after the rows) or left behind by a
    // head rewritten backwards.
    let beyond = max_event_id(db).await?;
    if beyond > head.seq && beyond > tip(db).await?.seq {
        return Ok(ChainReport::broken(
            rows,
            BrokenLink {
                id: head.seq + 1,
                reason: format!(
                    "events up to {beyond} are stored, but the chain head ends at event {}: the head was rewritten",
                    head.seq
                ),
            },
        ));
    }
    Ok(ChainReport {
        rows,
        first_broken: None,
        last_hash: (last_id > 0).then_some(last_hash),
        checkpoints: checkpoints.len(),
        sealed_to: checkpoints.last().map_or(0, |c| c.body.last_id),
        pruned_to,
    })
}

/// The chain verifies by itself; does it still reach where the last intact check
/// saw it end? Someone holding the database credentials can cut the tail and
/// rewrite `audit_chain_head` to match (or rewrite every hash after an edit), and
/// the chain alone would look whole; the check's record of the last event's id
/// and hash says otherwise. (Signed checkpoints kept outside the database
/// survive an edit of this table too.)
async fn compare_with_last_check(db: &Db, report: ChainReport) -> Result<ChainReport, DbError> {
    let last: Option<(DateTime<Utc>, i64, String)> = on_pool!(db, pool => sqlx::query_as(
        "SELECT checked_at, last_id, last_hash FROM audit_checks \
         WHERE intact AND last_id IS NOT NULL AND last_hash IS NOT NULL \
         ORDER BY id DESC LIMIT 1",
    )
    .fetch_optional(pool)
    .await)?;
    let Some((when, last_id, last_hash)) = last else {
        return Ok(report);
    };
    if last_id <= report.pruned_to {
        // That event was archived and pruned since; the checkpoints vouch for it.
        return Ok(report);
    }
    let when = when.format("%Y-%m-%d %H:%M UTC");
    let hash: Option<String> = on_pool!(db, pool => sqlx::query_scalar(
        "SELECT hash FROM audit_events WHERE id = $1",
    )
    .bind(last_id)
    .fetch_optional(pool)
    .await)?;
    if report.last_id() < last_id && hash.as_deref() == Some(last_hash.as_str()) {
        // A verification that began after this one saw more events, appended
        // meanwhile; the event it ended at is still there, unchanged.
        return Ok(report);
    }
    if report.last_id() < last_id {
        return Ok(ChainReport {
            first_broken: Some(BrokenLink {
                id: report.last_id() + 1,
                reason: format!(
                    "the verification of {when} saw {last_id} events, but the log ends at event {}: events at the end were removed (and the chain head rewritten to hide it)",
                    report.last_id()
                ),
            }),
            last_hash: None,
            ..report
        });
    }
    if hash.as_deref() != Some(last_hash.as_str()) {
        return Ok(ChainReport {
            first_broken: Some(BrokenLink {
                id: last_id,
                reason: format!(
                    "it is not the event the verification of {when} saw there: the chain was rewritten from here or earlier"
                ),
            }),
            last_hash: None,
            ..report
        });
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agent_is_truncated() {
        assert_eq!(truncate(&"x".repeat(600), MAX_USER_AGENT).len(), 512);
    }
}
