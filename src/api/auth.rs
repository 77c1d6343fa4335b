use crate::{domain::user::CurrentUser, error::AppError};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
pub(crate) mod ctx {
    use crate::{
        error::AppError,
        server::{auth::AuthSession, caller::Caller, db::users::UserRow, state::AppState},
    };
    use leptos::prelude::*;

    pub struct Call {
        pub state: AppState,
        pub auth: AuthSession,
        /// Who is calling: request id, client address, the signed-in person.
        pub caller: Caller,
    }

    /// Everything a server function needs from the request.
    pub async fn call() -> Result<Call, AppError> {
        // Missing context is a server bug: answer with a logged internal error rather
        // than a panic.
        let (Some(state), Some(parts)) = (
            use_context::<AppState>(),
            use_context::<http::request::Parts>(),
        ) else {
            let request_id = crate::server::request::current();
            tracing::error!(request_id = %request_id, "server function ran without its request context");
            return Err(AppError::Internal { request_id });
        };
        let auth = parts
            .extensions
            .get::<AuthSession>()
            .cloned()
            .ok_or_else(|| {
                crate::error::report(anyhow::anyhow!(
                    "server function ran without the session layer"
                ))
            })?;
        let caller = Caller::of(&parts);
        Ok(Call {
            state,
            auth,
            caller,
        })
    }

    /// Acts that hand out lasting power (an API key, setting up or changing the
    /// second factor) need a fresh proof of identity, so a borrowed session
    /// cannot take them: a login within `REAUTH_WINDOW_SECS`, or the password now
    /// (checked and throttled like a login; it then counts as fresh).
    pub async fn fresh_identity(call: &Call, password: Option<&str>) -> Result<(), AppError> {
        use crate::server::auth::{authenticated_at, mark_reauthenticated};
        let user = call.caller.user()?;
        let age = chrono::Utc::now().timestamp() - authenticated_at(&call.auth.session).await;
        if age >= 0 && (age as u64) < call.state.settings.reauth_window.as_secs() {
            return Ok(());
        }
        let row = crate::server::db::users::find_by_id(&call.state.db, user)
            .await
            .map_err(crate::error::report)?
            .ok_or(AppError::Unauthorized)?;
        // An account made by single sign-on has no password to type: signing in
        // again through the provider is its fresh proof.
        if row.password_hash == crate::server::services::sso::NO_PASSWORD {
            return Err(AppError::form(
                "You signed in more than a few minutes ago: log out and sign in again with single sign-on to confirm it's you.",
            ));
        }
        let Some(password) = password.filter(|p| !p.is_empty()) else {
            return Err(AppError::field(
                "password",
                "Enter your password to confirm it's you (you signed in more than a few minutes ago).",
            ));
        };
        crate::server::services::profile::reauthenticate(
            &call.state,
            &row,
            &password.to_string().into(),
            "password",
            &call.caller.audit,
        )
        .await?;
        mark_reauthenticated(&call.auth.session)
            .await
            .map_err(crate::error::report)
    }

    /// Set the theme cookie on this answer, so the next page renders in it.
    pub fn set_theme_cookie(call: &Call, theme: crate::domain::theme::Theme) {
        let cookie = crate::server::auth::theme_cookie(&call.state.settings, theme);
        if let (Some(res), Ok(v)) = (
            use_context::<leptos_axum::ResponseOptions>(),
            http::HeaderValue::from_str(&cookie),
        ) {
            res.append_header(http::header::SET_COOKIE, v);
        }
    }

    /// Re-bind the session to the user as they are now (new name, new epoch).
    pub async fn refresh_user(call: &mut Call, user: &UserRow) -> Result<(), AppError> {
        let auth_user = call.auth.backend.auth_user(user);
        call.auth
            .login(&auth_user)
            .await
            .map_err(crate::error::report)
    }

    /// Start a session for `user`: a new session id (ASVS 7.2.4), bound to the
    /// user's epoch, with the clock for idle and absolute timeouts.
    pub async fn sign_in(call: &mut Call, user: &UserRow) -> Result<(), AppError> {
        crate::server::auth::begin_session(
            &call.state.db,
            &mut call.auth,
            user,
            None,
            &call.caller.audit,
        )
        .await
        .map_err(crate::error::report)?;
        // The account's theme follows the person to any browser they log in from.
        set_theme_cookie(call, crate::domain::theme::Theme::parse(&user.theme));
        Ok(())
    }
}

/// The signed-in user, or None.
#[server(prefix = "/api", endpoint = "me")]
pub async fn get_current_user() -> Result<Option<CurrentUser>, AppError> {
    let call = ctx::call().await?;
    Ok(call.auth.user.as_ref().map(|u| u.to_current()))
}

/// Whether this server lets people register themselves.
#[server(prefix = "/api", endpoint = "registration_open")]
pub async fn registration_open() -> Result<bool, AppError> {
    let call = ctx::call().await?;
    let methods = call.state.settings.login_methods;
    Ok(call.state.settings.registration_open && methods.local && !methods.local_admins_only)
}

/// The ways in the login page offers.
#[server(prefix = "/api", endpoint = "login_options")]
pub async fn login_options() -> Result<crate::domain::sso::LoginOptions, AppError> {
    let call = ctx::call().await?;
    let settings = &call.state.settings;
    let methods = settings.login_methods;
    Ok(crate::domain::sso::LoginOptions {
        local: methods.local,
        local_admins_only: methods.local_admins_only,
        provider: call
            .state
            .sso
            .as_ref()
            .filter(|_| methods.oidc)
            .map(|p| p.display_name().to_string()),
        registration_open: settings.registration_open
            && methods.local
            && !methods.local_admins_only,
    })
}

#[server(prefix = "/api", endpoint = "register")]
pub async fn register(
    username: String,
    email: String,
    password: String,
    password_confirm: String,
) -> Result<(), AppError> {
    use crate::server::services::accounts::{self, NewAccount};
    let mut call = ctx::call().await?;
    let input = NewAccount {
        username,
        email,
        password: password.into(),
        password_confirm: password_confirm.into(),
    };
    let user = accounts::register(&call.state, &input, &call.caller.audit).await?;
    ctx::sign_in(&mut call, &user).await?;
    leptos_axum::redirect("/account");
    Ok(())
}

#[server(prefix = "/api", endpoint = "login")]
pub async fn login(login: String, password: String, next: Option<String>) -> Result<(), AppError> {
    use crate::{domain::user::safe_next, server::services::accounts};
    let mut call = ctx::call().await?;
    let user = accounts::login(&call.state, &login, &password.into(), &call.caller.audit).await?;
    if user.two_factor {
        // Not signed in yet: the session only remembers, for a few minutes, whose
        // password was right.
        let pending = (user.id, chrono::Utc::now().timestamp());
        // Whoever this browser was signed in as before is signed out first: until
        // the second factor, it is nobody's.
        if call.auth.user.is_some() {
            crate::server::auth::end_registered_session(&call.state.db, &call.auth.session).await;
            call.auth.logout().await.map_err(crate::error::report)?;
        }
        let stash = async {
            call.auth.session.cycle_id().await?;
            call.auth
                .session
                .insert(SECOND_FACTOR_PENDING, pending)
                .await
        };
        stash.await.map_err(crate::error::report)?;
        let next = safe_next(next.as_deref());
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("next", &next)
            .finish();
        leptos_axum::redirect(&format!("/login/two-factor?{query}"));
        return Ok(());
    }
    ctx::sign_in(&mut call, &user).await?;
    leptos_axum::redirect(&safe_next(next.as_deref()));
    Ok(())
}

/// Session key: the user whose password was checked, and when, until the second
/// factor is given.
#[cfg(feature = "ssr")]
const SECOND_FACTOR_PENDING: &str = "motto.second_factor_pending";
/// How long the second step may wait after the password.
#[cfg(feature = "ssr")]
const SECOND_FACTOR_WINDOW_SECS: i64 = 300;

/// The second step of a login with two-factor authentication.
#[server(prefix = "/api", endpoint = "login/two_factor")]
pub async fn login_second_factor(code: String, next: Option<String>) -> Result<(), AppError> {
    use crate::{
        domain::user::safe_next,
        server::{db::users, services::accounts},
    };
    let mut call = ctx::call().await?;
    let pending: Option<(i64, i64)> = call
        .auth
        .session
        .get(SECOND_FACTOR_PENDING)
        .await
        .map_err(crate::error::report)?;
    let now = chrono::Utc::now().timestamp();
    let Some((user_id, _)) = pending.filter(|(_, at)| now - at < SECOND_FACTOR_WINDOW_SECS) else {
        return Err(AppError::form(
            "This sign-in took too long or was not started: log in with your password again.",
        ));
    };
    let user = users::find_by_id(&call.state.db, user_id)
        .await
        .map_err(crate::error::report)?
        .filter(|u| !u.disabled && u.two_factor)
        .ok_or_else(|| AppError::form("Log in with your password again."))?;
    accounts::second_factor(&call.state, &user, &code, &call.caller.audit).await?;
    let _ = call
        .auth
        .session
        .remove::<(i64, i64)>(SECOND_FACTOR_PENDING)
        .await;
    ctx::sign_in(&mut call, &user).await?;
    leptos_axum::redirect(&safe_next(next.as_deref()));
    Ok(())
}

#[server(prefix = "/api", endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    use crate::server::services::accounts;
    let mut call = ctx::call().await?;
    let via_provider = crate::server::auth::login_method(&call.auth.session)
        .await
        .as_deref()
        == Some(crate::server::auth::METHOD_OIDC);
    if let Some(user) = call.auth.user.clone() {
        accounts::record_logout(&call.state, user.id, &call.caller.audit).await?;
        crate::server::auth::end_registered_session(&call.state.db, &call.auth.session).await;
    }
    call.auth.logout().await.map_err(crate::error::report)?;
    // Signed in through the provider: the login page offers to sign out there too.
    if via_provider && call.state.sso.is_some() {
        leptos_axum::redirect("/login?signed_out=sso");
    } else {
        leptos_axum::redirect("/");
    }
    Ok(())
}

/// Create the first administrator with the setup code printed at start.
#[server(prefix = "/api", endpoint = "setup")]
pub async fn create_first_admin(
    setup_code: String,
    username: String,
    email: String,
    password: String,
    password_confirm: String,
) -> Result<(), AppError> {
    use crate::server::services::accounts::{self, NewAccount};
    let mut call = ctx::call().await?;
    let input = NewAccount {
        username,
        email,
        password: password.into(),
        password_confirm: password_confirm.into(),
    };
    let user =
        accounts::create_first_admin(&call.state, &setup_code, &input, &call.caller.audit).await?;
    ctx::sign_in(&mut call, &user).await?;
    leptos_axum::redirect("/account");
    Ok(())
}
