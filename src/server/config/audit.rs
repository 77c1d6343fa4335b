//! The audit log's keys, checkpoints and sinks: the key its chain is MACed
//! with, the Ed25519 key checkpoints are signed with, where checkpoints are
//! written and how often, and where events are streamed (syslog, HTTPS).

use super::{reader::Reader, secrets::secret_key_problem};
use crate::server::crypto::KeyBytes;
use secrecy::{ExposeSecret, SecretString};
use std::{path::Path, path::PathBuf, time::Duration};
use url::Url;

const MAC_PURPOSE: &[u8] = b"motto/audit-chain-mac/v1";
const SIGNING_PURPOSE: &[u8] = b"motto/audit-checkpoint-signing/v1";

#[derive(Clone, Debug)]
pub struct AuditSettings {
    /// HMAC key of the chain: from `AUDIT_KEY`, else derived from `SECRET_KEY`.
    pub mac_key: KeyBytes,
    /// Ed25519 seed for checkpoints: `AUDIT_SIGNING_KEY`, else derived from
    /// `SECRET_KEY`.
    pub signing_seed: KeyBytes,
    /// Whether `AUDIT_SIGNING_KEY` was set (the admin page says so).
    pub signing_key_configured: bool,
    /// Where checkpoint files are written (`AUDIT_CHECKPOINT_DIR`); `None` when
    /// set to `off`.
    pub checkpoint_dir: Option<PathBuf>,
    /// A checkpoint after this many events...
    pub checkpoint_events: i64,
    /// ...or this long after the last one, whichever comes first (when any
    /// event was written meanwhile).
    pub checkpoint_interval: Duration,
    /// Where events are streamed after commit (`AUDIT_SYSLOG`, `AUDIT_HTTPS_URL`).
    pub sinks: Vec<Sink>,
    /// `AUDIT_FAIL_CLOSED`: refuse state changes (503) while a sink or the
    /// checkpoint directory has been failing for longer than `fail_closed_after`.
    pub fail_closed: bool,
    pub fail_closed_after: Duration,
    /// `AUDIT_RETENTION_DAYS`: events older than this are archived, then
    /// removed, a sealed run at a time (`None`: kept for ever).
    pub retention_days: Option<u32>,
    /// Where pruned runs are archived (`AUDIT_ARCHIVE_DIR`).
    pub archive_dir: PathBuf,
    /// `AUDIT_LEVEL=access`: also record reads of shared documents, share-link
    /// views and questions to the assistant.
    pub access_events: bool,
    /// `AUDIT_ASSISTANT_QUESTIONS=text`: record a question's text, not only its
    /// SHA-256.
    pub question_text: bool,
}

/// How syslog messages travel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyslogTransport {
    /// RFC 5426: one datagram per event, no delivery guarantee.
    Udp,
    /// RFC 6587 octet-counted framing over plain TCP.
    Tcp,
    /// RFC 5425: the same framing over TLS.
    Tls,
}

impl SyslogTransport {
    pub fn scheme(self) -> &'static str {
        match self {
            SyslogTransport::Udp => "udp",
            SyslogTransport::Tcp => "tcp",
            SyslogTransport::Tls => "tls",
        }
    }
}

/// One place audit events are streamed to.
#[derive(Clone, Debug)]
pub enum Sink {
    Syslog {
        transport: SyslogTransport,
        host: String,
        port: u16,
        /// PEM certificates to trust instead of the built-in roots (TLS only).
        ca_file: Option<PathBuf>,
    },
    Https {
        url: Url,
        /// Signs each body (HMAC-SHA-256), so the receiver can trust it.
        secret: SecretString,
        ca_file: Option<PathBuf>,
    },
}

impl Sink {
    /// The sink's name, as stored with its delivery cursor and shown to
    /// administrators: the kind and destination, never a secret. A new
    /// destination is a new sink and receives the log from its first event.
    pub fn id(&self) -> String {
        match self {
            Sink::Syslog {
                transport,
                host,
                port,
                ..
            } => format!("syslog {}://{host}:{port}", transport.scheme()),
            Sink::Https { url, .. } => format!("https {url}"),
        }
    }
}

pub(super) fn read(r: &mut Reader, secret_key: &SecretString, data_dir: &Path) -> AuditSettings {
    let secret = secret_key.expose_secret().as_bytes();
    let mac_key = match r.raw("AUDIT_KEY") {
        None => KeyBytes::derived(secret, MAC_PURPOSE),
        Some(k) => {
            if let Some(problem) = secret_key_problem(&k) {
                r.error("AUDIT_KEY", problem);
            }
            KeyBytes::derived(k.as_bytes(), MAC_PURPOSE)
        }
    };
    let configured = r.raw("AUDIT_SIGNING_KEY");
    let signing_seed = match &configured {
        None => KeyBytes::derived(secret, SIGNING_PURPOSE),
        Some(k) => match hex::decode(k.trim())
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
        {
            Some(seed) => KeyBytes::new(seed),
            None => {
                r.error(
                    "AUDIT_SIGNING_KEY",
                    "must be 64 hexadecimal characters (an Ed25519 private key); make one with `motto audit-key --new`",
                );
                KeyBytes::new([0; 32])
            }
        },
    };
    let checkpoint_dir = match r.raw("AUDIT_CHECKPOINT_DIR") {
        None => Some(data_dir.join("audit-checkpoints")),
        Some(v) if v.eq_ignore_ascii_case("off") => None,
        Some(v) if v.trim().is_empty() => {
            r.error(
                "AUDIT_CHECKPOINT_DIR",
                "is empty; name a directory, or `off` to keep checkpoints only in the database",
            );
            None
        }
        Some(v) => Some(PathBuf::from(v)),
    };
    let checkpoint_events = r.parse(
        "AUDIT_CHECKPOINT_EVENTS",
        1000i64,
        "a whole number of events, e.g. 1000",
    );
    if checkpoint_events < 1 {
        r.error("AUDIT_CHECKPOINT_EVENTS", "must be at least 1");
    }
    let seconds = r.parse(
        "AUDIT_CHECKPOINT_SECONDS",
        600u64,
        "a whole number of seconds, e.g. 600",
    );
    if seconds == 0 {
        r.error("AUDIT_CHECKPOINT_SECONDS", "must be at least 1");
    }
    let mut sinks = Vec::new();
    if let Some(sink) = read_syslog(r) {
        sinks.push(sink);
    }
    if let Some(sink) = read_https(r) {
        sinks.push(sink);
    }
    let fail_closed = r.boolean("AUDIT_FAIL_CLOSED", false);
    let fail_closed_after = r.parse(
        "AUDIT_FAIL_CLOSED_SECONDS",
        30u64,
        "a whole number of seconds, e.g. 30",
    );
    let retention_days = r.raw("AUDIT_RETENTION_DAYS").and_then(|v| {
        match v.parse::<u32>() {
            Ok(d) if d >= 1 => Some(d),
            _ => {
                r.error(
                    "AUDIT_RETENTION_DAYS",
                    format!("{v:?} is not valid; expected a whole number of days, at least 1 (unset: keep every event)"),
                );
                None
            }
        }
    });
    let archive_dir = r
        .raw("AUDIT_ARCHIVE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| data_dir.join("audit-archive"));
    let access_events = match r.raw("AUDIT_LEVEL").map(|v| v.to_ascii_lowercase()) {
        None => false,
        Some(v) if v == "security" => false,
        Some(v) if v == "access" => true,
        Some(v) => {
            r.error(
                "AUDIT_LEVEL",
                format!("{v:?} is not valid; expected security (the default) or access"),
            );
            false
        }
    };
    let question_text = match r
        .raw("AUDIT_ASSISTANT_QUESTIONS")
        .map(|v| v.to_ascii_lowercase())
    {
        None => false,
        Some(v) if v == "hash" => false,
        Some(v) if v == "text" => true,
        Some(v) => {
            r.error(
                "AUDIT_ASSISTANT_QUESTIONS",
                format!("{v:?} is not valid; expected hash (the default) or text"),
            );
            false
        }
    };
    AuditSettings {
        sinks,
        access_events,
        question_text,
        retention_days,
        archive_dir,
        fail_closed,
        fail_closed_after: Duration::from_secs(fail_closed_after),
        mac_key,
        signing_seed,
        signing_key_configured: configured.is_some(),
        checkpoint_dir,
        checkpoint_events,
        checkpoint_interval: Duration::from_secs(seconds.max(1)),
    }
}

fn read_ca_file(r: &mut Reader, variable: &'static str) -> Option<PathBuf> {
    let path = PathBuf::from(r.raw(variable)?);
    if !path.is_file() {
        r.error(
            variable,
            format!(
                "{} is not a readable file; name a PEM file of the certificates to trust",
                path.display()
            ),
        );
    }
    Some(path)
}

/// `AUDIT_SYSLOG=udp://host:514 | tcp://host:601 | tls://host:6514`.
fn read_syslog(r: &mut Reader) -> Option<Sink> {
    const VAR: &str = "AUDIT_SYSLOG";
    let ca_file = read_ca_file(r, "AUDIT_SYSLOG_CA_FILE");
    let raw = r.raw(VAR)?;
    let hint = "must look like tls://siem.example.com:6514 (or tcp://host:port, udp://host:port)";
    let Ok(url) = Url::parse(&raw) else {
        r.error(VAR, hint);
        return None;
    };
    let transport = match url.scheme() {
        "udp" => SyslogTransport::Udp,
        "tcp" => SyslogTransport::Tcp,
        "tls" => SyslogTransport::Tls,
        _ => {
            r.error(VAR, hint);
            return None;
        }
    };
    let host = url.host_str().unwrap_or_default().trim_matches(['[', ']']);
    let (Some(port), false) = (url.port(), host.is_empty()) else {
        r.error(
            VAR,
            format!("{hint}; the host and the port are both needed"),
        );
        return None;
    };
    if !url.username().is_empty() || url.path().len() > 1 || url.query().is_some() {
        r.error(VAR, format!("{hint}; nothing after the port"));
        return None;
    }
    if ca_file.is_some() && transport != SyslogTransport::Tls {
        r.error(
            "AUDIT_SYSLOG_CA_FILE",
            "applies only to tls:// syslog; remove it or use tls://",
        );
    }
    Some(Sink::Syslog {
        transport,
        host: host.to_string(),
        port,
        ca_file,
    })
}

/// `AUDIT_HTTPS_URL` + `AUDIT_HTTPS_SECRET`.
fn read_https(r: &mut Reader) -> Option<Sink> {
    const VAR: &str = "AUDIT_HTTPS_URL";
    let ca_file = read_ca_file(r, "AUDIT_HTTPS_CA_FILE");
    let secret = r.raw("AUDIT_HTTPS_SECRET");
    let Some(raw) = r.raw(VAR) else {
        if secret.is_some() {
            r.error(
                "AUDIT_HTTPS_SECRET",
                "is set but AUDIT_HTTPS_URL is not; set both or neither",
            );
        }
        return None;
    };
    let url = match Url::parse(&raw) {
        Ok(u) if u.scheme() == "https" && u.host_str().is_some() => u,
        _ => {
            r.error(
                VAR,
                "must be an https:// URL (audit events are only sent encrypted)",
            );
            return None;
        }
    };
    if !url.username().is_empty() || url.password().is_some() || url.query().is_some() {
        r.error(
            VAR,
            "must not carry credentials or a query: the receiver checks the signature made with AUDIT_HTTPS_SECRET instead",
        );
        return None;
    }
    let Some(secret) = secret else {
        r.error(
            "AUDIT_HTTPS_SECRET",
            "is needed with AUDIT_HTTPS_URL: every delivery is signed with it (at least 32 random characters; `openssl rand -hex 32`)",
        );
        return None;
    };
    if let Some(problem) = secret_key_problem(&secret) {
        r.error("AUDIT_HTTPS_SECRET", problem);
    }
    Some(Sink::Https {
        url,
        secret: SecretString::from(secret),
        ca_file,
    })
}
