//! Per-person quotas as pages show them.

use serde::{Deserialize, Serialize};

/// What a person uses and may use. A limit of `None` means no limit.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaView {
    /// Bytes of document text: every version of every document, trash included.
    pub storage_bytes: i64,
    pub storage_limit: Option<i64>,
    /// Tokens the assistant used since midnight UTC.
    pub tokens_today: i64,
    pub tokens_limit: Option<i64>,
    /// API keys that still work.
    pub api_keys: i64,
    pub api_keys_limit: Option<i64>,
    /// The limits an administrator set for this person, as typed in the admin form
    /// (empty: the default; "0": no limit). Storage in MB.
    pub storage_mb_override: Option<i64>,
    pub tokens_override: Option<i64>,
    pub api_keys_override: Option<i64>,
}

/// `1.2 MB`, `340 KB`, `12 bytes`.
pub fn format_bytes(n: i64) -> String {
    const KB: f64 = 1024.0;
    let f = n as f64;
    if f >= KB * KB * KB {
        format!("{:.1} GB", f / (KB * KB * KB))
    } else if f >= KB * KB {
        format!("{:.1} MB", f / (KB * KB))
    } else if f >= KB {
        format!("{:.0} KB", f / KB)
    } else {
        format!("{n} bytes")
    }
}

/// "used of limit", or "used (no limit)".
pub fn of(used: String, limit: Option<String>) -> String {
    match limit {
        Some(l) => format!("{used} of {l}"),
        None => format!("{used} (no limit)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_say_them() {
        assert_eq!(format_bytes(12), "12 bytes");
        assert_eq!(format_bytes(340 * 1024), "340 KB");
        assert_eq!(format_bytes(1_258_291), "1.2 MB");
        assert_eq!(of("3".into(), None), "3 (no limit)");
        assert_eq!(of("3".into(), Some("20".into())), "3 of 20");
    }
}
