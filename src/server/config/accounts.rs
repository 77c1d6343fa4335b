//! Accounts and their limits: registration, sessions, re-authentication, API key
//! and token lifetimes, rate limits, login throttling and quotas.

use super::{reader::Reader, LoginThrottleSettings, Rate, RateLimits};
use std::time::Duration;

pub(super) struct Accounts {
    pub registration_open: bool,
    pub session_idle_timeout: Duration,
    pub session_absolute_timeout: Duration,
    pub rate_limits: RateLimits,
    pub login_throttle: LoginThrottleSettings,
    pub api_key_max_days: u32,
    pub quota_storage_bytes: Option<i64>,
    pub quota_tokens_per_day: Option<i64>,
    pub quota_api_keys: Option<i64>,
    pub reauth_window: Duration,
    pub refresh_family_max_days: u32,
}

pub(super) fn read(r: &mut Reader) -> Accounts {
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
        login: rate(&mut *r, "RATE_LIMIT_LOGIN", Rate::new(20, 60)),
        register: rate(&mut *r, "RATE_LIMIT_REGISTER", Rate::new(10, 3600)),
        password_reset: rate(&mut *r, "RATE_LIMIT_PASSWORD_RESET", Rate::new(5, 3600)),
        server_fn: rate(&mut *r, "RATE_LIMIT_SERVER_FN", Rate::new(300, 60)),
        api: rate(&mut *r, "RATE_LIMIT_API", Rate::new(600, 60)),
        heavy: rate(&mut *r, "RATE_LIMIT_HEAVY", Rate::new(60, 3600)),
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
    let api_key_max_days: u32 =
        r.parse("API_KEY_MAX_DAYS", 365, "a whole number of days, e.g. 365");
    // 0 turns a default quota off.
    let quota = |r: &mut Reader, name: &'static str, default: i64, hint: &'static str| {
        let n: i64 = r.parse(name, default, hint);
        if n < 0 {
            r.error(name, "must be 0 (no limit) or more");
        }
        (n > 0).then_some(n)
    };
    let quota_storage_bytes = quota(
        &mut *r,
        "QUOTA_STORAGE_MB",
        1024,
        "a whole number of megabytes, e.g. 1024 (0: no limit)",
    )
    .map(|mb| mb.saturating_mul(1024 * 1024));
    let quota_tokens_per_day = quota(
        &mut *r,
        "QUOTA_TOKENS_PER_DAY",
        200_000,
        "a whole number of tokens, e.g. 200000 (0: no limit)",
    );
    let quota_api_keys = quota(
        &mut *r,
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

    Accounts {
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
    }
}
