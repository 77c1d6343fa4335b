//! `AppError`: the one error type that crosses the wire, from server functions and
//! REST routes alike. `Internal` carries no detail, only the request id that the
//! server logged the cause under (ASVS 16.5.1).
//!
//! On the server this module is also the one error path:
//! - any failure (`anyhow::Error`, a database error) becomes an `AppError` with
//!   `?`: [`report`] logs the cause once, with the request id, and answers
//!   `Unavailable` for an outage, `Internal` otherwise;
//! - [`AppError::status`], [`AppError::retry_after`] and
//!   [`AppError::www_authenticate`] decide the HTTP answer for every edge (plain
//!   routes, server functions, REST).

use serde::{Deserialize, Serialize};

/// A message that belongs next to one form field (`field` = the input's name), or to
/// the whole form (`field` empty).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("{}", join_messages(.0))]
    Validation(Vec<FieldError>),
    #[error("Please log in.")]
    Unauthorized,
    #[error("You are not allowed to do that.")]
    Forbidden,
    #[error("Not found.")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error("Too many requests. Try again in {retry_after_secs} s.")]
    RateLimited { retry_after_secs: u64 },
    #[error(
        "Something went wrong on our side. If it keeps happening, quote request {request_id}."
    )]
    Internal { request_id: String },
    /// A part the server depends on (the database) is briefly out of reach: the
    /// request did nothing and may be repeated.
    #[error("Motto cannot reach its database right now. Nothing was changed; try again in a few seconds (request {request_id}).")]
    Unavailable { request_id: String },
    /// The browser could not talk to the server (network, or a malformed exchange).
    #[error("Could not reach Motto. Check your connection and try again.")]
    Transport(String),
}

fn join_messages(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| e.message.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

impl AppError {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        AppError::Validation(vec![FieldError {
            field: field.to_string(),
            message: message.into(),
        }])
    }

    /// A message for the whole form rather than one field.
    pub fn form(message: impl Into<String>) -> Self {
        Self::field("", message)
    }

    /// The message for one field, if this error has one.
    pub fn for_field(&self, field: &str) -> Option<String> {
        match self {
            AppError::Validation(errors) => errors
                .iter()
                .find(|e| e.field == field)
                .map(|e| e.message.clone()),
            _ => None,
        }
    }

    /// The message for the form as a whole: form-level validation or any other error.
    pub fn for_form(&self) -> Option<String> {
        match self {
            AppError::Validation(_) => self.for_field(""),
            other => Some(other.to_string()),
        }
    }
}

impl leptos::server_fn::error::FromServerFnError for AppError {
    type Encoder = leptos::server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        use leptos::server_fn::error::ServerFnErrorErr as E;
        match value {
            E::Args(_) | E::MissingArg(_) => {
                AppError::form("The form was incomplete. Reload the page and try again.")
            }
            other => AppError::Transport(other.to_string()),
        }
    }

    /// A server function's error is encoded here, inside the request: the answer
    /// gets the error's status and headers from the same mapping as every other
    /// edge, so no server function has to remember to set them.
    fn ser(&self) -> leptos::server_fn::Bytes {
        #[cfg(feature = "ssr")]
        if !Self::is_plain_form_post() {
            self.apply_to_leptos_response();
        }
        use leptos::server_fn::Encodes;
        Self::Encoder::encode(self).unwrap_or_else(|e| {
            Self::Encoder::encode(&AppError::Transport(e.to_string())).unwrap_or_default()
        })
    }
}

#[cfg(feature = "ssr")]
mod server {
    use super::AppError;
    use axum::{
        http::{header, HeaderMap, HeaderValue, StatusCode},
        response::{IntoResponse, Response},
        Json,
    };

    /// Log an unexpected failure once, with the request id, and give the client
    /// only the id (ASVS 16.5.1). A database out of reach, or a full password
    /// hashing queue, is `Unavailable` (503 with `Retry-After`): nothing was done
    /// and the request may be repeated.
    pub fn report(e: impl Into<anyhow::Error>) -> AppError {
        let e: anyhow::Error = e.into();
        let request_id = crate::server::request::current();
        if crate::server::db::is_outage(&e) {
            tracing::error!(request_id = %request_id, error = %e, "database unavailable");
            return AppError::Unavailable { request_id };
        }
        if e.is::<crate::server::auth::password::Busy>() {
            tracing::warn!(request_id = %request_id, "password hashing queue full");
            return AppError::Unavailable { request_id };
        }
        tracing::error!(request_id = %request_id, error = ?e, "internal error");
        AppError::Internal { request_id }
    }

    impl From<anyhow::Error> for AppError {
        fn from(e: anyhow::Error) -> Self {
            report(e)
        }
    }

    impl From<sqlx::Error> for AppError {
        fn from(e: sqlx::Error) -> Self {
            report(e)
        }
    }

    impl From<crate::server::db::DbError> for AppError {
        fn from(e: crate::server::db::DbError) -> Self {
            report(e)
        }
    }

    impl From<crate::server::auth::password::Busy> for AppError {
        fn from(e: crate::server::auth::password::Busy) -> Self {
            report(e)
        }
    }

    impl AppError {
        /// Whether this request is a plain form post (JavaScript off), which the
        /// server function framework answers with a redirect back to its page.
        pub(crate) fn is_plain_form_post() -> bool {
            leptos::prelude::use_context::<axum::http::request::Parts>().is_some_and(|p| {
                p.method == axum::http::Method::POST
                    && p.headers
                        .get(header::ACCEPT)
                        .and_then(|v| v.to_str().ok())
                        .is_some_and(|v| v.contains("text/html"))
            })
        }

        /// Give the answer being rendered (a page, a server function's) this
        /// error's status and headers.
        pub(crate) fn apply_to_leptos_response(&self) {
            if let Some(res) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
                res.set_status(self.status());
                for (name, value) in self.headers(Edge::Browser).iter() {
                    res.insert_header(name.clone(), value.clone());
                }
            }
        }

        pub fn status(&self) -> StatusCode {
            match self {
                AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
                AppError::Unauthorized => StatusCode::UNAUTHORIZED,
                AppError::Forbidden => StatusCode::FORBIDDEN,
                AppError::NotFound => StatusCode::NOT_FOUND,
                AppError::Conflict(_) => StatusCode::CONFLICT,
                AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
                AppError::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
                AppError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
                AppError::Transport(_) => StatusCode::BAD_REQUEST,
            }
        }

        /// The headers this error is answered with, at every edge: `Retry-After`
        /// (the limiter's wait, or a few seconds for an outage) and, where the
        /// caller authenticates with a bearer token, `WWW-Authenticate` on 401
        /// (RFC 6750 §3).
        pub fn headers(&self, edge: Edge) -> HeaderMap {
            let mut headers = HeaderMap::new();
            let retry_after = match self {
                AppError::RateLimited { retry_after_secs } => {
                    HeaderValue::from_str(&retry_after_secs.to_string()).ok()
                }
                AppError::Unavailable { .. } => Some(HeaderValue::from_static("5")),
                _ => None,
            };
            if let Some(v) = retry_after {
                headers.insert(header::RETRY_AFTER, v);
            }
            if edge == Edge::Bearer && matches!(self, AppError::Unauthorized) {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"motto\""),
                );
            }
            headers
        }
    }

    /// Who is answered: a browser (cookies), or a REST client (bearer tokens).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Edge {
        Browser,
        Bearer,
    }

    impl IntoResponse for AppError {
        fn into_response(self) -> Response {
            let mut res = (
                self.status(),
                Json(serde_json::json!({ "error": self, "message": self.to_string() })),
            )
                .into_response();
            res.headers_mut().extend(self.headers(Edge::Browser));
            res
        }
    }
}

#[cfg(feature = "ssr")]
pub use server::{report, Edge};

/// On the server, give the page being rendered this error's HTTP status (404 for
/// a document that is not the visitor's), so a page never says 200 for something
/// that is not there. In the browser: nothing.
pub fn answer_page_with(e: &AppError) {
    #[cfg(feature = "ssr")]
    e.apply_to_leptos_response();
    #[cfg(not(feature = "ssr"))]
    let _ = e;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_error_shows_only_the_request_id() {
        let e = AppError::Internal {
            request_id: "abc123".into(),
        };
        assert!(e.to_string().contains("request abc123"));
    }

    #[test]
    fn field_messages_are_found_by_field() {
        let e = AppError::Validation(vec![
            FieldError {
                field: "username".into(),
                message: "Too short.".into(),
            },
            FieldError {
                field: "".into(),
                message: "Whole form.".into(),
            },
        ]);
        assert_eq!(e.for_field("username").as_deref(), Some("Too short."));
        assert_eq!(e.for_field("email"), None);
        assert_eq!(e.for_form().as_deref(), Some("Whole form."));
        assert_eq!(AppError::NotFound.for_form().as_deref(), Some("Not found."));
    }
}
