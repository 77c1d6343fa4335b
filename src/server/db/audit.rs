//! The tamper-evident audit log (ASVS 16.2.1, 16.2.2, 16.4.2).
//!
//! Each event is appended inside the caller's transaction, so a state change and its
//! event commit or roll back together. Rows form one hash chain: `hash` is
//! SHA-256(`prev_hash` || canonical content), and `audit_chain_head` holds the tip.
//! Appending updates the head first, which takes the write lock (SQLite) or a row
//! lock (PostgreSQL), so concurrent appenders queue up and the chain stays linear.

use super::{Db, DbError, Tx};
use crate::{on_pool, on_tx};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";
const MAX_USER_AGENT: usize = 512;
const VERIFY_BATCH: i64 = 2000;

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

/// A stored event, as read back.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AuditRow {
    pub id: i64,
    pub occurred_at: DateTime<Utc>,
    pub actor_user_id: Option<i64>,
    pub actor_api_key_id: Option<i64>,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub outcome: String,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The content that is hashed: every field but the hashes, in a fixed order.
#[derive(Serialize)]
struct Canonical<'a> {
    id: i64,
    occurred_at_us: i64,
    actor_user_id: Option<i64>,
    actor_api_key_id: Option<i64>,
    action: &'a str,
    target_type: Option<&'a str>,
    target_id: Option<&'a str>,
    outcome: &'a str,
    source_ip: Option<&'a str>,
    user_agent: Option<&'a str>,
    request_id: Option<&'a str>,
    details: &'a str,
}

pub fn chain_hash(prev_hash: &str, row: &AuditRow) -> String {
    let canonical = Canonical {
        id: row.id,
        occurred_at_us: row.occurred_at.timestamp_micros(),
        actor_user_id: row.actor_user_id,
        actor_api_key_id: row.actor_api_key_id,
        action: &row.action,
        target_type: row.target_type.as_deref(),
        target_id: row.target_id.as_deref(),
        outcome: &row.outcome,
        source_ip: row.source_ip.as_deref(),
        user_agent: row.user_agent.as_deref(),
        request_id: row.request_id.as_deref(),
        details: &row.details,
    };
    let json = serde_json::to_string(&canonical).expect("canonical audit content serialises");
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(b"\n");
    hasher.update(json.as_bytes());
    hex::encode(hasher.finalize())
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// Append an event inside the caller's transaction. Returns the event id.
pub async fn record(tx: &mut Tx, ctx: &AuditContext, event: NewEvent) -> Result<i64, DbError> {
    let now = Utc::now();
    let occurred_at = DateTime::<Utc>::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now);
    on_tx!(tx, conn => {
        let (seq, prev_hash): (i64, String) = sqlx::query_as(
            "UPDATE audit_chain_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, last_hash",
        )
        .fetch_one(&mut *conn)
        .await?;
        let row = AuditRow {
            id: seq,
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
            hash: String::new(),
            prev_hash,
        };
        let hash = chain_hash(&row.prev_hash, &row);
        sqlx::query(
            "INSERT INTO audit_events (id, occurred_at, actor_user_id, actor_api_key_id, action, \
             target_type, target_id, outcome, source_ip, user_agent, request_id, details, \
             prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
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
        .bind(&hash)
        .execute(&mut *conn)
        .await?;
        sqlx::query("UPDATE audit_chain_head SET last_hash = $1 WHERE id = 1")
            .bind(&hash)
            .execute(&mut *conn)
            .await?;
        Ok(seq)
    })
}

/// Record one event in its own transaction (for events with no other state change).
pub async fn record_now(db: &Db, ctx: &AuditContext, event: NewEvent) -> Result<i64, DbError> {
    let mut tx = db.begin().await?;
    let id = record(&mut tx, ctx, event).await?;
    tx.commit().await?;
    Ok(id)
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
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BrokenLink {
    pub id: i64,
    pub reason: String,
}

impl ChainReport {
    pub fn is_intact(&self) -> bool {
        self.first_broken.is_none()
    }
}

/// Walk the chain from the start, in batches, and report the first broken link:
/// an edited row, a deleted or inserted row, or a truncated tail.
pub async fn verify(db: &Db) -> Result<ChainReport, DbError> {
    let mut prev_hash = GENESIS_HASH.to_string();
    let mut expected_id = 1i64;
    let mut rows = 0i64;
    loop {
        let batch: Vec<AuditRow> = on_pool!(db, pool => sqlx::query_as(
            "SELECT id, occurred_at, actor_user_id, actor_api_key_id, action, target_type, \
             target_id, outcome, source_ip, user_agent, request_id, details, prev_hash, hash \
             FROM audit_events WHERE id >= $1 ORDER BY id LIMIT $2",
        )
        .bind(expected_id)
        .bind(VERIFY_BATCH)
        .fetch_all(pool)
        .await)?;
        let done = (batch.len() as i64) < VERIFY_BATCH;
        for row in batch {
            let broken = |reason: String| {
                Ok(ChainReport {
                    rows,
                    first_broken: Some(BrokenLink { id: row.id, reason }),
                    last_hash: None,
                })
            };
            if row.id != expected_id {
                return Ok(ChainReport {
                    rows,
                    last_hash: None,
                    first_broken: Some(BrokenLink {
                        id: expected_id,
                        reason: format!(
                            "event {expected_id} is missing (the next stored event is {})",
                            row.id
                        ),
                    }),
                });
            }
            if row.prev_hash != prev_hash {
                return broken("its link to the previous event does not match".into());
            }
            if chain_hash(&prev_hash, &row) != row.hash {
                return broken("its content was changed after it was written".into());
            }
            rows += 1;
            expected_id += 1;
            prev_hash = row.hash;
        }
        if done {
            break;
        }
    }
    let (head_seq, head_hash): (i64, String) = on_pool!(db, pool => sqlx::query_as(
        "SELECT seq, last_hash FROM audit_chain_head WHERE id = 1",
    )
    .fetch_one(pool)
    .await)?;
    if head_seq != rows || head_hash != prev_hash {
        return Ok(ChainReport {
            rows,
            last_hash: None,
            first_broken: Some(BrokenLink {
                id: rows + 1,
                reason: format!(
                    "the chain head records {head_seq} events but {rows} are stored: events at the end were removed"
                ),
            }),
        });
    }
    let report = ChainReport {
        rows,
        first_broken: None,
        last_hash: (rows > 0).then_some(prev_hash),
    };
    compare_with_last_check(db, report).await
}

/// The chain verifies by itself; does it still reach where the last intact check
/// saw it end? Someone holding the database credentials can cut the tail and
/// rewrite `audit_chain_head` to match (or rewrite every hash after an edit), and
/// the chain alone would look whole; the check's record of the last event's id
/// and hash says otherwise. (Signed checkpoints kept outside the database, which
/// survive an edit of this table too, are the next step.)
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
    let when = when.format("%Y-%m-%d %H:%M UTC");
    if report.rows < last_id {
        return Ok(ChainReport {
            first_broken: Some(BrokenLink {
                id: report.rows + 1,
                reason: format!(
                    "the verification of {when} saw {last_id} events, but only {} are stored: events at the end were removed (and the chain head rewritten to hide it)",
                    report.rows
                ),
            }),
            last_hash: None,
            ..report
        });
    }
    let hash: Option<String> = on_pool!(db, pool => sqlx::query_scalar(
        "SELECT hash FROM audit_events WHERE id = $1",
    )
    .bind(last_id)
    .fetch_optional(pool)
    .await)?;
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

    fn row() -> AuditRow {
        AuditRow {
            id: 1,
            occurred_at: DateTime::<Utc>::from_timestamp_micros(1_700_000_000_123_456).unwrap(),
            actor_user_id: Some(7),
            actor_api_key_id: None,
            action: "auth.login.success".into(),
            target_type: Some("user".into()),
            target_id: Some("7".into()),
            outcome: "success".into(),
            source_ip: Some("127.0.0.1".into()),
            user_agent: Some("test".into()),
            request_id: Some("r1".into()),
            details: "{}".into(),
            prev_hash: GENESIS_HASH.into(),
            hash: String::new(),
        }
    }

    #[test]
    fn hash_is_stable_for_the_same_content() {
        assert_eq!(
            chain_hash(GENESIS_HASH, &row()),
            chain_hash(GENESIS_HASH, &row())
        );
        assert_eq!(chain_hash(GENESIS_HASH, &row()).len(), 64);
    }

    #[test]
    fn hash_changes_with_any_field_or_the_previous_hash() {
        let base = chain_hash(GENESIS_HASH, &row());
        let mut r = row();
        r.outcome = "failure".into();
        assert_ne!(chain_hash(GENESIS_HASH, &r), base);
        let mut r = row();
        r.details = "{\"a\":1}".into();
        assert_ne!(chain_hash(GENESIS_HASH, &r), base);
        let mut r = row();
        r.occurred_at += chrono::Duration::microseconds(1);
        assert_ne!(chain_hash(GENESIS_HASH, &r), base);
        assert_ne!(chain_hash(&"1".repeat(64), &row()), base);
    }

    #[test]
    fn user_agent_is_truncated() {
        assert_eq!(truncate(&"x".repeat(600), MAX_USER_AGENT).len(), 512);
    }
}
