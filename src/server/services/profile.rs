//! Self-service on one's own account: username and email, password, sessions.
//! Every change asks for the current password first (throttled like logins) and
//! writes its audit event in the same transaction.

use super::credentials::{account_key, password_check, throttled_check};
use crate::{
    domain::account::SessionView,
    domain::text::{Email, Username},
    domain::user::USERNAME_TAKEN,
    error::{AppError, FieldError},
    server::{
        auth::password::check_policy,
        db::{
            admin::{self as sessions},
            audit::{self, AuditContext, NewEvent, Outcome},
            users::{self, Identity, UserRow},
        },
        state::AppState,
    },
};
use secrecy::{ExposeSecret, SecretString};

pub const WRONG_PASSWORD: &str = "That is not your current password.";

async fn load(state: &AppState, user: i64) -> Result<UserRow, AppError> {
    users::find_by_id(&state.db, user)
        .await?
        .filter(|u| !u.disabled)
        .ok_or(AppError::Unauthorized)
}

/// The current password, checked like a login: the same throttle (so a stolen
/// session cannot guess it quickly), a failure audited.
pub(crate) async fn reauthenticate(
    state: &AppState,
    user: &UserRow,
    password: &SecretString,
    field: &str,
    ctx: &AuditContext,
) -> Result<(), AppError> {
    if password.expose_secret().is_empty() {
        return Err(AppError::field(field, "Enter your current password."));
    }
    let key = account_key(user.id);
    let ip: Option<std::net::IpAddr> = ctx.source_ip.as_deref().and_then(|s| s.parse().ok());
    let check = password_check(state, password, Some(user.password_hash.clone()));
    let right = throttled_check(state, &key, ctx, check, |outcome| {
        matches!(outcome, Ok(false))
    })
    .await?;
    if right {
        state.security.limits.login_success(&key, ip).await;
        return Ok(());
    }
    let event = NewEvent::new("account.reauth.failure", Outcome::Failure).target("user", user.id);
    audit::record_now(&state.db, ctx, event).await?;
    Err(AppError::field(field, WRONG_PASSWORD))
}

/// Change the username and/or the email address.
pub async fn change_identity(
    state: &AppState,
    user_id: i64,
    username: &str,
    email: &str,
    password: &SecretString,
    ctx: &AuditContext,
) -> Result<(UserRow, Option<String>), AppError> {
    let user = load(state, user_id).await?;
    let mut errors = Vec::new();
    let username = Username::parse(username)
        .map(|u| (u.display, u.key))
        .map_err(|m| {
            errors.push(FieldError {
                field: "username".into(),
                message: m,
            })
        })
        .ok();
    let email = Email::parse(email)
        .map(|e| (e.address, e.key))
        .map_err(|m| {
            errors.push(FieldError {
                field: "email".into(),
                message: m,
            })
        })
        .ok();
    let (Some((username, username_key)), Some((email, email_key))) = (username, email) else {
        return Err(AppError::Validation(errors));
    };
    let email_changed = email != user.email;
    // The same address written differently (case) needs no confirmation.
    let same_address = Email::parse(&user.email)
        .map(|e| e.key == email_key)
        .unwrap_or(false);
    let changed: Vec<&str> = [
        ("username", username != user.username),
        ("email", email_changed),
    ]
    .into_iter()
    .filter_map(|(f, c)| c.then_some(f))
    .collect();
    if changed.is_empty() {
        return Err(AppError::form("Nothing to save: both are as they were."));
    }
    reauthenticate(state, &user, password, "password", ctx).await?;
    let mut tx = state.db.begin().await?;
    // Only the username is checked here: whether another account owns the
    // address is never said (the confirmation mail goes to the address instead).
    let (username_taken, _) =
        users::taken_by_other(&mut tx, user.id, &username_key, &email_key).await?;
    if username_taken {
        return Err(AppError::field("username", USERNAME_TAKEN));
    }
    // A confirmed address stays until the new one's link is opened; an unconfirmed
    // one is simply replaced (it was never the account's).
    let shown = if email_changed && (same_address || !user.email_confirmed) {
        email.clone()
    } else {
        user.email.clone()
    };
    let shown_key = match Email::parse(&shown) {
        Ok(e) if user.email_confirmed => e.key,
        _ => super::email_confirmation::placeholder_key(),
    };
    let who = Identity {
        username: &username,
        username_key: &username_key,
        email: &shown,
        email_key: &shown_key,
    };
    match users::set_identity(&mut tx, user.id, &who).await {
        Ok(()) => {}
        // Lost a race with another account taking the same name.
        Err(crate::server::db::DbError::Conflict(_)) => {
            return Err(AppError::field("username", USERNAME_TAKEN));
        }
        Err(e) => return Err(e.into()),
    }
    audit::record(
        &mut tx,
        ctx,
        NewEvent::new("account.profile.change", Outcome::Success)
            .target("user", user.id)
            .details(serde_json::json!({ "changed": changed })),
    )
    .await?;
    tx.commit().await?;
    let confirm_at = (email_changed && !same_address).then(|| email.clone());
    if let Some(to) = &confirm_at {
        super::email_confirmation::record_and_send(state, user.id, to.clone(), ctx).await;
    }
    Ok((load(state, user.id).await?, confirm_at))
}

pub struct PasswordChange {
    pub current: SecretString,
    pub new: SecretString,
    pub confirm: SecretString,
}

/// Change the password. Every other session and every access token ends (the
/// epoch moves on); the session `keep` is carried over to the new epoch.
pub async fn change_password(
    state: &AppState,
    user_id: i64,
    change: &PasswordChange,
    keep: Option<&str>,
    revoke_keys: bool,
    ctx: &AuditContext,
) -> Result<UserRow, AppError> {
    let user = load(state, user_id).await?;
    let new = change.new.expose_secret();
    let policy = if new.is_empty() {
        Err("Choose a new password.".to_string())
    } else if new == change.current.expose_secret() {
        Err("The new password must differ from the current one.".to_string())
    } else {
        check_policy(new, &user.username, &user.email)
    };
    if let Err(m) = policy {
        return Err(AppError::field("new_password", m));
    }
    if change.confirm.expose_secret() != new {
        return Err(AppError::field(
            "new_password_confirm",
            "The passwords don't match.",
        ));
    }
    reauthenticate(state, &user, &change.current, "current_password", ctx).await?;
    let hash = state.hasher.hash(&change.new).await?;
    let mut tx = state.db.begin().await?;
    users::set_password(&mut tx, user.id, &hash).await?;
    let ended = match keep {
        Some(keep) => {
            sessions::move_session_to_epoch(&mut tx, keep, user.session_epoch + 1).await?;
            sessions::end_sessions_except(&mut tx, user.id, keep).await?
        }
        None => 0,
    };
    let keys_revoked = if revoke_keys {
        crate::server::db::api_keys::revoke_all(&mut tx, user.id).await?
    } else {
        0
    };
    audit::record(
        &mut tx,
        ctx,
        NewEvent::new("account.password.change", Outcome::Success)
            .target("user", user.id)
            .details(serde_json::json!({
                "other_sessions_ended": ended,
                "tokens_ended": true,
                "api_keys_revoked": keys_revoked,
            })),
    )
    .await?;
    tx.commit().await?;
    load(state, user.id).await
}

/// The user's live sessions, most recently active first.
pub async fn list_sessions(
    state: &AppState,
    user: i64,
    current: Option<&str>,
) -> Result<Vec<SessionView>, AppError> {
    let (idle, started) = super::sessions::since(state);
    let rows = sessions::active_sessions(&state.db, user, idle, started).await?;
    Ok(rows
        .into_iter()
        .map(|r| super::sessions::session_view(r, current))
        .collect())
}

/// End one of the user's other sessions: its next request is anonymous.
pub async fn end_session(
    state: &AppState,
    user: i64,
    id: &str,
    current: Option<&str>,
    ctx: &AuditContext,
) -> Result<(), AppError> {
    if current == Some(id) {
        return Err(AppError::form(
            "This is the session you are using: log out instead.",
        ));
    }
    let mut tx = state.db.begin().await?;
    if !sessions::end_session_of(&mut tx, user, id).await? {
        return Err(AppError::NotFound);
    }
    audit::record(
        &mut tx,
        ctx,
        NewEvent::new("account.session.end", Outcome::Success).target("user", user),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What "sign out everywhere else" ended.
pub struct SignedOutElsewhere {
    pub sessions: u64,
    pub api_keys: u64,
    /// The user after the change (a new session epoch).
    pub user: UserRow,
}

/// Sign out everywhere but here: every other browser session and every REST
/// access and refresh token (the session epoch moves on; this session moves
/// with it), and the API keys too when asked.
pub async fn end_other_sessions(
    state: &AppState,
    user_id: i64,
    current: &str,
    revoke_keys: bool,
    ctx: &AuditContext,
) -> Result<SignedOutElsewhere, AppError> {
    let user = load(state, user_id).await?;
    let mut tx = state.db.begin().await?;
    users::bump_session_epoch(&mut tx, user.id).await?;
    sessions::move_session_to_epoch(&mut tx, current, user.session_epoch + 1).await?;
    let n = sessions::end_sessions_except(&mut tx, user.id, current).await?;
    let keys = if revoke_keys {
        crate::server::db::api_keys::revoke_all(&mut tx, user.id).await?
    } else {
        0
    };
    audit::record(
        &mut tx,
        ctx,
        NewEvent::new("account.session.end_others", Outcome::Success)
            .target("user", user.id)
            .details(
                serde_json::json!({ "ended": n, "tokens_ended": true, "api_keys_revoked": keys }),
            ),
    )
    .await?;
    tx.commit().await?;
    Ok(SignedOutElsewhere {
        sessions: n,
        api_keys: keys,
        user: load(state, user.id).await?,
    })
}

/// The person's preferences, with the zones they can choose from.
pub async fn preferences(
    state: &AppState,
    user_id: i64,
) -> Result<crate::domain::account::Preferences, AppError> {
    let user = load(state, user_id).await?;
    Ok(crate::domain::account::Preferences {
        theme: crate::domain::theme::Theme::parse(&user.theme),
        time_zone: user.time_zone,
        zones: chrono_tz::TZ_VARIANTS
            .iter()
            .map(|z| z.name().to_string())
            .collect(),
    })
}

/// Save the preferences: the theme (`system`, `light`, `dark`) and an IANA time
/// zone (empty: the browser's).
pub async fn set_preferences(
    state: &AppState,
    user_id: i64,
    theme: &str,
    time_zone: &str,
    ctx: &AuditContext,
) -> Result<crate::domain::theme::Theme, AppError> {
    use crate::domain::theme::Theme;
    let mut errors = Vec::new();
    let parsed = Theme::parse(theme);
    if parsed.as_str() != theme {
        errors.push(FieldError {
            field: "theme".into(),
            message: "Choose System, Light or Dark.".into(),
        });
    }
    let zone = time_zone.trim();
    if !zone.is_empty() && zone.parse::<chrono_tz::Tz>().is_err() {
        errors.push(FieldError {
            field: "time_zone".into(),
            message: "Choose a time zone from the list.".into(),
        });
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let user = load(state, user_id).await?;
    let zone = (!zone.is_empty()).then_some(zone);
    let mut tx = state.db.begin().await?;
    users::set_preferences(&mut tx, user.id, parsed.as_str(), zone).await?;
    audit::record(
        &mut tx,
        ctx,
        NewEvent::new("account.preferences.change", Outcome::Success)
            .target("user", user.id)
            .details(serde_json::json!({ "theme": parsed.as_str(), "time_zone": zone })),
    )
    .await?;
    tx.commit().await?;
    Ok(parsed)
}
