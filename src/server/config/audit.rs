//! The audit log's keys and checkpoints: the key its chain is MACed with, the
//! Ed25519 key checkpoints are signed with, where checkpoints are written and
//! how often.

use super::{reader::Reader, secrets::secret_key_problem};
use crate::server::crypto::KeyBytes;
use secrecy::{ExposeSecret, SecretString};
use std::{path::Path, path::PathBuf, time::Duration};

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
    AuditSettings {
        mac_key,
        signing_seed,
        signing_key_configured: configured.is_some(),
        checkpoint_dir,
        checkpoint_events,
        checkpoint_interval: Duration::from_secs(seconds.max(1)),
    }
}
