//! Two-factor authentication (TOTP, RFC 6238) as the pages see it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Who must use a second factor (an administrator's setting).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TwoFactorPolicy {
    #[default]
    Nobody,
    Admins,
    Everyone,
}

impl TwoFactorPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            TwoFactorPolicy::Nobody => "nobody",
            TwoFactorPolicy::Admins => "admins",
            TwoFactorPolicy::Everyone => "everyone",
        }
    }

    pub fn parse(s: &str) -> Option<TwoFactorPolicy> {
        match s {
            "nobody" => Some(TwoFactorPolicy::Nobody),
            "admins" => Some(TwoFactorPolicy::Admins),
            "everyone" => Some(TwoFactorPolicy::Everyone),
            _ => None,
        }
    }

    pub fn requires(self, role: super::user::Role) -> bool {
        match self {
            TwoFactorPolicy::Nobody => false,
            TwoFactorPolicy::Admins => role == super::user::Role::Admin,
            TwoFactorPolicy::Everyone => true,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoFactorStatus {
    pub enabled: bool,
    pub enabled_at: Option<DateTime<Utc>>,
    pub recovery_codes_left: i64,
    /// An administrator requires it for this account.
    pub required: bool,
}

/// A new secret waiting to be confirmed with a code from the app.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrolment {
    /// Base32, in groups of four, for typing into an app.
    pub secret: String,
    /// `otpauth://totp/...`, the content of the QR code.
    pub uri: String,
    /// The QR code as SVG markup, generated on the server.
    pub qr_svg: String,
}

/// How many recovery codes an enrolment gives.
pub const RECOVERY_CODES: usize = 10;
