//! Where Motto keeps its data: the data directory and the database (SQLite by
//! default, PostgreSQL by URL) with its pool.

use super::{reader::Reader, secrets::redact_url, DatabaseSettings};
use crate::server::crypto::AuditKeys;
use secrecy::SecretString;
use std::{
    path::{Path, PathBuf},
    time::Duration,
};
use url::Url;

pub(super) fn read_data_dir(r: &mut Reader) -> PathBuf {
    PathBuf::from(r.raw("DATA_DIR").unwrap_or_else(|| "data".to_string()))
}

pub(super) fn read(r: &mut Reader, data_dir: &Path, audit_keys: AuditKeys) -> DatabaseSettings {
    let database_url = match r.raw("DATABASE_URL") {
        None => format!("sqlite://{}/motto.db", data_dir.display()),
        Some(v) => {
            let lowered = v.to_ascii_lowercase();
            if !(lowered.starts_with("sqlite:")
                || lowered.starts_with("postgres://")
                || lowered.starts_with("postgresql://"))
            {
                r.error(
                        "DATABASE_URL",
                        format!(
                            "{} is not supported; use sqlite://path/to/motto.db or postgres://user:password@host:5432/motto",
                            redact_url(&v)
                        ),
                    );
            } else if !lowered.starts_with("sqlite:") && Url::parse(&v).is_err() {
                r.error(
                        "DATABASE_URL",
                        "cannot be parsed as a URL; expected postgres://user:password@host:5432/motto (percent-encode special characters in the password)",
                    );
            }
            v
        }
    };
    let is_sqlite = database_url.to_ascii_lowercase().starts_with("sqlite:");
    let owner_url = r.raw("DATABASE_OWNER_URL");
    if let Some(owner) = &owner_url {
        let lowered = owner.to_ascii_lowercase();
        if is_sqlite {
            r.error(
                "DATABASE_OWNER_URL",
                "is for PostgreSQL only (a SQLite file has no roles); remove it",
            );
        } else if !(lowered.starts_with("postgres://") || lowered.starts_with("postgresql://"))
            || Url::parse(owner).is_err()
        {
            r.error(
                "DATABASE_OWNER_URL",
                "must be postgres://owner:password@host:5432/motto (the role that owns the schema)",
            );
        } else if Url::parse(&database_url).is_ok_and(|u| u.username().is_empty()) {
            r.error(
                "DATABASE_URL",
                "must name the application role (postgres://motto_app:password@host/motto) when DATABASE_OWNER_URL is set",
            );
        }
    }
    let database = DatabaseSettings {
        url: SecretString::from(database_url),
        owner_url: owner_url.map(SecretString::from),
        audit_keys,
        max_connections: r.parse(
            "DATABASE_MAX_CONNECTIONS",
            if is_sqlite { 8 } else { 10 },
            "a whole number of connections, e.g. 10",
        ),
        min_connections: r.parse(
            "DATABASE_MIN_CONNECTIONS",
            0,
            "a whole number of connections, e.g. 0",
        ),
        acquire_timeout: Duration::from_secs(r.parse(
            "DATABASE_ACQUIRE_TIMEOUT_SECS",
            5,
            "a whole number of seconds, e.g. 5",
        )),
        sqlite_busy_timeout: Duration::from_millis(r.parse(
            "SQLITE_BUSY_TIMEOUT_MS",
            5000,
            "a whole number of milliseconds, e.g. 5000",
        )),
    };
    if database.max_connections == 0 {
        r.error("DATABASE_MAX_CONNECTIONS", "must be at least 1");
    }
    if database.min_connections > database.max_connections {
        r.error(
            "DATABASE_MIN_CONNECTIONS",
            "must not exceed DATABASE_MAX_CONNECTIONS",
        );
    }

    database
}
