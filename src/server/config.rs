//! Typed, validated configuration from the environment (and `.env` in development).
//!
//! `Settings::from_source` takes a lookup function instead of reading the process
//! environment directly, so every validation rule is unit-tested without touching
//! global state. Each error names the variable and says how to fix it.

use secrecy::{ExposeSecret, SecretString};
use std::{fmt, net::SocketAddr, path::PathBuf, time::Duration};
use url::Url;

/// Minimum length of `SECRET_KEY` (ASVS 13.3.1: no weak secrets).
pub const MIN_SECRET_KEY_LEN: usize = 32;

/// Values people paste from tutorials. Refused whatever their length.
const PLACEHOLDER_SECRETS: &[&str] = &[
    "changeme",
    "change-me",
    "change_me",
    "supersecret",
    "super-secret",
    "secret",
    "password",
    "motto",
    "development",
    "insecure",
    "example",
    "your-secret-key",
    "replace-me",
    "xxxxxxxx",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

impl Environment {
    pub fn is_production(self) -> bool {
        self == Environment::Production
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Environment::Development => "development",
            Environment::Production => "production",
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CorsOrigins {
    /// `*`: development only; refused in production.
    Any,
    List(Vec<String>),
}

#[derive(Clone, Debug)]
pub struct DatabaseSettings {
    pub url: SecretString,
    pub max_connections: u32,
    pub min_connections: u32,
    pub acquire_timeout: Duration,
    /// SQLite only: how long a writer waits for the lock before failing.
    pub sqlite_busy_timeout: Duration,
}

impl DatabaseSettings {
    /// The URL with any password replaced, safe to print and log.
    pub fn redacted_url(&self) -> String {
        redact_url(self.url.expose_secret())
    }

    pub fn is_sqlite(&self) -> bool {
        self.url.expose_secret().starts_with("sqlite:")
    }
}

#[derive(Clone, Debug)]
pub struct Settings {
    pub environment: Environment,
    pub listen_addr: SocketAddr,
    /// Where people reach Motto (scheme, host and port); decides cookie security and
    /// the origin accepted for state-changing requests.
    pub public_url: Url,
    pub data_dir: PathBuf,
    pub database: DatabaseSettings,
    pub secret_key: SecretString,
    pub log_format: LogFormat,
    pub log_filter: String,
    pub log_request_bodies: bool,
    pub cors_origins: CorsOrigins,
    /// Production over plain http, explicitly allowed (TLS terminated elsewhere).
    pub allow_http: bool,
    pub shutdown_grace: Duration,
    /// Where the compiled site (pkg/, CSS, public assets) lives.
    pub site_root: PathBuf,
    /// Whether anyone may create an account (`REGISTRATION=open|closed`).
    pub registration_open: bool,
    /// A session ends after this long without a request (ASVS 7.3.1).
    pub session_idle_timeout: Duration,
    /// A session ends this long after login, whatever the activity (ASVS 7.3.2).
    pub session_absolute_timeout: Duration,
    /// Peers whose `X-Forwarded-For` is believed (ASVS 2.4.1).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Host names answered besides `PUBLIC_URL`'s (lower case, no port): requests
    /// naming any other host get 400, which closes DNS rebinding.
    pub allowed_hosts: Vec<String>,
    pub rate_limits: RateLimits,
    pub login_throttle: LoginThrottleSettings,
    pub request_timeout: Duration,
    pub body_limit_bytes: usize,
    /// Days a document stays in the trash before it is deleted for good.
    pub trash_days: u32,
    /// Largest accepted upload.
    pub upload_max_bytes: usize,
    /// The OpenAI-compatible assistant, when configured; else the retrieval one.
    pub llm: Option<LlmSettings>,
    /// The longest lifetime an API key may be given (days, at most 365).
    pub api_key_max_days: u32,
    /// Default quotas (`None`: no limit); an administrator can set others per person.
    pub quota_storage_bytes: Option<i64>,
    pub quota_tokens_per_day: Option<i64>,
    pub quota_api_keys: Option<i64>,
    /// How long after a login (or the password typed again) the person may create
    /// API keys or change two-factor settings without typing the password.
    pub reauth_window: Duration,
    /// The program that extracts text from PDFs in a child process: this `motto`
    /// binary (`PDF_EXTRACTOR` overrides it, e.g. for tests).
    pub pdf_extractor: PathBuf,
    /// How long a chain of refresh tokens may go on from its login, however often
    /// it is rotated (days): then the client logs in again.
    pub refresh_family_max_days: u32,
    /// Where mail goes (`SMTP_URL`); without it, development keeps mail in an
    /// outbox page and production sends none.
    pub smtp: Option<SmtpSettings>,
    /// The sender of Motto's mail (`SMTP_FROM`).
    pub mail_from: String,
    /// Bearer token for `/metrics`; unset: no metrics endpoint.
    pub metrics_token: Option<SecretString>,
    /// Where rate limits and login throttling are kept when set (`REDIS_URL`);
    /// otherwise in PostgreSQL (shared by every instance) or, on SQLite, in memory.
    pub redis_url: Option<SecretString>,
    /// Prefix of every Redis key Motto writes (`REDIS_KEY_PREFIX`), so several
    /// deployments can share one Redis.
    pub redis_key_prefix: String,
    /// Error reporting to Sentry when set (`SENTRY_DSN`); off otherwise.
    pub sentry_dsn: Option<SecretString>,
}

/// An SMTP relay. The URL may carry credentials, so it is kept secret.
#[derive(Clone, Debug)]
pub struct SmtpSettings {
    /// `smtps://user:pass@host:465`, `smtp://host:587?tls=required`, or plain
    /// `smtp://127.0.0.1:25` to a relay on this machine.
    pub url: SecretString,
}

/// An OpenAI-compatible chat-completions server (`LLM_*`).
#[derive(Clone, Debug)]
pub struct LlmSettings {
    /// The API root, e.g. `https://api.openai.com/v1` or `http://127.0.0.1:8080/v1`.
    pub base_url: Url,
    pub model: String,
    /// Sent as `Authorization: Bearer`; local servers often need none.
    pub api_key: Option<SecretString>,
    /// Longest wait for the response to start, and between two chunks of it.
    pub timeout: Duration,
    pub max_tokens: u32,
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

/// `N` requests per `period`, or no limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    pub limit: u32,
    pub period: Duration,
}

impl Rate {
    pub const fn new(limit: u32, period_secs: u64) -> Rate {
        Rate {
            limit,
            period: Duration::from_secs(period_secs),
        }
    }

    /// Parses `20/min`, `10/hour`, `5/sec`, `1000/day`; `off` means no limit.
    pub fn parse(value: &str) -> Result<Option<Rate>, String> {
        let v = value.trim().to_ascii_lowercase();
        if v == "off" {
            return Ok(None);
        }
        let bad = || format!("{value:?} is not a rate such as 20/min");
        let (n, unit) = v.split_once('/').ok_or_else(bad)?;
        let limit: u32 = n.trim().parse().map_err(|_| bad())?;
        let secs = match unit.trim() {
            "s" | "sec" | "second" => 1,
            "m" | "min" | "minute" => 60,
            "h" | "hour" => 3600,
            "d" | "day" => 86400,
            _ => return Err(bad()),
        };
        if limit == 0 {
            return Err(bad());
        }
        Ok(Some(Rate::new(limit, secs)))
    }
}

/// Per-endpoint-class limits (`None` = unlimited).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimits {
    pub login: Option<Rate>,
    pub register: Option<Rate>,
    pub password_reset: Option<Rate>,
    pub server_fn: Option<Rate>,
    pub api: Option<Rate>,
    /// Uploads and exports: each costs seconds of work and memory.
    pub heavy: Option<Rate>,
}

/// Login throttling: per account+source, per source, and per account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoginThrottleSettings {
    /// Failures from one source for one account before delays start.
    pub free_attempts: u32,
    /// Failures from one source (any account) before delays start.
    pub source_free_attempts: u32,
    /// The longest delay.
    pub max_delay: Duration,
    /// Failed verifications per account per hour, after which only sources that
    /// logged in to it before may try.
    pub account_failures_per_hour: u32,
}

impl Settings {
    pub fn is_https(&self) -> bool {
        self.public_url.scheme() == "https"
    }

    /// The public origin (`scheme://host[:port]`), as browsers send it in `Origin`.
    pub fn public_origin(&self) -> String {
        self.public_url.origin().ascii_serialization()
    }
}

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

struct Reader<'a> {
    get: &'a dyn Fn(&str) -> Option<String>,
    errors: Vec<ConfigError>,
}

impl Reader<'_> {
    fn raw(&self, name: &str) -> Option<String> {
        (self.get)(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    fn error(&mut self, variable: &'static str, message: impl Into<String>) {
        self.errors.push(ConfigError {
            variable,
            message: message.into(),
        });
    }

    fn parse<T: std::str::FromStr>(&mut self, name: &'static str, default: T, hint: &str) -> T {
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

    fn boolean(&mut self, name: &'static str, default: bool) -> bool {
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

/// Why a secret key is unacceptable, if it is.
pub fn secret_key_problem(key: &str) -> Option<String> {
    let lowered = key.to_ascii_lowercase();
    if PLACEHOLDER_SECRETS
        .iter()
        .any(|p| lowered == *p || lowered.trim_matches(|c: char| !c.is_ascii_alphanumeric()) == *p)
    {
        return Some(
            "is a well-known placeholder; generate a real key with `motto generate-key`".into(),
        );
    }
    if key.chars().count() < MIN_SECRET_KEY_LEN {
        return Some(format!(
            "is {} characters long; it must be at least {MIN_SECRET_KEY_LEN}. Generate one with `motto generate-key`",
            key.chars().count()
        ));
    }
    let distinct: std::collections::HashSet<char> = key.chars().collect();
    if distinct.len() < 8 {
        return Some(
            "has too little variety to be a random key; generate one with `motto generate-key`"
                .into(),
        );
    }
    None
}

/// Replace the password in a URL, so it can be printed.
pub fn redact_url(raw: &str) -> String {
    match Url::parse(raw) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("********"));
            }
            u.to_string()
        }
        Err(_) => "<unparsable URL>".to_string(),
    }
}

impl Settings {
    /// Reads settings from the process environment.
    pub fn from_env() -> Result<Settings, ConfigErrors> {
        Self::from_source(&|name| std::env::var(name).ok())
    }

    /// Reads and validates settings from any lookup (the environment, or a map in tests).
    pub fn from_source(get: &dyn Fn(&str) -> Option<String>) -> Result<Settings, ConfigErrors> {
        let mut r = Reader {
            get,
            errors: Vec::new(),
        };

        let environment = match r.raw("ENVIRONMENT").map(|v| v.to_ascii_lowercase()) {
            None => Environment::Development,
            Some(v) if v == "development" || v == "dev" => Environment::Development,
            Some(v) if v == "production" || v == "prod" => Environment::Production,
            Some(v) => {
                r.error(
                    "ENVIRONMENT",
                    format!("{v:?} is not valid; use development or production"),
                );
                Environment::Development
            }
        };
        let prod = environment.is_production();

        let listen_addr: SocketAddr = r.parse(
            "LISTEN_ADDR",
            SocketAddr::from(([127, 0, 0, 1], 3000)),
            "an address and port such as 127.0.0.1:3000 or 0.0.0.0:8080",
        );

        let public_url = match r.raw("PUBLIC_URL") {
            None => {
                let host = if listen_addr.ip().is_unspecified() {
                    "localhost".to_string()
                } else if listen_addr.is_ipv6() {
                    format!("[{}]", listen_addr.ip())
                } else {
                    listen_addr.ip().to_string()
                };
                Url::parse(&format!("http://{host}:{}/", listen_addr.port()))
                    .expect("a socket address forms a valid URL")
            }
            Some(v) => match Url::parse(&v) {
                Ok(u) if (u.scheme() == "http" || u.scheme() == "https") && u.host().is_some() => u,
                _ => {
                    r.error(
                        "PUBLIC_URL",
                        format!(
                            "{v:?} is not an http(s) URL; use the address people type, e.g. https://motto.example.com"
                        ),
                    );
                    Url::parse("http://localhost:3000/").expect("static URL")
                }
            },
        };

        let data_dir = PathBuf::from(r.raw("DATA_DIR").unwrap_or_else(|| "data".to_string()));

        let database_url = match r.raw("DATABASE_URL") {
            None => format!("sqlite://{}/motto.db", data_dir.display()),
            Some(v) => {
                let lowered = v.to_ascii_lowercase();
                if !(lowered.starts_with("sqlite:")
                    || lowered.starts_with("postgres://")
                    || lowered.starts_with("postgresql://"))
                {
                    r.error(
                        "DATABASE_URL",
                        format!(
                            "{} is not supported; use sqlite://path/to/motto.db or postgres://user:password@host:5432/motto",
                            redact_url(&v)
                        ),
                    );
                } else if !lowered.starts_with("sqlite:") && Url::parse(&v).is_err() {
                    r.error(
                        "DATABASE_URL",
                        "cannot be parsed as a URL; expected postgres://user:password@host:5432/motto (percent-encode special characters in the password)",
                    );
                }
                v
            }
        };
        let is_sqlite = database_url.to_ascii_lowercase().starts_with("sqlite:");
        let database = DatabaseSettings {
            url: SecretString::from(database_url),
            max_connections: r.parse(
                "DATABASE_MAX_CONNECTIONS",
                if is_sqlite { 8 } else { 10 },
                "a whole number of connections, e.g. 10",
            ),
            min_connections: r.parse(
                "DATABASE_MIN_CONNECTIONS",
                0,
                "a whole number of connections, e.g. 0",
            ),
            acquire_timeout: Duration::from_secs(r.parse(
                "DATABASE_ACQUIRE_TIMEOUT_SECS",
                5,
                "a whole number of seconds, e.g. 5",
            )),
            sqlite_busy_timeout: Duration::from_millis(r.parse(
                "SQLITE_BUSY_TIMEOUT_MS",
                5000,
                "a whole number of milliseconds, e.g. 5000",
            )),
        };
        if database.max_connections == 0 {
            r.error("DATABASE_MAX_CONNECTIONS", "must be at least 1");
        }
        if database.min_connections > database.max_connections {
            r.error(
                "DATABASE_MIN_CONNECTIONS",
                "must not exceed DATABASE_MAX_CONNECTIONS",
            );
        }

        let secret_key = match r.raw("SECRET_KEY") {
            None => {
                r.error(
                    "SECRET_KEY",
                    "is not set; generate one with `motto generate-key` and set SECRET_KEY",
                );
                SecretString::from(String::new())
            }
            Some(k) => {
                if let Some(problem) = secret_key_problem(&k) {
                    r.error("SECRET_KEY", problem);
                }
                SecretString::from(k)
            }
        };

        let log_format = match r.raw("LOG_FORMAT").map(|v| v.to_ascii_lowercase()) {
            None if prod => LogFormat::Json,
            None => LogFormat::Pretty,
            Some(v) if v == "json" => LogFormat::Json,
            Some(v) if v == "pretty" || v == "text" => LogFormat::Pretty,
            Some(v) => {
                r.error(
                    "LOG_FORMAT",
                    format!("{v:?} is not valid; use pretty or json"),
                );
                LogFormat::Pretty
            }
        };
        let log_filter = r
            .raw("LOG_LEVEL")
            .unwrap_or_else(|| "info,sqlx=warn,tower_http=info,html5ever=error".to_string());
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&log_filter) {
            r.error(
                "LOG_LEVEL",
                format!("is not a valid filter ({e}); use e.g. info or motto=debug,info"),
            );
        }
        let log_request_bodies = r.boolean("LOG_REQUEST_BODIES", false);
        if prod && log_request_bodies {
            r.error(
                "LOG_REQUEST_BODIES",
                "must be false in production: request bodies carry passwords and documents",
            );
        }
        if prod
            && (log_filter.contains("debug") || log_filter.contains("trace"))
            && !r.boolean("ALLOW_DEBUG_LOGS_IN_PRODUCTION", false)
        {
            r.error(
                "LOG_LEVEL",
                "debug or trace logging is refused in production; use info (or set ALLOW_DEBUG_LOGS_IN_PRODUCTION=true for a short investigation)",
            );
        }

        let cors_origins = match r.raw("CORS_ORIGINS") {
            None => CorsOrigins::List(Vec::new()),
            Some(v) if v == "*" => {
                if prod {
                    r.error(
                        "CORS_ORIGINS",
                        "a wildcard (*) is refused in production; list the exact origins, e.g. https://app.example.com",
                    );
                }
                CorsOrigins::Any
            }
            Some(v) => {
                let mut origins = Vec::new();
                for item in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    if item == "*" {
                        r.error(
                            "CORS_ORIGINS",
                            "a wildcard cannot be mixed with other origins; list the exact origins",
                        );
                        continue;
                    }
                    if item.eq_ignore_ascii_case("null") {
                        r.error("CORS_ORIGINS", "the null origin is never allowed");
                        continue;
                    }
                    match Url::parse(item) {
                        Ok(u)
                            if (u.scheme() == "http" || u.scheme() == "https")
                                && u.host().is_some()
                                && u.path() == "/"
                                && u.query().is_none() =>
                        {
                            origins.push(u.origin().ascii_serialization());
                        }
                        _ => r.error(
                            "CORS_ORIGINS",
                            format!(
                                "{item:?} is not an origin; use scheme://host[:port] such as https://app.example.com"
                            ),
                        ),
                    }
                }
                CorsOrigins::List(origins)
            }
        };

        let allow_http = r.boolean("ALLOW_HTTP", false);
        if prod && public_url.scheme() != "https" && !allow_http {
            r.error(
                "PUBLIC_URL",
                "must be https in production so cookies are Secure; if TLS ends at a proxy in front of Motto, set PUBLIC_URL to the https address, or set ALLOW_HTTP=true to accept plain http knowingly",
            );
        }

        let shutdown_grace = Duration::from_secs(r.parse(
            "SHUTDOWN_GRACE_SECS",
            30,
            "a whole number of seconds, e.g. 30",
        ));
        let site_root = PathBuf::from(
            r.raw("LEPTOS_SITE_ROOT")
                .unwrap_or_else(|| "target/site".to_string()),
        );

        let registration_open = match r.raw("REGISTRATION").map(|v| v.to_ascii_lowercase()) {
            None => true,
            Some(v) if v == "open" => true,
            Some(v) if v == "closed" => false,
            Some(v) => {
                r.error(
                    "REGISTRATION",
                    format!("{v:?} is not valid; use open or closed"),
                );
                true
            }
        };
        let session_idle_timeout = Duration::from_secs(r.parse(
            "SESSION_IDLE_TIMEOUT_SECS",
            30 * 60,
            "a whole number of seconds, e.g. 1800",
        ));
        let session_absolute_timeout = Duration::from_secs(r.parse(
            "SESSION_ABSOLUTE_TIMEOUT_SECS",
            12 * 60 * 60,
            "a whole number of seconds, e.g. 43200",
        ));
        if session_idle_timeout.is_zero() {
            r.error("SESSION_IDLE_TIMEOUT_SECS", "must be at least 1 second");
        }
        if session_absolute_timeout < session_idle_timeout {
            r.error(
                "SESSION_ABSOLUTE_TIMEOUT_SECS",
                "must not be shorter than SESSION_IDLE_TIMEOUT_SECS",
            );
        }

        let mut trusted_proxies = Vec::new();
        if let Some(v) = r.raw("TRUSTED_PROXIES") {
            for item in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                let parsed = item
                    .parse::<ipnet::IpNet>()
                    .or_else(|_| item.parse::<std::net::IpAddr>().map(ipnet::IpNet::from));
                match parsed {
                    // Every address on the internet as a "proxy" lets any client
                    // choose its own address for rate limits and the audit log.
                    Ok(net) if prod && net.prefix_len() == 0 => r.error(
                        "TRUSTED_PROXIES",
                        format!("{item:?} trusts every address on the internet to name the client; list your proxies' addresses or ranges (refused in production)"),
                    ),
                    Ok(net) => trusted_proxies.push(net),
                    Err(_) => r.error(
                        "TRUSTED_PROXIES",
                        format!("{item:?} is not an IP address or CIDR range such as 10.0.0.0/8"),
                    ),
                }
            }
        }
        let mut allowed_hosts = Vec::new();
        if let Some(v) = r.raw("ALLOWED_HOSTS") {
            for item in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                match host_name(item) {
                    Some(host) => allowed_hosts.push(host),
                    None => r.error(
                        "ALLOWED_HOSTS",
                        format!("{item:?} is not a host name such as wiki.example.com"),
                    ),
                }
            }
        }
        let rate = |r: &mut Reader, name: &'static str, default: Rate| -> Option<Rate> {
            match r.raw(name) {
                None => Some(default),
                Some(v) => Rate::parse(&v).unwrap_or_else(|_| {
                    r.error(
                        name,
                        format!("{v:?} is not valid; use a count per period such as 20/min, 10/hour, or off"),
                    );
                    Some(default)
                }),
            }
        };
        let rate_limits = RateLimits {
            login: rate(&mut r, "RATE_LIMIT_LOGIN", Rate::new(20, 60)),
            register: rate(&mut r, "RATE_LIMIT_REGISTER", Rate::new(10, 3600)),
            password_reset: rate(&mut r, "RATE_LIMIT_PASSWORD_RESET", Rate::new(5, 3600)),
            server_fn: rate(&mut r, "RATE_LIMIT_SERVER_FN", Rate::new(300, 60)),
            api: rate(&mut r, "RATE_LIMIT_API", Rate::new(600, 60)),
            heavy: rate(&mut r, "RATE_LIMIT_HEAVY", Rate::new(60, 3600)),
        };
        let login_throttle = LoginThrottleSettings {
            free_attempts: r.parse("LOGIN_THROTTLE_FREE_ATTEMPTS", 5, "a whole number, e.g. 5"),
            source_free_attempts: r.parse(
                "LOGIN_THROTTLE_SOURCE_FREE_ATTEMPTS",
                30,
                "a whole number, e.g. 30",
            ),
            max_delay: Duration::from_secs(r.parse(
                "LOGIN_THROTTLE_MAX_DELAY_SECS",
                900,
                "a whole number of seconds, e.g. 900",
            )),
            account_failures_per_hour: r.parse(
                "LOGIN_ACCOUNT_MAX_FAILURES_PER_HOUR",
                100,
                "a whole number, e.g. 100",
            ),
        };
        if login_throttle.account_failures_per_hour > 100 {
            r.error(
                "LOGIN_ACCOUNT_MAX_FAILURES_PER_HOUR",
                "must be at most 100 (ASVS 6.3.1)",
            );
        }
        let request_timeout = Duration::from_secs(r.parse(
            "REQUEST_TIMEOUT_SECS",
            30,
            "a whole number of seconds, e.g. 30",
        ));
        let body_limit_bytes: usize = r.parse(
            "REQUEST_BODY_LIMIT_BYTES",
            2 * 1024 * 1024,
            "a whole number of bytes, e.g. 2097152",
        );

        let trash_days: u32 = r.parse("DOCUMENT_TRASH_DAYS", 30, "a whole number of days, e.g. 30");
        if trash_days == 0 {
            r.error("DOCUMENT_TRASH_DAYS", "must be at least 1");
        }

        let upload_max_bytes: usize = r.parse(
            "UPLOAD_MAX_BYTES",
            10 * 1024 * 1024,
            "a whole number of bytes, e.g. 10485760",
        );

        let llm = {
            let base = r.raw("LLM_BASE_URL");
            let model = r.raw("LLM_MODEL");
            let api_key = r.raw("LLM_API_KEY").map(SecretString::from);
            let timeout = Duration::from_secs(r.parse(
                "LLM_TIMEOUT_SECS",
                60,
                "a whole number of seconds, e.g. 60",
            ));
            let max_tokens: u32 = r.parse(
                "LLM_MAX_TOKENS",
                1024,
                "a whole number of tokens, e.g. 1024",
            );
            if timeout.is_zero() {
                r.error("LLM_TIMEOUT_SECS", "must be at least 1");
            }
            match (base, model) {
                (None, None) => {
                    if api_key.is_some() {
                        r.error(
                            "LLM_API_KEY",
                            "is set but LLM_BASE_URL and LLM_MODEL are not; set them too, or remove the key",
                        );
                    }
                    None
                }
                (Some(_), None) => {
                    r.error("LLM_MODEL", "must be set with LLM_BASE_URL (the model name the server serves, e.g. gpt-4o-mini)");
                    None
                }
                (None, Some(_)) => {
                    r.error(
                        "LLM_BASE_URL",
                        "must be set with LLM_MODEL (the API root, e.g. https://api.openai.com/v1)",
                    );
                    None
                }
                (Some(base), Some(model)) => match Url::parse(&base) {
                    Ok(u)
                        if (u.scheme() == "http" || u.scheme() == "https")
                            && u.host().is_some() =>
                    {
                        if prod && u.scheme() == "http" && !is_loopback_host(&u) {
                            r.error(
                                "LLM_BASE_URL",
                                "uses plain http to another machine in production: prompts (and the API key) would cross the network unencrypted; use https",
                            );
                        }
                        if !u.username().is_empty() || u.password().is_some() {
                            r.error(
                                "LLM_BASE_URL",
                                "must not carry credentials; put the key in LLM_API_KEY",
                            );
                        }
                        Some(LlmSettings {
                            base_url: u,
                            model,
                            api_key,
                            timeout,
                            max_tokens,
                        })
                    }
                    _ => {
                        r.error(
                            "LLM_BASE_URL",
                            format!("{:?} is not an http(s) URL; use the API root, e.g. https://api.openai.com/v1", redact_url(&base)),
                        );
                        None
                    }
                },
            }
        };

        let api_key_max_days: u32 =
            r.parse("API_KEY_MAX_DAYS", 365, "a whole number of days, e.g. 365");
        let pdf_extractor = r
            .raw("PDF_EXTRACTOR")
            .map(PathBuf::from)
            .or_else(|| std::env::current_exe().ok())
            .unwrap_or_else(|| PathBuf::from("motto"));
        // 0 turns a default quota off.
        let quota = |r: &mut Reader, name: &'static str, default: i64, hint: &'static str| {
            let n: i64 = r.parse(name, default, hint);
            if n < 0 {
                r.error(name, "must be 0 (no limit) or more");
            }
            (n > 0).then_some(n)
        };
        let quota_storage_bytes = quota(
            &mut r,
            "QUOTA_STORAGE_MB",
            1024,
            "a whole number of megabytes, e.g. 1024 (0: no limit)",
        )
        .map(|mb| mb.saturating_mul(1024 * 1024));
        let quota_tokens_per_day = quota(
            &mut r,
            "QUOTA_TOKENS_PER_DAY",
            200_000,
            "a whole number of tokens, e.g. 200000 (0: no limit)",
        );
        let quota_api_keys = quota(
            &mut r,
            "QUOTA_API_KEYS",
            20,
            "a whole number of keys, e.g. 20 (0: no limit)",
        );
        let reauth_window = Duration::from_secs(r.parse(
            "REAUTH_WINDOW_SECS",
            300,
            "a whole number of seconds, e.g. 300",
        ));
        if reauth_window.as_secs() > 3600 {
            r.error("REAUTH_WINDOW_SECS", "must be at most 3600 (an hour)");
        }
        let refresh_family_max_days: u32 = r.parse(
            "REFRESH_TOKEN_MAX_DAYS",
            30,
            "a whole number of days, e.g. 30",
        );
        if refresh_family_max_days == 0 || refresh_family_max_days > 365 {
            r.error("REFRESH_TOKEN_MAX_DAYS", "must be between 1 and 365");
        }
        if api_key_max_days == 0 || api_key_max_days > 365 {
            r.error("API_KEY_MAX_DAYS", "must be between 1 and 365");
        }

        let smtp = r.raw("SMTP_URL").and_then(|raw| match Url::parse(&raw) {
            Ok(u) if (u.scheme() == "smtp" || u.scheme() == "smtps") && u.host().is_some() => {
                let tls_required = u.scheme() == "smtps"
                    || u.query_pairs().any(|(k, v)| k == "tls" && v == "required");
                if prod && !tls_required && !is_loopback_host(&u) {
                    r.error(
                        "SMTP_URL",
                        "sends mail (with reset links and the relay password) unencrypted to another machine in production; use smtps:// or add ?tls=required",
                    );
                }
                Some(SmtpSettings {
                    url: SecretString::from(raw),
                })
            }
            _ => {
                r.error(
                    "SMTP_URL",
                    format!(
                        "{:?} is not an SMTP URL; use e.g. smtps://user:password@mail.example.com:465",
                        redact_url(&raw)
                    ),
                );
                None
            }
        });
        let mail_from = r.raw("SMTP_FROM").unwrap_or_else(|| {
            format!(
                "Motto <motto@{}>",
                public_url.host_str().unwrap_or("localhost")
            )
        });
        if mail_from.parse::<lettre::message::Mailbox>().is_err() {
            r.error(
                "SMTP_FROM",
                "is not a mail address; use e.g. Motto <motto@example.com>",
            );
        }

        let metrics_token = r.raw("METRICS_TOKEN");
        if metrics_token.as_ref().is_some_and(|t| t.len() < 32) {
            r.error(
                "METRICS_TOKEN",
                "must be at least 32 characters (e.g. the output of `motto generate-key`)",
            );
        }
        let metrics_token = metrics_token.map(SecretString::from);

        let redis_url = r.raw("REDIS_URL").and_then(|raw| match Url::parse(&raw) {
            Ok(u) if (u.scheme() == "redis" || u.scheme() == "rediss") && u.host().is_some() => {
                if prod && u.scheme() == "redis" && !is_loopback_host(&u) {
                    r.error(
                        "REDIS_URL",
                        "talks to Redis (and sends its password) unencrypted to another machine in production; use rediss://",
                    );
                }
                Some(SecretString::from(raw))
            }
            _ => {
                r.error(
                    "REDIS_URL",
                    format!(
                        "{:?} is not a Redis URL; use e.g. redis://127.0.0.1:6379 or rediss://:password@redis.example.com:6380",
                        redact_url(&raw)
                    ),
                );
                None
            }
        });

        let redis_key_prefix = r.raw("REDIS_KEY_PREFIX").unwrap_or_else(|| "motto".into());
        if redis_key_prefix.is_empty()
            || redis_key_prefix.len() > 64
            || !redis_key_prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            r.error(
                "REDIS_KEY_PREFIX",
                "must be 1 to 64 letters, digits, '-', '_' or '.', e.g. motto",
            );
        }

        let sentry_dsn = r.raw("SENTRY_DSN").and_then(|raw| match Url::parse(&raw) {
            Ok(u) if raw.parse::<sentry::types::Dsn>().is_ok() => {
                if prod && u.scheme() == "http" && !is_loopback_host(&u) {
                    r.error(
                        "SENTRY_DSN",
                        "sends error reports unencrypted to another machine in production; use an https:// DSN",
                    );
                }
                Some(SecretString::from(raw))
            }
            _ => {
                r.error(
                    "SENTRY_DSN",
                    format!(
                        "{:?} is not a Sentry DSN; use the one your Sentry project shows, e.g. https://<key>@o0.ingest.sentry.io/<project id>",
                        redact_url(&raw)
                    ),
                );
                None
            }
        });

        if !r.errors.is_empty() {
            return Err(ConfigErrors(r.errors));
        }
        Ok(Settings {
            environment,
            listen_addr,
            public_url,
            data_dir,
            database,
            secret_key,
            log_format,
            log_filter,
            log_request_bodies,
            cors_origins,
            allow_http,
            shutdown_grace,
            site_root,
            registration_open,
            session_idle_timeout,
            session_absolute_timeout,
            trusted_proxies,
            allowed_hosts,
            rate_limits,
            login_throttle,
            request_timeout,
            body_limit_bytes,
            trash_days,
            upload_max_bytes,
            llm,
            api_key_max_days,
            quota_storage_bytes,
            quota_tokens_per_day,
            quota_api_keys,
            reauth_window,
            refresh_family_max_days,
            pdf_extractor,
            smtp,
            mail_from,
            metrics_token,
            redis_url,
            redis_key_prefix,
            sentry_dsn,
        })
    }
}

/// The host name of a `Host` header value or an `ALLOWED_HOSTS` entry: lower case,
/// without the port; `None` when it is not a host name or IP address.
pub fn host_name(value: &str) -> Option<String> {
    let value = value.trim();
    let host = if let Some(rest) = value.strip_prefix('[') {
        // [v6]:port
        let end = rest.find(']')?;
        let inner = &rest[..end];
        inner.parse::<std::net::Ipv6Addr>().ok()?;
        return Some(format!("[{}]", inner.to_ascii_lowercase()));
    } else {
        match value.rsplit_once(':') {
            Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
            _ => value,
        }
    };
    let ok = !host.is_empty()
        && host.len() <= 253
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    ok.then(|| host.trim_end_matches('.').to_ascii_lowercase())
}

impl Settings {
    /// Whether a request's `Host` names this server: `PUBLIC_URL`'s host, one of
    /// `ALLOWED_HOSTS`, or — for a server listening on loopback only — a loopback
    /// name. The port is not compared (a proxy may address us on another one).
    pub fn host_allowed(&self, host: &str) -> bool {
        let Some(name) = host_name(host) else {
            return false;
        };
        let public = self
            .public_url
            .host_str()
            .map(|h| h.trim_end_matches('.').to_ascii_lowercase());
        if public.as_deref() == Some(name.as_str()) || self.allowed_hosts.contains(&name) {
            return true;
        }
        self.listen_addr.ip().is_loopback()
            && matches!(name.as_str(), "localhost" | "127.0.0.1" | "[::1]")
    }
}

/// A fresh random key: 48 bytes from the OS CSPRNG, hex encoded (96 characters).
pub fn generate_secret_key() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 48];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// In development only: when no `SECRET_KEY` is set anywhere, create one and append it
/// to `.env` (created with mode 0600). Returns true when a key was written.
pub fn ensure_dev_secret_key(env_file: &std::path::Path) -> std::io::Result<bool> {
    let env_is_prod = std::env::var("ENVIRONMENT")
        .map(|v| v.trim().eq_ignore_ascii_case("production") || v.trim() == "prod")
        .unwrap_or(false);
    let has_key = std::env::var("SECRET_KEY")
        .map(|v| !v.trim().is_empty())
        .unwrap_or(false);
    if env_is_prod || has_key {
        return Ok(false);
    }
    let key = generate_secret_key();
    append_secret_key(env_file, &key)?;
    // Only this process and the file hold it from here on.
    std::env::set_var("SECRET_KEY", &key);
    Ok(true)
}

fn append_secret_key(env_file: &std::path::Path, key: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let existing = std::fs::read_to_string(env_file).unwrap_or_default();
    let mut file = options.open(env_file)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    let sep = if existing.is_empty() || existing.ends_with('\n') {
        ""
    } else {
        "\n"
    };
    writeln!(
        file,
        "{sep}# Generated by Motto on first run (development only). Keep it private.\nSECRET_KEY={key}"
    )
}

impl Settings {
    /// Settings for tests and tools: valid, development, everything else default.
    pub fn for_tests(database_url: &str, data_dir: &std::path::Path) -> Settings {
        Self::for_tests_with(database_url, data_dir, &[])
    }

    /// Test settings with some variables set, e.g. `[("REGISTRATION", "closed")]`.
    pub fn for_tests_with(
        database_url: &str,
        data_dir: &std::path::Path,
        vars: &[(&str, &str)],
    ) -> Settings {
        let key = generate_secret_key();
        let url = database_url.to_string();
        let dir = data_dir.display().to_string();
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_source(&move |name| {
            if let Some((_, v)) = vars.iter().find(|(k, _)| k == name) {
                return Some(v.clone());
            }
            match name {
                "SECRET_KEY" => Some(key.clone()),
                "DATABASE_URL" => Some(url.clone()),
                "DATA_DIR" => Some(dir.clone()),
                "LOG_LEVEL" => Some("warn".into()),
                _ => None,
            }
        })
        .expect("test settings are valid")
    }

    pub fn secret_key_bytes(&self) -> &[u8] {
        self.secret_key.expose_secret().as_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const GOOD_KEY: &str = "3f9a1c7e5b2d8f4a6c0e9b7d5a3f1c8e2b4d6f8a0c2e4b6d";

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigErrors> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_source(&move |name| map.get(name).cloned())
    }

    fn prod(extra: &[(&str, &str)]) -> Result<Settings, ConfigErrors> {
        let mut vars = vec![
            ("ENVIRONMENT", "production"),
            ("SECRET_KEY", GOOD_KEY),
            ("PUBLIC_URL", "https://motto.example.com"),
        ];
        vars.extend_from_slice(extra);
        settings(&vars)
    }

    #[test]
    fn defaults_are_sqlite_in_the_data_dir_on_localhost() {
        let s = settings(&[("SECRET_KEY", GOOD_KEY)]).unwrap();
        assert_eq!(s.environment, Environment::Development);
        assert_eq!(s.database.url.expose_secret(), "sqlite://data/motto.db");
        assert_eq!(s.listen_addr.to_string(), "127.0.0.1:3000");
        assert_eq!(s.public_origin(), "http://127.0.0.1:3000");
        assert_eq!(s.log_format, LogFormat::Pretty);
        assert!(!s.is_https());
    }

    #[test]
    fn no_llm_settings_means_the_retrieval_assistant() {
        assert!(settings(&[("SECRET_KEY", GOOD_KEY)]).unwrap().llm.is_none());
    }

    #[test]
    fn llm_needs_both_base_url_and_model() {
        let err = settings(&[
            ("SECRET_KEY", GOOD_KEY),
            ("LLM_BASE_URL", "http://127.0.0.1:8080/v1"),
        ])
        .unwrap_err();
        assert!(err.mentions("LLM_MODEL"), "{err}");
        let err = settings(&[("SECRET_KEY", GOOD_KEY), ("LLM_MODEL", "m")]).unwrap_err();
        assert!(err.mentions("LLM_BASE_URL"), "{err}");
        let err = settings(&[("SECRET_KEY", GOOD_KEY), ("LLM_API_KEY", "sk-x")]).unwrap_err();
        assert!(err.mentions("LLM_API_KEY"), "{err}");
        let err = settings(&[
            ("SECRET_KEY", GOOD_KEY),
            ("LLM_BASE_URL", "ftp://x"),
            ("LLM_MODEL", "m"),
        ])
        .unwrap_err();
        assert!(err.mentions("LLM_BASE_URL"), "{err}");
    }

    #[test]
    fn llm_settings_are_read() {
        let s = settings(&[
            ("SECRET_KEY", GOOD_KEY),
            ("LLM_BASE_URL", "http://localhost:8080/v1"),
            ("LLM_MODEL", "llama"),
            ("LLM_TIMEOUT_SECS", "5"),
        ])
        .unwrap();
        let llm = s.llm.unwrap();
        assert_eq!(llm.model, "llama");
        assert_eq!(llm.timeout, Duration::from_secs(5));
        assert!(llm.api_key.is_none());
    }

    #[test]
    fn production_refuses_plain_http_to_a_remote_llm() {
        let err = prod(&[
            ("LLM_BASE_URL", "http://llm.example.com/v1"),
            ("LLM_MODEL", "m"),
        ])
        .unwrap_err();
        assert!(err.mentions("LLM_BASE_URL"), "{err}");
        assert!(prod(&[
            ("LLM_BASE_URL", "http://127.0.0.1:8080/v1"),
            ("LLM_MODEL", "m")
        ])
        .is_ok());
        assert!(prod(&[
            ("LLM_BASE_URL", "https://llm.example.com/v1"),
            ("LLM_MODEL", "m")
        ])
        .is_ok());
    }

    #[test]
    fn missing_secret_key_is_refused() {
        let err = settings(&[]).unwrap_err();
        assert!(err.mentions("SECRET_KEY"), "{err}");
    }

    #[test]
    fn asvs_13_3_1_short_secret_key_is_refused() {
        let err = settings(&[("SECRET_KEY", "abcdefghijklmnopqrstuvwxyz01234")]).unwrap_err();
        assert!(err.mentions("SECRET_KEY"));
        assert!(err.to_string().contains("at least 32"), "{err}");
    }

    #[test]
    fn secret_key_of_exactly_32_varied_characters_is_accepted() {
        assert!(settings(&[("SECRET_KEY", "abcdefghijklmnopqrstuvwxyz012345")]).is_ok());
    }

    #[test]
    fn asvs_13_3_1_placeholder_secret_key_is_refused() {
        for placeholder in ["changeme", "supersecret", "CHANGEME", "your-secret-key"] {
            let err = settings(&[("SECRET_KEY", placeholder)]).unwrap_err();
            assert!(
                err.to_string().contains("placeholder"),
                "{placeholder}: {err}"
            );
        }
    }

    #[test]
    fn repetitive_secret_key_is_refused() {
        let err = settings(&[("SECRET_KEY", &"ab".repeat(20))]).unwrap_err();
        assert!(err.mentions("SECRET_KEY"));
    }

    #[test]
    fn unknown_environment_is_refused() {
        let err = settings(&[("SECRET_KEY", GOOD_KEY), ("ENVIRONMENT", "staging")]).unwrap_err();
        assert!(err.mentions("ENVIRONMENT"));
    }

    #[test]
    fn unsupported_database_scheme_is_refused_and_password_not_echoed() {
        let err = settings(&[
            ("SECRET_KEY", GOOD_KEY),
            ("DATABASE_URL", "mysql://root:hunter2@db/motto"),
        ])
        .unwrap_err();
        assert!(err.mentions("DATABASE_URL"));
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn unparsable_postgres_url_is_refused() {
        let err = settings(&[
            ("SECRET_KEY", GOOD_KEY),
            ("DATABASE_URL", "postgres://user:p@ss@:notaport/db"),
        ])
        .unwrap_err();
        assert!(err.mentions("DATABASE_URL"), "{err}");
    }

    #[test]
    fn postgres_url_is_accepted() {
        let s = settings(&[
            ("SECRET_KEY", GOOD_KEY),
            (
                "DATABASE_URL",
                "postgres://motto:secret@127.0.0.1:5432/motto",
            ),
        ])
        .unwrap();
        assert!(!s.database.is_sqlite());
        assert_eq!(
            s.database.redacted_url(),
            "postgres://motto:********@127.0.0.1:5432/motto"
        );
    }

    #[test]
    fn bad_listen_address_is_refused() {
        let err = settings(&[("SECRET_KEY", GOOD_KEY), ("LISTEN_ADDR", "localhost")]).unwrap_err();
        assert!(err.mentions("LISTEN_ADDR"));
    }

    #[test]
    fn zero_pool_size_is_refused() {
        let err =
            settings(&[("SECRET_KEY", GOOD_KEY), ("DATABASE_MAX_CONNECTIONS", "0")]).unwrap_err();
        assert!(err.mentions("DATABASE_MAX_CONNECTIONS"));
    }

    #[test]
    fn min_pool_above_max_is_refused() {
        let err = settings(&[
            ("SECRET_KEY", GOOD_KEY),
            ("DATABASE_MAX_CONNECTIONS", "2"),
            ("DATABASE_MIN_CONNECTIONS", "5"),
        ])
        .unwrap_err();
        assert!(err.mentions("DATABASE_MIN_CONNECTIONS"));
    }

    #[test]
    fn non_numeric_pool_size_is_refused() {
        let err = settings(&[
            ("SECRET_KEY", GOOD_KEY),
            ("DATABASE_MAX_CONNECTIONS", "lots"),
        ])
        .unwrap_err();
        assert!(err.mentions("DATABASE_MAX_CONNECTIONS"));
    }

    #[test]
    fn production_with_good_settings_starts() {
        let s = prod(&[]).unwrap();
        assert!(s.is_https());
        assert_eq!(s.log_format, LogFormat::Json);
    }

    #[test]
    fn asvs_3_4_2_production_refuses_wildcard_cors() {
        let err = prod(&[("CORS_ORIGINS", "*")]).unwrap_err();
        assert!(err.mentions("CORS_ORIGINS"));
    }

    #[test]
    fn redis_url_is_checked_and_production_refuses_plain_redis_to_another_machine() {
        let s = settings(&[
            ("SECRET_KEY", GOOD_KEY),
            ("REDIS_URL", "redis://127.0.0.1:6379"),
        ])
        .unwrap();
        assert!(s.redis_url.is_some());
        let err = settings(&[("SECRET_KEY", GOOD_KEY), ("REDIS_URL", "http://x")]).unwrap_err();
        assert!(err.mentions("REDIS_URL"));
        let err = prod(&[("REDIS_URL", "redis://cache.internal:6379")]).unwrap_err();
        assert!(err.mentions("REDIS_URL"));
        assert!(prod(&[("REDIS_URL", "rediss://:pw@cache.internal:6380")]).is_ok());
        assert!(prod(&[("REDIS_URL", "redis://127.0.0.1:6379")]).is_ok());
        let err = settings(&[("SECRET_KEY", GOOD_KEY), ("REDIS_KEY_PREFIX", "a b")]).unwrap_err();
        assert!(err.mentions("REDIS_KEY_PREFIX"));
    }

    #[test]
    fn sentry_dsn_is_checked() {
        let s = settings(&[
            ("SECRET_KEY", GOOD_KEY),
            ("SENTRY_DSN", "https://abc123@o1.ingest.sentry.io/42"),
        ])
        .unwrap();
        assert!(s.sentry_dsn.is_some());
        for bad in [
            "not a url",
            "https://o1.ingest.sentry.io/42",
            "ftp://k@host/1",
        ] {
            let err = settings(&[("SECRET_KEY", GOOD_KEY), ("SENTRY_DSN", bad)]).unwrap_err();
            assert!(err.mentions("SENTRY_DSN"), "{bad}");
        }
        let err = prod(&[("SENTRY_DSN", "http://k@sentry.example.com/1")]).unwrap_err();
        assert!(err.mentions("SENTRY_DSN"));
    }

    #[test]
    fn smtp_url_is_checked_and_production_refuses_plain_smtp_to_another_machine() {
        let err = settings(&[("SECRET_KEY", GOOD_KEY), ("SMTP_URL", "http://mail")]).unwrap_err();
        assert!(err.mentions("SMTP_URL"), "{err}");
        let s = settings(&[
            ("SECRET_KEY", GOOD_KEY),
            ("SMTP_URL", "smtp://127.0.0.1:2525"),
        ])
        .unwrap();
        assert!(s.smtp.is_some());
        assert_eq!(s.mail_from, "Motto <motto@127.0.0.1>");
        let err = prod(&[("SMTP_URL", "smtp://mail.example.com:25")]).unwrap_err();
        assert!(err.mentions("SMTP_URL"), "{err}");
        assert!(prod(&[("SMTP_URL", "smtp://mail.example.com:587?tls=required")]).is_ok());
        assert!(prod(&[("SMTP_URL", "smtps://u:p@mail.example.com")]).is_ok());
        assert!(prod(&[("SMTP_URL", "smtp://127.0.0.1:25")]).is_ok());
        assert!(prod(&[("SMTP_URL", "smtp://127.0.0.2.example.com:25")]).is_err());
        let err =
            settings(&[("SECRET_KEY", GOOD_KEY), ("SMTP_FROM", "not an address")]).unwrap_err();
        assert!(err.mentions("SMTP_FROM"), "{err}");
    }

    #[test]
    fn development_accepts_wildcard_cors() {
        let s = settings(&[("SECRET_KEY", GOOD_KEY), ("CORS_ORIGINS", "*")]).unwrap();
        assert_eq!(s.cors_origins, CorsOrigins::Any);
    }

    #[test]
    fn asvs_3_4_2_null_cors_origin_is_always_refused() {
        let err = settings(&[("SECRET_KEY", GOOD_KEY), ("CORS_ORIGINS", "null")]).unwrap_err();
        assert!(err.mentions("CORS_ORIGINS"));
    }

    #[test]
    fn cors_origins_are_normalised() {
        let s = settings(&[
            ("SECRET_KEY", GOOD_KEY),
            (
                "CORS_ORIGINS",
                "https://App.Example.com, http://localhost:5173/",
            ),
        ])
        .unwrap();
        assert_eq!(
            s.cors_origins,
            CorsOrigins::List(vec![
                "https://app.example.com".into(),
                "http://localhost:5173".into()
            ])
        );
    }

    #[test]
    fn cors_origin_with_a_path_is_refused() {
        let err = settings(&[
            ("SECRET_KEY", GOOD_KEY),
            ("CORS_ORIGINS", "https://app.example.com/path"),
        ])
        .unwrap_err();
        assert!(err.mentions("CORS_ORIGINS"));
    }

    #[test]
    fn asvs_13_4_2_production_refuses_logging_request_bodies() {
        let err = prod(&[("LOG_REQUEST_BODIES", "true")]).unwrap_err();
        assert!(err.mentions("LOG_REQUEST_BODIES"));
    }

    #[test]
    fn asvs_13_4_2_production_refuses_debug_logging() {
        let err = prod(&[("LOG_LEVEL", "debug")]).unwrap_err();
        assert!(err.mentions("LOG_LEVEL"));
    }

    #[test]
    fn production_refuses_plain_http_unless_allowed() {
        let err = prod(&[("PUBLIC_URL", "http://motto.example.com")]).unwrap_err();
        assert!(err.mentions("PUBLIC_URL"));
        assert!(prod(&[
            ("PUBLIC_URL", "http://motto.example.com"),
            ("ALLOW_HTTP", "true")
        ])
        .is_ok());
    }

    #[test]
    fn production_refuses_weak_secret_key() {
        let err = prod(&[("SECRET_KEY", "changeme")]).unwrap_err();
        assert!(err.mentions("SECRET_KEY"));
    }

    #[test]
    fn invalid_boolean_is_refused() {
        let err = settings(&[("SECRET_KEY", GOOD_KEY), ("ALLOW_HTTP", "maybe")]).unwrap_err();
        assert!(err.mentions("ALLOW_HTTP"));
    }

    #[test]
    fn registration_defaults_open_and_can_be_closed() {
        assert!(
            settings(&[("SECRET_KEY", GOOD_KEY)])
                .unwrap()
                .registration_open
        );
        let s = settings(&[("SECRET_KEY", GOOD_KEY), ("REGISTRATION", "closed")]).unwrap();
        assert!(!s.registration_open);
        let err = settings(&[("SECRET_KEY", GOOD_KEY), ("REGISTRATION", "invite")]).unwrap_err();
        assert!(err.mentions("REGISTRATION"));
    }

    #[test]
    fn session_timeouts_default_to_30_minutes_and_12_hours() {
        let s = settings(&[("SECRET_KEY", GOOD_KEY)]).unwrap();
        assert_eq!(s.session_idle_timeout, Duration::from_secs(1800));
        assert_eq!(s.session_absolute_timeout, Duration::from_secs(43200));
    }

    #[test]
    fn absolute_timeout_shorter_than_idle_is_refused() {
        let err = settings(&[
            ("SECRET_KEY", GOOD_KEY),
            ("SESSION_IDLE_TIMEOUT_SECS", "600"),
            ("SESSION_ABSOLUTE_TIMEOUT_SECS", "60"),
        ])
        .unwrap_err();
        assert!(err.mentions("SESSION_ABSOLUTE_TIMEOUT_SECS"));
    }

    #[test]
    fn rates_parse_and_bad_rates_are_refused() {
        assert_eq!(Rate::parse("20/min"), Ok(Some(Rate::new(20, 60))));
        assert_eq!(Rate::parse("5/hour"), Ok(Some(Rate::new(5, 3600))));
        assert_eq!(Rate::parse("off"), Ok(None));
        assert!(Rate::parse("0/min").is_err());
        assert!(Rate::parse("many").is_err());
        let err = settings(&[("SECRET_KEY", GOOD_KEY), ("RATE_LIMIT_LOGIN", "lots")]).unwrap_err();
        assert!(err.mentions("RATE_LIMIT_LOGIN"));
    }

    #[test]
    fn trusted_proxies_take_addresses_and_ranges() {
        let s = settings(&[
            ("SECRET_KEY", GOOD_KEY),
            ("TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1"),
        ])
        .unwrap();
        assert_eq!(s.trusted_proxies.len(), 2);
        let err =
            settings(&[("SECRET_KEY", GOOD_KEY), ("TRUSTED_PROXIES", "proxy.local")]).unwrap_err();
        assert!(err.mentions("TRUSTED_PROXIES"));
    }

    #[test]
    fn asvs_2_4_1_production_refuses_to_trust_every_address_as_a_proxy() {
        for everything in ["0.0.0.0/0", "::/0", "10.0.0.1, 0.0.0.0/0"] {
            let err = prod(&[("TRUSTED_PROXIES", everything)]).unwrap_err();
            assert!(err.mentions("TRUSTED_PROXIES"), "{everything}");
        }
        assert!(prod(&[("TRUSTED_PROXIES", "10.0.0.0/8")]).is_ok());
        // Development may (a test rig, a container network).
        assert!(settings(&[("SECRET_KEY", GOOD_KEY), ("TRUSTED_PROXIES", "0.0.0.0/0")]).is_ok());
    }

    #[test]
    fn allowed_hosts_and_the_host_check() {
        let s = settings(&[
            ("SECRET_KEY", GOOD_KEY),
            ("PUBLIC_URL", "https://Motto.Example.com"),
            ("ALLOWED_HOSTS", "wiki.internal, [2001:db8::1]"),
        ])
        .unwrap();
        for ok in [
            "motto.example.com",
            "MOTTO.example.com:8443",
            "wiki.internal",
            "[2001:DB8::1]:3000",
            "localhost:3000",
            "127.0.0.1",
            "[::1]:3000",
        ] {
            assert!(s.host_allowed(ok), "{ok}");
        }
        for bad in [
            "evil.example",
            "motto.example.com.evil.example",
            "",
            "a b",
            "[::1",
        ] {
            assert!(!s.host_allowed(bad), "{bad:?}");
        }
        // Loopback names only for a server that listens on loopback only.
        let s = settings(&[
            ("SECRET_KEY", GOOD_KEY),
            ("LISTEN_ADDR", "0.0.0.0:3000"),
            ("PUBLIC_URL", "https://motto.example.com"),
        ])
        .unwrap();
        assert!(!s.host_allowed("localhost:3000"));
        assert!(!s.host_allowed("127.0.0.1"));
        let err = settings(&[("SECRET_KEY", GOOD_KEY), ("ALLOWED_HOSTS", "bad host")]).unwrap_err();
        assert!(err.mentions("ALLOWED_HOSTS"));
    }

    #[test]
    fn asvs_6_3_1_account_failure_cap_cannot_exceed_100_per_hour() {
        let err = settings(&[
            ("SECRET_KEY", GOOD_KEY),
            ("LOGIN_ACCOUNT_MAX_FAILURES_PER_HOUR", "500"),
        ])
        .unwrap_err();
        assert!(err.mentions("LOGIN_ACCOUNT_MAX_FAILURES_PER_HOUR"));
    }

    #[test]
    fn invalid_log_format_is_refused() {
        let err = settings(&[("SECRET_KEY", GOOD_KEY), ("LOG_FORMAT", "xml")]).unwrap_err();
        assert!(err.mentions("LOG_FORMAT"));
    }

    #[test]
    fn invalid_public_url_is_refused() {
        let err = settings(&[("SECRET_KEY", GOOD_KEY), ("PUBLIC_URL", "ftp://x")]).unwrap_err();
        assert!(err.mentions("PUBLIC_URL"));
    }

    #[test]
    fn all_problems_are_reported_together() {
        let err = settings(&[("ENVIRONMENT", "production"), ("CORS_ORIGINS", "*")]).unwrap_err();
        assert!(err.mentions("SECRET_KEY"));
        assert!(err.mentions("CORS_ORIGINS"));
        assert!(err.mentions("PUBLIC_URL"));
    }

    #[test]
    fn secret_key_never_appears_in_debug_output() {
        let s = settings(&[("SECRET_KEY", GOOD_KEY)]).unwrap();
        assert!(!format!("{s:?}").contains(GOOD_KEY));
    }

    #[test]
    fn generated_keys_are_long_random_and_accepted() {
        let a = generate_secret_key();
        let b = generate_secret_key();
        assert_ne!(a, b);
        assert_eq!(a.len(), 96);
        assert_eq!(secret_key_problem(&a), None);
    }

    #[test]
    fn dev_key_is_appended_to_env_file_with_private_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        std::fs::write(&path, "LOG_LEVEL=info").unwrap();
        append_secret_key(&path, "k".repeat(40).as_str()).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("LOG_LEVEL=info\n"), "{text}");
        assert!(text.contains(&format!("SECRET_KEY={}", "k".repeat(40))));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
    }
}
