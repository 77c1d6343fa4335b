//! The signed-in person's own account: username and email, password, sessions.

use crate::{domain::account::SessionView, error::AppError};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::auth::ctx;

#[server(prefix = "/api", endpoint = "account/identity")]
pub async fn change_identity(
    username: String,
    email: String,
    password: String,
) -> Result<Option<String>, AppError> {
    use crate::server::services::profile;
    let mut call = ctx::call().await?;
    let user = call.caller.user()?;
    let (row, confirm_at) = profile::change_identity(
        &call.state,
        user,
        &username,
        &email,
        &password.into(),
        &call.caller.audit,
    )
    .await?;
    // The session's copy of the user (shown in the header) follows the change.
    ctx::refresh_user(&mut call, &row).await?;
    // The address a confirmation link went to (a new address is used once confirmed).
    Ok(confirm_at)
}

/// The email address, whether it is confirmed, and a new one waiting for its link.
#[server(prefix = "/api", endpoint = "account/email")]
pub async fn email_status() -> Result<crate::domain::account::EmailStatus, AppError> {
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    crate::server::services::email_confirmation::status(&call.state, user).await
}

/// Send the confirmation link again; the answer is the address it went to.
#[server(prefix = "/api", endpoint = "account/email/resend")]
pub async fn resend_email_confirmation() -> Result<String, AppError> {
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    crate::server::services::email_confirmation::resend(&call.state, user, &call.caller.audit).await
}

/// Open a confirmation link (signed in or not).
#[server(prefix = "/api", endpoint = "account/email/confirm")]
pub async fn confirm_email(token: String) -> Result<(), AppError> {
    let call = ctx::call().await?;
    crate::server::services::email_confirmation::confirm(&call.state, &token, &call.caller.audit)
        .await
}

#[server(prefix = "/api", endpoint = "account/password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
    new_password_confirm: String,
    /// A checkbox: also revoke every API key.
    #[server(default)]
    revoke_keys: Option<String>,
) -> Result<(), AppError> {
    use crate::server::{auth::session_ref, services::profile};
    let mut call = ctx::call().await?;
    let user = call.caller.user()?;
    let keep = session_ref(&call.auth.session).await;
    let change = profile::PasswordChange {
        current: current_password.into(),
        new: new_password.into(),
        confirm: new_password_confirm.into(),
    };
    let row = profile::change_password(
        &call.state,
        user,
        &change,
        keep.as_deref(),
        revoke_keys.is_some(),
        &call.caller.audit,
    )
    .await?;
    // This session moves to the new epoch with a new id; the others are dead.
    call.auth
        .session
        .cycle_id()
        .await
        .map_err(crate::error::report)?;
    ctx::refresh_user(&mut call, &row).await
}

#[server(prefix = "/api", endpoint = "account/sessions")]
pub async fn list_sessions() -> Result<Vec<SessionView>, AppError> {
    use crate::server::{auth::session_ref, services::profile};
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    let current = session_ref(&call.auth.session).await;
    profile::list_sessions(&call.state, user, current.as_deref()).await
}

#[server(prefix = "/api", endpoint = "account/sessions/end")]
pub async fn end_session(id: String) -> Result<(), AppError> {
    use crate::server::{auth::session_ref, services::profile};
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    let current = session_ref(&call.auth.session).await;
    profile::end_session(
        &call.state,
        user,
        &id,
        current.as_deref(),
        &call.caller.audit,
    )
    .await
}

/// Sign out everywhere else: every other session and every REST token (and the
/// API keys when `revoke_keys` is ticked); how many sessions were ended.
#[server(prefix = "/api", endpoint = "account/sessions/end_others")]
pub async fn end_other_sessions(
    #[server(default)] revoke_keys: Option<String>,
) -> Result<u64, AppError> {
    use crate::server::{auth::session_ref, services::profile};
    let mut call = ctx::call().await?;
    let user = call.caller.user()?;
    let Some(current) = session_ref(&call.auth.session).await else {
        return Err(AppError::form(
            "Log out and in again first: this session predates the session list.",
        ));
    };
    let done = profile::end_other_sessions(
        &call.state,
        user,
        &current,
        revoke_keys.is_some(),
        &call.caller.audit,
    )
    .await?;
    // This session follows the new epoch, under a new id; everything else is dead.
    call.auth
        .session
        .cycle_id()
        .await
        .map_err(crate::error::report)?;
    ctx::refresh_user(&mut call, &done.user).await?;
    Ok(done.sessions)
}

/// Delete the account for good (password and username as confirmation); signs out.
#[server(prefix = "/api", endpoint = "account/delete")]
pub async fn delete_account(password: String, confirm_username: String) -> Result<(), AppError> {
    use crate::server::services::your_data;
    let mut call = ctx::call().await?;
    let user = call.caller.user()?;
    your_data::delete_account(
        &call.state,
        user,
        &password.into(),
        &confirm_username,
        &call.caller.audit,
    )
    .await?;
    call.auth.logout().await.map_err(crate::error::report)?;
    leptos_axum::redirect("/?account=deleted");
    Ok(())
}

#[server(prefix = "/api", endpoint = "account/preferences")]
pub async fn get_preferences() -> Result<crate::domain::account::Preferences, AppError> {
    use crate::server::services::profile;
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    profile::preferences(&call.state, user).await
}

#[server(prefix = "/api", endpoint = "account/preferences/set")]
pub async fn save_preferences(theme: String, time_zone: String) -> Result<(), AppError> {
    use crate::server::services::profile;
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    let theme =
        profile::set_preferences(&call.state, user, &theme, &time_zone, &call.caller.audit).await?;
    ctx::set_theme_cookie(&call, theme);
    Ok(())
}

/// What the signed-in person uses and may use (storage, tokens today, API keys).
#[server(prefix = "/api", endpoint = "account/quotas")]
pub async fn my_quotas() -> Result<crate::domain::quota::QuotaView, AppError> {
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    crate::server::services::quotas::view(&call.state, user).await
}

/// The account's link to the identity provider (`None` when single sign-on is off).
#[server(prefix = "/api", endpoint = "account/sso")]
pub async fn sso_status() -> Result<Option<crate::domain::sso::SsoStatus>, AppError> {
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    let this_session = crate::server::auth::login_method(&call.auth.session)
        .await
        .as_deref()
        == Some(crate::server::auth::METHOD_OIDC);
    crate::server::services::sso::status(&call.state, user, this_session).await
}

/// Unlink the account at the identity provider.
#[server(prefix = "/api", endpoint = "account/sso/unlink")]
pub async fn sso_unlink() -> Result<(), AppError> {
    let call = ctx::call().await?;
    let user = call.caller.user()?;
    crate::server::services::sso::unlink(&call.state, user, &call.caller.audit).await
}
