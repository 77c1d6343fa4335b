//! `AppError`: the one error type that crosses the wire, from server functions and
//! REST routes alike. `Internal` carries no detail, only the request id that the
//! server logged the cause under.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("{message}")]
    Validation {
        /// The form field the message belongs next to, when there is one.
        field: Option<String>,
        message: String,
    },
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
    #[error("Something went wrong on our side (request {request_id}).")]
    Internal { request_id: String },
}

impl AppError {
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        AppError::Validation {
            field: Some(field.to_string()),
            message: message.into(),
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
                AppError::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
                AppError::Unauthorized => StatusCode::UNAUTHORIZED,
                AppError::Forbidden => StatusCode::FORBIDDEN,
                AppError::NotFound => StatusCode::NOT_FOUND,
                AppError::Conflict(_) => StatusCode::CONFLICT,
                AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
                AppError::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
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
            if let AppError::RateLimited { retry_after_secs } = self {
                if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                    res.headers_mut().insert(header::RETRY_AFTER, v);
                }
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
        assert_eq!(
            e.to_string(),
            "Something went wrong on our side (request abc123)."
        );
    }
}
