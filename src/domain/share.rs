//! Share links: a read-only public link to one document, with an optional
//! password and expiry, revocable. The link's secret is shown once, when made.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Shortest and longest password a link may have.
pub const PASSWORD_MIN: usize = 8;
pub const PASSWORD_MAX: usize = 128;
/// Longest time a link may be set to last, in days.
pub const EXPIRY_MAX_DAYS: u32 = 365;

/// Where a link stands now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkStatus {
    Active,
    Expired,
    Revoked,
}

impl LinkStatus {
    pub fn of(now: DateTime<Utc>, expires_at: Option<DateTime<Utc>>, revoked: bool) -> Self {
        if revoked {
            LinkStatus::Revoked
        } else if expires_at.is_some_and(|t| t <= now) {
            LinkStatus::Expired
        } else {
            LinkStatus::Active
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            LinkStatus::Active => "Active",
            LinkStatus::Expired => "Expired",
            LinkStatus::Revoked => "Revoked",
        }
    }
}

/// A link as the document's editors (and the admin console) see it: never its
/// secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareLinkView {
    pub id: i64,
    pub document_id: i64,
    /// Who made it (`None` once their account is deleted).
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub has_password: bool,
    pub status: LinkStatus,
    pub views: i64,
    pub last_viewed_at: Option<DateTime<Utc>>,
    /// The space of the document (for the admin console).
    pub space_name: String,
}

/// A link just made: the only time its address is shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewShareLink {
    pub id: i64,
    pub url: String,
}

/// What is wrong with a link's password, if anything (empty: no password).
pub fn password_problem(password: &str) -> Option<String> {
    let n = password.chars().count();
    if n == 0 {
        None
    } else if n < PASSWORD_MIN {
        Some(format!(
            "Use at least {PASSWORD_MIN} characters, or leave it empty for no password."
        ))
    } else if n > PASSWORD_MAX {
        Some(format!("Use at most {PASSWORD_MAX} characters."))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_is_revoked_expired_or_active() {
        let now = Utc::now();
        let past = now - chrono::Duration::seconds(1);
        let later = now + chrono::Duration::days(1);
        assert_eq!(LinkStatus::of(now, None, false), LinkStatus::Active);
        assert_eq!(LinkStatus::of(now, Some(later), false), LinkStatus::Active);
        assert_eq!(LinkStatus::of(now, Some(past), false), LinkStatus::Expired);
        assert_eq!(LinkStatus::of(now, Some(later), true), LinkStatus::Revoked);
    }

    #[test]
    fn passwords_are_empty_or_long_enough() {
        assert_eq!(password_problem(""), None);
        assert!(password_problem("short").is_some());
        assert_eq!(password_problem("long enough"), None);
        assert!(password_problem(&"x".repeat(129)).is_some());
    }
}
