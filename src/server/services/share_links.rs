//! Share links: a document's editors make a read-only public link to it, with
//! an optional password and expiry, and revoke it; a space's owners can forbid
//! links to its documents, and an administrator everywhere. Only a hash of the
//! link's secret is stored; the address is shown once. A visitor's view is
//! counted, not audited; wrong passwords are throttled like logins.

use std::net::IpAddr;
use std::time::Duration;

use crate::{
    domain::{
        share::{self, LinkStatus, NewShareLink, ShareLinkView, EXPIRY_MAX_DAYS},
        space::SpaceAction,
    },
    error::AppError,
    server::{
        adapters::markdown,
        db::{
            audit::{self, AuditContext, NewEvent, Outcome},
            documents,
            share_links::{self as db, LinkRow, NewLink},
            two_factor,
        },
        services::spaces,
        state::AppState,
    },
};
use chrono::{DateTime, Utc};
use rand::RngCore;
use secrecy::SecretString;
use sha2::{Digest, Sha256};

/// The `app_settings` key of the administrators' switch.
const SETTING: &str = "share_links.enabled";

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn view(row: LinkRow, now: DateTime<Utc>) -> ShareLinkView {
    ShareLinkView {
        status: LinkStatus::of(now, row.expires_at, row.revoked_at.is_some()),
        id: row.id,
        document_id: row.document_id,
        created_by: row.created_by,
        created_at: row.created_at,
        expires_at: row.expires_at,
        has_password: row.has_password,
        views: row.views,
        last_viewed_at: row.last_viewed_at,
        space_name: row.space_name,
    }
}

/// Whether administrators allow share links at all (they do unless switched off).
pub async fn enabled(state: &AppState) -> Result<bool, AppError> {
    Ok(two_factor::setting(&state.db, SETTING).await?.as_deref() != Some("off"))
}

/// The administrators' switch (the caller checked the admin role).
pub async fn set_enabled(state: &AppState, on: bool, ctx: &AuditContext) -> Result<(), AppError> {
    let mut tx = state.db.begin().await?;
    two_factor::set_setting(&mut tx, SETTING, if on { "on" } else { "off" }).await?;
    let event = NewEvent::new("settings.share_links", Outcome::Success)
        .details(serde_json::json!({ "enabled": on }));
    audit::record(&mut tx, ctx, event).await?;
    tx.commit().await?;
    Ok(())
}

/// The space of `document` when `user` may change it (editor or owner there):
/// NotFound when they may not read it, Forbidden when they only may read it.
async fn editable_space(
    state: &AppState,
    user: i64,
    document: i64,
    ctx: &AuditContext,
) -> Result<i64, AppError> {
    let row = documents::get(&state.db, user, document)
        .await?
        .filter(|d| d.deleted_at.is_none())
        .ok_or(AppError::NotFound)?;
    spaces::can(state, user, SpaceAction::Write, row.space_id, ctx).await?;
    Ok(row.space_id)
}

/// Make a link to `document`. `password` empty: none; `expires_in_days` 0: never.
pub async fn create(
    state: &AppState,
    user: i64,
    document: i64,
    password: &str,
    expires_in_days: u32,
    ctx: &AuditContext,
) -> Result<NewShareLink, AppError> {
    let space = editable_space(state, user, document, ctx).await?;
    if !enabled(state).await? {
        return Err(AppError::form(
            "Share links are turned off on this server by its administrators.",
        ));
    }
    if !db::allowed_in(&state.db, space).await? {
        return Err(AppError::form(
            "This space does not allow share links: its owners can allow them in its settings.",
        ));
    }
    if let Some(problem) = share::password_problem(password) {
        return Err(AppError::field("password", problem));
    }
    if expires_in_days > EXPIRY_MAX_DAYS {
        return Err(AppError::field(
            "expires_in_days",
            format!("A link can last at most {EXPIRY_MAX_DAYS} days."),
        ));
    }
    let password_hash = if password.is_empty() {
        None
    } else {
        Some(
            state
                .hasher
                .hash(&SecretString::from(password.to_string()))
                .await
                .map_err(crate::error::report)?,
        )
    };
    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let token = data_encoding::BASE64URL_NOPAD.encode(&secret);
    let expires_at =
        (expires_in_days > 0).then(|| Utc::now() + chrono::Duration::days(expires_in_days.into()));
    let mut tx = state.db.begin().await?;
    let id = db::insert(
        &mut tx,
        NewLink {
            document,
            token_hash: &hash(&token),
            password_hash: password_hash.as_deref(),
            expires_at,
            created_by: user,
        },
    )
    .await?;
    let event = NewEvent::new("share_link.create", Outcome::Success)
        .target("document", document)
        .details(serde_json::json!({
            "link_id": id,
            "password": password_hash.is_some(),
            "expires_at": expires_at,
        }));
    audit::record(&mut tx, ctx, event).await?;
    tx.commit().await?;
    Ok(NewShareLink {
        id,
        url: format!("{}/s/{token}", state.settings.public_origin()),
    })
}

/// The links of a document, for its editors.
pub async fn for_document(
    state: &AppState,
    user: i64,
    document: i64,
    ctx: &AuditContext,
) -> Result<Vec<ShareLinkView>, AppError> {
    editable_space(state, user, document, ctx).await?;
    let now = Utc::now();
    Ok(db::for_document(&state.db, document)
        .await?
        .into_iter()
        .map(|r| view(r, now))
        .collect())
}

/// Every link, for the admin console (the caller checked the admin role).
pub async fn all(state: &AppState) -> Result<Vec<ShareLinkView>, AppError> {
    let now = Utc::now();
    Ok(db::all(&state.db, 500)
        .await?
        .into_iter()
        .map(|r| view(r, now))
        .collect())
}

/// Revoke a link: by an editor of its document, or (`as_admin`) an administrator.
pub async fn revoke(
    state: &AppState,
    user: i64,
    link: i64,
    as_admin: bool,
    ctx: &AuditContext,
) -> Result<(), AppError> {
    let row = db::get(&state.db, link).await?.ok_or(AppError::NotFound)?;
    if !as_admin {
        editable_space(state, user, row.document_id, ctx).await?;
    }
    let mut tx = state.db.begin().await?;
    if !db::revoke(&mut tx, link).await? {
        return Ok(());
    }
    let event = NewEvent::new("share_link.revoke", Outcome::Success)
        .target("document", row.document_id)
        .details(serde_json::json!({ "link_id": link, "by_admin": as_admin }));
    audit::record(&mut tx, ctx, event).await?;
    tx.commit().await?;
    Ok(())
}

/// Allow or forbid links to a space's documents (its owners). Forbidding stops
/// the existing links at once (they work again if allowed again, unless revoked).
pub async fn set_allowed_in(
    state: &AppState,
    user: i64,
    space: i64,
    allowed: bool,
    ctx: &AuditContext,
) -> Result<(), AppError> {
    spaces::can(state, user, SpaceAction::Manage, space, ctx).await?;
    let mut tx = state.db.begin().await?;
    db::set_allowed_in(&mut tx, space, allowed).await?;
    let event = NewEvent::new("space.update", Outcome::Success)
        .target("space", space)
        .details(serde_json::json!({ "share_links": allowed }));
    audit::record(&mut tx, ctx, event).await?;
    tx.commit().await?;
    Ok(())
}

/// Whether a space allows links, for its page.
pub async fn allowed_in(
    state: &AppState,
    user: i64,
    space: i64,
    ctx: &AuditContext,
) -> Result<bool, AppError> {
    spaces::can(state, user, SpaceAction::Read, space, ctx).await?;
    Ok(db::allowed_in(&state.db, space).await?)
}

/// What a visitor's link shows.
pub enum Visit {
    /// No such link, or it was revoked, expired, its document trashed, links
    /// forbidden: all look the same to the visitor.
    Gone,
    /// The link has a password: ask for it (`wrong`: the one given was not it).
    Password { wrong: bool },
    /// Too many wrong passwords: wait this long.
    Throttled(Duration),
    Document {
        title: String,
        html: String,
        updated_at: DateTime<Utc>,
    },
}

/// Audit a wrong share-link password (at most one event a minute per link and
/// address: the throttle, not the log, is what stops guessing).
async fn password_failure(state: &AppState, link: i64, ctx: &AuditContext) {
    let key = format!(
        "share-link:{link}:{}",
        ctx.source_ip.as_deref().unwrap_or("-")
    );
    if !state.security.dedupe.should_record(&key) {
        return;
    }
    let event =
        NewEvent::new("share_link.password_failure", Outcome::Failure).target("share_link", link);
    if let Err(e) = audit::record_now(&state.db, ctx, event).await {
        tracing::error!(error = %e, "could not record a wrong share-link password");
    }
}

/// Open the link whose secret is `token`, with the `password` the visitor gave
/// (if any). A view is counted when the document is shown.
pub async fn visit(
    state: &AppState,
    token: &str,
    password: Option<&str>,
    ip: Option<IpAddr>,
    ctx: &AuditContext,
) -> Result<Visit, AppError> {
    if token.len() > 100 || !enabled(state).await? {
        return Ok(Visit::Gone);
    }
    let Some(link) = db::open(&state.db, &hash(token)).await? else {
        return Ok(Visit::Gone);
    };
    if let Some(stored) = link.password_hash.as_deref() {
        let Some(given) = password else {
            return Ok(Visit::Password { wrong: false });
        };
        let account = format!("share-link:{}", link.id);
        let limits = &state.security.limits;
        match limits.login_check(&account, ip).await {
            Ok(Ok(())) => {}
            Ok(Err(wait)) => return Ok(Visit::Throttled(wait)),
            // A brake that cannot be checked is on.
            Err(e) => {
                tracing::error!(error = %e, "share link throttle unreadable");
                return Ok(Visit::Throttled(Duration::from_secs(60)));
            }
        }
        let ok = state
            .hasher
            .check(&SecretString::from(given.to_string()), Some(stored))
            .await
            .unwrap_or(false);
        if !ok {
            limits.login_failure(&account, ip).await;
            password_failure(state, link.id, ctx).await;
            return Ok(Visit::Password { wrong: true });
        }
        limits.login_success(&account, ip).await;
    }
    db::viewed(&state.db, link.id).await?;
    if state.settings.audit.access_events {
        let event =
            NewEvent::new("share_link.view", Outcome::Success).target("share_link", link.id);
        audit::record_now(&state.db, ctx, event).await?;
    }
    Ok(Visit::Document {
        html: markdown::render(&link.body),
        title: link.title,
        updated_at: link.updated_at,
    })
}
