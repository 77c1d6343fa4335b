//! The admin console as the UI sees it: audit events, integrity checks, users.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub const AUDIT_PAGE_SIZE: usize = 50;
pub const USER_PAGE_SIZE: u32 = 50;

/// Filters over the audit log; empty strings mean "any". Shared by the page (as
/// query parameters), its server function and the export.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditQuery {
    /// A username, or `#<id>` for a user id.
    #[serde(default)]
    pub actor: String,
    /// A prefix of the action, e.g. `auth.` or `document.update`.
    #[serde(default)]
    pub action: String,
    /// `success`, `failure` or `denied`.
    #[serde(default)]
    pub outcome: String,
    #[serde(default)]
    pub source_ip: String,
    /// UTC, `YYYY-MM-DDTHH:MM` (a datetime-local input) or RFC 3339.
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    /// Searched in the action, target, details, user agent and request id.
    #[serde(default)]
    pub text: String,
}

impl AuditQuery {
    /// The filters as a query string (for links to the next page and the export).
    pub fn to_query_string(&self) -> String {
        let mut parts = Vec::new();
        for (k, v) in [
            ("actor", &self.actor),
            ("action", &self.action),
            ("outcome", &self.outcome),
            ("source_ip", &self.source_ip),
            ("from", &self.from),
            ("to", &self.to),
            ("text", &self.text),
        ] {
            if !v.is_empty() {
                parts.push(format!("{k}={}", encode(v)));
            }
        }
        parts.join("&")
    }

    pub fn is_empty(&self) -> bool {
        self.to_query_string().is_empty()
    }
}

/// Percent-encode a query-string value.
pub fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEventView {
    pub id: i64,
    pub occurred_at: DateTime<Utc>,
    pub actor_user_id: Option<i64>,
    pub actor_username: Option<String>,
    pub actor_api_key_id: Option<i64>,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub outcome: String,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    /// Pretty-printed JSON.
    pub details: String,
    pub hash: String,
}

impl AuditEventView {
    /// A link to the target, where Motto has a page for it.
    pub fn target_href(&self) -> Option<String> {
        match (self.target_type.as_deref(), self.target_id.as_deref()) {
            (Some("user"), Some(id)) => Some(format!("/admin/users/{id}")),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub events: Vec<AuditEventView>,
    /// Pass as `before` for the next (older) page; None on the last page.
    pub next_before: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrityCheck {
    pub checked_at: DateTime<Utc>,
    pub events: i64,
    pub intact: bool,
    pub first_broken_id: Option<i64>,
    pub reason: Option<String>,
}

/// How the audit log is sealed: the signing key auditors check with, the last
/// signed checkpoint, and whether the checkpoint directory has everything.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointStatus {
    /// Ed25519 public key, 64 hex characters (`motto audit-key` prints it too).
    pub public_key: String,
    pub key_id: String,
    /// `AUDIT_SIGNING_KEY` set (else derived from `SECRET_KEY`).
    pub signing_key_configured: bool,
    pub last_seq: Option<i64>,
    pub last_event: Option<i64>,
    pub last_at: Option<DateTime<Utc>>,
    /// Events written since the last checkpoint.
    pub unsealed_events: i64,
    /// The checkpoint directory (`None`: `AUDIT_CHECKPOINT_DIR=off`).
    pub directory: Option<String>,
    /// The last checkpoint found there (`None`: unreadable).
    pub in_directory: Option<i64>,
    pub every_events: i64,
    pub every_seconds: u64,
    /// Where events are streamed, and how far behind each is.
    pub sinks: Vec<SinkStatus>,
    /// Why state changes are refused right now (`AUDIT_FAIL_CLOSED`).
    pub writes_refused: Option<String>,
    /// `AUDIT_RETENTION_DAYS` (`None`: every event is kept).
    pub retention_days: Option<u32>,
    /// The last event pruned by retention, and when.
    pub pruned: Option<(i64, DateTime<Utc>)>,
}

/// One place audit events are streamed to (syslog, HTTPS).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SinkStatus {
    /// `syslog` or `https`.
    pub kind: String,
    /// Kind and destination, e.g. `syslog tls://siem.example.com:6514`.
    pub name: String,
    /// The last event it has received.
    pub delivered_id: i64,
    /// Events written that it has not received yet.
    pub lag: i64,
    pub delivered_at: Option<DateTime<Utc>>,
    /// Failed attempts in a row (0: healthy).
    pub failures: i32,
    pub failing_since: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

impl CheckpointStatus {
    /// Checkpoints signed but not yet in the directory.
    pub fn directory_lag(&self) -> Option<i64> {
        self.directory.as_ref()?;
        Some(self.last_seq.unwrap_or(0) - self.in_directory.unwrap_or(0))
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSummary {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub role: super::user::Role,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
    pub active_sessions: i64,
    /// Two-factor authentication is on.
    pub two_factor: bool,
    /// Bytes of document text stored (every version, trash included).
    pub storage_bytes: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserPage {
    pub items: Vec<UserSummary>,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
}

impl UserPage {
    pub fn pages(&self) -> u32 {
        ((self.total.max(0) as u32).div_ceil(self.per_page)).max(1)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserDetail {
    pub user: UserSummary,
    pub sessions: Vec<super::account::SessionView>,
}

/// What an admin can do to an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserAction {
    Disable,
    Enable,
    Promote,
    /// Back to an ordinary user (from administrator or auditor).
    Demote,
    /// Read-only access to the audit console and its exports.
    MakeAuditor,
    EndSessions,
    /// For a person who lost their authenticator and recovery codes.
    ResetTwoFactor,
}

impl UserAction {
    pub fn parse(s: &str) -> Option<UserAction> {
        Some(match s {
            "disable" => UserAction::Disable,
            "enable" => UserAction::Enable,
            "promote" => UserAction::Promote,
            "demote" => UserAction::Demote,
            "make_auditor" => UserAction::MakeAuditor,
            "end_sessions" => UserAction::EndSessions,
            "reset_two_factor" => UserAction::ResetTwoFactor,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            UserAction::Disable => "disable",
            UserAction::Enable => "enable",
            UserAction::Promote => "promote",
            UserAction::Demote => "demote",
            UserAction::MakeAuditor => "make_auditor",
            UserAction::EndSessions => "end_sessions",
            UserAction::ResetTwoFactor => "reset_two_factor",
        }
    }

    pub fn audit_action(self) -> &'static str {
        match self {
            UserAction::Disable => "admin.user.disable",
            UserAction::Enable => "admin.user.enable",
            UserAction::Promote => "admin.user.promote",
            UserAction::Demote => "admin.user.demote",
            UserAction::MakeAuditor => "admin.user.make_auditor",
            UserAction::EndSessions => "admin.user.end_sessions",
            UserAction::ResetTwoFactor => "admin.user.reset_two_factor",
        }
    }
}

/// A CSV cell, always quoted: a spreadsheet that splits on `;` (or tabs) would
/// otherwise cut an unquoted `a;=HYPERLINK(...)` into two cells, the second a
/// formula. A cell a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, tab
/// or carriage return first) also gets a leading `'`.
pub fn csv_cell(value: &str) -> String {
    let formula = value.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let mut v = String::with_capacity(value.len() + 4);
    v.push('"');
    if formula {
        v.push('\'');
    }
    v.push_str(&value.replace('"', "\"\""));
    v.push('"');
    v
}

/// A CSV record from its cells, every one quoted, ending in a newline.
pub fn csv_record<S: AsRef<str>>(cells: &[S]) -> String {
    let mut line = cells
        .iter()
        .map(|c| csv_cell(c.as_ref()))
        .collect::<Vec<_>>()
        .join(",");
    line.push('\n');
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_formulas_neutralised() {
        assert_eq!(csv_cell("plain"), "\"plain\"");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("+1"), "\"'+1\"");
        assert_eq!(csv_cell("-1"), "\"'-1\"");
        assert_eq!(csv_cell("@SUM(A1)"), "\"'@SUM(A1)\"");
        assert_eq!(csv_cell(""), "\"\"");
        // A spreadsheet splitting on ';' keeps this one cell.
        assert_eq!(csv_cell("a;=HYPERLINK(1)"), "\"a;=HYPERLINK(1)\"");
        assert_eq!(csv_record(&["1", "x,y"]), "\"1\",\"x,y\"\n");
    }

    #[test]
    fn queries_round_trip_as_query_strings() {
        let q = AuditQuery {
            action: "auth.".into(),
            text: "a b&c".into(),
            ..Default::default()
        };
        assert_eq!(q.to_query_string(), "action=auth.&text=a%20b%26c");
        assert!(AuditQuery::default().is_empty());
    }
}
