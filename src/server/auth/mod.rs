//! Authentication: the axum-login backend over our `Db`, server-side sessions in the
//! database (tower-sessions), timeouts, and the guard for protected pages.

pub mod password;

use super::{
    config::Settings,
    db::{
        audit::{self, AuditContext, NewEvent, Outcome},
        users::{self, UserRow},
        Db, DbError, Pool,
    },
    state::AppState,
};
use crate::domain::user::{CurrentUser, Role};
use async_trait::async_trait;
use axum::{
    extract::{Request, State},
    http::Method,
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use std::sync::Arc;
use tower_sessions::{
    cookie::SameSite,
    session::{Id, Record},
    session_store::{self, ExpiredDeletion, SessionStore},
    Expiry, Session, SessionManagerLayer,
};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

pub type AuthSession = axum_login::AuthSession<Backend>;

/// Session keys we keep beside axum-login's own.
const LOGIN_AT: &str = "motto.login_at";
const LAST_SEEN: &str = "motto.last_seen";
/// Activity is written to the session at most this often (a write is what extends
/// the session's life in the store).
const ACTIVITY_WRITE_EVERY_SECS: i64 = 60;

/// The signed-in user, as the auth layer keeps it for the request.
#[derive(Clone)]
pub struct AuthUser {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub role: Role,
    pub two_factor: bool,
    pub time_zone: Option<String>,
    pub email_confirmed: bool,
    /// HMAC of the user id and session epoch: when the epoch moves, every session's
    /// stored hash stops matching and axum-login ends it.
    auth_hash: Vec<u8>,
}

impl std::fmt::Debug for AuthUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthUser")
            .field("id", &self.id)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

impl AuthUser {
    pub fn to_current(&self) -> CurrentUser {
        CurrentUser {
            id: self.id,
            username: self.username.clone(),
            email: self.email.clone(),
            role: self.role,
            two_factor: self.two_factor,
            time_zone: self.time_zone.clone(),
            email_confirmed: self.email_confirmed,
        }
    }
}

impl axum_login::AuthUser for AuthUser {
    type Id = i64;

    fn id(&self) -> i64 {
        self.id
    }

    fn session_auth_hash(&self) -> &[u8] {
        &self.auth_hash
    }
}

pub use crate::server::crypto::hmac_sha256;

#[derive(Clone)]
pub struct Backend {
    db: Db,
    session_key: Arc<Vec<u8>>,
}

impl Backend {
    pub fn new(db: Db, settings: &Settings) -> Backend {
        Backend {
            db,
            // For binding sessions to epochs.
            session_key: Arc::new(crate::server::crypto::derive_key(
                settings.secret_key_bytes(),
                b"motto/session-binding/v1",
            )),
        }
    }

    pub fn auth_user(&self, row: &UserRow) -> AuthUser {
        let auth_hash = hmac_sha256(
            &self.session_key,
            format!("{}:{}", row.id, row.session_epoch).as_bytes(),
        );
        AuthUser {
            id: row.id,
            username: row.username.clone(),
            email: row.email.clone(),
            role: row.role(),
            two_factor: row.two_factor,
            time_zone: row.time_zone.clone(),
            email_confirmed: row.email_confirmed,
            auth_hash,
        }
    }
}

/// Credentials are checked by `services::accounts::login`, which also throttles and
/// audits; the backend only loads users for sessions.
pub struct NoCredentials;

impl axum_login::AuthnBackend for Backend {
    type User = AuthUser;
    type Credentials = NoCredentials;
    type Error = DbError;

    async fn authenticate(&self, _: NoCredentials) -> Result<Option<AuthUser>, DbError> {
        Ok(None)
    }

    async fn get_user(&self, id: &i64) -> Result<Option<AuthUser>, DbError> {
        Ok(users::find_by_id(&self.db, *id)
            .await?
            .filter(|u| !u.disabled)
            .map(|u| self.auth_user(&u)))
    }
}

/// The session store for whichever database is configured.
#[derive(Clone, Debug)]
pub enum Store {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

impl Store {
    pub fn new(db: &Db) -> Store {
        match db.pool() {
            Pool::Sqlite(p) => Store::Sqlite(SqliteStore::new(p.clone())),
            Pool::Postgres(p) => Store::Postgres(PostgresStore::new(p.clone())),
        }
    }

    /// Create the store's table if needed (idempotent).
    pub async fn migrate(&self) -> Result<(), sqlx::Error> {
        match self {
            Store::Sqlite(s) => s.migrate().await,
            Store::Postgres(s) => s.migrate().await,
        }
    }
}

#[async_trait]
impl SessionStore for Store {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            Store::Sqlite(s) => s.create(record).await,
            Store::Postgres(s) => s.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            Store::Sqlite(s) => s.save(record).await,
            Store::Postgres(s) => s.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            Store::Sqlite(s) => s.load(id).await,
            Store::Postgres(s) => s.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            Store::Sqlite(s) => s.delete(id).await,
            Store::Postgres(s) => s.delete(id).await,
        }
    }
}

#[async_trait]
impl ExpiredDeletion for Store {
    async fn delete_expired(&self) -> session_store::Result<()> {
        match self {
            Store::Sqlite(s) => s.delete_expired().await,
            Store::Postgres(s) => s.delete_expired().await,
        }
    }
}

/// Remove expired sessions every `period`, for as long as the server runs.
pub fn spawn_expired_cleanup(store: Store, period: std::time::Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        loop {
            tick.tick().await;
            if let Err(e) = store.delete_expired().await {
                tracing::warn!(error = %e, "could not delete expired sessions");
            }
        }
    });
}

/// The session cookie's name: `__Host-` (Secure, Path=/, no Domain) over https.
pub fn cookie_name(settings: &Settings) -> &'static str {
    if settings.is_https() {
        "__Host-motto_session"
    } else {
        "motto_session"
    }
}

/// Sessions: 128-bit random ids (tower-sessions), stored server-side, HttpOnly,
/// SameSite=Lax, Secure over https (ASVS 3.3.1-3.3.4, 7.2.1, 7.2.3).
pub fn session_layer(store: Store, settings: &Settings) -> SessionManagerLayer<Store> {
    let idle = time::Duration::seconds(settings.session_idle_timeout.as_secs() as i64);
    SessionManagerLayer::new(store)
        .with_name(cookie_name(settings))
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(settings.is_https())
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(idle))
}

/// The key, in the session, of its row in `user_sessions` (a random id: the
/// session id itself is a secret and never leaves the store).
const SESSION_REF: &str = "motto.session_ref";

/// Register a new login in `user_sessions`, so the person and admins can see it.
pub async fn register_session(
    db: &Db,
    session: &Session,
    user: &UserRow,
    ctx: &AuditContext,
) -> anyhow::Result<()> {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let id = hex::encode(bytes);
    super::db::admin::insert_session(
        db,
        &super::db::admin::NewSession {
            id: &id,
            user_id: user.id,
            epoch: user.session_epoch,
            source_ip: ctx.source_ip.as_deref(),
            user_agent: ctx.user_agent.as_deref(),
        },
    )
    .await?;
    session.insert(SESSION_REF, id).await?;
    Ok(())
}

/// This session's reference in `user_sessions`, when it has one.
pub async fn session_ref(session: &Session) -> Option<String> {
    session.get::<String>(SESSION_REF).await.ok().flatten()
}

/// Mark this session's row ended (logout, expiry).
pub async fn end_registered_session(db: &Db, session: &Session) {
    if let Ok(Some(id)) = session.get::<String>(SESSION_REF).await {
        if let Err(e) = super::db::admin::end_session(db, &id).await {
            tracing::warn!(error = %e, "could not mark a session ended");
        }
    }
}

/// Record login time at login; `enforce_timeouts` reads it back.
/// When the person last typed their password in this session, if not at login.
const AUTH_AT: &str = "motto.auth_at";

/// When this session last proved who is using it: its login, or the password
/// typed again since (Unix seconds).
pub async fn authenticated_at(session: &Session) -> i64 {
    let login: i64 = session.get(LOGIN_AT).await.ok().flatten().unwrap_or(0);
    let again: i64 = session.get(AUTH_AT).await.ok().flatten().unwrap_or(0);
    login.max(again)
}

/// The password was just typed again and checked.
pub async fn mark_reauthenticated(session: &Session) -> Result<(), tower_sessions::session::Error> {
    session
        .insert(AUTH_AT, chrono::Utc::now().timestamp())
        .await
}

pub async fn start_session_clock(session: &Session) -> Result<(), tower_sessions::session::Error> {
    let now = chrono::Utc::now().timestamp();
    session.insert(LOGIN_AT, now).await?;
    session.insert(LAST_SEEN, now).await
}

/// Idle and absolute session timeouts (ASVS 7.3.1, 7.3.2), enforced on every request
/// from the times stored in the session, since tower-sessions has one expiry mode.
pub async fn enforce_timeouts(
    State(state): State<AppState>,
    mut auth: AuthSession,
    req: Request,
    next: Next,
) -> Response {
    if let Some(user) = auth.user.clone() {
        let now = chrono::Utc::now().timestamp();
        let login_at: i64 = auth.session.get(LOGIN_AT).await.ok().flatten().unwrap_or(0);
        let last_seen: i64 = auth
            .session
            .get(LAST_SEEN)
            .await
            .ok()
            .flatten()
            .unwrap_or(login_at);
        let settings = &state.settings;
        let absolute = settings.session_absolute_timeout.as_secs() as i64;
        let idle = settings.session_idle_timeout.as_secs() as i64;
        let reason = if now - login_at >= absolute {
            Some("absolute")
        } else if now - last_seen >= idle {
            Some("idle")
        } else {
            None
        };
        // Ended from the account page or by an admin: signed out on its next
        // request (one primary-key read per signed-in request).
        let ended = match session_ref(&auth.session).await {
            Some(id) => super::db::admin::session_ended(&state.db, &id)
                .await
                .unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "could not read the session register");
                    false
                }),
            None => false,
        };
        let reason = if ended { Some("ended") } else { reason };
        if let Some(reason) = reason {
            let ctx = audit_context(req.extensions(), req.headers(), Some(user.id));
            end_registered_session(&state.db, &auth.session).await;
            let _ = auth.logout().await;
            let event = NewEvent::new("auth.session.expired", Outcome::Success)
                .target("user", user.id)
                .details(serde_json::json!({ "timeout": reason }));
            if let Err(e) = audit::record_now(&state.db, &ctx, event).await {
                tracing::error!(error = %e, "could not record session expiry");
            }
            // The request goes on as anonymous: a protected page then redirects to login.
            let (mut parts, body) = req.into_parts();
            parts.extensions.insert(auth);
            return next.run(Request::from_parts(parts, body)).await;
        }
        if now - last_seen >= ACTIVITY_WRITE_EVERY_SECS.min(idle / 2).max(1) {
            let _ = auth.session.insert(LAST_SEEN, now).await;
            if let Ok(Some(id)) = auth.session.get::<String>(SESSION_REF).await {
                if let Err(e) = super::db::admin::touch_session(&state.db, &id).await {
                    tracing::warn!(error = %e, "could not record session activity");
                }
            }
        }
    }
    next.run(req).await
}

/// Pages that need a signed-in user. A full page load of one of them without a
/// session is redirected to `/login?next=...` before anything renders.
const PROTECTED_PAGES: &[&str] = &["/account", "/documents", "/conversations"];

pub fn is_protected_page(path: &str) -> bool {
    PROTECTED_PAGES
        .iter()
        .any(|p| path == *p || path.starts_with(&format!("{p}/")))
}

pub async fn guard_protected_pages(auth: AuthSession, req: Request, next: Next) -> Response {
    if (req.method() == Method::GET || req.method() == Method::HEAD)
        && auth.user.is_none()
        && is_protected_page(req.uri().path())
    {
        let target = req
            .uri()
            .path_and_query()
            .map(|pq| pq.as_str())
            .unwrap_or("/");
        let next_param: String = url::form_urlencoded::byte_serialize(target.as_bytes()).collect();
        return Redirect::to(&format!("/login?next={next_param}")).into_response();
    }
    next.run(req).await
}

pub use crate::server::request::audit_context;

/// How this session was signed in, when not with a password.
const LOGIN_METHOD: &str = "motto.login_method";
/// The session was signed in through the OpenID Provider.
pub const METHOD_OIDC: &str = "oidc";

/// Start a session for `user`: a new session id (ASVS 7.2.4), bound to the
/// user's epoch, with the clock for idle and absolute timeouts, registered so
/// the person and administrators can see it; `method` names a way in other
/// than the password (e.g. [`METHOD_OIDC`]).
pub async fn begin_session(
    db: &Db,
    auth: &mut AuthSession,
    user: &UserRow,
    method: Option<&str>,
    ctx: &AuditContext,
) -> anyhow::Result<()> {
    auth.session.cycle_id().await?;
    let auth_user = auth.backend.auth_user(user);
    auth.login(&auth_user).await?;
    start_session_clock(&auth.session).await?;
    if let Some(method) = method {
        auth.session.insert(LOGIN_METHOD, method).await?;
    }
    register_session(db, &auth.session, user, ctx).await
}

/// How this session was signed in: [`METHOD_OIDC`], or `None` for a password.
pub async fn login_method(session: &Session) -> Option<String> {
    session.get::<String>(LOGIN_METHOD).await.ok().flatten()
}

/// The `Set-Cookie` value that keeps the person's theme in this browser.
pub fn theme_cookie(settings: &Settings, theme: crate::domain::theme::Theme) -> String {
    let secure = if settings.is_https() { "; Secure" } else { "" };
    format!(
        "{}={}; Path=/; Max-Age=31536000; SameSite=Lax{secure}",
        crate::domain::theme::THEME_COOKIE,
        theme.as_str()
    )
}
