//! The REST API under `/api/v1`: JSON in and out, authenticated only by
//! `Authorization: Bearer <API key or access token>` (browser cookies are ignored
//! here, so there is no CSRF surface), scopes enforced per endpoint, owner-only like the UI, rate
//! limited per key. Errors always have the shape
//! `{"error": {"code": "...", "message": "...", "fields": [...], "request_id": "..."}}`.

use crate::{
    domain::{
        conversation::{ConversationPage, ConversationView, MessageView, StreamEvent},
        document::{DocSort, DocumentPage, DocumentView, SearchHit},
    },
    error::{AppError, FieldError},
    server::services::tokens::TokenPair,
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
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

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
            AppError::Validation(f) => (ErrorCode::Invalid, Some(f.clone())),
            AppError::Unauthorized => (ErrorCode::Unauthorized, None),
            AppError::Forbidden => (ErrorCode::InsufficientScope, None),
            AppError::NotFound => (ErrorCode::NotFound, None),
            AppError::Conflict(_) => (ErrorCode::Conflict, None),
            AppError::RateLimited { .. } => (ErrorCode::RateLimited, None),
            AppError::Internal { .. } => (ErrorCode::Internal, None),
            AppError::Unavailable { .. } => (ErrorCode::Unavailable, None),
            AppError::Transport(_) => (ErrorCode::BadRequest, None),
        };
        let status = match &e {
            AppError::Transport(_) => StatusCode::BAD_REQUEST,
            other => other.status(),
        };
        let request_id = match &e {
            AppError::Internal { request_id } | AppError::Unavailable { request_id } => {
                Some(request_id.clone())
            }
            _ => None,
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code,
                message: e.to_string(),
                fields,
                request_id,
            },
        };
        let mut res = (status, Json(body)).into_response();
        res.extensions_mut().insert(Shaped);
        if let Some(v) = e.retry_after() {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
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

/// Every error answer: `{"error": {...}}`.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable reason.
    pub code: ErrorCode,
    /// For people: what went wrong and what to do.
    pub message: String,
    /// With `invalid`: one message per offending field (`field` empty for the whole
    /// request).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<FieldError>>,
    /// With `internal`: the id the server logged the cause under.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    Invalid,
    Unauthorized,
    InsufficientScope,
    NotFound,
    Conflict,
    RateLimited,
    Internal,
    BadRequest,
    Forbidden,
    PayloadTooLarge,
    Unavailable,
    MethodNotAllowed,
}

/// Marks a response whose body already has the API's error shape.
#[derive(Clone, Copy)]
struct Shaped;

/// Errors made by the layers in front of the API (rate limit, body limit, timeout,
/// panic, cross-origin refusal) get the API's one error shape too, so a client
/// parses every failure the same way. Headers (`Retry-After`, ...) are kept.
pub async fn error_shape(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let api = req.uri().path().starts_with("/api/v1/");
    let request_id = req
        .extensions()
        .get::<crate::server::request_id::RequestId>()
        .map(|r| r.as_str().to_string());
    let res = next.run(req).await;
    let status = res.status();
    if !api
        || res.extensions().get::<Shaped>().is_some()
        || !(status.is_client_error() || status.is_server_error())
    {
        return res;
    }
    let (code, message) = match status {
        StatusCode::TOO_MANY_REQUESTS => (
            ErrorCode::RateLimited,
            "Too many requests: wait a little and try again.",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => {
            (ErrorCode::PayloadTooLarge, "The request body is too large.")
        }
        StatusCode::FORBIDDEN => (ErrorCode::Forbidden, "This request was refused."),
        StatusCode::METHOD_NOT_ALLOWED => (
            ErrorCode::MethodNotAllowed,
            "This method is not supported here.",
        ),
        StatusCode::SERVICE_UNAVAILABLE => (
            ErrorCode::Unavailable,
            "The server is busy or unavailable: try again shortly.",
        ),
        StatusCode::INTERNAL_SERVER_ERROR => {
            (ErrorCode::Internal, "Something went wrong on our side.")
        }
        s if s.is_server_error() => (
            ErrorCode::Unavailable,
            "The server could not answer: try again shortly.",
        ),
        _ => (
            ErrorCode::BadRequest,
            "The request could not be understood.",
        ),
    };
    let (mut parts, _) = res.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let body = ErrorBody {
        error: ErrorDetail {
            code,
            message: message.into(),
            fields: None,
            request_id: status.is_server_error().then_some(request_id).flatten(),
        },
    };
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// The error responses the operations below name. They exist for the spec only:
/// the handlers answer with `ApiError`, which has this shape.
mod responses {
    #![allow(dead_code)]
    use super::ErrorBody;
    use utoipa::IntoResponses;

    /// Missing, malformed, unknown, revoked or expired credentials (`WWW-Authenticate: Bearer`).
    #[derive(IntoResponses)]
    #[response(status = 401, headers(("www-authenticate" = String, description = "`Bearer realm=\"motto\"`")))]
    pub struct Unauthorized(ErrorBody);

    /// The key lacks the scope this endpoint needs.
    #[derive(IntoResponses)]
    #[response(status = 403)]
    pub struct InsufficientScope(ErrorBody);

    /// No such object among the caller's own (another user's objects are not found either).
    #[derive(IntoResponses)]
    #[response(status = 404)]
    pub struct NotFound(ErrorBody);

    /// The request was understood but its content is not acceptable; `fields` says why.
    #[derive(IntoResponses)]
    #[response(status = 422)]
    pub struct Invalid(ErrorBody);

    /// Too many requests for this key (or address); retry after the given seconds.
    #[derive(IntoResponses)]
    #[response(status = 429, headers(("retry-after" = u64, description = "Seconds to wait")))]
    pub struct RateLimited(ErrorBody);

    /// Something failed on the server; `request_id` identifies it in the server's log.
    #[derive(IntoResponses)]
    #[response(status = 500)]
    pub struct ServerError(ErrorBody);
}
use responses::{InsufficientScope, Invalid, NotFound, RateLimited, ServerError, Unauthorized};

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
        let credential = match key_id {
            Some(id) => format!("key:{id}"),
            None => format!("user:{user_id}"),
        };
        crate::server::security::limits::count_api_credential(state, &credential, &audit).await?;
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

fn created(location: String, body: impl Serialize) -> Response {
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

/// Query parameters, or the API's own error for malformed ones.
pub struct Params<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(t)| Params(t))
            .map_err(|e| {
                ApiError(AppError::form(format!(
                    "The query parameters are not as documented: {}",
                    e.body_text()
                )))
            })
    }
}

/// Who the caller is and what their credential may do.
#[derive(Serialize, ToSchema)]
struct Me {
    id: i64,
    username: String,
    email: String,
    role: crate::domain::user::Role,
    /// The API key in use; absent for an access token.
    key: Option<KeyRef>,
    /// What the credential may do (an access token has every scope).
    scopes: Vec<String>,
}

#[derive(Serialize, ToSchema)]
struct KeyRef {
    id: i64,
}

#[utoipa::path(
    get, path = "/api/v1/me", tag = "account",
    summary = "The caller",
    description = "The account the credential belongs to, and the credential's scopes.",
    responses((status = 200, description = "The caller", body = Me), Unauthorized, RateLimited, ServerError),
    security(("bearer" = [])),
)]
async fn me(State(state): State<AppState>, p: Principal) -> ApiResult {
    let user = users::find_by_id(&state.db, p.user())
        .await
        .map_err(|e| ApiError(crate::server::services::accounts::internal(&p.audit, e)))?
        .ok_or(ApiError(AppError::Unauthorized))?;
    Ok(Json(Me {
        id: user.id,
        role: user.role(),
        username: user.username,
        email: user.email,
        key: p.key_id.map(|id| KeyRef { id }),
        scopes: p.scopes,
    })
    .into_response())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct DocumentListParams {
    /// Page number, from 1 (20 documents a page). Ignored with `q`.
    #[param(minimum = 1)]
    #[serde(default)]
    page: Option<u32>,
    /// Documents a page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    #[serde(default)]
    per_page: Option<u32>,
    /// Full-text search: the best 50 matches, with snippets, instead of a page.
    #[serde(default)]
    q: Option<String>,
    /// Order of a page: most recently updated first, or by title.
    #[param(inline)]
    #[serde(default)]
    sort: Option<SortParam>,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
enum SortParam {
    Updated,
    Title,
}

/// The result of a search: the best matches first.
#[derive(Serialize, ToSchema)]
struct SearchResults {
    /// The search as it was run.
    query: String,
    items: Vec<SearchHit>,
}

/// A page of documents, or search results when `q` was given.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
enum DocumentList {
    Page(DocumentPage),
    Search(SearchResults),
}

#[utoipa::path(
    get, path = "/api/v1/documents", tag = "documents",
    summary = "List or search documents",
    params(DocumentListParams),
    responses(
        (status = 200, description = "A page, or the search results", body = DocumentList),
        Invalid, Unauthorized, InsufficientScope, RateLimited, ServerError,
    ),
    security(("bearer" = ["documents:read"])),
)]
async fn list_documents(
    State(state): State<AppState>,
    p: Principal,
    Params(params): Params<DocumentListParams>,
) -> ApiResult {
    p.require("documents:read")?;
    if let Some(q) = params.q.filter(|q| !q.trim().is_empty()) {
        let items = documents::search(&state, p.user(), &q, &p.audit).await?;
        return Ok(Json(DocumentList::Search(SearchResults { query: q, items })).into_response());
    }
    let sort = match params.sort {
        Some(SortParam::Title) => DocSort::Title,
        _ => DocSort::Updated,
    };
    let per_page = params
        .per_page
        .unwrap_or(crate::domain::document::PAGE_SIZE);
    if !(1..=100).contains(&per_page) {
        return Err(ApiError(AppError::field("per_page", "Use 1 to 100.")));
    }
    let page = documents::list(
        &state,
        p.user(),
        false,
        sort,
        params.page.unwrap_or(1).max(1),
        per_page,
        &p.audit,
    )
    .await?;
    Ok(Json(DocumentList::Page(page)).into_response())
}

#[utoipa::path(
    get, path = "/api/v1/documents/{id}", tag = "documents",
    summary = "Get a document",
    description = "The Markdown source, its sanitised HTML and the current version.",
    params(("id" = i64, Path, description = "Document id")),
    responses(
        (status = 200, description = "The document", body = DocumentView),
        Unauthorized, InsufficientScope, NotFound, RateLimited, ServerError,
    ),
    security(("bearer" = ["documents:read"])),
)]
async fn get_document(State(state): State<AppState>, p: Principal, Id(id): Id) -> ApiResult {
    p.require("documents:read")?;
    let doc: DocumentView = documents::get(&state, p.user(), id, &p.audit).await?;
    Ok(Json(doc).into_response())
}

#[derive(Deserialize, ToSchema)]
struct NewDocument {
    /// 1 to 200 characters, one line.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    title: String,
    /// Markdown, at most 10 MiB, no NUL characters.
    #[schema(pattern = r"^[^\u0000]*$")]
    #[serde(default)]
    body: String,
}

/// The id and version of a document after a change.
#[derive(Serialize, ToSchema)]
struct DocumentRef {
    id: i64,
    version: i64,
}

#[utoipa::path(
    post, path = "/api/v1/documents", tag = "documents",
    summary = "Create a document",
    request_body = NewDocument,
    responses(
        (status = 201, description = "Created (version 1)", body = DocumentRef, headers(("location" = String, description = "The new document's URL"))),
        Invalid, Unauthorized, InsufficientScope, RateLimited, ServerError,
    ),
    security(("bearer" = ["documents:write"])),
)]
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
        DocumentRef { id, version: 1 },
    ))
}

#[derive(Deserialize, ToSchema)]
struct DocumentUpdate {
    /// 1 to 200 characters, one line.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    title: String,
    /// Markdown, at most 10 MiB, no NUL characters.
    #[schema(pattern = r"^[^\u0000]*$")]
    #[serde(default)]
    body: String,
    /// The version the change is based on; if the document has moved on since, the
    /// answer is 409 and nothing is changed.
    version: i64,
}

#[utoipa::path(
    put, path = "/api/v1/documents/{id}", tag = "documents",
    summary = "Save a new version of a document",
    params(("id" = i64, Path, description = "Document id")),
    request_body = DocumentUpdate,
    responses(
        (status = 200, description = "Saved as the returned version", body = DocumentRef),
        (status = 409, description = "The document changed since `version`: fetch it, merge, retry.", body = ErrorBody),
        Invalid, Unauthorized, InsufficientScope, NotFound, RateLimited, ServerError,
    ),
    security(("bearer" = ["documents:write"])),
)]
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
    Ok(Json(DocumentRef { id, version }).into_response())
}

#[utoipa::path(
    delete, path = "/api/v1/documents/{id}", tag = "documents",
    summary = "Move a document to the trash",
    description = "It can be restored from the trash in the UI until it is purged.",
    params(("id" = i64, Path, description = "Document id")),
    responses(
        (status = 204, description = "Moved to the trash"),
        Unauthorized, InsufficientScope, NotFound, RateLimited, ServerError,
    ),
    security(("bearer" = ["documents:write"])),
)]
async fn delete_document(State(state): State<AppState>, p: Principal, Id(id): Id) -> ApiResult {
    p.require("documents:write")?;
    documents::trash(&state, p.user(), id, &p.audit).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ConversationListParams {
    /// Page number, from 1 (30 conversations a page).
    #[param(minimum = 1)]
    #[serde(default)]
    page: Option<u32>,
    /// Only conversations whose title or messages contain this text.
    #[serde(default)]
    q: Option<String>,
}

#[utoipa::path(
    get, path = "/api/v1/conversations", tag = "conversations",
    summary = "List conversations",
    description = "Most recently active first.",
    params(ConversationListParams),
    responses(
        (status = 200, description = "A page of conversations", body = ConversationPage),
        Invalid, Unauthorized, InsufficientScope, RateLimited, ServerError,
    ),
    security(("bearer" = ["conversations:read"])),
)]
async fn list_conversations(
    State(state): State<AppState>,
    p: Principal,
    Params(params): Params<ConversationListParams>,
) -> ApiResult {
    p.require("conversations:read")?;
    let q = params.q.unwrap_or_default();
    let page = conversations::list(
        &state,
        p.user(),
        false,
        &q,
        params.page.unwrap_or(1).max(1),
        &p.audit,
    )
    .await?;
    Ok(Json(page).into_response())
}

#[utoipa::path(
    get, path = "/api/v1/conversations/{id}", tag = "conversations",
    summary = "Get a conversation with its messages",
    params(("id" = i64, Path, description = "Conversation id")),
    responses(
        (status = 200, description = "The conversation", body = ConversationView),
        Unauthorized, InsufficientScope, NotFound, RateLimited, ServerError,
    ),
    security(("bearer" = ["conversations:read"])),
)]
async fn get_conversation(State(state): State<AppState>, p: Principal, Id(id): Id) -> ApiResult {
    p.require("conversations:read")?;
    let c = conversations::get(&state, p.user(), id, &p.audit).await?;
    Ok(Json(c).into_response())
}

#[derive(Deserialize, ToSchema)]
struct NewConversation {
    /// Optional; "New conversation" when empty. At most 200 characters, one line.
    #[schema(max_length = 200, pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$")]
    #[serde(default)]
    title: String,
    /// Document ids the assistant may answer from; empty means all of yours.
    #[serde(default)]
    scope: Vec<i64>,
}

#[derive(Serialize, ToSchema)]
struct ConversationRef {
    id: i64,
}

#[utoipa::path(
    post, path = "/api/v1/conversations", tag = "conversations",
    summary = "Start a conversation",
    request_body = NewConversation,
    responses(
        (status = 201, description = "Created", body = ConversationRef, headers(("location" = String, description = "The new conversation's URL"))),
        Invalid, Unauthorized, InsufficientScope, RateLimited, ServerError,
    ),
    security(("bearer" = ["conversations:write"])),
)]
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
        ConversationRef { id },
    ))
}

#[derive(Deserialize, ToSchema)]
struct NewMessage {
    /// 1 to 8,000 characters, not only spaces, no NUL characters.
    #[schema(
        min_length = 1,
        max_length = 8000,
        pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
    )]
    content: String,
}

/// The stored message and the assistant's reply.
#[derive(Serialize, ToSchema)]
struct MessageReply {
    message_id: i64,
    reply: Option<MessageView>,
}

#[utoipa::path(
    post, path = "/api/v1/conversations/{id}/messages", tag = "conversations",
    summary = "Send a message and wait for the reply",
    description = "The message is stored first; the answer comes back when the assistant \
                   has finished (it cites the passages of your documents it used).",
    params(("id" = i64, Path, description = "Conversation id")),
    request_body = NewMessage,
    responses(
        (status = 201, description = "Stored and answered", body = MessageReply),
        (status = 409, description = "The previous message is still being answered.", body = ErrorBody),
        (status = 502, description = "The assistant failed; the reply says why. Your message is kept.", body = MessageReply),
        Invalid, Unauthorized, InsufficientScope, NotFound, RateLimited, ServerError,
    ),
    security(("bearer" = ["conversations:write"])),
)]
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
    Ok((status, Json(MessageReply { message_id, reply })).into_response())
}

#[derive(Deserialize, ToSchema)]
struct TokenRequest {
    /// Username or email.
    username: String,
    password: String,
    /// The current code from the authenticator app (or a recovery code), for
    /// accounts with two-factor authentication.
    #[serde(default)]
    otp: Option<String>,
}

#[utoipa::path(
    post, path = "/api/v1/auth/token", tag = "auth",
    summary = "Exchange a password for tokens",
    description = "An access token (1 hour) and a refresh token (7 days). Failed attempts \
                   are throttled like the login form's.",
    request_body = TokenRequest,
    responses(
        (status = 200, description = "A new token pair", body = TokenPair),
        Invalid, Unauthorized, RateLimited, ServerError,
    ),
    security(()),
)]
async fn token(
    State(state): State<AppState>,
    parts: axum::http::request::Parts,
    input: Result<Json<TokenRequest>, axum::extract::rejection::JsonRejection>,
) -> ApiResult {
    let input = body(input)?;
    let ctx = audit_context(&parts.extensions, &parts.headers, None);
    let pair = tokens::exchange(
        &state,
        &input.username,
        &input.password.into(),
        input.otp.as_deref(),
        &ctx,
    )
    .await?;
    Ok(no_store(Json(pair).into_response()))
}

#[derive(Deserialize, ToSchema)]
struct RefreshRequest {
    refresh_token: String,
}

#[utoipa::path(
    post, path = "/api/v1/auth/refresh", tag = "auth",
    summary = "Rotate a refresh token",
    description = "Gives a new pair; the refresh token sent is spent. Sending a spent one \
                   again revokes every token descended from the same login.",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new token pair", body = TokenPair),
        Invalid, Unauthorized, RateLimited, ServerError,
    ),
    security(()),
)]
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

#[utoipa::path(
    post, path = "/api/v1/auth/revoke", tag = "auth",
    summary = "Revoke a refresh token",
    description = "Revokes it and every token descended from the same login. Unknown \
                   tokens are accepted silently.",
    request_body = RefreshRequest,
    responses(
        (status = 204, description = "Revoked (or unknown)"),
        Invalid, RateLimited, ServerError,
    ),
    security(()),
)]
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

/// The OpenAPI description of everything above, generated from the handlers' and
/// types' annotations so it cannot drift from the code.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Motto API",
        version = "1",
        description = "Script your documents and conversations. Authenticate every call with \
                       `Authorization: Bearer <key>`: an API key made under Account → API keys \
                       (its scopes limit what it may do), or an access token from \
                       `/api/v1/auth/token`. Cookies are never accepted here. Errors always \
                       have the shape `{\"error\": {\"code\", \"message\", \"fields\"?, \
                       \"request_id\"?}}`."
    ),
    paths(
        me, list_documents, create_document, get_document, update_document, delete_document,
        list_conversations, create_conversation, get_conversation, post_message,
        token, refresh, revoke,
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "account", description = "Who is calling"),
        (name = "documents", description = "Markdown documents, revised on every save"),
        (name = "conversations", description = "Questions answered from your documents, with citations"),
        (name = "auth", description = "Access and refresh tokens for scripts that log in with a password"),
    ),
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API key (`motto_...`) or an access token from /api/v1/auth/token.",
                    ))
                    .build(),
            ),
        );
    }
}

/// The spec, with the server this instance answers at.
pub fn spec(state: &AppState) -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.servers = Some(vec![utoipa::openapi::Server::new(
        state.settings.public_origin(),
    )]);
    doc
}

async fn openapi_json(State(state): State<AppState>) -> Response {
    Json(spec(&state)).into_response()
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi_json))
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
