//! Liveness and readiness for load balancers and orchestrators, and the
//! Prometheus metrics they scrape.

use crate::server::state::AppState;
use axum::{
    extract::{MatchedPath, Request, State},
    http::{header, HeaderValue, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
    Json,
};
use secrecy::ExposeSecret;
use serde_json::json;
use std::time::Duration;
use std::time::Instant;

const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// Liveness: the process is up and serving. Never touches the database, so a
/// database outage does not get healthy instances restarted.
pub async fn health() -> impl IntoResponse {
    Json(json!({ "status": "ok" }))
}

/// Readiness: the database answers within two seconds.
pub async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    match tokio::time::timeout(READY_TIMEOUT, state.db.ping()).await {
        Ok(Ok(())) => (
            StatusCode::OK,
            Json(json!({ "status": "ready", "database": "ok" })),
        ),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness check: database unavailable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable", "database": "error" })),
            )
        }
        Err(_) => {
            tracing::warn!("readiness check: database did not answer in time");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable", "database": "timeout" })),
            )
        }
    }
}

/// Count and time every request under its route template (`/documents/{id}`,
/// never the raw path) and a standard method name, so the number of series is
/// bounded by the routes Motto has. Nothing is kept while metrics are off.
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if state.settings.metrics_token.is_none() {
        return next.run(req).await;
    }
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let method = crate::server::metrics::method_label(req.method());
    let start = Instant::now();
    let res = next.run(req).await;
    state.metrics.request(
        method,
        &route,
        res.status().as_u16(),
        start.elapsed().as_secs_f64(),
    );
    res
}

/// `GET /metrics`: 404 when `METRICS_TOKEN` is unset, 401 without the token.
pub async fn scrape(State(state): State<AppState>, req: Request) -> Response {
    let Some(token) = &state.settings.metrics_token else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    let expected = token.expose_secret().as_bytes();
    let same = given.len() == expected.len()
        && given
            .as_bytes()
            .iter()
            .zip(expected)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if !same {
        let mut res = StatusCode::UNAUTHORIZED.into_response();
        res.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"metrics\""),
        );
        return res;
    }
    let mut res = state.metrics.render(&state.db).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    res
}
