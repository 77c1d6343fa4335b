//! The two-factor gate: when an administrator requires two-factor
//! authentication, a signed-in person who has not set it up can reach only the
//! page that sets it up. A layer of its own, so authentication (`auth`) does not
//! depend on the two-factor service.

use crate::server::{auth::AuthSession, state::AppState};
use axum::{
    extract::{Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
};

/// Where a signed-in person who must set up two-factor authentication may still go.
fn allowed_before_two_factor(path: &str) -> bool {
    matches!(
        path,
        "/account/two-factor" | "/api/logout" | "/api/me" | "/favicon.svg" | "/health" | "/ready"
    ) || path.starts_with("/api/two_factor/")
        || path.starts_with("/pkg/")
        // The REST API authenticates with keys and tokens, not this session.
        || path.starts_with("/api/v1/")
}

/// When an administrator requires two-factor authentication and this person has
/// not set it up, every page sends them to set it up and every server function
/// refuses (ASVS 6.4.x): they cannot get around it by typing another address.
pub async fn enforce_two_factor(
    State(state): State<AppState>,
    auth: AuthSession,
    req: Request,
    next: Next,
) -> Response {
    if let Some(user) = &auth.user {
        if !user.two_factor
            && !allowed_before_two_factor(req.uri().path())
            // The identity provider is trusted for its own second factor.
            && crate::server::auth::login_method(&auth.session).await.as_deref()
                != Some(crate::server::auth::METHOD_OIDC)
            && crate::server::services::two_factor::policy(&state)
                .await
                .requires(user.role)
        {
            if req.uri().path().starts_with("/api/") {
                return (
                    axum::http::StatusCode::FORBIDDEN,
                    axum::Json(crate::error::AppError::form(
                        "Set up two-factor authentication first: an administrator requires it for your account.",
                    )),
                )
                    .into_response();
            }
            return axum::response::Redirect::to("/account/two-factor").into_response();
        }
    }
    next.run(req).await
}
