//! A person's own account as the account page sees it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A signed-in session: one browser or device where the account is logged in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    /// The session's public reference (not the session cookie's secret id).
    pub id: String,
    /// "Firefox 128 on Linux", from the user agent.
    pub device: String,
    pub source_ip: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    /// The session the page was loaded with.
    pub current: bool,
}

/// A person's email address as their account page shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailStatus {
    pub email: String,
    /// The account owns it (its link was opened).
    pub confirmed: bool,
    /// A new address waiting for its link to be opened.
    pub pending: Option<String>,
}

/// A mail in the development outbox (no SMTP relay configured).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxMail {
    pub to: String,
    pub subject: String,
    pub body: String,
    pub sent_at: DateTime<Utc>,
}

/// How long a password reset link works.
pub const RESET_MINUTES: i64 = 30;

pub use super::user_agent::describe as describe_user_agent;

/// A person's preferences, with the time zones they can choose from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preferences {
    pub theme: super::theme::Theme,
    /// `None`: the browser's.
    pub time_zone: Option<String>,
    /// Every IANA zone name the server knows.
    pub zones: Vec<String>,
}
