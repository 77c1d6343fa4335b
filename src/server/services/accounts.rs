//! Accounts: registration, login, the first admin. Every state change writes its
//! audit event in the same transaction.

use super::credentials::{account_key, password_check, second_factor_key, throttled_check};
use crate::{
    domain::text::{Email as EmailAddress, Username},
    domain::user::{Role, EMAIL_MAX},
    error::{AppError, FieldError},
    server::{
        auth::password::check_policy,
        db::{
            audit::{self, AuditContext, NewEvent, Outcome},
            users::{self, NewUser, UserRow},
            DbError,
        },
        state::AppState,
    },
};
use chrono::Utc;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

/// Shown for every failed login, whatever the cause (ASVS 6.3.8).
pub const LOGIN_FAILED: &str = "Wrong username, email or password.";
/// Shown when the email belongs to an account, without saying so.
pub const EMAIL_UNAVAILABLE: &str = "We couldn't create an account with this email address. If you already have an account, log in instead.";
pub use crate::domain::user::USERNAME_TAKEN;
const SETUP_TOKEN_TTL_MINUTES: i64 = 60;

/// A username's (display form, uniqueness key); the rule is [`Username::parse`].
pub fn normalize_username(raw: &str) -> Result<(String, String), String> {
    Username::parse(raw).map(|u| (u.display, u.key))
}

/// An email address's (as entered, uniqueness key); the rule is [`EmailAddress::parse`].
pub fn normalize_email(raw: &str) -> Result<(String, String), String> {
    EmailAddress::parse(raw).map(|e| (e.address, e.key))
}

/// The key a login name is looked up by (username or email).
pub fn login_key(raw: &str) -> String {
    crate::domain::text::nfkc(raw).to_lowercase()
}

pub struct NewAccount {
    pub username: String,
    pub email: String,
    pub password: SecretString,
    pub password_confirm: SecretString,
}

struct ValidAccount {
    username: String,
    username_key: String,
    email: String,
    email_key: String,
}

fn validate(input: &NewAccount) -> Result<ValidAccount, AppError> {
    let mut errors = Vec::new();
    let mut push = |field: &str, message: String| {
        errors.push(FieldError {
            field: field.into(),
            message,
        })
    };
    let username = normalize_username(&input.username)
        .map_err(|m| push("username", m))
        .ok();
    let email = normalize_email(&input.email)
        .map_err(|m| push("email", m))
        .ok();
    let password = input.password.expose_secret();
    if password.is_empty() {
        push("password", "Choose a password.".into());
    } else if let Err(m) = check_policy(
        password,
        username
            .as_ref()
            .map(|u| u.0.as_str())
            .unwrap_or(&input.username),
        email.as_ref().map(|e| e.0.as_str()).unwrap_or(&input.email),
    ) {
        push("password", m);
    } else if input.password_confirm.expose_secret() != password {
        push("password_confirm", "The passwords don't match.".into());
    }
    match (username, email) {
        (Some((username, username_key)), Some((email, email_key))) if errors.is_empty() => {
            Ok(ValidAccount {
                username,
                username_key,
                email,
                email_key,
            })
        }
        _ => Err(AppError::Validation(errors)),
    }
}

/// How a new account's email address comes to be its own.
#[derive(Clone, Copy, PartialEq)]
enum Email {
    /// Made by the operator: owned at once; an owned address is refused.
    Owned,
    /// Self-registration: owned once its link is opened. The answer is the same
    /// whether or not another account owns the address.
    ToConfirm,
}

async fn create_user(
    state: &AppState,
    input: &NewAccount,
    role: Role,
    ctx: &AuditContext,
    action: &'static str,
    setup_code: Option<&str>,
    email: Email,
) -> Result<UserRow, AppError> {
    let valid = validate(input)?;
    let hash = state.hasher.hash(&input.password).await?;

    let mut tx = state.db.begin().await?;
    if let Some(code) = setup_code {
        if users::admin_exists_tx(&mut tx).await? {
            return Err(AppError::form(
                "An administrator already exists. Log in instead.",
            ));
        }
        if !users::consume_setup_token(&mut tx, &hash_setup_code(code)).await? {
            return Err(AppError::field(
                "setup_code",
                "This setup code is not valid: it may be mistyped, used or expired. Restart Motto to print a new one.",
            ));
        }
    }
    let (username_taken, email_taken) =
        users::taken(&mut tx, &valid.username_key, &valid.email_key).await?;
    let email_taken = email_taken && email == Email::Owned;
    if username_taken || email_taken {
        return Err(taken_error(username_taken, email_taken));
    }
    let email_key = match email {
        Email::Owned => valid.email_key.clone(),
        Email::ToConfirm => super::email_confirmation::placeholder_key(),
    };
    let id = match users::insert(
        &mut tx,
        &NewUser {
            username: &valid.username,
            username_key: &valid.username_key,
            email: &valid.email,
            email_key: &email_key,
            password_hash: &hash,
            role,
            email_confirmed: email == Email::Owned,
        },
    )
    .await
    {
        Ok(id) => id,
        // Lost a race with an identical registration.
        Err(DbError::Conflict(c)) => {
            return Err(taken_error(c.contains("username"), !c.contains("username")))
        }
        Err(e) => return Err(e.into()),
    };
    let ctx = AuditContext {
        actor_user_id: ctx.actor_user_id.or(Some(id)),
        ..ctx.clone()
    };
    audit::record(
        &mut tx,
        &ctx,
        NewEvent::new(action, Outcome::Success)
            .target("user", id)
            .details(serde_json::json!({ "role": role.as_str() })),
    )
    .await?;
    tx.commit().await?;
    if email == Email::ToConfirm {
        super::email_confirmation::record_and_send(state, id, valid.email.clone(), &ctx).await;
    }
    users::find_by_id(&state.db, id)
        .await?
        .ok_or_else(|| AppError::from(anyhow::anyhow!("user {id} vanished after insert")))
}

fn taken_error(username_taken: bool, email_taken: bool) -> AppError {
    let mut errors = Vec::new();
    if username_taken {
        errors.push(FieldError {
            field: "username".into(),
            message: USERNAME_TAKEN.into(),
        });
    }
    if email_taken {
        errors.push(FieldError {
            field: "email".into(),
            message: EMAIL_UNAVAILABLE.into(),
        });
    }
    AppError::Validation(errors)
}

/// Self-service registration (when `REGISTRATION=open`).
pub async fn register(
    state: &AppState,
    input: &NewAccount,
    ctx: &AuditContext,
) -> Result<UserRow, AppError> {
    let methods = state.settings.login_methods;
    if !state.settings.registration_open || !methods.local || methods.local_admins_only {
        return Err(AppError::form(
            "Registration is closed on this server. Ask an administrator for an account.",
        ));
    }
    create_user(
        state,
        input,
        Role::User,
        ctx,
        "auth.register",
        None,
        Email::ToConfirm,
    )
    .await
}

/// An administrator created from the command line (`motto create-admin`).
pub async fn create_admin(
    state: &AppState,
    input: &NewAccount,
    ctx: &AuditContext,
) -> Result<UserRow, AppError> {
    create_user(
        state,
        input,
        Role::Admin,
        ctx,
        "admin.bootstrap",
        None,
        Email::Owned,
    )
    .await
}

/// The first administrator, created in the browser with a one-time setup code.
pub async fn create_first_admin(
    state: &AppState,
    setup_code: &str,
    input: &NewAccount,
    ctx: &AuditContext,
) -> Result<UserRow, AppError> {
    if setup_code.trim().is_empty() {
        return Err(AppError::field(
            "setup_code",
            "Enter the setup code Motto printed when it started.",
        ));
    }
    create_user(
        state,
        input,
        Role::Admin,
        ctx,
        "admin.bootstrap",
        Some(setup_code),
        Email::Owned,
    )
    .await
}

/// Check a login. Unknown users are verified against a dummy hash, and every failure
/// gives the same answer; the real reason goes to the audit log only.
pub async fn login(
    state: &AppState,
    login: &str,
    password: &SecretString,
    ctx: &AuditContext,
) -> Result<UserRow, AppError> {
    let mut errors = Vec::new();
    if login.trim().is_empty() {
        errors.push(FieldError {
            field: "login".into(),
            message: "Enter your username or email.".into(),
        });
    }
    if password.expose_secret().is_empty() {
        errors.push(FieldError {
            field: "password".into(),
            message: "Enter your password.".into(),
        });
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let methods = state.settings.login_methods;
    if !methods.local {
        let event = NewEvent::new("auth.login.failure", Outcome::Failure)
            .details(serde_json::json!({ "reason": "local_login_disabled" }));
        audit::record_now(&state.db, ctx, event).await?;
        return Err(AppError::form(
            "Password login is turned off on this server: use single sign-on.",
        ));
    }

    let ip: Option<std::net::IpAddr> = ctx.source_ip.as_deref().and_then(|s| s.parse().ok());
    // Too long, or with a NUL (which no name or address has, and PostgreSQL cannot
    // hold in text): names no account, and is checked like any unknown login.
    let too_long = login.len() > EMAIL_MAX * 4
        || login.contains('\0')
        || password.expose_secret().chars().count() > 1024;
    let user = if too_long {
        None
    } else {
        users::find_by_login(&state.db, &login_key(login)).await?
    };
    let key = match &user {
        Some(u) => account_key(u.id),
        None => login_key(login),
    };
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let check = password_check(state, password, stored);
    let verified = throttled_check(
        state,
        &key,
        ctx,
        async move {
            if too_long {
                return Ok(false);
            }
            check.await
        },
        |outcome| matches!(outcome, Ok(false)),
    )
    .await?;

    // Break-glass mode: the password lets only administrators in. Everyone else
    // gets the answer a wrong password gets, so it tells nothing about the password.
    let admins_only = methods.local_admins_only;
    let failure = match (&user, verified) {
        (Some(u), true) if admins_only && u.role() != Role::Admin => {
            Some(("local_login_admins_only", Some(u.id)))
        }
        (Some(u), true) if !u.disabled => None,
        (Some(u), true) => Some(("disabled", Some(u.id))),
        (Some(u), false) => Some(("bad_password", Some(u.id))),
        (None, _) => Some(("unknown_user", None)),
    };
    match (&failure, &user) {
        // A right password for a disabled account still counts against it.
        (Some(("disabled", _)), _) => {
            state.security.limits.login_failure(&key, ip).await;
            state.metrics.login_failure();
        }
        // With a second factor to come, the password is not yet a login: the
        // address becomes known to the account only after the last factor.
        (None, Some(u)) if !u.two_factor => state.security.limits.login_success(&key, ip).await,
        _ => {}
    }
    let mut tx = state.db.begin().await?;
    let result = match (failure, user) {
        (None, Some(user)) => {
            // With two-factor on, the password is only the first step: the login
            // succeeds (and is recorded so) once the second factor is checked.
            let action = if user.two_factor {
                "auth.login.password"
            } else {
                users::touch_last_login(&mut tx, user.id).await?;
                "auth.login.success"
            };
            let ctx = AuditContext {
                actor_user_id: Some(user.id),
                ..ctx.clone()
            };
            audit::record(
                &mut tx,
                &ctx,
                NewEvent::new(action, Outcome::Success).target("user", user.id),
            )
            .await?;
            Ok(user)
        }
        (Some((reason, user_id)), _) => {
            let mut event = NewEvent::new("auth.login.failure", Outcome::Failure)
                .details(serde_json::json!({ "reason": reason }));
            if let Some(id) = user_id {
                event = event.target("user", id);
            }
            audit::record(&mut tx, ctx, event).await?;
            Err(AppError::form(LOGIN_FAILED))
        }
        (None, None) => unreachable!("success always has a user"),
    };
    tx.commit().await?;
    result
}

/// The second step of a login with two-factor authentication: the code (or a
/// recovery code) for the user whose password was just checked. Throttled like
/// the password, audited either way.
pub async fn second_factor(
    state: &AppState,
    user: &UserRow,
    code: &str,
    ctx: &AuditContext,
) -> Result<(), AppError> {
    let ip: Option<std::net::IpAddr> = ctx.source_ip.as_deref().and_then(|s| s.parse().ok());
    let ctx = AuditContext {
        actor_user_id: Some(user.id),
        ..ctx.clone()
    };
    let key = second_factor_key(user.id);
    let (task_state, task_user, task_code) = (state.clone(), user.clone(), code.to_string());
    let outcome = throttled_check(
        state,
        &key,
        &ctx,
        async move { super::two_factor::verify(&task_state, &task_user, &task_code).await },
        |outcome| matches!(outcome, Err(AppError::Validation(_))),
    )
    .await;
    match outcome {
        Ok(method) => {
            // The last factor: now the address is known to the account, and the
            // password's own delay ends.
            state.security.limits.login_success(&key, ip).await;
            state
                .security
                .limits
                .login_success(&account_key(user.id), ip)
                .await;
            let mut tx = state.db.begin().await?;
            users::touch_last_login(&mut tx, user.id).await?;
            audit::record(
                &mut tx,
                &ctx,
                NewEvent::new("auth.login.success", Outcome::Success)
                    .target("user", user.id)
                    .details(serde_json::json!({ "second_factor": method })),
            )
            .await?;
            tx.commit().await?;
            Ok(())
        }
        Err(e @ AppError::Validation(_)) => {
            let event = NewEvent::new("auth.login.failure", Outcome::Failure)
                .target("user", user.id)
                .details(serde_json::json!({ "reason": "bad_second_factor" }));
            audit::record_now(&state.db, &ctx, event).await?;
            Err(e)
        }
        Err(e) => Err(e),
    }
}

pub async fn record_logout(
    state: &AppState,
    user_id: i64,
    ctx: &AuditContext,
) -> Result<(), AppError> {
    let ctx = AuditContext {
        actor_user_id: Some(user_id),
        ..ctx.clone()
    };
    audit::record_now(
        &state.db,
        &ctx,
        NewEvent::new("auth.logout", Outcome::Success).target("user", user_id),
    )
    .await?;
    Ok(())
}

fn hash_setup_code(code: &str) -> String {
    let normalized: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    hex::encode(Sha256::digest(normalized.as_bytes()))
}

/// When no admin exists, create a one-time setup code (128 bits, valid for an hour,
/// stored hashed) and return it for printing.
pub async fn issue_setup_code_if_no_admin(state: &AppState) -> anyhow::Result<Option<String>> {
    if users::admin_exists(&state.db).await? {
        return Ok(None);
    }
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let raw = hex::encode(bytes);
    let code = raw
        .as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).expect("hex is ascii"))
        .collect::<Vec<_>>()
        .join("-");
    let mut tx = state.db.begin().await?;
    users::insert_setup_token(
        &mut tx,
        &hash_setup_code(&code),
        Utc::now() + chrono::Duration::minutes(SETUP_TOKEN_TTL_MINUTES),
    )
    .await?;
    tx.commit().await?;
    Ok(Some(code))
}

/// The account called `username`, or a field error on `username`.
pub async fn id_of(state: &AppState, username: &str) -> Result<i64, AppError> {
    let key = Username::parse(username)
        .map_err(|m| AppError::field("username", m))?
        .key;
    users::find_by_login(&state.db, &key)
        .await?
        .filter(|u| u.username.eq_ignore_ascii_case(&key))
        .map(|u| u.id)
        .ok_or_else(|| AppError::field("username", "There is no account with that username."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_normalised_with_nfkc_and_compared_case_insensitively() {
        let (_, plain) = normalize_username("Alice").unwrap();
        let (_, fullwidth) = normalize_username("ａｌｉｃｅ").unwrap();
        let (_, upper) = normalize_username("ALICE").unwrap();
        assert_eq!(plain, "alice");
        assert_eq!(fullwidth, "alice");
        assert_eq!(upper, "alice");
    }

    #[test]
    fn look_alike_letters_from_other_scripts_are_refused() {
        // Cyrillic "а" looks like Latin "a".
        assert!(normalize_username("аlice").is_err());
    }

    #[test]
    fn username_length_and_characters_are_checked() {
        assert!(normalize_username("").is_err());
        assert!(normalize_username("ab").is_err());
        assert!(normalize_username(&"a".repeat(33)).is_err());
        assert!(normalize_username(&"a".repeat(1_000_000)).is_err());
        assert!(normalize_username("bad name").is_err());
        assert!(normalize_username("<script>").is_err());
        assert!(normalize_username(".hidden").is_err());
        assert!(normalize_username("jane.doe-42_x").is_ok());
    }

    #[test]
    fn emails_are_checked_and_keyed_in_lower_case() {
        assert_eq!(
            normalize_email(" Jane@Example.COM ").unwrap(),
            (
                "Jane@Example.COM".to_string(),
                "jane@example.com".to_string()
            )
        );
        for bad in [
            "",
            "jane",
            "jane@",
            "@example.com",
            "jane@example",
            "ja ne@example.com",
            "a@b@c.com",
            "jane@.example.com",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad:?}");
        }
        assert!(normalize_email(&format!("{}@example.com", "a".repeat(300))).is_err());
    }

    #[test]
    fn setup_codes_match_whatever_the_dashes_and_case() {
        assert_eq!(hash_setup_code("abcd-1234"), hash_setup_code("ABCD1234"));
        assert_ne!(hash_setup_code("abcd-1234"), hash_setup_code("abcd-1235"));
    }
}
