//! Single sign-on: what Motto does with the person an OpenID Provider vouches
//! for (the protocol itself is `adapters::oidc`). Accounts are linked by the
//! provider's (issuer, subject), never by email; a first sign-in may create the
//! account; groups and the administrator role follow configured claims.

pub use crate::server::adapters::oidc::{
    Callback, Claims, Failure, Provider, Purpose, CALLBACK_PATH, FLOW_COOKIE, FLOW_TTL_SECS,
    LINK_PATH, LOGOUT_PATH, START_PATH,
};
use crate::{
    domain::{
        sso::{AdminSso, SsoStatus},
        user::Role,
    },
    error::AppError,
    server::{
        db::{
            admin as admin_db,
            audit::{self, AuditContext, NewEvent, Outcome},
            groups as groups_db, identities,
            users::{self, NewUser, UserRow},
            DbError, Tx,
        },
        state::AppState,
    },
};
use std::sync::Arc;

/// The password hash of an account made by single sign-on: it matches no
/// password (the account has none until its owner sets one by reset).
pub const NO_PASSWORD: &str = "!none";

impl From<sqlx::Error> for Failure {
    fn from(e: sqlx::Error) -> Failure {
        Failure::internal(e)
    }
}

impl From<DbError> for Failure {
    fn from(e: DbError) -> Failure {
        Failure::internal(e)
    }
}

/// The provider, or a failure when single sign-on is not open.
pub fn provider(state: &AppState) -> Result<&Arc<Provider>, Failure> {
    match (&state.sso, state.settings.login_methods.oidc) {
        (Some(p), true) => Ok(p),
        _ => Err(Failure::new(
            "not_enabled",
            "single sign-on is not configured",
        )),
    }
}

/// Record a refused sign-in (or link) with its reason.
pub async fn record_failure(
    state: &AppState,
    failure: &Failure,
    purpose: Option<Purpose>,
    ctx: &AuditContext,
) {
    let purpose = match purpose {
        Some(Purpose::Link { .. }) => "link",
        _ => "login",
    };
    let mut event =
        NewEvent::new("auth.sso.login.failure", Outcome::Failure).details(serde_json::json!({
            "reason": failure.reason,
            "detail": failure.detail,
            "purpose": purpose,
        }));
    if let Some(user) = failure.user {
        event = event.target("user", user);
    }
    if let Err(e) = audit::record_now(&state.db, ctx, event).await {
        tracing::error!(error = %e, "could not record a refused single sign-on");
    }
    state.metrics.login_failure();
}

/// Sign in with verified claims: the linked account, or a new one (when
/// allowed); then email, groups and the administrator role follow the claims.
/// All in one transaction with its audit events: a refusal leaves nothing behind.
pub async fn sign_in(
    state: &AppState,
    claims: &Claims,
    ctx: &AuditContext,
) -> Result<UserRow, Failure> {
    let settings = state
        .settings
        .oidc
        .as_ref()
        .ok_or_else(|| Failure::new("not_enabled", ""))?;
    let mut tx = state.db.begin().await?;
    let linked = identities::user_for(&mut tx, &claims.issuer, &claims.subject).await?;
    let (user, created) = match linked {
        Some(id) => {
            let user = users::find_by_id_in(&mut tx, id)
                .await?
                .ok_or_else(|| Failure::internal("linked account vanished"))?;
            if user.disabled {
                return Err(Failure {
                    user: Some(id),
                    ..Failure::new("disabled", "the account is disabled")
                });
            }
            (user, false)
        }
        None if !settings.create_accounts => {
            return Err(Failure::new(
                "no_account",
                format!("no account is linked to subject {:?}", claims.subject),
            ))
        }
        None => (create_account(&mut tx, claims).await?, true),
    };
    let ctx = AuditContext {
        actor_user_id: Some(user.id),
        ..ctx.clone()
    };
    if created {
        let event = NewEvent::new("auth.sso.link", Outcome::Success)
            .target("user", user.id)
            .details(serde_json::json!({ "issuer": claims.issuer, "created_account": true }));
        audit::record(&mut tx, &ctx, event).await?;
    } else if settings.sync_profile {
        sync_email(&mut tx, &user, claims).await?;
    }
    if let Some(groups) = &claims.groups {
        sync_groups(&mut tx, &user, groups, &ctx).await?;
        if let Some(admin_group) = &settings.admin_group {
            sync_role(&mut tx, &user, groups.contains(admin_group), &ctx).await?;
        }
    }
    identities::touch(&mut tx, &claims.issuer, &claims.subject).await?;
    users::touch_last_login(&mut tx, user.id).await?;
    let event = NewEvent::new("auth.sso.login.success", Outcome::Success)
        .target("user", user.id)
        .details(serde_json::json!({ "issuer": claims.issuer }));
    audit::record(&mut tx, &ctx, event).await?;
    tx.commit().await?;
    let user = users::find_by_id(&state.db, user.id)
        .await?
        .ok_or_else(|| Failure::internal("account vanished after sign-in"))?;
    Ok(user)
}

/// A new account for the claims: named after the provider's username (or the
/// email's local part), made unique with a number when taken; its email must
/// not belong to another account (that owner links by signing in first).
async fn create_account(tx: &mut Tx, claims: &Claims) -> Result<UserRow, Failure> {
    use super::accounts::{normalize_email, normalize_username};
    let email = claims
        .email
        .as_deref()
        .ok_or_else(|| Failure::new("missing_email", "no email claim"))?;
    let (email, email_key) = normalize_email(email)
        .map_err(|m| Failure::new("missing_email", format!("email claim: {m}")))?;
    let (_, email_taken) = users::taken(tx, "", &email_key).await?;
    if email_taken {
        return Err(Failure::new(
            "email_in_use",
            "another account has the email address of the provider's account",
        ));
    }
    let base: String = claims
        .preferred_username
        .clone()
        .or_else(|| email.split('@').next().map(str::to_string))
        .unwrap_or_else(|| "user".into())
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .take(28)
        .collect();
    let mut chosen = None;
    for n in 1..=50 {
        let candidate = if n == 1 {
            base.clone()
        } else {
            format!("{base}-{n}")
        };
        if let Ok((name, key)) = normalize_username(&candidate) {
            if !users::taken(tx, &key, "").await?.0 {
                chosen = Some((name, key));
                break;
            }
        }
    }
    let (username, username_key) = match chosen {
        Some(c) => c,
        None => {
            let name = format!("user-{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
            normalize_username(&name).map_err(Failure::internal)?
        }
    };
    let id = users::insert(
        tx,
        &NewUser {
            username: &username,
            username_key: &username_key,
            email: &email,
            email_key: &email_key,
            password_hash: NO_PASSWORD,
            role: Role::User,
            email_confirmed: claims.email_verified,
        },
    )
    .await
    .map_err(|e| match e {
        DbError::Conflict(_) => {
            Failure::new("email_in_use", "lost a race for the email or username")
        }
        e => Failure::internal(e),
    })?;
    identities::link(tx, id, &claims.issuer, &claims.subject).await?;
    users::find_by_id_in(tx, id)
        .await?
        .ok_or_else(|| Failure::internal("new account vanished"))
}

/// The account's email follows the provider's, unless another account has it.
async fn sync_email(tx: &mut Tx, user: &UserRow, claims: &Claims) -> Result<(), Failure> {
    let Some(Ok((email, key))) = claims
        .email
        .as_deref()
        .map(super::accounts::normalize_email)
    else {
        return Ok(());
    };
    if email == user.email {
        return Ok(());
    }
    let (_, taken) = users::taken_by_other(tx, user.id, "", &key).await?;
    if !taken {
        users::set_email(tx, user.id, &email, &key, claims.email_verified).await?;
    }
    Ok(())
}

/// The person's provider-made group memberships become exactly `groups`:
/// missing groups are made, memberships added and removed; local memberships
/// are left alone. Audited when anything changed.
async fn sync_groups(
    tx: &mut Tx,
    user: &UserRow,
    groups: &[String],
    ctx: &AuditContext,
) -> Result<(), Failure> {
    let current = groups_db::external_memberships(tx, user.id).await?;
    let mut added = Vec::new();
    let mut removed = Vec::new();
    for (id, name) in &current {
        if !groups.contains(name) {
            groups_db::remove_member(tx, *id, user.id).await?;
            removed.push(name.clone());
        }
    }
    for name in groups {
        if current.iter().any(|(_, n)| n == name) {
            continue;
        }
        let Ok(parsed) = crate::domain::text::GroupName::parse(name) else {
            continue;
        };
        let id = groups_db::external(tx, name, parsed.as_str(), &parsed.key).await?;
        if groups_db::add_member(tx, id, user.id, "external").await? {
            added.push(name.clone());
        }
    }
    if !added.is_empty() || !removed.is_empty() {
        let event = NewEvent::new("auth.sso.group_sync", Outcome::Success)
            .target("user", user.id)
            .details(serde_json::json!({ "added": added, "removed": removed }));
        audit::record(tx, ctx, event).await?;
    }
    Ok(())
}

/// The administrator role follows membership of the configured group, except
/// that the last enabled administrator is never demoted this way.
async fn sync_role(
    tx: &mut Tx,
    user: &UserRow,
    admin: bool,
    ctx: &AuditContext,
) -> Result<(), Failure> {
    let role = user.role();
    // Only administrators are demoted: an auditor outside the group stays one.
    let wanted = match (admin, role) {
        (true, _) => Role::Admin,
        (false, Role::Admin) => Role::User,
        (false, other) => other,
    };
    if role == wanted {
        return Ok(());
    }
    if role == Role::Admin {
        let admins = admin_db::enabled_admins(tx).await?;
        if admins.len() <= 1 {
            return Ok(());
        }
    }
    admin_db::set_role(tx, user.id, wanted.as_str()).await?;
    let event = NewEvent::new("auth.sso.role_sync", Outcome::Success)
        .target("user", user.id)
        .details(serde_json::json!({ "from": role.as_str(), "to": wanted.as_str() }));
    audit::record(tx, ctx, event).await?;
    Ok(())
}

/// Link the provider account of `claims` to `user` (who signed in to Motto and
/// asked for it).
pub async fn link(
    state: &AppState,
    user: i64,
    claims: &Claims,
    ctx: &AuditContext,
) -> Result<(), Failure> {
    let mut tx = state.db.begin().await?;
    match identities::user_for(&mut tx, &claims.issuer, &claims.subject).await? {
        Some(owner) if owner == user => return Ok(()),
        Some(_) => {
            return Err(Failure {
                user: Some(user),
                ..Failure::new(
                    "already_linked",
                    "the provider account is linked to another account",
                )
            })
        }
        None => {}
    }
    if identities::linked_in(&mut tx, user, &claims.issuer).await? {
        return Err(Failure {
            user: Some(user),
            ..Failure::new(
                "other_identity_linked",
                "another provider account is linked already",
            )
        });
    }
    identities::link(&mut tx, user, &claims.issuer, &claims.subject).await?;
    let event = NewEvent::new("auth.sso.link", Outcome::Success)
        .target("user", user)
        .details(serde_json::json!({ "issuer": claims.issuer }));
    audit::record(&mut tx, ctx, event).await?;
    tx.commit().await?;
    Ok(())
}

/// The issuer accounts are linked under: the provider's own name for itself,
/// learnt at discovery (the configured one until then).
fn issuer(state: &AppState) -> Option<String> {
    state.settings.oidc.as_ref().map(|o| o.issuer.clone())
}

/// The signed-in person's account row (gone: they are no longer signed in).
async fn account(state: &AppState, user: i64) -> Result<UserRow, AppError> {
    users::find_by_id(&state.db, user)
        .await?
        .ok_or(AppError::Unauthorized)
}

/// The signed-in person's link to the provider, for their account page.
pub async fn status(
    state: &AppState,
    user: i64,
    this_session: bool,
) -> Result<Option<SsoStatus>, AppError> {
    let (Some(provider), Some(issuer)) = (&state.sso, issuer(state)) else {
        return Ok(None);
    };
    let user = &account(state, user).await?;
    let linked = identities::of_user(&state.db, user.id, &issuer).await?;
    Ok(Some(SsoStatus {
        provider: provider.display_name().to_string(),
        linked_at: linked.as_ref().map(|(_, at, _)| *at),
        last_login_at: linked.and_then(|(_, _, last)| last),
        has_password: user.password_hash != NO_PASSWORD,
        this_session,
    }))
}

/// Unlink the signed-in person's provider account. Refused when it would leave
/// them no way in: an account without a password of its own, or a server where
/// password login is closed to them.
pub async fn unlink(state: &AppState, user: i64, ctx: &AuditContext) -> Result<(), AppError> {
    let Some(issuer) = issuer(state) else {
        return Err(AppError::form(
            "Single sign-on is not set up on this server.",
        ));
    };
    let user = &account(state, user).await?;
    let methods = state.settings.login_methods;
    let can_password = methods.local && (!methods.local_admins_only || user.role() == Role::Admin);
    if user.password_hash == NO_PASSWORD || !can_password {
        return Err(AppError::form(
            "Unlinking would leave you no way to sign in: this account signs in only through single sign-on.",
        ));
    }
    let mut tx = state.db.begin().await?;
    if !identities::unlink(&mut tx, user.id, &issuer).await? {
        return Err(AppError::form("No account at the provider is linked."));
    }
    let event = NewEvent::new("auth.sso.unlink", Outcome::Success)
        .target("user", user.id)
        .details(serde_json::json!({ "issuer": issuer }));
    audit::record(&mut tx, ctx, event).await?;
    tx.commit().await?;
    Ok(())
}

/// A person's link to the provider, for an administrator (`None`: single sign-on is off).
pub async fn admin_view(state: &AppState, user: i64) -> Result<Option<AdminSso>, AppError> {
    let (Some(provider), Some(issuer)) = (&state.sso, issuer(state)) else {
        return Ok(None);
    };
    users::find_by_id(&state.db, user)
        .await?
        .ok_or(AppError::NotFound)?;
    let linked = identities::of_user(&state.db, user, &issuer).await?;
    Ok(Some(AdminSso {
        provider: provider.display_name().to_string(),
        subject: linked.as_ref().map(|(sub, ..)| sub.clone()),
        linked_at: linked.as_ref().map(|(_, at, _)| *at),
        last_login_at: linked.and_then(|(_, _, last)| last),
    }))
}

/// An administrator links `user` to the provider's `subject` (the person's
/// `sub` claim, from the provider's console): they can then sign in through it,
/// also where first sign-ins create no accounts.
pub async fn admin_link(
    state: &AppState,
    user: i64,
    subject: &str,
    ctx: &AuditContext,
) -> Result<(), AppError> {
    let Some(issuer) = issuer(state) else {
        return Err(AppError::form(
            "Single sign-on is not set up on this server.",
        ));
    };
    let subject = subject.trim();
    if subject.is_empty() || subject.len() > 255 || subject.chars().any(char::is_control) {
        return Err(AppError::field(
            "subject",
            "Enter the person's subject identifier (the sub claim), at most 255 characters.",
        ));
    }
    let mut tx = state.db.begin().await?;
    users::find_by_id_in(&mut tx, user)
        .await?
        .ok_or(AppError::NotFound)?;
    if identities::user_for(&mut tx, &issuer, subject)
        .await?
        .is_some()
    {
        return Err(AppError::field(
            "subject",
            "That subject is linked to an account already.",
        ));
    }
    if identities::linked_in(&mut tx, user, &issuer).await? {
        return Err(AppError::form(
            "This account is linked already: unlink it first.",
        ));
    }
    identities::link(&mut tx, user, &issuer, subject).await?;
    let event = NewEvent::new("auth.sso.link", Outcome::Success)
        .target("user", user)
        .details(serde_json::json!({ "issuer": issuer, "by_admin": true }));
    audit::record(&mut tx, ctx, event).await?;
    tx.commit().await?;
    Ok(())
}

/// An administrator unlinks `user` from the provider.
pub async fn admin_unlink(state: &AppState, user: i64, ctx: &AuditContext) -> Result<(), AppError> {
    let Some(issuer) = issuer(state) else {
        return Err(AppError::form(
            "Single sign-on is not set up on this server.",
        ));
    };
    let mut tx = state.db.begin().await?;
    if !identities::unlink(&mut tx, user, &issuer).await? {
        return Err(AppError::form("No account at the provider is linked."));
    }
    let event = NewEvent::new("auth.sso.unlink", Outcome::Success)
        .target("user", user)
        .details(serde_json::json!({ "issuer": issuer, "by_admin": true }));
    audit::record(&mut tx, ctx, event).await?;
    tx.commit().await?;
    Ok(())
}
