//! Checking a secret (a password, a second-factor code) under login throttling:
//! the throttle keys of an account, the throttle itself, and one check at a time
//! per key. Used by sign-in, re-authentication and the second factor alike.

use crate::{
    error::AppError,
    server::{db::audit::AuditContext, state::AppState},
};
use secrecy::SecretString;

/// Whether a password or code may be checked for `key` from `ip` now (login
/// throttling): `RateLimited` with the wait if not.
pub(crate) async fn throttle(
    state: &AppState,
    key: &str,
    ip: Option<std::net::IpAddr>,
) -> Result<(), AppError> {
    match state.security.limits.login_check(key, ip).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(wait)) => Err(AppError::RateLimited {
            retry_after_secs: wait.as_secs().max(1),
        }),
        Err(e) => Err(e.into()),
    }
}

/// The throttle key of an account: its id, so its username and its email address
/// share one budget. A login that matches no account is keyed by the text typed.
pub fn account_key(user_id: i64) -> String {
    format!("user:{user_id}")
}

/// The throttle key of an account's second factor: a counter of its own, which a
/// right password never clears.
pub(crate) fn second_factor_key(user_id: i64) -> String {
    format!("2fa:user:{user_id}")
}

/// One check of a secret (a password, a second-factor code) under login
/// throttling, safe against bursts and abandoned requests:
/// - one check per key at a time on this instance (the others answer 429 at
///   once), so concurrent attempts cannot all pass the throttle before the first
///   failure is recorded;
/// - the throttle is asked first (a refusal is audited at most once a minute per
///   address, whatever the login typed);
/// - the check runs in a task of its own, so a request cut off by its time limit
///   still has its failure recorded.
///
/// `failed` says which outcomes count as a failure, recorded here. Successes are
/// the caller's to record: a right password is not yet a login when a second
/// factor follows.
pub(crate) async fn throttled_check<T, F>(
    state: &AppState,
    key: &str,
    ctx: &AuditContext,
    check: F,
    failed: fn(&Result<T, AppError>) -> bool,
) -> Result<T, AppError>
where
    T: Send + 'static,
    F: std::future::Future<Output = Result<T, AppError>> + Send + 'static,
{
    let ip: Option<std::net::IpAddr> = ctx.source_ip.as_deref().and_then(|s| s.parse().ok());
    let refused = |state: &AppState, ctx: &AuditContext, e: AppError| {
        let state = state.clone();
        let ctx = ctx.clone();
        async move {
            crate::server::security::limits::record_rate_limited(
                &state,
                &ctx,
                "login_throttle",
                ctx.source_ip.as_deref().unwrap_or("-"),
            )
            .await;
            e
        }
    };
    let Some(guard) = crate::server::security::claim_verification(&state.security, key) else {
        return Err(refused(
            state,
            ctx,
            AppError::RateLimited {
                retry_after_secs: 1,
            },
        )
        .await);
    };
    if let Err(e) = throttle(state, key, ip).await {
        return Err(match e {
            AppError::RateLimited { .. } => refused(state, ctx, e).await,
            other => other,
        });
    }
    let (task_state, task_key) = (state.clone(), key.to_string());
    let task = crate::server::request::spawn(async move {
        let _guard = guard;
        let outcome = check.await;
        if failed(&outcome) {
            task_state
                .security
                .limits
                .login_failure(&task_key, ip)
                .await;
            task_state.metrics.login_failure();
        }
        outcome
    });
    task.await.map_err(crate::error::report)?
}

/// A password check to hand to [`throttled_check`]: true when `password` matches
/// `stored` (a dummy hash is checked when there is no account, so both cost the
/// same); 503 when the hashing queue is full.
pub(crate) fn password_check(
    state: &AppState,
    password: &SecretString,
    stored: Option<String>,
) -> impl std::future::Future<Output = Result<bool, AppError>> + Send + 'static {
    let (hasher, secret) = (state.hasher.clone(), password.clone());
    // A full hashing queue is `Unavailable` (503), logged by `error::report`.
    async move {
        hasher
            .check(&secret, stored.as_deref())
            .await
            .map_err(AppError::from)
    }
}
