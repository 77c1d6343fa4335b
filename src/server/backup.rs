//! `motto backup PATH` and `motto restore PATH` for SQLite. A backup is taken
//! online with `VACUUM INTO` (one consistent snapshot, while the server keeps
//! serving), then checked: SQLite's integrity check and the audit chain. A restore
//! checks the file the same way, refuses while a server has the database open,
//! keeps the current database beside it, and migrates the restored one.
//! PostgreSQL has pg_dump / pg_restore for this (see the README).

use super::{
    config::Settings,
    crypto::AuditKeys,
    db::{audit, Db, Pool},
};
use secrecy::ExposeSecret;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use std::{
    path::{Path, PathBuf},
    process::ExitCode,
    str::FromStr,
};

const PG_HINT: &str = "On PostgreSQL, back up with pg_dump and restore with pg_restore, e.g. \
                       `pg_dump --format=custom --file=motto.dump \"$DATABASE_URL\"` \
                       (see \"Backups\" in the README).";

/// The database file of a SQLite URL.
pub fn sqlite_file(settings: &Settings) -> anyhow::Result<PathBuf> {
    let options = SqliteConnectOptions::from_str(settings.database.url.expose_secret())?;
    Ok(options.get_filename().to_path_buf())
}

/// The lock a running server holds on its SQLite database (beside the file), so
/// `restore` can tell that it must wait. Released when the file handle is dropped.
pub fn lock_path(db_file: &Path) -> PathBuf {
    let mut name = db_file.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// Take the instance lock; `None` for PostgreSQL and in-memory databases.
pub fn take_instance_lock(settings: &Settings) -> anyhow::Result<Option<std::fs::File>> {
    if !settings.database.is_sqlite() {
        return Ok(None);
    }
    let file = sqlite_file(settings)?;
    if file.as_os_str() == ":memory:" {
        return Ok(None);
    }
    let path = lock_path(&file);
    let subject = || super::startup_io::absolute(&path).display().to_string();
    let fix = "Motto keeps this lock file beside its SQLite database: make that directory writable, or set DATA_DIR / DATABASE_URL to a writable place";
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| {
            super::startup_io::StartupIoError::new(subject(), "create the lock file", &e, fix)
        })?;
    match lock.try_lock() {
        Ok(()) => Ok(Some(lock)),
        Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
            "another Motto is already using {} (one server per SQLite database; use PostgreSQL for several)",
            super::startup_io::absolute(&file).display()
        ),
        Err(std::fs::TryLockError::Error(e)) => Err(super::startup_io::StartupIoError::new(
            subject(),
            "lock",
            &e,
            fix,
        )
        .into()),
    }
}

/// Open a database file read-only and check it: SQLite's integrity check, Motto's
/// tables, and the audit chain. The number of audit events on success.
async fn check(file: &Path, audit_keys: &AuditKeys) -> anyhow::Result<i64> {
    let options = SqliteConnectOptions::new()
        .filename(file)
        .read_only(true)
        .create_if_missing(false);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "{} cannot be opened as a SQLite database: {e}",
                file.display()
            )
        })?;
    let result = async {
        let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(&pool)
            .await
            .map_err(|e| anyhow::anyhow!("{} is not a readable SQLite database: {e}", file.display()))?;
        anyhow::ensure!(integrity == "ok", "{} fails SQLite's integrity check: {integrity}", file.display());
        let tables: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('_sqlx_migrations', 'users', 'audit_events')",
        )
        .fetch_one(&pool)
        .await?;
        anyhow::ensure!(tables == 3, "{} is not a Motto database (its tables are missing)", file.display());
        let db = Db::from_pool(Pool::Sqlite(pool.clone()), audit_keys.clone());
        let report = audit::verify(&db).await?;
        if let Some(broken) = report.first_broken {
            anyhow::bail!(
                "the audit chain in {} is broken at event {}: {}",
                file.display(),
                broken.id,
                broken.reason
            );
        }
        Ok(report.rows)
    }
    .await;
    pool.close().await;
    result
}

pub async fn backup(settings: &Settings, dest: &Path) -> anyhow::Result<ExitCode> {
    if !settings.database.is_sqlite() {
        eprintln!("motto backup works on SQLite. {PG_HINT}");
        return Ok(ExitCode::from(2));
    }
    // Claimed empty and private before SQLite writes into it (VACUUM INTO takes
    // an empty file): a backup holds every account's data and is readable by its
    // owner only, from the first byte.
    let claimed = {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        options.open(dest)
    };
    if let Err(e) = claimed {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            anyhow::bail!(
                "{} already exists: choose a new file name (a backup never overwrites)",
                dest.display()
            );
        }
        return Err(super::startup_io::StartupIoError::new(
            super::startup_io::absolute(dest).display().to_string(),
            "create the backup",
            &e,
            "choose a directory you can write in",
        )
        .into());
    }
    let db = match Db::connect(&settings.database).await {
        Ok(db) => db,
        Err(e) => {
            let _ = std::fs::remove_file(dest);
            return Err(e.into());
        }
    };
    let Pool::Sqlite(pool) = db.pool() else {
        anyhow::bail!("motto backup works on SQLite. {PG_HINT}");
    };
    let dest_text = dest
        .to_str()
        .ok_or_else(|| anyhow::anyhow!("the backup path must be valid UTF-8"))?;
    // One read transaction: a consistent copy while other connections keep writing.
    sqlx::query("VACUUM INTO $1")
        .bind(dest_text)
        .execute(pool)
        .await
        .map_err(|e| {
            let _ = std::fs::remove_file(dest);
            anyhow::anyhow!("the backup could not be written to {}: {e}", dest.display())
        })?;
    let events = match check(dest, &settings.database.audit_keys).await {
        Ok(n) => n,
        Err(e) => {
            let _ = std::fs::remove_file(dest);
            db.close().await;
            return Err(e.context("the backup did not pass its checks and was removed"));
        }
    };
    let bytes = std::fs::metadata(dest)?.len();
    let event = audit::NewEvent::new("system.backup", audit::Outcome::Success)
        .details(serde_json::json!({ "bytes": bytes, "audit_events": events }));
    audit::record_now(&db, &audit::AuditContext::default(), event).await?;
    db.close().await;
    println!(
        "Backup written to {} ({bytes} bytes): integrity ok, audit chain verifies ({events} events).",
        dest.display()
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn restore(settings: &Settings, src: &Path, yes: bool) -> anyhow::Result<ExitCode> {
    if !settings.database.is_sqlite() {
        eprintln!("motto restore works on SQLite. {PG_HINT}");
        return Ok(ExitCode::from(2));
    }
    let events = check(src, &settings.database.audit_keys).await?;
    let target = sqlite_file(settings)?;
    let _lock = take_instance_lock(settings)
        .map_err(|e| anyhow::anyhow!("{e}: stop Motto before restoring"))?;
    let mut kept = None;
    if target.exists() {
        if !yes {
            eprintln!(
                "{} exists. Run again with --yes to replace it (it is kept beside as a .before-restore file).",
                target.display()
            );
            return Ok(ExitCode::from(2));
        }
        let mut name = target.as_os_str().to_owned();
        name.push(format!(
            ".before-restore-{}",
            chrono::Utc::now().format("%Y%m%d%H%M%S")
        ));
        let aside = PathBuf::from(name);
        std::fs::rename(&target, &aside)?;
        kept = Some(aside);
    }
    // A write-ahead log left from the old database must not be applied to the new one.
    for suffix in ["-wal", "-shm"] {
        let mut name = target.as_os_str().to_owned();
        name.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(name));
    }
    let mut tmp = target.as_os_str().to_owned();
    tmp.push(".restoring");
    let tmp = PathBuf::from(tmp);
    std::fs::copy(src, &tmp)?;
    std::fs::File::open(&tmp)?.sync_all()?;
    std::fs::rename(&tmp, &target)?;
    // A backup from an older Motto is brought up to date.
    let db = Db::connect(&settings.database).await?;
    db.migrate().await?;
    let event = audit::NewEvent::new("system.restore", audit::Outcome::Success)
        .details(serde_json::json!({ "audit_events": events }));
    audit::record_now(&db, &audit::AuditContext::default(), event).await?;
    db.close().await;
    println!(
        "Restored {} from {} (audit chain verifies, {events} events).{}",
        target.display(),
        src.display(),
        kept.map(|k| format!(" The previous database is kept as {}.", k.display()))
            .unwrap_or_default()
    );
    Ok(ExitCode::SUCCESS)
}
