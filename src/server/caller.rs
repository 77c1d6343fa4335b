//! Who is calling: the one value every edge (server functions, REST handlers,
//! plain routes) builds from a request and hands to services. It carries the
//! request id, the client's address and user agent (inside the audit context),
//! and the principal: the signed-in person, and the API key when one was used.
//!
//! Browser edges take it as an extractor (`caller: Caller`) or, inside a server
//! function, from `ctx::call()`; REST handlers get it inside `Principal`, which
//! first checks the bearer credential and then names the caller with
//! [`Caller::acting_as`]. Services never build one themselves.

use crate::{
    error::AppError,
    server::{auth::AuthSession, db::audit::AuditContext, request},
};
use axum::{extract::FromRequestParts, http::request::Parts};
use std::convert::Infallible;

#[derive(Clone, Debug)]
pub struct Caller {
    /// Who acts and from where, as audit events record it. Its
    /// `actor_user_id` is the principal: `None` for an anonymous caller.
    pub audit: AuditContext,
}

impl Caller {
    /// The caller of the request whose head is `parts`: the signed-in person of
    /// its session cookie, if any (the session layer has run for every route).
    pub fn of(parts: &Parts) -> Caller {
        let user = parts
            .extensions
            .get::<AuthSession>()
            .and_then(|auth| auth.user.as_ref().map(|u| u.id));
        Caller {
            audit: request::audit_context(&parts.extensions, &parts.headers, user),
        }
    }

    /// The same request without a principal (before a bearer credential is checked).
    pub fn anonymous(parts: &Parts) -> Caller {
        Caller {
            audit: request::audit_context(&parts.extensions, &parts.headers, None),
        }
    }

    /// This caller, now known to be `user` (with `key` when an API key proved it).
    pub fn acting_as(mut self, user: i64, key: Option<i64>) -> Caller {
        self.audit.actor_user_id = Some(user);
        self.audit.actor_api_key_id = key;
        self
    }

    /// The signed-in person's id, or Unauthorized (ASVS 8.3.1).
    pub fn user(&self) -> Result<i64, AppError> {
        self.audit.actor_user_id.ok_or(AppError::Unauthorized)
    }

    /// The signed-in person's id, if any.
    pub fn user_id(&self) -> Option<i64> {
        self.audit.actor_user_id
    }

    /// The API key that proved the caller, for calls made with one.
    pub fn api_key_id(&self) -> Option<i64> {
        self.audit.actor_api_key_id
    }

    /// This request's id, as in the `x-request-id` header and every log line.
    pub fn request_id(&self) -> &str {
        self.audit.request_id.as_deref().unwrap_or("-")
    }

    /// The client's address (the first untrusted one behind a trusted proxy).
    pub fn client_ip(&self) -> Option<&str> {
        self.audit.source_ip.as_deref()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(Caller::of(parts))
    }
}
