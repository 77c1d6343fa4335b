//! `/api/v1/me`: who is calling.

use super::prelude::*;

/// Who the caller is and what their credential may do.
#[derive(Serialize, ToSchema)]
pub(super) struct Me {
    id: i64,
    username: String,
    email: String,
    role: crate::domain::user::Role,
    /// The API key in use; absent for an access token.
    key: Option<KeyRef>,
    /// What the credential may do (an access token has every scope).
    scopes: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub(super) struct KeyRef {
    id: i64,
}

#[utoipa::path(
    get, path = "/api/v1/me", tag = "account",
    summary = "The caller",
    description = "The account the credential belongs to, and the credential's scopes.",
    responses((status = 200, description = "The caller", body = Me), Unauthorized, RateLimited, ServerError),
    security(("bearer" = [])),
)]
pub(super) async fn me(State(state): State<AppState>, p: Principal) -> ApiResult {
    let user = users::find_by_id(&state.db, p.user())
        .await?
        .ok_or(ApiError(AppError::Unauthorized))?;
    Ok(Json(Me {
        id: user.id,
        role: user.role(),
        username: user.username,
        email: user.email,
        key: p.key_id().map(|id| KeyRef { id }),
        scopes: p.scopes,
    })
    .into_response())
}
