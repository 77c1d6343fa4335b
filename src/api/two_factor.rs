//! Two-factor authentication on one's own account.

use crate::{
    domain::two_factor::{Enrolment, TwoFactorStatus},
    error::AppError,
};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::auth::ctx;

#[server(prefix = "/api", endpoint = "two_factor/status")]
pub async fn get_two_factor_status() -> Result<TwoFactorStatus, AppError> {
    use crate::server::services::two_factor;
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    two_factor::status(&call.state, user).await
}

/// A new secret to scan or type (pending until confirmed).
#[server(prefix = "/api", endpoint = "two_factor/begin")]
pub async fn begin_two_factor(
    /// Asked when the login is more than a few minutes old.
    #[server(default)]
    password: Option<String>,
) -> Result<Enrolment, AppError> {
    use crate::server::services::two_factor;
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    ctx::fresh_identity(&call, password.as_deref()).await?;
    two_factor::begin(&call.state, user).await
}

/// Confirm with a code: two-factor is on; the answer holds the recovery codes.
#[server(prefix = "/api", endpoint = "two_factor/confirm")]
pub async fn confirm_two_factor(code: String) -> Result<Vec<String>, AppError> {
    use crate::server::services::two_factor;
    let mut call = ctx::call().await?;
    let user = call.caller.user()?;
    let codes = two_factor::confirm(&call.state, user, &code, &call.caller.audit).await?;
    refresh(&mut call, user).await?;
    Ok(codes)
}

#[server(prefix = "/api", endpoint = "two_factor/disable")]
pub async fn disable_two_factor(password: String, code: String) -> Result<(), AppError> {
    use crate::server::services::two_factor;
    let mut call = ctx::call().await?;
    let user = call.caller.user()?;
    two_factor::disable(
        &call.state,
        user,
        &password.into(),
        &code,
        &call.caller.audit,
    )
    .await?;
    refresh(&mut call, user).await
}

/// The session's copy of the user follows the change (it says whether 2FA is on).
#[cfg(feature = "ssr")]
async fn refresh(call: &mut ctx::Call, user: i64) -> Result<(), AppError> {
    let row = crate::server::db::users::find_by_id(&call.state.db, user)
        .await
        .map_err(crate::error::report)?
        .ok_or(AppError::Unauthorized)?;
    ctx::refresh_user(call, &row).await
}
