//! Rate limits per endpoint class, and login throttling (ASVS 2.4.1, 6.1.1, 6.3.1):
//! the middleware that applies them and answers 429.
//!
//! The rules are in [`super::rules`]; where the counts are kept is
//! [`super::store::Limits`]: this instance's memory on SQLite (one instance),
//! PostgreSQL or Redis when several instances share the load, so an attacker
//! gains nothing by spreading requests over them.

use super::ClientIp;
use crate::{
    error::AppError,
    server::{
        auth::AuthSession,
        db::audit::{self, NewEvent, Outcome},
        request::audit_context,
        state::AppState,
    },
};
use axum::{
    extract::{Request, State},
    http::HeaderValue,
    middleware::Next,
    response::{IntoResponse, Response},
};
use std::time::Duration;

pub use super::rules::{Class, LoginThrottle, RateLimiter};

fn too_many(retry_after: Duration) -> Response {
    let secs = retry_after.as_secs().max(1);
    let mut res = AppError::RateLimited {
        retry_after_secs: secs,
    }
    .into_response();
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        res.headers_mut().insert("retry-after", v);
    }
    res
}

pub async fn record_rate_limited(
    state: &AppState,
    ctx: &crate::server::db::audit::AuditContext,
    kind: &str,
    key: &str,
) {
    state.metrics.rate_limited(kind);
    if !state
        .security
        .dedupe
        .should_record(&format!("{kind}:{key}"))
    {
        return;
    }
    let event = NewEvent::new("security.rate_limited", Outcome::Denied)
        .details(serde_json::json!({ "class": kind }));
    if let Err(e) = audit::record_now(&state.db, ctx, event).await {
        tracing::error!(error = %e, "could not record a rate-limit hit");
    }
}

/// Per-class limits, keyed by the user when known and the client address otherwise.
pub async fn rate_limit(
    State(state): State<AppState>,
    auth: AuthSession,
    req: Request,
    next: Next,
) -> Response {
    let Some(class) = Class::of(req.method(), req.uri().path()) else {
        return next.run(req).await;
    };
    let limits = &state.settings.rate_limits;
    let rate = match class {
        Class::Login => limits.login,
        Class::Register => limits.register,
        Class::PasswordReset => limits.password_reset,
        Class::ServerFn => limits.server_fn,
        Class::Heavy => limits.heavy,
        Class::Api => limits.api,
    };
    let Some(rate) = rate else {
        return next.run(req).await;
    };
    let ip = req.extensions().get::<ClientIp>().map(|c| c.0);
    let user = auth.user.as_ref().map(|u| u.id);
    // The REST API is counted here per client address (whatever credential it
    // sends: made-up bearers must not each get a counter of their own), and per
    // credential once that is authenticated (`count_api_credential`).
    let key = match (class, user, ip) {
        (Class::ServerFn | Class::Heavy, Some(id), _) => format!("user:{id}"),
        (_, _, Some(ip)) => format!("ip:{}", super::limit_address(ip)),
        _ => "unknown".to_string(),
    };
    if let Err(retry_after) = state.security.limits.hit(class, &key, rate).await {
        let ctx = audit_context(req.extensions(), req.headers(), user);
        record_rate_limited(&state, &ctx, class.as_str(), &key).await;
        let rid = crate::server::request::REQUEST_ID
            .try_with(|r| r.clone())
            .unwrap_or_default();
        tracing::warn!(request_id = %rid, class = class.as_str(), "rate limited");
        return too_many(retry_after);
    }
    next.run(req).await
}

/// The REST API's per-credential limit (`RATE_LIMIT_API`), counted once the
/// credential is known to be real: `key:<id>` for an API key, `user:<id>` for an
/// access token.
pub async fn count_api_credential(
    state: &AppState,
    credential: &str,
    ctx: &crate::server::db::audit::AuditContext,
) -> Result<(), AppError> {
    let Some(rate) = state.settings.rate_limits.api else {
        return Ok(());
    };
    match state
        .security
        .limits
        .hit(Class::Api, credential, rate)
        .await
    {
        Ok(()) => Ok(()),
        Err(retry_after) => {
            record_rate_limited(state, ctx, Class::Api.as_str(), credential).await;
            Err(AppError::RateLimited {
                retry_after_secs: retry_after.as_secs().max(1),
            })
        }
    }
}
