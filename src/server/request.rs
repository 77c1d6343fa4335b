//! Who and what a request is, for every edge (server functions, REST, plain
//! routes): its id, the client's address, and the audit context built from them.
//! A leaf module: it uses no other part of the server but the audit types.
//!
//! Every request gets a fresh id: in the `x-request-id` response header, in every
//! log line of that request, in audit events, and shown to the user on errors.
//! An id sent by the client is ignored so that it cannot forge log correlation.

use crate::server::db::audit::AuditContext;
use axum::{
    extract::{ConnectInfo, Request},
    http::{header, HeaderValue},
    middleware::Next,
    response::Response,
};
use std::net::{IpAddr, SocketAddr};

pub const HEADER: &str = "x-request-id";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestId(pub String);

impl RequestId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

tokio::task_local! {
    /// The request id of the request this task serves, for code that has no access
    /// to the request (error reports, the panic handler, background work).
    pub static REQUEST_ID: String;
}

/// The id of the request this task serves, or "-" outside a request.
pub fn current() -> String {
    REQUEST_ID
        .try_with(|id| id.clone())
        .unwrap_or_else(|_| "-".into())
}

/// Start background work that belongs to this request: its log lines and error
/// reports carry the request's id.
pub fn spawn<F>(work: F) -> tokio::task::JoinHandle<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    tokio::spawn(REQUEST_ID.scope(current(), work))
}

pub async fn assign(mut req: Request, next: Next) -> Response {
    let id = uuid::Uuid::new_v4().simple().to_string();
    // A hex UUID is always a valid header value; if that ever failed, go without.
    let value = HeaderValue::from_str(&id).ok();
    if let Some(v) = &value {
        req.headers_mut().insert(HEADER, v.clone());
    }
    req.extensions_mut().insert(RequestId(id.clone()));
    let mut res = REQUEST_ID.scope(id, next.run(req)).await;
    if let Some(v) = value {
        res.headers_mut().insert(HEADER, v);
    }
    res
}

/// The client's address: the TCP peer, or the first untrusted address in
/// `X-Forwarded-For` when the peer is a trusted proxy (ASVS 2.4.1). Set by the
/// `security::client_ip` layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// Who is acting and from where, for audit events. `source_ip` is the client address
/// (from `X-Forwarded-For` only behind a trusted proxy). Edges use
/// [`crate::server::caller::Caller`], which builds this; middleware that runs
/// before the session layer calls it directly.
pub fn audit_context(
    extensions: &axum::http::Extensions,
    headers: &axum::http::HeaderMap,
    user_id: Option<i64>,
) -> AuditContext {
    AuditContext {
        actor_user_id: user_id,
        actor_api_key_id: None,
        source_ip: extensions
            .get::<ClientIp>()
            .map(|c| c.0)
            .or_else(|| {
                extensions
                    .get::<ConnectInfo<SocketAddr>>()
                    .map(|ci| ci.0.ip())
            })
            .map(|ip| ip.to_string()),
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        request_id: extensions.get::<RequestId>().map(|r| r.0.clone()),
    }
}

/// A request's path as logs and audit events may show it. A shared document's
/// address holds its link's secret (`/s/{secret}`): that part never reaches a
/// log line or an event.
pub fn loggable_path(path: &str) -> &str {
    if path.starts_with("/s/") {
        "/s/{secret}"
    } else {
        path
    }
}
