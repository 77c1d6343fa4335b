//! Who is calling and what they sent: the bearer credential, a path id, a JSON
//! body and query parameters, each answering in the API's own error shape.

use super::error::ApiError;
use crate::{
    error::AppError,
    server::{
        caller::Caller,
        services::{api_keys, tokens},
        state::AppState,
    },
};
use axum::{
    extract::{FromRequestParts, Path, Query},
    http::request::Parts,
};
use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// A caller proved by a bearer credential: an API key's owner with the key's
/// scopes, or the holder of an access token (every scope: it was obtained with
/// the password).
pub struct Principal {
    pub caller: Caller,
    user_id: i64,
    pub scopes: Vec<String>,
}

impl Principal {
    pub(super) fn require(&self, scope: &str) -> Result<(), ApiError> {
        if self.scopes.iter().any(|s| s == scope) {
            Ok(())
        } else {
            Err(ApiError(AppError::Forbidden))
        }
    }

    pub(super) fn user(&self) -> i64 {
        self.user_id
    }

    pub(super) fn key_id(&self) -> Option<i64> {
        self.caller.api_key_id()
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
        let anonymous = Caller::anonymous(parts);
        let ctx = &anonymous.audit;
        let (user_id, key_id, scopes) = if token.starts_with("motto_") {
            let key = api_keys::authenticate(state, token, ctx).await?;
            (key.user_id, Some(key.key_id), key.scopes)
        } else {
            let user = tokens::verify_access(state, token).await?;
            let all = crate::domain::api_key::SCOPES
                .iter()
                .map(|(s, _)| s.to_string())
                .collect();
            (user, None, all)
        };
        let caller = anonymous.acting_as(user_id, key_id);
        let credential = match key_id {
            Some(id) => format!("key:{id}"),
            None => format!("user:{user_id}"),
        };
        crate::server::security::limits::count_api_credential(state, &credential, &caller.audit)
            .await?;
        Ok(Principal {
            caller,
            user_id,
            scopes,
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

pub(super) fn created(location: String, body: impl Serialize) -> Response {
    let mut res = (StatusCode::CREATED, Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

/// A JSON body, or the API's own error for a missing or malformed one.
pub(super) fn body<T>(
    r: Result<Json<T>, axum::extract::rejection::JsonRejection>,
) -> Result<T, ApiError> {
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
