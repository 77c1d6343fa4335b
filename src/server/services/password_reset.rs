//! "Forgot password?": a single-use link by mail, valid for 30 minutes. The answer
//! to a request is the same whether or not the address belongs to an account, and
//! takes the same time (the mail is sent in the background).

use super::accounts::login_key;
use crate::{
    domain::account::RESET_MINUTES,
    error::AppError,
    server::{
        auth::password::check_policy,
        db::{
            audit::{self, AuditContext, NewEvent, Outcome},
            password_resets, users,
        },
        state::AppState,
    },
};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.trim().as_bytes()))
}

/// Ask for a reset link. Always `Ok` for a well-formed address.
pub async fn request(state: &AppState, email: &str, ctx: &AuditContext) -> Result<(), AppError> {
    let email = email.trim();
    if email.is_empty() || !email.contains('@') || email.len() > 320 {
        return Err(AppError::field(
            "email",
            "Enter the email address of your account.",
        ));
    }
    let state = state.clone();
    let ctx = ctx.clone();
    let email = email.to_string();
    // The work (and its timing) happens after the answer has gone.
    crate::server::request::spawn(async move {
        if let Err(e) = send_link(&state, &email, &ctx).await {
            let request_id = ctx.request_id.as_deref().unwrap_or("-");
            tracing::error!(request_id, error = %e, "could not send a password reset link");
        }
    });
    Ok(())
}

async fn send_link(state: &AppState, email: &str, ctx: &AuditContext) -> anyhow::Result<()> {
    let user = users::find_by_login(&state.db, &login_key(email))
        .await?
        // Only an exact email match: a username typed here gets nothing.
        .filter(|u| u.email.eq_ignore_ascii_case(email) && !u.disabled);
    let Some(user) = user else {
        audit::record_now(
            &state.db,
            ctx,
            NewEvent::new("auth.password_reset.request", Outcome::Failure)
                .details(serde_json::json!({ "reason": "unknown_address" })),
        )
        .await?;
        return Ok(());
    };
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let expires = chrono::Utc::now() + chrono::Duration::minutes(RESET_MINUTES);
    password_resets::issue(&state.db, user.id, &hash(&token), expires).await?;
    audit::record_now(
        &state.db,
        ctx,
        NewEvent::new("auth.password_reset.request", Outcome::Success).target("user", user.id),
    )
    .await?;
    // The token travels in the fragment: browsers never send it to a server, so
    // it stays out of access logs, proxies and Referer headers.
    let link = format!(
        "{}/reset-password#token={token}",
        state.settings.public_origin()
    );
    let body = format!(
        "Hello {name},\n\n\
         Someone (hopefully you) asked to reset the password of your Motto account.\n\
         Open this link within {RESET_MINUTES} minutes to choose a new one:\n\n{link}\n\n\
         Or enter this reset code on the \"Reset your password\" page:\n\n{token}\n\n\
         The link works once. If you did not ask for it, ignore this mail: your password \
         stays as it is.\n",
        name = user.username
    );
    state
        .mailer
        .send(&user.email, "Reset your Motto password", &body)
        .await
}

pub struct Reset {
    pub token: SecretString,
    pub new: SecretString,
    pub confirm: SecretString,
    /// Also revoke every API key (someone else may have had the account).
    pub revoke_keys: bool,
}

/// Set a new password with a reset token. Every session and access token of the
/// account ends.
pub async fn complete(state: &AppState, reset: &Reset, ctx: &AuditContext) -> Result<(), AppError> {
    const BAD_TOKEN: &str = "This reset link or code is not valid: it may be mistyped, used, replaced by a newer one or expired. Ask for a new one.";
    let token = reset.token.expose_secret().trim();
    if token.is_empty() {
        return Err(AppError::field(
            "token",
            "Enter the reset code from the mail.",
        ));
    }
    let new = reset.new.expose_secret();
    if new.is_empty() {
        return Err(AppError::field("new_password", "Choose a new password."));
    }
    // Check everything before the write transaction: hashing takes a while and
    // must not hold the database's write lock.
    let token_hash = hash(token);
    let Some(user_id) = password_resets::open_token(&state.db, &token_hash).await? else {
        return Err(AppError::field("token", BAD_TOKEN));
    };
    let user = users::find_by_id(&state.db, user_id)
        .await?
        .filter(|u| !u.disabled)
        .ok_or_else(|| AppError::field("token", BAD_TOKEN))?;
    if let Err(m) = check_policy(new, &user.username, &user.email) {
        return Err(AppError::field("new_password", m));
    }
    if reset.confirm.expose_secret() != new {
        return Err(AppError::field(
            "new_password_confirm",
            "The passwords don't match.",
        ));
    }
    let password_hash = state.hasher.hash(&reset.new).await?;
    let mut tx = state.db.begin().await?;
    // Spent here, atomically: of two uses racing, one wins.
    if password_resets::spend(&mut tx, &token_hash).await? != Some(user.id) {
        return Err(AppError::field("token", BAD_TOKEN));
    }
    users::set_password(&mut tx, user.id, &password_hash).await?;
    crate::server::db::admin::end_user_sessions(&mut tx, user.id).await?;
    let keys_revoked = if reset.revoke_keys {
        crate::server::db::api_keys::revoke_all(&mut tx, user.id).await?
    } else {
        0
    };
    let ctx = AuditContext {
        actor_user_id: Some(user.id),
        ..ctx.clone()
    };
    audit::record(
        &mut tx,
        &ctx,
        NewEvent::new("auth.password_reset.complete", Outcome::Success)
            .target("user", user.id)
            .details(serde_json::json!({ "sessions_and_tokens_ended": true, "api_keys_revoked": keys_revoked })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
