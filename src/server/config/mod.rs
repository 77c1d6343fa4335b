//! Typed, validated configuration from the environment (and `.env` in development).
//!
//! `Settings::from_source` takes a lookup function instead of reading the process
//! environment directly, so every validation rule is unit-tested without touching
//! global state. Each error names the variable and says how to fix it, and every
//! problem is reported at once.
//!
//! One file per concern, each reading its variables through the shared
//! [`reader::Reader`]: `web` (addresses, proxies, hosts, CORS), `database`,
//! `secrets`, `logging`, `accounts` (sessions, limits, quotas), `documents`, and
//! `connections` (the language model, mail, Redis, Sentry). A new setting goes in
//! its concern's file, in `Settings`, and in `from_source`'s list below.

mod accounts;
mod audit;
mod connections;
mod database;
mod documents;
mod logging;
mod reader;
mod secrets;
mod sso;
#[cfg(test)]
mod tests;
mod web;

use crate::server::crypto::AuditKeys;
pub use audit::{AuditSettings, Sink, SyslogTransport};
pub use reader::{ConfigError, ConfigErrors};
pub use secrets::{
    ensure_dev_secret_key, generate_secret_key, redact_url, secret_key_problem, MIN_SECRET_KEY_LEN,
};
pub use web::host_name;

use secrecy::{ExposeSecret, SecretString};
use std::{fmt, net::SocketAddr, path::PathBuf, time::Duration};
use url::Url;

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
    /// PostgreSQL: the role that owns the schema and runs migrations
    /// (`DATABASE_OWNER_URL`); the server itself then runs as `url`'s role with
    /// no right to rewrite the audit log.
    pub owner_url: Option<SecretString>,
    /// The audit chain's MAC key and checkpoint public key (see
    /// [`AuditSettings`]): every connection appends audit events, so the keys
    /// travel with it.
    pub audit_keys: crate::server::crypto::AuditKeys,
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

    /// Settings for a short-lived connection as the owner role, when one is set.
    pub fn owner(&self) -> Option<DatabaseSettings> {
        let url = self.owner_url.clone()?;
        Some(DatabaseSettings {
            url,
            owner_url: None,
            max_connections: 2,
            min_connections: 0,
            ..self.clone()
        })
    }

    /// The application role: the user `url` names (PostgreSQL).
    pub fn app_role(&self) -> Option<String> {
        Url::parse(self.url.expose_secret())
            .ok()
            .map(|u| u.username().to_string())
            .filter(|u| !u.is_empty())
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
    pub audit: AuditSettings,
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
    /// Which ways of signing in are open (`LOGIN_METHODS`, `LOCAL_LOGIN_ADMINS_ONLY`).
    pub login_methods: LoginMethods,
    /// The OpenID Provider people sign in through (`OIDC_*`), when configured.
    pub oidc: Option<OidcSettings>,
}

/// Which ways of signing in are open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoginMethods {
    /// Username (or email) and password.
    pub local: bool,
    /// Through the OpenID Provider.
    pub oidc: bool,
    /// Password login only for administrators: the break-glass way in when the
    /// provider is down, with everyone else signing in through it.
    pub local_admins_only: bool,
}

/// How Motto authenticates to the provider's token endpoint.
#[derive(Clone, Debug)]
pub enum ClientAuth {
    /// `client_secret_basic`: the client secret, in HTTP Basic.
    Secret(SecretString),
    /// `private_key_jwt` (RFC 7523): a short JWT signed with Motto's private key,
    /// whose public half the provider holds; no shared secret.
    PrivateKeyJwt {
        /// The PEM private key (PKCS#8, or PKCS#1 for RSA).
        pem: SecretString,
        /// `RS256`, `PS256` or `ES256`.
        alg: String,
        /// The key's id at the provider, when it has several.
        kid: Option<String>,
    },
}

/// An OpenID Provider (authorization code flow with PKCE).
#[derive(Clone, Debug)]
pub struct OidcSettings {
    /// Where discovery starts (`/.well-known/openid-configuration` below it),
    /// exactly as configured: the provider must name itself the same way.
    pub issuer: String,
    pub client_id: String,
    /// How Motto proves itself at the provider's token endpoint.
    pub client_auth: ClientAuth,
    pub scopes: Vec<String>,
    /// Shown on the button: "Sign in with …".
    pub display_name: String,
    /// A first sign-in creates the account (else only linked accounts may sign in).
    pub create_accounts: bool,
    /// Email and display name follow the provider's claims at each sign-in.
    pub sync_profile: bool,
    /// The claim whose values name the person's groups (e.g. `groups`, `roles`).
    pub groups_claim: Option<String>,
    /// Membership of this group (a value of the groups claim) makes the person
    /// an administrator; without it, a person who signs in this way is not one.
    pub admin_group: Option<String>,
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

impl Settings {
    /// Reads settings from the process environment.
    pub fn from_env() -> Result<Settings, ConfigErrors> {
        Self::from_source(&|name| std::env::var(name).ok())
    }

    /// Reads and validates settings from any lookup (the environment, or a map in tests).
    pub fn from_source(get: &dyn Fn(&str) -> Option<String>) -> Result<Settings, ConfigErrors> {
        let mut r = reader::Reader::new(get);
        let environment = web::read_environment(&mut r);
        let prod = environment.is_production();
        let web::Web {
            listen_addr,
            public_url,
            cors_origins,
            allow_http,
            shutdown_grace,
            site_root,
            trusted_proxies,
            allowed_hosts,
            request_timeout,
            body_limit_bytes,
        } = web::read(&mut r, prod);
        let secret_key = secrets::read_secret_key(&mut r);
        let data_dir = database::read_data_dir(&mut r);
        let audit = audit::read(&mut r, &secret_key, &data_dir);
        let database = database::read(
            &mut r,
            &data_dir,
            AuditKeys::new(audit.mac_key.clone(), &audit.signing_seed),
        );
        let (log_format, log_filter, log_request_bodies) = logging::read(&mut r, prod);
        let accounts::Accounts {
            registration_open,
            session_idle_timeout,
            session_absolute_timeout,
            rate_limits,
            login_throttle,
            api_key_max_days,
            quota_storage_bytes,
            quota_tokens_per_day,
            quota_api_keys,
            reauth_window,
            refresh_family_max_days,
        } = accounts::read(&mut r);
        let (trash_days, upload_max_bytes, pdf_extractor) = documents::read(&mut r);
        let llm = connections::read_llm(&mut r, prod);
        let (smtp, mail_from) = connections::read_smtp(&mut r, prod, &public_url);
        let metrics_token = secrets::read_metrics_token(&mut r);
        let (redis_url, redis_key_prefix) = connections::read_redis(&mut r, prod);
        let sentry_dsn = connections::read_sentry(&mut r, prod);
        let (login_methods, oidc) = sso::read(&mut r, prod);

        r.finish(Settings {
            environment,
            listen_addr,
            public_url,
            data_dir,
            database,
            secret_key,
            audit,
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
            login_methods,
            oidc,
        })
    }
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
