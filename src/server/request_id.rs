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
    let value = HeaderValue::from_str(&id).expect("a uuid is a valid header value");
    req.headers_mut().insert(HEADER, value.clone());
    req.extensions_mut().insert(RequestId(id.clone()));
    let mut res = super::security::REQUEST_ID.scope(id, next.run(req)).await;
    res.headers_mut().insert(HEADER, value);
    res
}
