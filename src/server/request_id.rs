//! Every request gets a fresh id: in the `x-request-id` response header, in every
//! log line of that request, in audit events, and shown to the user on errors.
//! An id sent by the client is ignored so that it cannot forge log correlation.

use axum::{extract::Request, http::HeaderValue, middleware::Next, response::Response};

pub const HEADER: &str = "x-request-id";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestId(pub String);

impl RequestId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub async fn assign(mut req: Request, next: Next) -> Response {
    let id = uuid::Uuid::new_v4().simple().to_string();
    // A hex UUID is always a valid header value; if that ever failed, go without.
    let value = HeaderValue::from_str(&id).ok();
    if let Some(v) = &value {
        req.headers_mut().insert(HEADER, v.clone());
    }
    req.extensions_mut().insert(RequestId(id.clone()));
    let mut res = super::security::REQUEST_ID.scope(id, next.run(req)).await;
    if let Some(v) = value {
        res.headers_mut().insert(HEADER, v);
    }
    res
}
