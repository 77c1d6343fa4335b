//! `AppError`: the one error type that crosses the wire, from server functions and
//! REST routes alike. `Internal` carries no detail, only the request id that the
//! server logged the cause under (ASVS 16.5.1).

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
}

#[cfg(feature = "ssr")]
mod server {
    use super::AppError;
    use axum::{
        http::{header, HeaderValue, StatusCode},
        response::{IntoResponse, Response},
        Json,
    };

    impl AppError {
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

        /// The `Retry-After` this error is answered with: the limiter's wait, or a
        /// few seconds for an outage. Every edge (plain routes, server functions,
        /// REST) sends it from here.
        pub fn retry_after(&self) -> Option<HeaderValue> {
            match self {
                AppError::RateLimited { retry_after_secs } => {
                    HeaderValue::from_str(&retry_after_secs.to_string()).ok()
                }
                AppError::Unavailable { .. } => Some(HeaderValue::from_static("5")),
                _ => None,
            }
        }
    }

    impl IntoResponse for AppError {
        fn into_response(self) -> Response {
            let mut res = (
                self.status(),
                Json(serde_json::json!({ "error": self, "message": self.to_string() })),
            )
                .into_response();
            if let Some(v) = self.retry_after() {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            res
        }
    }
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
