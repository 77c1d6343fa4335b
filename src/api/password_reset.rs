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
    password_reset::request(&call.state, &email, &call.audit)
        .await
        .map_err(ctx::fail)
}

#[server(prefix = "/api", endpoint = "password_reset/complete")]
pub async fn reset_password(
    token: String,
    new_password: String,
    new_password_confirm: String,
) -> Result<(), AppError> {
    use crate::server::services::password_reset::{self, Reset};
    let call = ctx::call().await?;
    let reset = Reset {
        token: token.into(),
        new: new_password.into(),
        confirm: new_password_confirm.into(),
    };
    password_reset::complete(&call.state, &reset, &call.audit)
        .await
        .map_err(ctx::fail)
}

/// The mails Motto would have sent, in development without `SMTP_URL`; 404 otherwise.
#[server(prefix = "/api", endpoint = "dev/outbox")]
pub async fn dev_outbox() -> Result<Vec<OutboxMail>, AppError> {
    let call = ctx::call().await?;
    call.state
        .mailer
        .outbox()
        .ok_or_else(|| ctx::fail(AppError::NotFound))
}
