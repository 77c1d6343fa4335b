//! "Forgot password?" and the development outbox.

use crate::{domain::account::OutboxMail, error::AppError};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::auth::ctx;

/// Mail a reset link; the same answer whether or not the address has an account.
#[server(prefix = "/api", endpoint = "password_reset/request")]
pub async fn request_password_reset(email: String) -> Result<(), AppError> {
    use crate::server::services::password_reset;
    let call = ctx::call().await?;
    password_reset::request(&call.state, &email, &call.caller.audit).await
}

#[server(prefix = "/api", endpoint = "password_reset/complete")]
pub async fn reset_password(
    token: String,
    new_password: String,
    new_password_confirm: String,
    /// A checkbox (ticked on the page): also revoke every API key.
    #[server(default)]
    revoke_keys: Option<String>,
) -> Result<(), AppError> {
    use crate::server::services::password_reset::{self, Reset};
    let call = ctx::call().await?;
    let reset = Reset {
        token: token.into(),
        new: new_password.into(),
        confirm: new_password_confirm.into(),
        revoke_keys: revoke_keys.is_some(),
    };
    password_reset::complete(&call.state, &reset, &call.caller.audit).await
}

/// The mails Motto would have sent, in development without `SMTP_URL`; 404 otherwise.
/// They hold password-reset links, so only the person at this machine (a loopback
/// client of a server listening on loopback only) or an administrator sees them.
#[server(prefix = "/api", endpoint = "dev/outbox")]
pub async fn dev_outbox() -> Result<Vec<OutboxMail>, AppError> {
    use crate::{domain::user::Role, server::security::ClientIp};
    let call = ctx::call().await?;
    let from_this_machine = call.state.settings.listen_addr.ip().is_loopback()
        && use_context::<http::request::Parts>()
            .and_then(|p| p.extensions.get::<ClientIp>().map(|c| c.0))
            .is_some_and(|ip| ip.is_loopback());
    let admin = call
        .auth
        .user
        .as_ref()
        .is_some_and(|u| u.role == Role::Admin);
    if !(from_this_machine || admin) {
        return Err(AppError::NotFound);
    }
    call.state.mailer.outbox().ok_or(AppError::NotFound)
}
