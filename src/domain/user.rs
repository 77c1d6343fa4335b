//! Account types shared by the server and the browser, and the input rules for them.

use serde::{Deserialize, Serialize};

pub const USERNAME_MIN: usize = 3;
pub const USERNAME_MAX: usize = 32;
pub const EMAIL_MAX: usize = 254;
pub const PASSWORD_MIN: usize = 12;
pub const PASSWORD_MAX: usize = 128;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema), schema(as = UserRole))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Admin,
    /// Reads the audit console and its exports; nothing else of the
    /// administration.
    Auditor,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Admin => "admin",
            Role::Auditor => "auditor",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "user" => Some(Role::User),
            "admin" => Some(Role::Admin),
            "auditor" => Some(Role::Auditor),
            _ => None,
        }
    }
}

/// What the UI needs to know about the signed-in person. No hashes, no epoch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub role: Role,
    /// Two-factor authentication is on.
    pub two_factor: bool,
    /// The IANA time zone times are shown in; `None`: the browser's.
    pub time_zone: Option<String>,
    /// The email address is confirmed; until then a banner asks for it.
    pub email_confirmed: bool,
}

impl CurrentUser {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// May read the audit console (administrators and auditors).
    pub fn can_audit(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Auditor)
    }
}

/// A `next` target after login: only a local path (no scheme, no host, no `//`),
/// so the login page cannot be used as an open redirect.
pub fn safe_next(next: Option<&str>) -> String {
    let Some(next) = next.map(str::trim).filter(|n| !n.is_empty()) else {
        return "/".to_string();
    };
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.contains(['\\', '\r', '\n', '\t'])
        && !next.chars().any(char::is_control)
        && next.len() <= 2048;
    if ok {
        next.to_string()
    } else {
        "/".to_string()
    }
}

/// Shown when a username belongs to another account.
pub const USERNAME_TAKEN: &str = "This username is taken. Choose another.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_accepts_local_paths() {
        assert_eq!(safe_next(Some("/account")), "/account");
        assert_eq!(safe_next(Some("/documents?page=2")), "/documents?page=2");
    }

    #[test]
    fn next_refuses_other_sites() {
        for evil in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "javascript:alert(1)",
            "evil.example",
            "/\r\nLocation: https://evil.example",
            "",
        ] {
            assert_eq!(safe_next(Some(evil)), "/", "{evil:?}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
