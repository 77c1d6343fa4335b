//! The API's one error shape, `{"error": {...}}`: `ApiError` for the handlers'
//! own answers, `error_shape` for everything else under `/api/v1` (axum's own
//! rejections, the limiter's 429, a panic), and the responses the spec names.

use crate::error::{AppError, FieldError};
use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::Serialize;
use utoipa::ToSchema;

/// An API error in the one JSON shape.
pub struct ApiError(pub AppError);

impl<E> From<E> for ApiError
where
    AppError: From<E>,
{
    fn from(e: E) -> Self {
        ApiError(AppError::from(e))
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
        let status = e.status();
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
        res.headers_mut()
            .extend(e.headers(crate::error::Edge::Bearer));
        res
    }
}

pub type ApiResult = Result<Response, ApiError>;

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
        .get::<crate::server::request::RequestId>()
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
pub mod responses {
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
