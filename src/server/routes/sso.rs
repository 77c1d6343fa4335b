//! Single sign-on in the browser: `GET /auth/oidc/start` sends the person to the
//! provider, `POST /auth/oidc/link` does the same to link the provider account
//! to the signed-in one, `GET /auth/oidc/callback` is where the provider sends
//! them back, and `GET /auth/oidc/logout` signs them out at the provider too
//! (offered after Motto's own logout). A refusal sends the person back to the
//! page they came from with the reason, which the page explains.

use crate::server::{
    auth::{begin_session, end_registered_session, theme_cookie, AuthSession, METHOD_OIDC},
    caller::Caller,
    services::sso::{self, Callback, Failure, Purpose, FLOW_COOKIE, FLOW_TTL_SECS},
    state::AppState,
};
use axum::{
    extract::{Query, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct Next {
    next: Option<String>,
}

/// A 303 to `location`, never cached.
fn see_other(location: &str) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

fn flow_cookie(state: &AppState, value: &str, max_age: i64) -> Option<HeaderValue> {
    let secure = if state.settings.is_https() {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{FLOW_COOKIE}={value}; Path=/auth/oidc; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"
    ))
    .ok()
}

/// This browser's flow cookie, if it sent one.
fn read_flow_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == FLOW_COOKIE)
        .map(|(_, value)| value.to_string())
}

/// Back to the page the flow started from, with the reason it failed.
fn refused(purpose: Option<Purpose>, reason: &str) -> Response {
    let page = match purpose {
        Some(Purpose::Link { .. }) => "/account",
        _ => "/login",
    };
    see_other(&format!("{page}?sso_error={reason}"))
}

async fn begin(state: &AppState, purpose: Purpose, next: &str, caller: &Caller) -> Response {
    let provider = match sso::provider(state) {
        Ok(p) => p,
        Err(f) => return refused(Some(purpose), f.reason),
    };
    match provider.start(purpose, next).await {
        Ok((url, sealed)) => {
            let mut res = see_other(&url);
            if let Some(cookie) = flow_cookie(state, &sealed, FLOW_TTL_SECS) {
                res.headers_mut().append(header::SET_COOKIE, cookie);
            }
            res
        }
        Err(f) => {
            sso::record_failure(state, &f, Some(purpose), &caller.audit).await;
            refused(Some(purpose), f.reason)
        }
    }
}

pub async fn start(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<Next>,
) -> Response {
    begin(
        &state,
        Purpose::Login,
        q.next.as_deref().unwrap_or("/"),
        &caller,
    )
    .await
}

pub async fn link(State(state): State<AppState>, auth: AuthSession, caller: Caller) -> Response {
    let Some(user) = auth.user.as_ref() else {
        return see_other("/login?next=/account");
    };
    begin(&state, Purpose::Link { user: user.id }, "/account", &caller).await
}

pub async fn callback(
    State(state): State<AppState>,
    mut auth: AuthSession,
    caller: Caller,
    headers: HeaderMap,
    Query(q): Query<Callback>,
) -> Response {
    let cookie = read_flow_cookie(&headers);
    let mut res = finish(&state, &mut auth, &caller, cookie.as_deref(), &q).await;
    // The flow is over, whatever came of it: its cookie cannot be used again.
    if let Some(clear) = flow_cookie(&state, "", 0) {
        res.headers_mut().append(header::SET_COOKIE, clear);
    }
    res
}

async fn finish(
    state: &AppState,
    auth: &mut AuthSession,
    caller: &Caller,
    cookie: Option<&str>,
    q: &Callback,
) -> Response {
    let provider = match sso::provider(state) {
        Ok(p) => p.clone(),
        Err(f) => return refused(None, f.reason),
    };
    let purpose = provider.purpose_of(cookie);
    let fail = |f: Failure| async move {
        sso::record_failure(state, &f, purpose, &caller.audit).await;
        refused(purpose, f.reason)
    };
    let finished = match provider.finish(cookie, q).await {
        Ok(f) => f,
        Err(f) => return fail(f).await,
    };
    match finished.purpose {
        Purpose::Login => {
            let user = match sso::sign_in(state, &finished.claims, &caller.audit).await {
                Ok(u) => u,
                Err(f) => return fail(f).await,
            };
            if auth.user.is_some() {
                end_registered_session(&state.db, &auth.session).await;
            }
            if let Err(e) =
                begin_session(&state.db, auth, &user, Some(METHOD_OIDC), &caller.audit).await
            {
                return fail(Failure {
                    user: Some(user.id),
                    reason: "internal",
                    detail: e.to_string(),
                })
                .await;
            }
            let mut res = see_other(&finished.next);
            let theme = crate::domain::theme::Theme::parse(&user.theme);
            if let Ok(v) = HeaderValue::from_str(&theme_cookie(&state.settings, theme)) {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
            res
        }
        Purpose::Link { user } => {
            // Only the person who asked may finish the link, in the same session.
            if auth.user.as_ref().map(|u| u.id) != Some(user) {
                return fail(Failure {
                    user: Some(user),
                    reason: "expired_state",
                    detail: "the link was finished by another session".into(),
                })
                .await;
            }
            match sso::link(state, user, &finished.claims, &caller.audit).await {
                Ok(()) => see_other("/account?sso=linked"),
                Err(f) => fail(f).await,
            }
        }
    }
}

/// Sign out at the provider too (RP-initiated logout), when it offers it.
pub async fn logout(State(state): State<AppState>) -> Response {
    let Ok(provider) = sso::provider(&state) else {
        return see_other("/login");
    };
    match provider.logout_url().await {
        Some(url) => see_other(&url),
        None => see_other("/login"),
    }
}
