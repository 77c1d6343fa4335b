//! API keys as the UI sees them, and the scopes they carry.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub const NAME_MAX: usize = 100;
pub const DEFAULT_DAYS: u32 = 90;

/// Every scope a key can hold.
pub const SCOPES: &[(&str, &str)] = &[
    ("documents:read", "Read documents"),
    ("documents:write", "Create, change and delete documents"),
    ("conversations:read", "Read conversations"),
    (
        "conversations:write",
        "Start conversations and send messages",
    ),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyStatus {
    Active,
    Expired,
    Revoked,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyView {
    pub id: i64,
    pub name: String,
    /// `motto_` and the first characters: enough to recognise it, useless to use.
    pub prefix: String,
    pub scopes: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub status: KeyStatus,
}

/// A key just created: the only time its secret is shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedKey {
    pub key: String,
    pub view: ApiKeyView,
}
