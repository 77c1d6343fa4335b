//! Every validation rule, read from a map instead of the environment.

use super::secrets::append_secret_key;
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
    let err = settings(&[("SECRET_KEY", GOOD_KEY), ("DATABASE_MAX_CONNECTIONS", "0")]).unwrap_err();
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
    let err = settings(&[("SECRET_KEY", GOOD_KEY), ("SMTP_FROM", "not an address")]).unwrap_err();
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

const OIDC: [(&str, &str); 4] = [
    ("SECRET_KEY", GOOD_KEY),
    ("OIDC_ISSUER", "https://login.example.com/realms/acme"),
    ("OIDC_CLIENT_ID", "motto"),
    ("OIDC_CLIENT_SECRET", "s3cret"),
];

#[test]
fn oidc_is_off_by_default_and_on_with_its_four_variables() {
    let s = settings(&[("SECRET_KEY", GOOD_KEY)]).unwrap();
    assert!(s.oidc.is_none());
    assert!(s.login_methods.local && !s.login_methods.oidc);
    let s = settings(&OIDC).unwrap();
    let oidc = s.oidc.unwrap();
    assert_eq!(oidc.issuer, "https://login.example.com/realms/acme");
    assert_eq!(oidc.scopes, ["openid", "email", "profile"]);
    assert!(oidc.create_accounts && oidc.sync_profile);
    assert!(s.login_methods.local && s.login_methods.oidc);
}

#[test]
fn oidc_settings_are_checked() {
    let with = |extra: &[(&str, &str)]| {
        let mut vars = OIDC.to_vec();
        vars.retain(|(k, _)| !extra.iter().any(|(e, _)| e == k));
        vars.extend_from_slice(extra);
        settings(&vars)
    };
    let err = settings(&[("SECRET_KEY", GOOD_KEY), ("OIDC_CLIENT_ID", "motto")]).unwrap_err();
    assert!(err.mentions("OIDC_CLIENT_ID"), "{err}");
    let err = with(&[("OIDC_CLIENT_SECRET", "")]).unwrap_err();
    assert!(err.mentions("OIDC_CLIENT_SECRET"), "{err}");
    let err = with(&[("OIDC_ISSUER", "login.example.com")]).unwrap_err();
    assert!(err.mentions("OIDC_ISSUER"), "{err}");
    let err = with(&[("OIDC_SCOPES", "email profile")]).unwrap_err();
    assert!(err.mentions("OIDC_SCOPES"), "{err}");
    let err = with(&[("OIDC_ADMIN_GROUP", "admins")]).unwrap_err();
    assert!(err.mentions("OIDC_ADMIN_GROUP"), "{err}");
    let err = with(&[("LOGIN_METHODS", "saml")]).unwrap_err();
    assert!(err.mentions("LOGIN_METHODS"), "{err}");
    let err = settings(&[("SECRET_KEY", GOOD_KEY), ("LOGIN_METHODS", "oidc")]).unwrap_err();
    assert!(err.mentions("LOGIN_METHODS"), "{err}");
    let err = with(&[
        ("LOGIN_METHODS", "oidc"),
        ("LOCAL_LOGIN_ADMINS_ONLY", "true"),
    ])
    .unwrap_err();
    assert!(err.mentions("LOCAL_LOGIN_ADMINS_ONLY"), "{err}");
    let s = with(&[("LOGIN_METHODS", "oidc")]).unwrap();
    assert!(!s.login_methods.local && s.login_methods.oidc);
    // Plain http to another machine carries sign-ins unprotected in production.
    let err = prod(&[
        ("OIDC_ISSUER", "http://login.example.com"),
        ("OIDC_CLIENT_ID", "motto"),
        ("OIDC_CLIENT_SECRET", "s3cret"),
    ])
    .unwrap_err();
    assert!(err.mentions("OIDC_ISSUER"), "{err}");
}

#[test]
fn private_key_jwt_needs_a_readable_key_of_a_supported_algorithm() {
    let key = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/oidc-client-key.pem"
    );
    let with = |extra: &[(&str, &str)]| {
        let mut vars = OIDC.to_vec();
        vars.retain(|(k, _)| *k != "OIDC_CLIENT_SECRET");
        vars.push(("OIDC_CLIENT_AUTH", "private_key_jwt"));
        vars.extend_from_slice(extra);
        settings(&vars)
    };
    let s = with(&[("OIDC_PRIVATE_KEY_FILE", key)]).unwrap();
    assert!(matches!(
        s.oidc.unwrap().client_auth,
        ClientAuth::PrivateKeyJwt { ref alg, .. } if alg == "RS256"
    ));
    let err = with(&[]).unwrap_err();
    assert!(err.mentions("OIDC_PRIVATE_KEY_FILE"), "{err}");
    let err = with(&[("OIDC_PRIVATE_KEY_FILE", "/nonexistent/key.pem")]).unwrap_err();
    assert!(err.mentions("OIDC_PRIVATE_KEY_FILE"), "{err}");
    let err = with(&[
        ("OIDC_PRIVATE_KEY_FILE", key),
        ("OIDC_PRIVATE_KEY_ALG", "ES256"),
    ])
    .unwrap_err();
    assert!(
        err.mentions("OIDC_PRIVATE_KEY_FILE"),
        "an RSA key is not an EC key: {err}"
    );
    let err = with(&[
        ("OIDC_PRIVATE_KEY_FILE", key),
        ("OIDC_PRIVATE_KEY_ALG", "HS256"),
    ])
    .unwrap_err();
    assert!(err.mentions("OIDC_PRIVATE_KEY_ALG"), "{err}");
    let err = with(&[("OIDC_CLIENT_AUTH", "client_secret_jwt")]);
    assert!(err.is_err());
}

#[test]
fn an_owner_url_is_for_postgresql_with_a_named_application_role() {
    let err = settings(&[
        ("SECRET_KEY", GOOD_KEY),
        ("DATABASE_OWNER_URL", "postgres://owner@db/motto"),
    ])
    .unwrap_err();
    assert!(err.mentions("DATABASE_OWNER_URL"), "{err}");
    let err = settings(&[
        ("SECRET_KEY", GOOD_KEY),
        ("DATABASE_URL", "postgres://db/motto"),
        ("DATABASE_OWNER_URL", "postgres://owner@db/motto"),
    ])
    .unwrap_err();
    assert!(err.mentions("DATABASE_URL"), "{err}");
    let s = settings(&[
        ("SECRET_KEY", GOOD_KEY),
        ("DATABASE_URL", "postgres://motto_app:secret@db/motto"),
        ("DATABASE_OWNER_URL", "postgres://owner:other@db/motto"),
    ])
    .unwrap();
    assert_eq!(s.database.app_role().as_deref(), Some("motto_app"));
    let owner = s.database.owner().unwrap();
    assert_eq!(owner.url.expose_secret(), "postgres://owner:other@db/motto");
    assert!(!format!("{:?}", s.database).contains("other"));
}

#[test]
fn audit_keys_come_from_their_own_variables_or_the_secret_key() {
    let derived = settings(&[("SECRET_KEY", GOOD_KEY)]).unwrap();
    assert!(!derived.audit.signing_key_configured);
    let own = settings(&[
        ("SECRET_KEY", GOOD_KEY),
        ("AUDIT_KEY", "a7c3e9f1b5d2a8c4e6f0b9d7c5a3e1f8"),
        ("AUDIT_SIGNING_KEY", &"ab".repeat(32)),
    ])
    .unwrap();
    assert!(own.audit.signing_key_configured);
    assert_ne!(own.audit.mac_key, derived.audit.mac_key);
    assert_ne!(own.audit.signing_seed, derived.audit.signing_seed);
    let err = settings(&[
        ("SECRET_KEY", GOOD_KEY),
        ("AUDIT_KEY", "changeme"),
        ("AUDIT_SIGNING_KEY", "not-hex"),
        ("AUDIT_CHECKPOINT_EVENTS", "0"),
    ])
    .unwrap_err();
    assert!(err.mentions("AUDIT_KEY"), "{err}");
    assert!(err.mentions("AUDIT_SIGNING_KEY"), "{err}");
    assert!(err.mentions("AUDIT_CHECKPOINT_EVENTS"), "{err}");
    assert!(!format!("{:?}", own.audit).contains("a7c3e9f1"));
}

#[test]
fn audit_sinks_are_read_and_checked() {
    let none = settings(&[("SECRET_KEY", GOOD_KEY)]).unwrap();
    assert!(none.audit.sinks.is_empty());
    assert!(!none.audit.fail_closed);
    let s = settings(&[
        ("SECRET_KEY", GOOD_KEY),
        ("AUDIT_SYSLOG", "tls://siem.example.com:6514"),
        ("AUDIT_HTTPS_URL", "https://siem.example.com/ingest"),
        ("AUDIT_HTTPS_SECRET", "c4e6f0b9d7c5a3e1f8a7c3e9f1b5d2a8"),
        ("AUDIT_FAIL_CLOSED", "on"),
        ("AUDIT_FAIL_CLOSED_SECONDS", "5"),
    ])
    .unwrap();
    let ids: Vec<String> = s.audit.sinks.iter().map(|k| k.id()).collect();
    assert_eq!(
        ids,
        [
            "syslog tls://siem.example.com:6514",
            "https https://siem.example.com/ingest"
        ]
    );
    assert!(s.audit.fail_closed);
    assert_eq!(s.audit.fail_closed_after, std::time::Duration::from_secs(5));
    // The signing secret never shows.
    assert!(!format!("{:?}", s.audit).contains("c4e6f0b9"));

    for (vars, variable) in [
        (
            vec![("AUDIT_SYSLOG", "siem.example.com:514")],
            "AUDIT_SYSLOG",
        ),
        (vec![("AUDIT_SYSLOG", "http://siem:514")], "AUDIT_SYSLOG"),
        (vec![("AUDIT_SYSLOG", "tcp://siem")], "AUDIT_SYSLOG"),
        (
            vec![
                ("AUDIT_SYSLOG", "udp://siem:514"),
                ("AUDIT_SYSLOG_CA_FILE", "/etc/hostname"),
            ],
            "AUDIT_SYSLOG_CA_FILE",
        ),
        (
            vec![
                ("AUDIT_SYSLOG", "tls://siem:6514"),
                ("AUDIT_SYSLOG_CA_FILE", "/no/such.pem"),
            ],
            "AUDIT_SYSLOG_CA_FILE",
        ),
        (
            vec![("AUDIT_HTTPS_URL", "https://siem/in")],
            "AUDIT_HTTPS_SECRET",
        ),
        (
            vec![
                ("AUDIT_HTTPS_URL", "http://siem/in"),
                ("AUDIT_HTTPS_SECRET", GOOD_KEY),
            ],
            "AUDIT_HTTPS_URL",
        ),
        (
            vec![
                ("AUDIT_HTTPS_URL", "https://siem/in?token=abc"),
                ("AUDIT_HTTPS_SECRET", GOOD_KEY),
            ],
            "AUDIT_HTTPS_URL",
        ),
        (
            vec![
                ("AUDIT_HTTPS_URL", "https://siem/in"),
                ("AUDIT_HTTPS_SECRET", "changeme"),
            ],
            "AUDIT_HTTPS_SECRET",
        ),
        (vec![("AUDIT_HTTPS_SECRET", GOOD_KEY)], "AUDIT_HTTPS_SECRET"),
        (vec![("AUDIT_FAIL_CLOSED", "maybe")], "AUDIT_FAIL_CLOSED"),
    ] {
        let mut all = vec![("SECRET_KEY", GOOD_KEY)];
        all.extend(vars.iter().copied());
        let err = settings(&all).unwrap_err();
        assert!(err.mentions(variable), "{vars:?}: {err}");
    }
}
