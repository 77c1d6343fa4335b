//! Delivery state of the audit sinks: how far each has received the log, its
//! failures, and which instance delivers to it (a lease, renewed with each
//! delivery; another instance takes over when it lapses).

use super::{Db, DbError};
use crate::on_pool;
use chrono::{DateTime, Utc};

/// How long a lease lasts without renewal.
pub const LEASE_MILLIS: i64 = 30_000;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SinkRow {
    pub id: String,
    pub delivered_id: i64,
    pub delivered_at: Option<DateTime<Utc>>,
    pub failures: i32,
    pub failing_since: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

/// Make sure the sink has a row (a new sink starts before the first event).
pub async fn register(db: &Db, id: &str) -> Result<(), DbError> {
    on_pool!(db, pool => sqlx::query(
        "INSERT INTO audit_sinks (id) VALUES ($1) ON CONFLICT (id) DO NOTHING",
    )
    .bind(id)
    .execute(pool)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// Take or renew the lease on `id` for `owner`. Returns how far the sink has
/// received the log, or `None` while another instance holds the lease.
pub async fn claim(db: &Db, id: &str, owner: &str) -> Result<Option<i64>, DbError> {
    let now = Utc::now().timestamp_millis();
    Ok(on_pool!(db, pool => sqlx::query_scalar(
        "UPDATE audit_sinks SET lease_owner = $2, lease_until = $3 \
         WHERE id = $1 AND (lease_owner IS NULL OR lease_owner = $2 OR lease_until < $4) \
         RETURNING delivered_id",
    )
    .bind(id)
    .bind(owner)
    .bind(now + LEASE_MILLIS)
    .bind(now)
    .fetch_optional(pool)
    .await)?)
}

/// The sink has received every event up to `last_id`. False when the lease was
/// lost meanwhile (another instance delivers now).
pub async fn delivered(db: &Db, id: &str, owner: &str, last_id: i64) -> Result<bool, DbError> {
    let now = Utc::now();
    let done = on_pool!(db, pool => sqlx::query(
        "UPDATE audit_sinks SET delivered_id = $3, delivered_at = $4, failures = 0, \
         failing_since = NULL, last_error = NULL, lease_until = $5 \
         WHERE id = $1 AND lease_owner = $2 AND delivered_id < $3",
    )
    .bind(id)
    .bind(owner)
    .bind(last_id)
    .bind(now)
    .bind(now.timestamp_millis() + LEASE_MILLIS)
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// A delivery failed; returns the failures in a row so far.
pub async fn failed(db: &Db, id: &str, owner: &str, error: &str) -> Result<i32, DbError> {
    let now = Utc::now();
    let failures: Option<i32> = on_pool!(db, pool => sqlx::query_scalar(
        "UPDATE audit_sinks SET failures = failures + 1, last_error = $3, \
         failing_since = COALESCE(failing_since, $4) \
         WHERE id = $1 AND lease_owner = $2 RETURNING failures",
    )
    .bind(id)
    .bind(owner)
    .bind(error)
    .bind(now)
    .fetch_optional(pool)
    .await)?;
    Ok(failures.unwrap_or(1))
}

/// Give the lease back (at shutdown), so another instance need not wait for it
/// to lapse.
pub async fn release(db: &Db, id: &str, owner: &str) -> Result<(), DbError> {
    on_pool!(db, pool => sqlx::query(
        "UPDATE audit_sinks SET lease_owner = NULL, lease_until = 0 \
         WHERE id = $1 AND lease_owner = $2",
    )
    .bind(id)
    .bind(owner)
    .execute(pool)
    .await
    .map(|_| ()))?;
    Ok(())
}

pub async fn get(db: &Db, id: &str) -> Result<Option<SinkRow>, DbError> {
    Ok(on_pool!(db, pool => sqlx::query_as(
        "SELECT id, delivered_id, delivered_at, failures, failing_since, last_error \
         FROM audit_sinks WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await)?)
}
