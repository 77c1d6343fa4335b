//! Where rate-limit counts and login-throttle state are kept.
//!
//! - **Memory** (SQLite): one instance serves the database, so its own memory is
//!   the whole truth.
//! - **PostgreSQL** (the default when `DATABASE_URL` names one): every instance
//!   reads and writes the same rows, one round trip per check.
//! - **Redis** (`REDIS_URL`): the same counts as Redis keys with expiries, for
//!   deployments that would rather keep this churn out of the database.
//!
//! The rules (windows, delays, the per-account cap) are the same functions for all
//! three, in [`super::rules`]. Counts are keyed by digests of the account name, so
//! a Redis dump does not list who is being attacked.

use super::rules::{
    account_cap_wait, failure_delay, Class, LoginThrottle, RateLimiter, FAILURE_MEMORY,
};
use crate::server::config::{LoginThrottleSettings, Rate, Settings};
use secrecy::ExposeSecret;
use sha2::Digest;
use std::{
    net::IpAddr,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

/// Known sources of an account are remembered this long after their last login
/// (Redis; PostgreSQL keeps them until the account is deleted).
const KNOWN_SOURCE_MEMORY: Duration = Duration::from_secs(90 * 86_400);
/// At most this many known sources per account.
const KNOWN_SOURCES_MAX: i64 = 64;

pub enum Limits {
    Memory {
        limiter: RateLimiter,
        throttle: Box<LoginThrottle>,
    },
    Postgres {
        pool: sqlx::PgPool,
        settings: LoginThrottleSettings,
    },
    Redis {
        conn: redis::aio::ConnectionManager,
        settings: LoginThrottleSettings,
        prefix: String,
    },
}

/// What the shared stores know about one login attempt's account and source.
#[derive(Debug, Default)]
struct Snapshot {
    /// (failures, last failure in ms since the epoch) for this account from this source.
    pair: Option<(u32, i64)>,
    /// The same for this source across accounts.
    source: Option<(u32, i64)>,
    /// Failures for the account in the last hour, and the oldest of them.
    account: (u32, Option<i64>),
    known: bool,
}

/// One row of the PostgreSQL check: pair (failures, last), source (failures,
/// last), the account's failures in the hour and the oldest, known source.
type PgSnapshot = (
    Option<i32>,
    Option<i64>,
    Option<i32>,
    Option<i64>,
    i64,
    Option<i64>,
    bool,
);

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn ago(now: i64, then: i64) -> Duration {
    Duration::from_millis(now.saturating_sub(then).max(0) as u64)
}

fn digest(s: &str) -> String {
    hex::encode(&sha2::Sha256::digest(s.as_bytes())[..16])
}

/// The address a login is throttled under (per /64 for IPv6).
fn ip_or_unknown(ip: Option<IpAddr>) -> IpAddr {
    super::rules::limit_address(ip.unwrap_or(IpAddr::from([0, 0, 0, 0])))
}

/// The start of the fixed window `now` falls in, and the time left in it.
fn window(rate: Rate, now: i64) -> (i64, Duration) {
    let period = rate.period.as_millis().max(1) as i64;
    let start = now - now.rem_euclid(period);
    (start, Duration::from_millis((start + period - now) as u64))
}

impl Snapshot {
    fn verdict(&self, s: &LoginThrottleSettings, now: i64) -> Result<(), Duration> {
        let delays = [
            self.pair.and_then(|(n, last)| {
                failure_delay(n, ago(now, last), s.free_attempts, s.max_delay)
            }),
            self.source.and_then(|(n, last)| {
                failure_delay(n, ago(now, last), s.source_free_attempts, s.max_delay)
            }),
            self.account.1.and_then(|oldest| {
                account_cap_wait(
                    self.account.0,
                    ago(now, oldest),
                    s.account_failures_per_hour,
                    self.known,
                )
            }),
        ];
        match delays.into_iter().flatten().max() {
            Some(wait) => Err(wait),
            None => Ok(()),
        }
    }
}

impl Limits {
    /// The store the settings call for: Redis when `REDIS_URL` is set, else
    /// PostgreSQL when the database is one, else memory.
    pub async fn connect(
        settings: &Settings,
        db: &crate::server::db::Db,
    ) -> anyhow::Result<Limits> {
        let throttle = settings.login_throttle;
        if let Some(url) = &settings.redis_url {
            let client = redis::Client::open(url.expose_secret())
                .map_err(|e| anyhow::anyhow!("REDIS_URL: {e}"))?;
            let config = redis::aio::ConnectionManagerConfig::new()
                .set_connection_timeout(Duration::from_secs(5))
                .set_response_timeout(Duration::from_secs(2))
                .set_number_of_retries(2);
            let conn = client
                .get_connection_manager_with_config(config)
                .await
                .map_err(|e| anyhow::anyhow!("cannot reach Redis at REDIS_URL: {e}"))?;
            return Ok(Limits::Redis {
                conn,
                settings: throttle,
                prefix: settings.redis_key_prefix.clone(),
            });
        }
        Ok(match db.pool() {
            crate::server::db::Pool::Postgres(pool) => Limits::Postgres {
                pool: pool.clone(),
                settings: throttle,
            },
            crate::server::db::Pool::Sqlite(_) => Limits::Memory {
                limiter: RateLimiter::default(),
                throttle: Box::new(LoginThrottle::new(throttle)),
            },
        })
    }

    /// Where the counts are kept, for `/health` and the start-up log.
    /// The number of rate-limit counters kept in memory (`None` for the shared
    /// stores, whose rows or keys expire by themselves).
    pub fn memory_counters(&self) -> Option<usize> {
        match self {
            Limits::Memory { limiter, .. } => Some(limiter.len()),
            _ => None,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Limits::Memory { .. } => "memory",
            Limits::Postgres { .. } => "postgresql",
            Limits::Redis { .. } => "redis",
        }
    }

    /// Count one request of `class` by `key`; `Err(retry_after)` when over the
    /// limit. If the shared store cannot be reached the request is let through
    /// (and the failure logged): an outage of the limiter must not become an
    /// outage of the service.
    pub async fn hit(&self, class: Class, key: &str, rate: Rate) -> Result<(), Duration> {
        let now = now_ms();
        let (start, left) = window(rate, now);
        let count = match self {
            Limits::Memory { limiter, .. } => return limiter.hit(class, key, rate),
            Limits::Postgres { pool, .. } => sqlx::query_scalar::<_, i32>(
                "INSERT INTO rate_windows (class, key, window_start, count)
                     VALUES ($1, $2, $3, 1)
                     ON CONFLICT (class, key) DO UPDATE SET
                       count = CASE WHEN rate_windows.window_start >= EXCLUDED.window_start
                                    THEN rate_windows.count + 1 ELSE 1 END,
                       window_start = GREATEST(rate_windows.window_start, EXCLUDED.window_start)
                     RETURNING count",
            )
            .bind(class.as_str())
            .bind(key)
            .bind(start)
            .fetch_one(pool)
            .await
            .map(|n| n.max(0) as u64)
            .map_err(anyhow::Error::from),
            Limits::Redis { conn, prefix, .. } => {
                let k = format!("{prefix}:rate:{}:{}:{start}", class.as_str(), digest(key));
                redis::pipe()
                    .atomic()
                    .incr(&k, 1u64)
                    .pexpire(&k, (left.as_millis() as i64) + 1000)
                    .ignore()
                    .query_async::<(u64,)>(&mut conn.clone())
                    .await
                    .map(|(n,)| n)
                    .map_err(anyhow::Error::from)
            }
        };
        match count {
            Ok(n) if n > u64::from(rate.limit) => Err(left),
            Ok(_) => Ok(()),
            Err(e) => {
                tracing::error!(error = %e, store = self.kind(), "rate-limit store failed; request let through");
                Ok(())
            }
        }
    }

    /// Whether a password (or second-factor) verification for `account` from `ip`
    /// may run now: `Ok(Err(retry_after))` if not; `Err` when the store cannot be
    /// read (the caller refuses the attempt: a brake that cannot be checked is on).
    pub async fn login_check(
        &self,
        account: &str,
        ip: Option<IpAddr>,
    ) -> anyhow::Result<Result<(), Duration>> {
        let ip = ip_or_unknown(ip);
        let now = now_ms();
        let hour_ago = now - FAILURE_MEMORY.as_millis() as i64;
        let (snapshot, settings) = match self {
            Limits::Memory { throttle, .. } => return Ok(throttle.check(account, Some(ip))),
            Limits::Postgres { pool, settings } => {
                let row: PgSnapshot =
                    sqlx::query_as(
                        "SELECT
                           (SELECT failures FROM login_throttle WHERE scope = 'pair' AND key = $1),
                           (SELECT last_ms FROM login_throttle WHERE scope = 'pair' AND key = $1),
                           (SELECT failures FROM login_throttle WHERE scope = 'source' AND key = $2),
                           (SELECT last_ms FROM login_throttle WHERE scope = 'source' AND key = $2),
                           (SELECT COUNT(*) FROM login_account_failures WHERE account = $3 AND at_ms > $4),
                           (SELECT MIN(at_ms) FROM login_account_failures WHERE account = $3 AND at_ms > $4),
                           EXISTS (SELECT 1 FROM login_known_sources WHERE account = $3 AND source = $2)",
                    )
                    .bind(pair_key(account, ip))
                    .bind(ip.to_string())
                    .bind(digest(account))
                    .bind(hour_ago)
                    .fetch_one(pool)
                    .await?;
                let snapshot = Snapshot {
                    pair: row.0.zip(row.1).map(|(n, t)| (n.max(0) as u32, t)),
                    source: row.2.zip(row.3).map(|(n, t)| (n.max(0) as u32, t)),
                    account: (row.4.max(0) as u32, row.5),
                    known: row.6,
                };
                (snapshot, settings)
            }
            Limits::Redis {
                conn,
                settings,
                prefix,
            } => {
                let keys = RedisKeys::new(prefix, account, ip);
                #[allow(clippy::type_complexity)]
                let (pair, source, count, oldest, known): (
                    (Option<u32>, Option<i64>),
                    (Option<u32>, Option<i64>),
                    u32,
                    Vec<(String, i64)>,
                    bool,
                ) = redis::pipe()
                    .cmd("HMGET")
                    .arg(&keys.pair)
                    .arg("count")
                    .arg("last")
                    .cmd("HMGET")
                    .arg(&keys.source)
                    .arg("count")
                    .arg("last")
                    .zrembyscore(&keys.account, "-inf", hour_ago)
                    .ignore()
                    .zcard(&keys.account)
                    .zrange_withscores(&keys.account, 0, 0)
                    .sismember(&keys.known, ip.to_string())
                    .query_async(&mut conn.clone())
                    .await?;
                let snapshot = Snapshot {
                    pair: pair.0.zip(pair.1),
                    source: source.0.zip(source.1),
                    account: (count, oldest.first().map(|(_, t)| *t)),
                    known,
                };
                (snapshot, settings)
            }
        };
        Ok(snapshot.verdict(settings, now))
    }

    /// Record a failed verification. A store error is logged: the failure is
    /// already audited, and the next check fails closed if the store is down.
    pub async fn login_failure(&self, account: &str, ip: Option<IpAddr>) {
        let ip = ip_or_unknown(ip);
        let now = now_ms();
        let hour_ago = now - FAILURE_MEMORY.as_millis() as i64;
        let result: anyhow::Result<()> = match self {
            Limits::Memory { throttle, .. } => {
                throttle.failure(account, Some(ip));
                Ok(())
            }
            Limits::Postgres { pool, .. } => sqlx::query(
                "WITH pair AS (
                   INSERT INTO login_throttle (scope, key, failures, last_ms) VALUES ('pair', $1, 1, $4)
                   ON CONFLICT (scope, key) DO UPDATE SET
                     failures = CASE WHEN login_throttle.last_ms < $5 THEN 1 ELSE login_throttle.failures + 1 END,
                     last_ms = $4
                 ), source AS (
                   INSERT INTO login_throttle (scope, key, failures, last_ms) VALUES ('source', $2, 1, $4)
                   ON CONFLICT (scope, key) DO UPDATE SET
                     failures = CASE WHEN login_throttle.last_ms < $5 THEN 1 ELSE login_throttle.failures + 1 END,
                     last_ms = $4
                 )
                 INSERT INTO login_account_failures (account, at_ms) VALUES ($3, $4)",
            )
            .bind(pair_key(account, ip))
            .bind(ip.to_string())
            .bind(digest(account))
            .bind(now)
            .bind(hour_ago)
            .execute(pool)
            .await
            .map(|_| ())
            .map_err(Into::into),
            Limits::Redis { conn, prefix, .. } => {
                let keys = RedisKeys::new(prefix, account, ip);
                let ttl = FAILURE_MEMORY.as_millis() as i64;
                let member = format!("{now}:{:016x}", rand::random::<u64>());
                redis::pipe()
                    .atomic()
                    .hincr(&keys.pair, "count", 1)
                    .hset(&keys.pair, "last", now)
                    .pexpire(&keys.pair, ttl)
                    .hincr(&keys.source, "count", 1)
                    .hset(&keys.source, "last", now)
                    .pexpire(&keys.source, ttl)
                    .zadd(&keys.account, member, now)
                    .pexpire(&keys.account, ttl)
                    .ignore()
                    .query_async::<()>(&mut conn.clone())
                    .await
                    .map_err(Into::into)
            }
        };
        if let Err(e) = result {
            tracing::error!(error = %e, store = self.kind(), "could not record a login failure");
        }
    }

    /// Record a successful verification: the pair's delay ends and the source
    /// becomes known to the account.
    pub async fn login_success(&self, account: &str, ip: Option<IpAddr>) {
        let ip = ip_or_unknown(ip);
        let result: anyhow::Result<()> = match self {
            Limits::Memory { throttle, .. } => {
                throttle.success(account, Some(ip));
                Ok(())
            }
            Limits::Postgres { pool, .. } => sqlx::query(
                "WITH cleared AS (
                   DELETE FROM login_throttle WHERE scope = 'pair' AND key = $1
                 )
                 INSERT INTO login_known_sources (account, source)
                 SELECT $2, $3
                 WHERE (SELECT COUNT(*) FROM login_known_sources WHERE account = $2) < $4
                 ON CONFLICT DO NOTHING",
            )
            .bind(pair_key(account, ip))
            .bind(digest(account))
            .bind(ip.to_string())
            .bind(KNOWN_SOURCES_MAX)
            .execute(pool)
            .await
            .map(|_| ())
            .map_err(Into::into),
            Limits::Redis { conn, prefix, .. } => {
                let keys = RedisKeys::new(prefix, account, ip);
                let mut conn = conn.clone();
                async {
                    let (known,): (i64,) = redis::pipe()
                        .del(&keys.pair)
                        .ignore()
                        .scard(&keys.known)
                        .query_async(&mut conn)
                        .await?;
                    let mut pipe = redis::pipe();
                    if known < KNOWN_SOURCES_MAX {
                        pipe.sadd(&keys.known, ip.to_string()).ignore();
                    }
                    pipe.pexpire(&keys.known, KNOWN_SOURCE_MEMORY.as_millis() as i64)
                        .ignore()
                        .query_async::<()>(&mut conn)
                        .await
                }
                .await
                .map_err(Into::into)
            }
        };
        if let Err(e) = result {
            tracing::error!(error = %e, store = self.kind(), "could not record a login success");
        }
    }

    /// Delete what can no longer matter (PostgreSQL; memory and Redis forget by
    /// themselves). Run hourly.
    pub async fn purge(&self) {
        let Limits::Postgres { pool, .. } = self else {
            return;
        };
        let now = now_ms();
        let hour_ago = now - FAILURE_MEMORY.as_millis() as i64;
        let day_ago = now - 86_400_000;
        let result = sqlx::query(
            "WITH a AS (DELETE FROM login_throttle WHERE last_ms < $1),
                  b AS (DELETE FROM login_account_failures WHERE at_ms < $1)
             DELETE FROM rate_windows WHERE window_start < $2",
        )
        .bind(hour_ago)
        .bind(day_ago)
        .execute(pool)
        .await;
        if let Err(e) = result {
            tracing::warn!(error = %e, "could not purge old rate-limit rows");
        }
    }
}

fn pair_key(account: &str, ip: IpAddr) -> String {
    format!("{}@{ip}", digest(account))
}

struct RedisKeys {
    pair: String,
    source: String,
    account: String,
    known: String,
}

impl RedisKeys {
    fn new(prefix: &str, account: &str, ip: IpAddr) -> RedisKeys {
        let a = digest(account);
        RedisKeys {
            pair: format!("{prefix}:login:pair:{a}:{ip}"),
            source: format!("{prefix}:login:source:{ip}"),
            account: format!("{prefix}:login:account:{a}"),
            known: format!("{prefix}:login:known:{a}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> LoginThrottleSettings {
        LoginThrottleSettings {
            free_attempts: 3,
            source_free_attempts: 10,
            max_delay: Duration::from_secs(900),
            account_failures_per_hour: 6,
        }
    }

    #[test]
    fn windows_are_aligned_so_every_instance_counts_in_the_same_one() {
        let rate = Rate::new(10, 60);
        let (a, left_a) = window(rate, 120_000 + 5_000);
        let (b, left_b) = window(rate, 120_000 + 59_999);
        assert_eq!(a, 120_000);
        assert_eq!(a, b);
        assert_eq!(left_a, Duration::from_secs(55));
        assert_eq!(left_b, Duration::from_millis(1));
        assert_eq!(window(rate, 180_000).0, 180_000);
    }

    #[test]
    fn the_longest_of_the_delays_wins() {
        let now = 10_000_000;
        let s = settings();
        assert!(Snapshot::default().verdict(&s, now).is_ok());
        let pair = Snapshot {
            pair: Some((4, now)),
            ..Default::default()
        };
        assert_eq!(pair.verdict(&s, now), Err(Duration::from_secs(2)));
        let capped = Snapshot {
            pair: Some((4, now)),
            account: (6, Some(now - 600_000)),
            ..Default::default()
        };
        assert_eq!(capped.verdict(&s, now), Err(Duration::from_secs(3000)));
        let known = Snapshot {
            known: true,
            ..capped
        };
        assert_eq!(known.verdict(&s, now), Err(Duration::from_secs(2)));
        let stale = Snapshot {
            pair: Some((4, now - 3_700_000)),
            ..Default::default()
        };
        assert!(stale.verdict(&s, now).is_ok());
    }
}
