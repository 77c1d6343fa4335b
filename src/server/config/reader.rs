//! The reader every part of the configuration uses: it looks a variable up,
//! parses it with a hint for the operator, and collects every problem instead of
//! stopping at the first, so an operator fixes them all in one go.

use std::fmt;
use url::Url;

/// Every problem found, so an operator fixes them in one go.
#[derive(Debug, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

#[derive(Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub variable: &'static str,
    pub message: String,
}

impl ConfigErrors {
    pub fn mentions(&self, variable: &str) -> bool {
        self.0.iter().any(|e| e.variable == variable)
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Motto cannot start: the configuration has problems.")?;
        for e in &self.0 {
            writeln!(f, "  - {}: {}", e.variable, e.message)?;
        }
        write!(
            f,
            "Set these in the environment or in .env (see .env.example and the README)."
        )
    }
}

impl std::error::Error for ConfigErrors {}

pub(super) struct Reader<'a> {
    get: &'a dyn Fn(&str) -> Option<String>,
    pub(super) errors: Vec<ConfigError>,
}

impl<'a> Reader<'a> {
    pub(super) fn new(get: &'a dyn Fn(&str) -> Option<String>) -> Self {
        Reader {
            get,
            errors: Vec::new(),
        }
    }

    /// Everything read, or every problem found.
    pub(super) fn finish<T>(self, value: T) -> Result<T, ConfigErrors> {
        if self.errors.is_empty() {
            Ok(value)
        } else {
            Err(ConfigErrors(self.errors))
        }
    }

    /// In production, refuse a connection that would carry secrets (passwords,
    /// keys, people's documents) unencrypted to another machine. Plain text to
    /// this machine exposes nothing and stays allowed.
    pub(super) fn refuse_plaintext_to_remote(
        &mut self,
        prod: bool,
        variable: &'static str,
        url: &Url,
        encrypted: bool,
        message: &str,
    ) {
        if prod && !encrypted && !is_loopback_host(url) {
            self.error(variable, message);
        }
    }

    pub(super) fn raw(&self, name: &str) -> Option<String> {
        (self.get)(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    pub(super) fn error(&mut self, variable: &'static str, message: impl Into<String>) {
        self.errors.push(ConfigError {
            variable,
            message: message.into(),
        });
    }

    pub(super) fn parse<T: std::str::FromStr>(
        &mut self,
        name: &'static str,
        default: T,
        hint: &str,
    ) -> T {
        match self.raw(name) {
            None => default,
            Some(v) => match v.parse::<T>() {
                Ok(t) => t,
                Err(_) => {
                    self.error(name, format!("{v:?} is not valid; expected {hint}"));
                    default
                }
            },
        }
    }

    pub(super) fn boolean(&mut self, name: &'static str, default: bool) -> bool {
        match self.raw(name).map(|v| v.to_ascii_lowercase()) {
            None => default,
            Some(v) => match v.as_str() {
                "1" | "true" | "yes" | "on" => true,
                "0" | "false" | "no" | "off" => false,
                _ => {
                    self.error(name, format!("{v:?} is not valid; expected true or false"));
                    default
                }
            },
        }
    }
}

/// Whether a host is this machine (where plain http exposes nothing).
fn is_loopback_host(url: &Url) -> bool {
    match url.host() {
        // Non-special schemes (smtp://, redis://) leave addresses as domain text.
        Some(url::Host::Domain(d)) => {
            d.eq_ignore_ascii_case("localhost")
                || d.trim_matches(|c| c == '[' || c == ']')
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}
