//! One database abstraction over SQLite and PostgreSQL.
//!
//! The backend is chosen from the `DATABASE_URL` scheme at start. SQL that is the same
//! for both is written once and run through [`on_pool!`] / [`on_tx!`], which expand the
//! same code for each driver; only dialect differences get two texts.

pub mod admin;
pub mod api_keys;
pub mod audit;
pub mod audit_sinks;
pub mod conversations;
pub mod documents;
pub mod email_confirmations;
pub mod export;
pub mod groups;
pub mod identities;
pub mod password_resets;
pub mod quotas;
pub mod share_links;
pub mod spaces;
pub mod tokens;
pub mod two_factor;
pub mod users;

use crate::server::{config::DatabaseSettings, crypto::AuditKeys};
use secrecy::ExposeSecret;
use sqlx::{
    postgres::{PgConnectOptions, PgPoolOptions},
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
    PgPool, Postgres, Sqlite, SqlitePool, Transaction,
};
use std::{
    fmt,
    str::FromStr,
    sync::{Arc, Mutex},
};

/// The pool, the key every audit event appended through it is MACed with, and
/// whether writes are refused because the audit trail cannot be delivered
/// (`AUDIT_FAIL_CLOSED`).
#[derive(Clone, Debug)]
pub struct Db {
    pool: Pool,
    audit_keys: AuditKeys,
    writes_refused: Arc<Mutex<Option<String>>>,
}

#[derive(Clone, Debug)]
pub enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        })
    }
}

/// A write transaction on either backend.
pub struct Tx {
    conn: TxConn,
    audit_keys: AuditKeys,
}

pub enum TxConn {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// Run the same code against whichever pool `db` holds.
#[macro_export]
macro_rules! on_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db.pool() {
            $crate::server::db::Pool::Sqlite($pool) => $body,
            $crate::server::db::Pool::Postgres($pool) => $body,
        }
    };
}

/// Run the same code against whichever connection the transaction holds.
#[macro_export]
macro_rules! on_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match $tx.conn_mut() {
            $crate::server::db::TxConn::Sqlite(t) => {
                let $conn = &mut **t;
                $body
            }
            $crate::server::db::TxConn::Postgres(t) => {
                let $conn = &mut **t;
                $body
            }
        }
    };
}

/// Database errors as the rest of the app sees them: never matched on strings.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<sqlx::Error> for DbError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => DbError::NotFound,
            sqlx::Error::Database(d) if d.is_unique_violation() => {
                DbError::Conflict(d.constraint().unwrap_or("unique").to_string())
            }
            _ => DbError::Other(anyhow::Error::new(e)),
        }
    }
}

/// The audit trail cannot be written (the event's insert failed, or
/// `AUDIT_FAIL_CLOSED` refuses writes while a sink is down): the state change
/// it belonged to is not made, and the request gets 503.
#[derive(Debug, thiserror::Error)]
#[error("the audit trail cannot be written: {0}")]
pub struct AuditTrailDown(pub String);

/// Whether an error means the database is out of reach (down, restarting, the
/// network between us, the pool exhausted) or the audit trail cannot be written,
/// rather than a fault in the request or in our code: such requests get 503 and
/// can be repeated (nothing was changed).
pub fn is_outage(e: &anyhow::Error) -> bool {
    fn sqlx_outage(e: &sqlx::Error) -> bool {
        match e {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed => true,
            // Class 08: connection exception; 57P01-57P03: the server is shutting
            // down, was shut down, or is starting.
            sqlx::Error::Database(d) => d
                .code()
                .is_some_and(|c| c.starts_with("08") || c.starts_with("57P")),
            _ => false,
        }
    }
    e.downcast_ref::<AuditTrailDown>().is_some()
        || e.chain().any(|cause| {
            cause.downcast_ref::<sqlx::Error>().is_some_and(sqlx_outage)
                || cause.downcast_ref::<std::io::Error>().is_some()
                || cause.downcast_ref::<AuditTrailDown>().is_some()
                || match cause.downcast_ref::<DbError>() {
                    Some(DbError::Other(inner)) => is_outage(inner),
                    _ => false,
                }
        })
}

/// Why the database could not be opened, worded for the operator.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    DataDir(#[from] crate::server::startup_io::StartupIoError),
    #[error("DATABASE_URL ({url}) cannot be used: {cause}. Use sqlite://path/to/motto.db or postgres://user:password@host:5432/motto.")]
    BadUrl { url: String, cause: String },
    #[error(
        "Cannot connect to the database at {url}: {cause}. Check that the server is running and reachable, and that DATABASE_URL names the right host, port, user, password and database."
    )]
    Connect { url: String, cause: String },
    #[error(
        "A database migration failed ({cause}). Nothing of the failed migration was kept (each runs in its own transaction). Fix the cause (disk space, permissions, a database changed by hand) and start again; `motto migrate` retries."
    )]
    Migrate { cause: String },
}

/// "motto" in ASCII: the advisory lock key for start-up migrations.
const STARTUP_LOCK_KEY: i64 = 0x6d_6f_74_74_6f;

/// See [`Db::startup_lock`]. Released by [`StartupLock::release`], or by closing
/// its connection when dropped.
pub struct StartupLock(Option<sqlx::PgConnection>);

impl StartupLock {
    pub async fn release(mut self) {
        if let Some(conn) = self.0.take() {
            use sqlx::Connection;
            // Closing the session releases every lock it holds.
            if let Err(e) = conn.close().await {
                tracing::warn!(error = %e, "closing the start-up lock connection failed");
            }
        }
    }
}

fn cause_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// SQLite changes a column's constraints by rebuilding its table (migration
/// 0018), and with foreign keys on, dropping the old table would delete every
/// row that refers to it. So, as SQLite's own procedure says, the migrations run
/// with foreign keys off (they cannot be switched inside a transaction), and are
/// checked afterwards. A connection that fails on the way is closed, never
/// returned to the pool with its foreign keys off.
async fn migrate_sqlite(pool: &sqlx::SqlitePool) -> Result<(), String> {
    let mut conn = pool.acquire().await.map_err(|e| cause_chain(&e))?;
    let outcome = migrate_sqlite_on(&mut conn).await;
    if outcome.is_err() {
        use sqlx::Connection;
        let _ = conn.detach().close().await;
    }
    outcome
}

async fn migrate_sqlite_on(conn: &mut sqlx::SqliteConnection) -> Result<(), String> {
    let sql_error = |e: sqlx::Error| cause_chain(&e);
    sqlx::query("PRAGMA foreign_keys = OFF")
        .execute(&mut *conn)
        .await
        .map_err(sql_error)?;
    sqlx::migrate!("migrations/sqlite")
        .run(&mut *conn)
        .await
        .map_err(|e| cause_chain(&e))?;
    let broken: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pragma_foreign_key_check")
        .fetch_one(&mut *conn)
        .await
        .map_err(sql_error)?;
    if broken > 0 {
        return Err(format!(
            "after migrating, {broken} rows refer to rows that do not exist (`PRAGMA foreign_key_check` lists them)"
        ));
    }
    sqlx::query("PRAGMA foreign_keys = ON")
        .execute(&mut *conn)
        .await
        .map_err(sql_error)?;
    Ok(())
}

impl Db {
    /// Open the pool named by the settings. SQLite files (and their directory) are
    /// created when missing; PostgreSQL must already exist.
    pub async fn connect(settings: &DatabaseSettings) -> Result<Db, StartError> {
        let raw = settings.url.expose_secret();
        let redacted = settings.redacted_url();
        if settings.is_sqlite() {
            let options = SqliteConnectOptions::from_str(raw)
                .map_err(|e| StartError::BadUrl {
                    url: redacted.clone(),
                    cause: cause_chain(&e),
                })?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(settings.sqlite_busy_timeout);
            let path = options.get_filename().to_path_buf();
            if path.as_os_str() != ":memory:" {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    crate::server::startup_io::ensure_writable_dir("DATABASE_URL", dir)?;
                }
            }
            let pool = SqlitePoolOptions::new()
                .max_connections(settings.max_connections)
                .min_connections(settings.min_connections)
                .acquire_timeout(settings.acquire_timeout)
                .connect_with(options)
                .await
                .map_err(|e| StartError::Connect {
                    url: redacted,
                    cause: cause_chain(&e),
                })?;
            Ok(Db::from_pool(
                Pool::Sqlite(pool),
                settings.audit_keys.clone(),
            ))
        } else {
            let options = PgConnectOptions::from_str(raw).map_err(|e| StartError::BadUrl {
                url: redacted.clone(),
                cause: cause_chain(&e),
            })?;
            let pool = PgPoolOptions::new()
                .max_connections(settings.max_connections)
                .min_connections(settings.min_connections)
                .acquire_timeout(settings.acquire_timeout)
                .connect_with(options)
                .await
                .map_err(|e| StartError::Connect {
                    url: redacted,
                    cause: cause_chain(&e),
                })?;
            Ok(Db::from_pool(
                Pool::Postgres(pool),
                settings.audit_keys.clone(),
            ))
        }
    }

    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// A `Db` over a pool opened elsewhere (a backup being checked, a test).
    pub fn from_pool(pool: Pool, audit_keys: AuditKeys) -> Db {
        Db {
            pool,
            audit_keys,
            writes_refused: Arc::default(),
        }
    }

    /// Refuse every write transaction, saying why (`Some`), or accept them again
    /// (`None`). Returns whether that changed anything.
    pub fn refuse_writes(&self, reason: Option<String>) -> bool {
        let mut current = self
            .writes_refused
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let changed = current.is_some() != reason.is_some();
        *current = reason;
        changed
    }

    /// Why writes are refused, if they are.
    pub fn writes_refused(&self) -> Option<String> {
        self.writes_refused
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// The keys audit events are MACed and checkpoints checked with.
    pub fn audit_keys(&self) -> &AuditKeys {
        &self.audit_keys
    }

    /// Apply pending migrations. Each migration runs in its own transaction, so a
    /// failure leaves no half-applied schema; on PostgreSQL an advisory lock lets
    /// several instances start at once.
    pub async fn migrate(&self) -> Result<(), StartError> {
        let result = match &self.pool {
            Pool::Sqlite(pool) => migrate_sqlite(pool).await,
            Pool::Postgres(pool) => sqlx::migrate!("migrations/postgres")
                .run(pool)
                .await
                .map_err(|e| cause_chain(&e)),
        };
        result.map_err(|cause| StartError::Migrate { cause })
    }

    /// PostgreSQL, run as the owner after migrating: give the application role
    /// what the server needs and nothing more. It reads and writes the
    /// application's tables; on the audit tables it may only read and insert
    /// (no UPDATE, DELETE or TRUNCATE, and it owns nothing, so it cannot disable
    /// a trigger); the chain head moves only through the owner's functions.
    /// Safe to run again (every migration run re-applies it).
    pub async fn grant_app_role(&self, role: &str) -> Result<(), StartError> {
        let Pool::Postgres(pool) = &self.pool else {
            return Ok(());
        };
        let r = format!("\"{}\"", role.replace('"', "\"\""));
        let statements = [
            format!("GRANT USAGE ON SCHEMA public TO {r}"),
            format!("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {r}"),
            format!("GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {r}"),
            format!("REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON audit_chain_head FROM {r}"),
            format!(
                "REVOKE UPDATE, DELETE, TRUNCATE ON audit_events, audit_checkpoints, audit_checks FROM {r}"
            ),
            format!("REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON audit_prunes FROM {r}"),
            format!("REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON _sqlx_migrations FROM {r}"),
            format!(
                "GRANT EXECUTE ON FUNCTION audit_reserve(BIGINT), audit_link(BIGINT, TEXT, TEXT), audit_lock_tip(), \
                 audit_prune(BIGINT, BIGINT, TEXT, TEXT), \
                 audit_append(BIGINT, TIMESTAMPTZ, BIGINT, BIGINT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT) TO {r}"
            ),
            format!("GRANT USAGE ON SCHEMA tower_sessions TO {r}"),
            format!(
                "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA tower_sessions TO {r}"
            ),
        ];
        let fail = |e: sqlx::Error| StartError::Migrate {
            cause: format!(
                "cannot grant the application role {role} its rights: {}",
                cause_chain(&e)
            ),
        };
        let mut tx = pool.begin().await.map_err(fail)?;
        for sql in &statements {
            sqlx::query(sql).execute(&mut *tx).await.map_err(fail)?;
        }
        tx.commit().await.map_err(fail)
    }

    /// Hold the start-up lock while this instance migrates, so several instances
    /// starting at once on one PostgreSQL database take turns (sqlx's own lock
    /// covers only its migrations, not the session store's table). The lock lives
    /// on a connection of its own, outside the pool: a small pool cannot starve
    /// it, and if this process dies the server drops the lock with the connection.
    /// SQLite needs none: `serve` holds a lock file for the database.
    pub async fn startup_lock(&self) -> Result<StartupLock, StartError> {
        let Pool::Postgres(pool) = &self.pool else {
            return Ok(StartupLock(None));
        };
        use sqlx::Connection;
        let fail = |e: sqlx::Error| StartError::Migrate {
            cause: format!("cannot take the start-up lock: {}", cause_chain(&e)),
        };
        let mut conn = sqlx::PgConnection::connect_with(&pool.connect_options())
            .await
            .map_err(fail)?;
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(STARTUP_LOCK_KEY)
            .execute(&mut conn)
            .await
            .map_err(fail)?;
        Ok(StartupLock(Some(conn)))
    }

    /// A cheap round trip, for readiness checks.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        on_pool!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))
    }

    /// Keep SQLite's query-planner statistics fresh: `PRAGMA optimize` analyzes
    /// the tables that changed much since they were last analyzed (`0x10002`:
    /// every table, not only those this connection planned queries on). Stale
    /// statistics made SQLite scan every document for a page of fifty. Run at
    /// start and hourly; PostgreSQL's autovacuum does the same by itself.
    pub async fn optimize(&self) -> Result<(), sqlx::Error> {
        if let Pool::Sqlite(pool) = &self.pool {
            sqlx::query("PRAGMA optimize=0x10002").execute(pool).await?;
        }
        Ok(())
    }

    /// Begin a write transaction. On SQLite it takes the write lock up front
    /// (`BEGIN IMMEDIATE`), so a transaction that reads before it writes cannot fail
    /// with a busy snapshot when another writer commits in between.
    ///
    /// While the audit trail cannot be delivered and `AUDIT_FAIL_CLOSED` is on,
    /// it fails with [`AuditTrailDown`] (the request gets 503, nothing is
    /// changed).
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        if let Some(reason) = self.writes_refused() {
            return Err(sqlx::Error::Configuration(Box::new(AuditTrailDown(reason))));
        }
        self.begin_unguarded().await
    }

    /// [`Db::begin`] even while writes are refused: for sealing the audit log,
    /// which is how it recovers.
    pub async fn begin_unguarded(&self) -> Result<Tx, sqlx::Error> {
        let conn = match &self.pool {
            Pool::Sqlite(pool) => TxConn::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Pool::Postgres(pool) => TxConn::Postgres(pool.begin().await?),
        };
        Ok(Tx {
            conn,
            audit_keys: self.audit_keys.clone(),
        })
    }

    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await)
    }

    /// Whether [`Db::close`] was called (background work stops then).
    pub fn is_closed(&self) -> bool {
        on_pool!(self, pool => pool.is_closed())
    }
}

impl Tx {
    pub fn conn_mut(&mut self) -> &mut TxConn {
        &mut self.conn
    }

    pub fn audit_keys(&self) -> &AuditKeys {
        &self.audit_keys
    }

    pub fn backend(&self) -> Backend {
        match self.conn {
            TxConn::Sqlite(_) => Backend::Sqlite,
            TxConn::Postgres(_) => Backend::Postgres,
        }
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self.conn {
            TxConn::Sqlite(t) => t.commit().await,
            TxConn::Postgres(t) => t.commit().await,
        }
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        match self.conn {
            TxConn::Sqlite(t) => t.rollback().await,
            TxConn::Postgres(t) => t.rollback().await,
        }
    }
}
