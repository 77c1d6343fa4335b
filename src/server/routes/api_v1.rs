//! The REST API under `/api/v1`: JSON in and out, authenticated only by
//! `Authorization: Bearer <API key or access token>` (browser cookies are ignored
//! here, so there is no CSRF surface), scopes enforced per endpoint, owner-only like the UI, rate
//! limited per key. Errors always have the shape
//! `{"error": {"code": "...", "message": "...", "fields": [...], "request_id": "..."}}`.

use crate::{
    domain::{
        conversation::StreamEvent,
        document::{DocSort, DocumentView},
    },
    error::AppError,
    server::{
        auth::audit_context,
        db::{audit::AuditContext, users},
        services::{api_keys, conversations, documents, tokens},
        state::AppState,
    },
};
use axum::{
    extract::{FromRequestParts, Path, Query, State},
    http::{header, request::Parts, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use serde::Deserialize;
use serde_json::json;

/// An API error in the one JSON shape.
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let e = self.0;
        let (code, fields) = match &e {
            AppError::Validation(f) => ("invalid", Some(f.clone())),
            AppError::Unauthorized => ("unauthorized", None),
            AppError::Forbidden => ("insufficient_scope", None),
            AppError::NotFound => ("not_found", None),
            AppError::Conflict(_) => ("conflict", None),
            AppError::RateLimited { .. } => ("rate_limited", None),
            AppError::Internal { .. } => ("internal", None),
            AppError::Transport(_) => ("bad_request", None),
        };
        let status = match &e {
            AppError::Transport(_) => StatusCode::BAD_REQUEST,
            other => other.status(),
        };
        let mut body = json!({ "code": code, "message": e.to_string() });
        if let Some(f) = fields {
            body["fields"] = json!(f);
        }
        if let AppError::Internal { request_id } = &e {
            body["request_id"] = json!(request_id);
        }
        let mut res = (status, Json(json!({ "error": body }))).into_response();
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"motto\""),
            );
        }
        res
    }
}

type ApiResult = Result<Response, ApiError>;

/// The caller: an API key's owner with the key's scopes, or the holder of an
/// access token (every scope: it was obtained with the password).
pub struct Principal {
    pub user_id: i64,
    pub key_id: Option<i64>,
    pub scopes: Vec<String>,
    pub audit: AuditContext,
}

impl Principal {
    fn require(&self, scope: &str) -> Result<(), ApiError> {
        if self.scopes.iter().any(|s| s == scope) {
            Ok(())
        } else {
            Err(ApiError(AppError::Forbidden))
        }
    }

    fn user(&self) -> i64 {
        self.user_id
    }
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or(ApiError(AppError::Unauthorized))?;
        let ctx = audit_context(&parts.extensions, &parts.headers, None);
        let (user_id, key_id, scopes) = if token.starts_with("motto_") {
            let key = api_keys::authenticate(state, token, &ctx).await?;
            (key.user_id, Some(key.key_id), key.scopes)
        } else {
            let user = tokens::verify_access(state, token, &ctx).await?;
            let all = crate::domain::api_key::SCOPES
                .iter()
                .map(|(s, _)| s.to_string())
                .collect();
            (user, None, all)
        };
        let mut audit = ctx;
        audit.actor_user_id = Some(user_id);
        audit.actor_api_key_id = key_id;
        Ok(Principal {
            user_id,
            key_id,
            scopes,
            audit,
        })
    }
}

/// The `{id}` of a path: a number, or the API's own 404 (an id that cannot exist).
pub struct Id(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<i64>::from_request_parts(parts, state)
            .await
            .map(|Path(id)| Id(id))
            .map_err(|_| ApiError(AppError::NotFound))
    }
}

fn created(location: String, body: serde_json::Value) -> Response {
    let mut res = (StatusCode::CREATED, Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

/// A JSON body, or the API's own error for a missing or malformed one.
fn body<T>(r: Result<Json<T>, axum::extract::rejection::JsonRejection>) -> Result<T, ApiError> {
    r.map(|Json(t)| t).map_err(|e| {
        ApiError(AppError::form(format!(
            "The request body must be JSON of the documented shape: {}",
            e.body_text()
        )))
    })
}

async fn me(State(state): State<AppState>, p: Principal) -> ApiResult {
    let user = users::find_by_id(&state.db, p.user())
        .await
        .map_err(|e| ApiError(crate::server::services::accounts::internal(&p.audit, e)))?
        .ok_or(ApiError(AppError::Unauthorized))?;
    Ok(Json(json!({
        "id": user.id,
        "username": user.username,
        "email": user.email,
        "role": user.role(),
        "key": p.key_id.map(|id| json!({ "id": id })),
        "scopes": p.scopes,
    }))
    .into_response())
}

#[derive(Deserialize)]
struct ListParams {
    #[serde(default)]
    page: Option<u32>,
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    sort: Option<String>,
}

async fn list_documents(
    State(state): State<AppState>,
    p: Principal,
    Query(params): Query<ListParams>,
) -> ApiResult {
    p.require("documents:read")?;
    if let Some(q) = params.q.filter(|q| !q.trim().is_empty()) {
        let hits = documents::search(&state, p.user(), &q, &p.audit).await?;
        return Ok(Json(json!({ "items": hits })).into_response());
    }
    let sort = DocSort::parse(params.sort.as_deref().unwrap_or("updated"));
    let page = documents::list(
        &state,
        p.user(),
        false,
        sort,
        params.page.unwrap_or(1),
        &p.audit,
    )
    .await?;
    Ok(Json(page).into_response())
}

async fn get_document(State(state): State<AppState>, p: Principal, Id(id): Id) -> ApiResult {
    p.require("documents:read")?;
    let doc: DocumentView = documents::get(&state, p.user(), id, &p.audit).await?;
    Ok(Json(doc).into_response())
}

#[derive(Deserialize)]
struct NewDocument {
    title: String,
    #[serde(default)]
    body: String,
}

async fn create_document(
    State(state): State<AppState>,
    p: Principal,
    input: Result<Json<NewDocument>, axum::extract::rejection::JsonRejection>,
) -> ApiResult {
    p.require("documents:write")?;
    let input = body(input)?;
    let id = documents::create(&state, p.user(), &input.title, &input.body, &p.audit).await?;
    Ok(created(
        format!("/api/v1/documents/{id}"),
        json!({ "id": id, "version": 1 }),
    ))
}

#[derive(Deserialize)]
struct DocumentUpdate {
    title: String,
    #[serde(default)]
    body: String,
    /// The version the change is based on; a newer one gives 409.
    version: i64,
}

async fn update_document(
    State(state): State<AppState>,
    p: Principal,
    Id(id): Id,
    input: Result<Json<DocumentUpdate>, axum::extract::rejection::JsonRejection>,
) -> ApiResult {
    p.require("documents:write")?;
    let input = body(input)?;
    let edit = documents::Edit {
        base_version: input.version,
        title: &input.title,
        body: &input.body,
        restored_from: None,
    };
    let version = documents::update(&state, p.user(), id, edit, &p.audit).await?;
    Ok(Json(json!({ "id": id, "version": version })).into_response())
}

async fn delete_document(State(state): State<AppState>, p: Principal, Id(id): Id) -> ApiResult {
    p.require("documents:write")?;
    documents::trash(&state, p.user(), id, &p.audit).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn list_conversations(
    State(state): State<AppState>,
    p: Principal,
    Query(params): Query<ListParams>,
) -> ApiResult {
    p.require("conversations:read")?;
    let page = conversations::list(
        &state,
        p.user(),
        false,
        params.q.as_deref().unwrap_or(""),
        params.page.unwrap_or(1),
        &p.audit,
    )
    .await?;
    Ok(Json(page).into_response())
}

async fn get_conversation(State(state): State<AppState>, p: Principal, Id(id): Id) -> ApiResult {
    p.require("conversations:read")?;
    let c = conversations::get(&state, p.user(), id, &p.audit).await?;
    Ok(Json(c).into_response())
}

#[derive(Deserialize)]
struct NewConversation {
    #[serde(default)]
    title: String,
    #[serde(default)]
    scope: Vec<i64>,
}

async fn create_conversation(
    State(state): State<AppState>,
    p: Principal,
    input: Result<Json<NewConversation>, axum::extract::rejection::JsonRejection>,
) -> ApiResult {
    p.require("conversations:write")?;
    let input = body(input)?;
    let id = conversations::create(&state, p.user(), &input.title, &input.scope, &p.audit).await?;
    Ok(created(
        format!("/api/v1/conversations/{id}"),
        json!({ "id": id }),
    ))
}

#[derive(Deserialize)]
struct NewMessage {
    content: String,
}

/// Send a message and wait for the assistant's reply.
async fn post_message(
    State(state): State<AppState>,
    p: Principal,
    Id(id): Id,
    input: Result<Json<NewMessage>, axum::extract::rejection::JsonRejection>,
) -> ApiResult {
    p.require("conversations:write")?;
    let input = body(input)?;
    let sending = conversations::send(&state, p.user(), id, &input.content, &p.audit).await?;
    let (message_id, reply_id) = (sending.message_id, sending.reply_id);
    let last = conversations::wait(sending).await;
    let view = conversations::get(&state, p.user(), id, &p.audit).await?;
    let reply = view.messages.into_iter().find(|m| m.id == reply_id);
    let status = match last {
        Some(StreamEvent::Done { .. }) => StatusCode::CREATED,
        _ => StatusCode::BAD_GATEWAY,
    };
    Ok((
        status,
        Json(json!({ "message_id": message_id, "reply": reply })),
    )
        .into_response())
}

#[derive(Deserialize)]
struct TokenRequest {
    username: String,
    password: String,
}

/// Username (or email) and password for an access token (1 h) and a refresh
/// token (7 days).
async fn token(
    State(state): State<AppState>,
    parts: axum::http::request::Parts,
    input: Result<Json<TokenRequest>, axum::extract::rejection::JsonRejection>,
) -> ApiResult {
    let input = body(input)?;
    let ctx = audit_context(&parts.extensions, &parts.headers, None);
    let pair = tokens::exchange(&state, &input.username, &input.password.into(), &ctx).await?;
    Ok(no_store(Json(pair).into_response()))
}

#[derive(Deserialize)]
struct RefreshRequest {
    refresh_token: String,
}

async fn refresh(
    State(state): State<AppState>,
    parts: axum::http::request::Parts,
    input: Result<Json<RefreshRequest>, axum::extract::rejection::JsonRejection>,
) -> ApiResult {
    let input = body(input)?;
    let ctx = audit_context(&parts.extensions, &parts.headers, None);
    let pair = tokens::refresh(&state, &input.refresh_token, &ctx).await?;
    Ok(no_store(Json(pair).into_response()))
}

async fn revoke(
    State(state): State<AppState>,
    parts: axum::http::request::Parts,
    input: Result<Json<RefreshRequest>, axum::extract::rejection::JsonRejection>,
) -> ApiResult {
    let input = body(input)?;
    let ctx = audit_context(&parts.extensions, &parts.headers, None);
    tokens::revoke(&state, &input.refresh_token, &ctx).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Token answers must not be kept by caches.
fn no_store(mut res: Response) -> Response {
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

async fn not_found() -> ApiError {
    ApiError(AppError::NotFound)
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/me", get(me))
        .route("/api/v1/auth/token", post(token))
        .route("/api/v1/auth/refresh", post(refresh))
        .route("/api/v1/auth/revoke", post(revoke))
        .route(
            "/api/v1/documents",
            get(list_documents).post(create_document),
        )
        .route(
            "/api/v1/documents/{id}",
            get(get_document)
                .put(update_document)
                .delete(delete_document),
        )
        .route(
            "/api/v1/conversations",
            get(list_conversations).post(create_conversation),
        )
        .route("/api/v1/conversations/{id}", get(get_conversation))
        .route("/api/v1/conversations/{id}/messages", post(post_message))
        .route("/api/v1/{*rest}", axum::routing::any(not_found))
}
