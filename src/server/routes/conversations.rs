//! Conversations outside Leptos: sending a message (the reply streams back) and
//! exporting a conversation as a file.
//!
//! `POST /api/conversations/{id}/messages` with a form field `content` answers in
//! the format the client asks for:
//! - `Accept: application/x-ndjson`: one [`StreamEvent`] per line as the reply is
//!   written (the page uses this, and Stop aborts it);
//! - `Accept: text/html` (a plain form post, without JavaScript): waits for the
//!   reply, then redirects back to the conversation;
//! - otherwise JSON: waits, then returns the stored reply.

use crate::domain::notice::FormNotice;
use crate::{
    domain::conversation::{MessageStatus, StreamEvent},
    error::AppError,
    server::{
        caller::Caller,
        services::conversations::{self, ExportFormat},
        state::AppState,
    },
};
use axum::{
    body::Body,
    extract::{Path, Query, Request, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;

pub const SEND_PATH: &str = "/api/conversations/{id}/messages";
pub const EXPORT_PATH: &str = "/conversations/{id}/export";

#[derive(Deserialize)]
struct SendForm {
    #[serde(default)]
    content: String,
}

fn accepts(headers: &HeaderMap, what: &str) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains(what))
}

fn back_with_error(id: i64, e: &AppError) -> Response {
    let notice = FormNotice::for_app_error(e, "content");
    Redirect::to(&format!("/conversations/{id}?error={}", notice.code())).into_response()
}

pub async fn send(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    req: Request,
) -> Response {
    let headers = req.headers().clone();
    let stream = accepts(&headers, "application/x-ndjson");
    let html = !stream && accepts(&headers, "text/html");
    let Some(user) = caller.user_id() else {
        return if html {
            Redirect::to(&format!("/login?next=%2Fconversations%2F{id}")).into_response()
        } else {
            AppError::Unauthorized.into_response()
        };
    };
    let ctx = caller.audit;
    let form = match <axum::Form<SendForm> as axum::extract::FromRequest<AppState>>::from_request(
        req, &state,
    )
    .await
    {
        Ok(axum::Form(f)) => f,
        Err(_) => {
            let e = AppError::field("content", "Send the message as a form field `content`.");
            return if html {
                back_with_error(id, &e)
            } else {
                e.into_response()
            };
        }
    };
    let sending = match conversations::send(&state, user, id, &form.content, &ctx).await {
        Ok(s) => s,
        Err(e) if html => return back_with_error(id, &e),
        Err(e) => return e.into_response(),
    };
    if stream {
        let lines = futures::StreamExt::fuse(futures::stream::unfold(
            sending.events,
            |mut rx| async move {
                let event = rx.recv().await?;
                let mut line = serde_json::to_vec(&event).unwrap_or_default();
                line.push(b'\n');
                Some((Ok::<_, std::convert::Infallible>(line), rx))
            },
        ));
        let mut res = Body::from_stream(lines).into_response();
        let h = res.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-ndjson"),
        );
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        // Ask proxies (nginx) not to buffer the stream.
        h.insert("x-accel-buffering", HeaderValue::from_static("no"));
        return res;
    }
    let (message_id, reply_id) = (sending.message_id, sending.reply_id);
    let last = conversations::wait(sending).await;
    if html {
        return Redirect::to(&format!("/conversations/{id}#message-{}", reply_id)).into_response();
    }
    let status = match last {
        Some(StreamEvent::Done {
            status: MessageStatus::Complete,
            ..
        }) => StatusCode::CREATED,
        // The person's message is stored either way; the reply says what happened.
        _ => StatusCode::BAD_GATEWAY,
    };
    match conversations::get(&state, user, id).await {
        Ok(view) => {
            let reply = view.messages.into_iter().find(|m| m.id == reply_id);
            (
                status,
                axum::Json(serde_json::json!({
                    "message_id": message_id,
                    "reply": reply,
                })),
            )
                .into_response()
        }
        Err(e) => e.into_response(),
    }
}

#[derive(Deserialize)]
pub struct ExportQuery {
    #[serde(default)]
    format: String,
}

pub async fn export(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<ExportQuery>,
) -> Response {
    let user = match caller.user() {
        Ok(user) => user,
        Err(e) => return e.into_response(),
    };
    let format = match q.format.as_str() {
        "md" | "markdown" | "" => ExportFormat::Markdown,
        "json" => ExportFormat::Json,
        _ => return AppError::field("format", "Choose format=md or format=json.").into_response(),
    };
    match conversations::export(&state, user, id, format, &caller.audit).await {
        Ok(file) => {
            let disposition = format!("attachment; filename=\"{}\"", file.filename);
            let mut res = file.body.into_response();
            let h = res.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(file.content_type),
            );
            if let Ok(v) = HeaderValue::from_str(&disposition) {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            res
        }
        Err(e) => e.into_response(),
    }
}
