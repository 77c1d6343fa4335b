//! `/api/v1/auth`: access and refresh tokens for scripts that log in with a
//! password.

use super::prelude::*;

#[derive(Deserialize, ToSchema)]
pub(super) struct TokenRequest {
    /// Username or email.
    username: String,
    password: String,
    /// The current code from the authenticator app (or a recovery code), for
    /// accounts with two-factor authentication.
    #[serde(default)]
    otp: Option<String>,
}

#[utoipa::path(
    post, path = "/api/v1/auth/token", tag = "auth",
    summary = "Exchange a password for tokens",
    description = "An access token (1 hour) and a refresh token (7 days). Failed attempts \
                   are throttled like the login form's.",
    request_body = TokenRequest,
    responses(
        (status = 200, description = "A new token pair", body = TokenPair),
        Invalid, Unauthorized, RateLimited, ServerError,
    ),
    security(()),
)]
pub(super) async fn token(
    State(state): State<AppState>,
    parts: axum::http::request::Parts,
    input: Result<Json<TokenRequest>, axum::extract::rejection::JsonRejection>,
) -> ApiResult {
    let input = body(input)?;
    let ctx = Caller::anonymous(&parts).audit;
    let pair = tokens::exchange(
        &state,
        &input.username,
        &input.password.into(),
        input.otp.as_deref(),
        &ctx,
    )
    .await?;
    Ok(no_store(Json(pair).into_response()))
}

#[derive(Deserialize, ToSchema)]
pub(super) struct RefreshRequest {
    refresh_token: String,
}

#[utoipa::path(
    post, path = "/api/v1/auth/refresh", tag = "auth",
    summary = "Rotate a refresh token",
    description = "Gives a new pair; the refresh token sent is spent. Sending a spent one \
                   again revokes every token descended from the same login.",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new token pair", body = TokenPair),
        Invalid, Unauthorized, RateLimited, ServerError,
    ),
    security(()),
)]
pub(super) async fn refresh(
    State(state): State<AppState>,
    parts: axum::http::request::Parts,
    input: Result<Json<RefreshRequest>, axum::extract::rejection::JsonRejection>,
) -> ApiResult {
    let input = body(input)?;
    let ctx = Caller::anonymous(&parts).audit;
    let pair = tokens::refresh(&state, &input.refresh_token, &ctx).await?;
    Ok(no_store(Json(pair).into_response()))
}

#[utoipa::path(
    post, path = "/api/v1/auth/revoke", tag = "auth",
    summary = "Revoke a refresh token",
    description = "Revokes it and every token descended from the same login. Unknown \
                   tokens are accepted silently.",
    request_body = RefreshRequest,
    responses(
        (status = 204, description = "Revoked (or unknown)"),
        Invalid, RateLimited, ServerError,
    ),
    security(()),
)]
pub(super) async fn revoke(
    State(state): State<AppState>,
    parts: axum::http::request::Parts,
    input: Result<Json<RefreshRequest>, axum::extract::rejection::JsonRejection>,
) -> ApiResult {
    let input = body(input)?;
    let ctx = Caller::anonymous(&parts).audit;
    tokens::revoke(&state, &input.refresh_token, &ctx).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Token answers must not be kept by caches.
fn no_store(mut res: Response) -> Response {
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}
