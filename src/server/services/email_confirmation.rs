//! An account owns an email address only once a link sent to it was opened. Until
//! then the address cannot be used to log in or to receive a password reset, and
//! the person sees a banner asking them to confirm it.
//!
//! Registration and changing the address answer the same whether or not another
//! account owns the address: the confirmation link goes to a free address, and an
//! owned address gets a mail saying someone tried to use it. So the pages reveal
//! nothing about who has an account; only the address's owner learns of the try.

use crate::domain::text::Email;
use crate::{
    error::AppError,
    server::{
        db::{
            audit::{self, AuditContext, NewEvent, Outcome},
            email_confirmations as db, users, DbError,
        },
        state::AppState,
    },
};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// How long a confirmation link works.
pub const CONFIRM_HOURS: i64 = 24;
/// A new link is sent at most this often (seconds) when asked again.
const RESEND_EVERY_SECS: i64 = 60;

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.trim().as_bytes()))
}

/// The email key of an account whose address is not confirmed yet: unique, and no
/// typed login can produce it (login keys are lower-cased; this has capitals).
pub fn placeholder_key() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("Unconfirmed:{}", hex::encode(bytes))
}

/// What `email` should get for `user` claiming it (a link, or a note to its
/// owner): the link is recorded now, before the answer (so the account page shows
/// the address as waiting at once); the mail is sent after the answer has gone,
/// so how long sending takes says nothing about the address. Failures are logged
/// with the request id.
pub async fn record_and_send(state: &AppState, user: i64, email: String, ctx: &AuditContext) {
    let mail = match record(state, user, &email, ctx).await {
        Ok(Some(mail)) => mail,
        Ok(None) => return,
        Err(e) => {
            let request_id = ctx.request_id.as_deref().unwrap_or("-");
            tracing::error!(request_id, error = %e, "could not record an email confirmation");
            return;
        }
    };
    let state = state.clone();
    let request_id = ctx.request_id.clone();
    crate::server::request::spawn(async move {
        if let Err(e) = state.mailer.send(&email, mail.subject, &mail.body).await {
            let request_id = request_id.as_deref().unwrap_or("-");
            tracing::error!(request_id, error = %e, "could not send an email confirmation");
        }
    });
}

/// A mail to send once the answer has gone.
struct Mail {
    subject: &'static str,
    body: String,
}

/// Record the link (and its audit event) and return the mail to send, if any.
async fn record(
    state: &AppState,
    user: i64,
    email: &str,
    ctx: &AuditContext,
) -> anyhow::Result<Option<Mail>> {
    let Some(account) = users::find_by_id(&state.db, user).await? else {
        return Ok(None);
    };
    let key = Email::parse(email).map_err(|m| anyhow::anyhow!(m))?.key;
    let origin = state.settings.public_origin();
    let owner = db::owned(&state.db, &key).await?.map(|(id, _)| id);
    if owner == Some(user) {
        return Ok(None);
    }
    // A link is recorded either way, so the account page (and the limit on sending
    // again) cannot tell an owned address from a free one; for an owned address it
    // is never sent, so it can never be used.
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let expires = chrono::Utc::now() + chrono::Duration::hours(CONFIRM_HOURS);
    let mut tx = state.db.begin().await?;
    db::issue(&mut tx, user, email, &hash(&token), expires).await?;
    audit::record(
        &mut tx,
        ctx,
        NewEvent::new("account.email.link", Outcome::Success)
            .target("user", user)
            .details(serde_json::json!({ "address_in_use": owner.is_some() })),
    )
    .await?;
    tx.commit().await?;
    if owner.is_some() {
        let body = format!(
            "Hello,\n\n\
             Someone (perhaps you) tried to use this email address for a new Motto \
             account, or for another account, at {origin}. This address already belongs \
             to an account, so nothing changed.\n\n\
             If it was you: you already have an account. Log in at {origin}/login, or \
             choose a new password at {origin}/forgot-password if you forgot it.\n\n\
             If it was not you, you can ignore this mail.\n"
        );
        return Ok(Some(Mail {
            subject: "Your email address is already in use on Motto",
            body,
        }));
    }
    // The token travels in the fragment, out of access logs and Referer headers.
    let body = format!(
        "Hello {name},\n\n\
         Open this link within {CONFIRM_HOURS} hours to confirm that this address is \
         yours and use it for your Motto account:\n\n{origin}/confirm-email#token={token}\n\n\
         Or enter this code on the \"Confirm your email address\" page:\n\n{token}\n\n\
         If you did not ask for it, ignore this mail: nothing changes.\n",
        name = account.username
    );
    Ok(Some(Mail {
        subject: "Confirm your email address for Motto",
        body,
    }))
}

/// Open a confirmation link: the account owns the address from now on. Works
/// signed in or not (the link may open in another browser).
pub async fn confirm(state: &AppState, token: &str, ctx: &AuditContext) -> Result<(), AppError> {
    const BAD_TOKEN: &str = "This confirmation link or code is not valid: it may be mistyped, used, replaced by a newer one or expired. Ask for a new one from your account page.";
    let token = token.trim();
    if token.is_empty() {
        return Err(AppError::field(
            "token",
            "Enter the confirmation code from the mail.",
        ));
    }
    let mut tx = state.db.begin().await?;
    let Some((user, email)) = db::spend(&mut tx, &hash(token)).await? else {
        return Err(AppError::field("token", BAD_TOKEN));
    };
    let before = users::find_by_id_in(&mut tx, user)
        .await?
        .filter(|u| !u.disabled)
        .ok_or_else(|| AppError::field("token", BAD_TOKEN))?;
    let key = Email::parse(&email)
        .map_err(|_| AppError::field("token", BAD_TOKEN))?
        .key;
    match db::confirm(&mut tx, user, &email, &key).await {
        Ok(()) => {}
        Err(DbError::Conflict(_)) => {
            return Err(AppError::field(
                "token",
                "This address was confirmed for another account in the meantime, so it cannot be used for this one. Choose another address on your account page.",
            ))
        }
        Err(e) => return Err(e.into()),
    }
    let ctx = AuditContext {
        actor_user_id: ctx.actor_user_id.or(Some(user)),
        ..ctx.clone()
    };
    audit::record(
        &mut tx,
        &ctx,
        NewEvent::new("account.email.confirm", Outcome::Success)
            .target("user", user)
            .details(serde_json::json!({ "changed": before.email_confirmed })),
    )
    .await?;
    tx.commit().await?;
    // A confirmed address that changed: its old owner hears of it.
    if before.email_confirmed && !before.email.eq_ignore_ascii_case(&email) {
        let state = state.clone();
        let body = format!(
            "Hello {name},\n\n\
             The email address of your Motto account at {origin} was changed from this \
             address to {email}. If you did this, there is nothing to do.\n\n\
             If you did not, someone may have your password: choose a new one at \
             {origin}/forgot-password (the mail goes to the new address, so ask an \
             administrator if you cannot read it).\n",
            name = before.username,
            origin = state.settings.public_origin(),
        );
        let old = before.email.clone();
        crate::server::request::spawn(async move {
            if let Err(e) = state
                .mailer
                .send(&old, "Your Motto email address was changed", &body)
                .await
            {
                tracing::error!(error = %e, "could not tell the old address of a change");
            }
        });
    }
    Ok(())
}

/// What the account page shows: the address, whether it is confirmed, and an
/// address waiting for its link.
pub async fn status(
    state: &AppState,
    user: i64,
) -> Result<crate::domain::account::EmailStatus, AppError> {
    let row = users::find_by_id(&state.db, user)
        .await?
        .ok_or(AppError::Unauthorized)?;
    let pending = db::pending(&state.db, user)
        .await?
        .map(|(email, _)| email)
        .filter(|p| !(row.email_confirmed && p.eq_ignore_ascii_case(&row.email)));
    Ok(crate::domain::account::EmailStatus {
        email: row.email,
        confirmed: row.email_confirmed,
        pending,
    })
}

/// Send the link again (to the address waiting, or the unconfirmed one). At most
/// once a minute; the answer names the address it went to.
pub async fn resend(state: &AppState, user: i64, ctx: &AuditContext) -> Result<String, AppError> {
    let row = users::find_by_id(&state.db, user)
        .await?
        .ok_or(AppError::Unauthorized)?;
    let pending = db::pending(&state.db, user).await?;
    let last = db::last_sent(&state.db, user).await?;
    let to = match (pending, row.email_confirmed) {
        (Some((email, _)), _) => email,
        (None, false) => row.email.clone(),
        (None, true) => {
            return Err(AppError::form(
                "Your email address is confirmed: there is nothing to send.",
            ))
        }
    };
    if let Some(sent) = last {
        let age = (chrono::Utc::now() - sent).num_seconds();
        if age < RESEND_EVERY_SECS {
            return Err(AppError::RateLimited {
                retry_after_secs: (RESEND_EVERY_SECS - age).max(1) as u64,
            });
        }
    }
    record_and_send(state, user, to.clone(), ctx).await;
    Ok(to)
}
