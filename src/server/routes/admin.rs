//! `GET /admin/audit/export?format=csv|jsonl&<filters>`: the filtered audit log as
//! a file, streamed from the database a batch at a time; `format=chain`: the
//! whole chain for `motto verify-export`.

use crate::{
    domain::admin::AuditQuery,
    error::AppError,
    server::{
        auth::AuthSession,
        caller::Caller,
        services::admin::{self, ExportFormat},
        state::AppState,
    },
};
use axum::{
    body::Body,
    extract::{Query, State},
    http::{header, HeaderValue},
    response::{IntoResponse, Response},
};
use serde::Deserialize;

pub const EXPORT_PATH: &str = "/admin/audit/export";

#[derive(Deserialize)]
pub struct ExportParams {
    #[serde(default)]
    format: String,
    #[serde(flatten)]
    query: AuditQuery,
}

pub async fn export(
    State(state): State<AppState>,
    auth: AuthSession,
    caller: Caller,
    Query(params): Query<ExportParams>,
) -> Response {
    let ctx = caller.audit;
    if let Err(e) = admin::require_auditor(&state, auth.user.as_ref(), EXPORT_PATH, &ctx).await {
        return e.into_response();
    }
    let (format, content_type, ext) = match params.format.as_str() {
        "csv" | "" => (ExportFormat::Csv, "text/csv; charset=utf-8", "csv"),
        "jsonl" | "json" => (ExportFormat::JsonLines, "application/x-ndjson", "jsonl"),
        "chain" => (ExportFormat::Chain, "application/x-ndjson", "chain.jsonl"),
        _ => {
            return AppError::field("format", "Choose format=csv, format=jsonl or format=chain.")
                .into_response()
        }
    };
    let rx = match admin::export(&state, &params.query, format, &ctx).await {
        Ok(rx) => rx,
        Err(e) => return e.into_response(),
    };
    // Fused: a body may be polled again after its end (the compression layer
    // does), and a bare `unfold` panics then.
    let stream = futures::StreamExt::fuse(futures::stream::unfold(rx, |mut rx| async move {
        let piece = rx.recv().await?;
        Some((piece, rx))
    }));
    let mut res = Body::from_stream(stream).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    let name = format!(
        "attachment; filename=\"motto-audit-{}.{ext}\"",
        chrono::Utc::now().format("%Y%m%d-%H%M%S")
    );
    if let Ok(v) = HeaderValue::from_str(&name) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}
