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

/// A readable "browser on system" for a User-Agent header. Deliberately small: the
/// families people recognise, with the browser's major version.
pub fn describe_user_agent(ua: Option<&str>) -> String {
    let Some(ua) = ua.filter(|u| !u.trim().is_empty()) else {
        return "Unknown device".into();
    };
    let version = |marker: &str| {
        ua.split(marker)
            .nth(1)
            .and_then(|rest| rest.split(['.', ' ', ';', ')']).next())
            .filter(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_digit()))
            .map(|v| format!(" {v}"))
            .unwrap_or_default()
    };
    let browser = if ua.contains("Edg/") {
        format!("Edge{}", version("Edg/"))
    } else if ua.contains("OPR/") {
        format!("Opera{}", version("OPR/"))
    } else if ua.contains("Firefox/") {
        format!("Firefox{}", version("Firefox/"))
    } else if ua.contains("HeadlessChrome/") {
        format!("Headless Chrome{}", version("HeadlessChrome/"))
    } else if ua.contains("Chrome/") {
        format!("Chrome{}", version("Chrome/"))
    } else if ua.contains("Safari/") && ua.contains("Version/") {
        format!("Safari{}", version("Version/"))
    } else if let Some(tool) = ["curl/", "Wget/", "python-requests/", "reqwest"]
        .iter()
        .find(|t| ua.starts_with(**t))
    {
        tool.trim_end_matches('/').to_string()
    } else {
        "Unknown browser".into()
    };
    let os = if ua.contains("Windows") {
        "Windows"
    } else if ua.contains("Android") {
        "Android"
    } else if ua.contains("iPhone") || ua.contains("iPad") {
        "iOS"
    } else if ua.contains("CrOS") {
        "ChromeOS"
    } else if ua.contains("Mac OS X") || ua.contains("Macintosh") {
        "macOS"
    } else if ua.contains("Linux") || ua.contains("X11") {
        "Linux"
    } else {
        ""
    };
    if os.is_empty() {
        browser
    } else {
        format!("{browser} on {os}")
    }
}

#[cfg(test)]
mod tests {
    use super::describe_user_agent as d;

    #[test]
    fn common_browsers_and_systems_are_named() {
        assert_eq!(
            d(Some(
                "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
            )),
            "Firefox 128 on Linux"
        );
        assert_eq!(
            d(Some("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.70")),
            "Edge 131 on Windows"
        );
        assert_eq!(
            d(Some("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15")),
            "Safari 17 on macOS"
        );
        assert_eq!(
            d(Some("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1")),
            "Safari 17 on iOS"
        );
        assert_eq!(
            d(Some("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36")),
            "Chrome 131 on Android"
        );
        assert_eq!(d(Some("curl/8.5.0")), "curl");
        assert_eq!(d(Some("something odd")), "Unknown browser");
        assert_eq!(d(None), "Unknown device");
        assert_eq!(d(Some("  ")), "Unknown device");
    }
}

/// A person's preferences, with the time zones they can choose from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preferences {
    pub theme: super::theme::Theme,
    /// `None`: the browser's.
    pub time_zone: Option<String>,
    /// Every IANA zone name the server knows.
    pub zones: Vec<String>,
}
