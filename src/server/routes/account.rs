//! `POST /account/export`: everything the signed-in person owns, as a zip file.
//! A plain form post (no JavaScript needed), behind the same CSRF check as every
//! other state-changing request.

use crate::server::{caller::Caller, services::your_data, state::AppState};
use axum::{
    extract::State,
    http::{header, HeaderValue},
    response::{IntoResponse, Response},
};

pub const EXPORT_PATH: &str = "/account/export";

pub async fn export(State(state): State<AppState>, caller: Caller) -> Response {
    let user = match caller.user() {
        Ok(user) => user,
        Err(e) => return e.into_response(),
    };
    match your_data::export(&state, user, &caller.audit).await {
        Ok(export) => {
            let name = export.filename;
            let chunks = futures::StreamExt::fuse(futures::stream::unfold(
                export.chunks,
                |mut rx| async move { rx.recv().await.map(|chunk| (chunk, rx)) },
            ));
            let mut res = axum::body::Body::from_stream(chunks).into_response();
            let h = res.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/zip"),
            );
            if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            res
        }
        Err(e) => e.into_response(),
    }
}
