//! `POST /documents/upload`: a Markdown, text or PDF file becomes a document.
//! The type is decided by the content, not only the extension; PDF text is
//! extracted on the server. A plain multipart form, so it works without JavaScript.

use crate::domain::notice::FormNotice;
use crate::{
    error::AppError,
    server::{caller::Caller, services::documents, state::AppState},
};
use axum::{
    extract::{Multipart, Request, State},
    http::{header, HeaderMap},
    response::{IntoResponse, Redirect, Response},
};

#[derive(Debug, PartialEq, Eq)]
pub enum Kind {
    Markdown,
    Text,
    Pdf,
}

/// What the file really is, or why it is refused.
pub fn sniff(filename: &str, bytes: &[u8]) -> Result<Kind, FormNotice> {
    let ext = filename
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let claimed = match ext.as_str() {
        "md" | "markdown" => Kind::Markdown,
        "txt" => Kind::Text,
        "pdf" => Kind::Pdf,
        _ => return Err(FormNotice::FileType),
    };
    let is_pdf = bytes.starts_with(b"%PDF-");
    match claimed {
        Kind::Pdf if is_pdf => Ok(Kind::Pdf),
        Kind::Pdf => Err(FormNotice::NotAPdf),
        _ if is_pdf => Err(FormNotice::PdfNotNamedPdf),
        kind => {
            let text = std::str::from_utf8(bytes).map_err(|_| FormNotice::NotUtf8)?;
            if text.contains('\0') {
                return Err(FormNotice::BinaryFile);
            }
            Ok(kind)
        }
    }
}

fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

fn fail(html: bool, e: AppError) -> Response {
    if html {
        let notice = match e.for_field("title") {
            Some(_) => FormNotice::Title,
            None => FormNotice::for_app_error(&e, "file"),
        };
        Redirect::to(&format!("/documents/upload?error={}", notice.code())).into_response()
    } else {
        e.into_response()
    }
}

pub async fn upload(State(state): State<AppState>, caller: Caller, req: Request) -> Response {
    let html = wants_html(req.headers());
    let Some(user) = caller.user_id() else {
        return if html {
            Redirect::to("/login?next=%2Fdocuments%2Fupload").into_response()
        } else {
            AppError::Unauthorized.into_response()
        };
    };
    let ctx = caller.audit;
    let mut multipart = match <Multipart as axum::extract::FromRequest<AppState>>::from_request(
        req, &state,
    )
    .await
    {
        Ok(m) => m,
        Err(_) => {
            return fail(
                html,
                AppError::field("file", "Send the file as a multipart form upload."),
            )
        }
    };
    let (mut title, mut file) = (String::new(), None);
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                let too_big = e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE;
                let message = if too_big {
                    format!(
                        "The file is too large: the limit is {} MB.",
                        state.settings.upload_max_bytes / (1024 * 1024)
                    )
                } else {
                    "The upload was interrupted. Try again.".to_string()
                };
                return fail(html, AppError::field("file", message));
            }
        };
        match field.name() {
            Some("title") => title = field.text().await.unwrap_or_default(),
            Some("file") => {
                let name = field.file_name().unwrap_or("").to_string();
                match field.bytes().await {
                    Ok(bytes) => file = Some((name, bytes)),
                    Err(_) => {
                        return fail(
                            html,
                            AppError::field(
                                "file",
                                format!(
                                    "The file is too large: the limit is {} MB.",
                                    state.settings.upload_max_bytes / (1024 * 1024)
                                ),
                            ),
                        )
                    }
                }
            }
            _ => {}
        }
    }
    let Some((name, bytes)) = file.filter(|(n, b)| !n.is_empty() || !b.is_empty()) else {
        return fail(html, AppError::field("file", "Choose a file to upload."));
    };
    if bytes.is_empty() {
        return fail(html, AppError::field("file", "This file is empty."));
    }
    let kind = match sniff(&name, &bytes) {
        Ok(k) => k,
        Err(n) => return fail(html, AppError::field("file", n.message())),
    };
    let body = match kind {
        Kind::Pdf => {
            // One PDF per person at a time: each costs a process and up to a
            // gigabyte of memory.
            let Some(_one_at_a_time) = crate::server::security::claim_verification(
                &state.security,
                &format!("pdf:user:{user}"),
            ) else {
                return fail(
                    html,
                    AppError::RateLimited {
                        retry_after_secs: 5,
                    },
                );
            };
            let extracted = crate::server::pdf::extract(
                &state.settings.pdf_extractor,
                bytes.to_vec(),
                crate::domain::document::BODY_MAX,
            )
            .await;
            match extracted {
                Ok(text) => text,
                Err(e) => {
                    let notice = match e {
                        crate::server::pdf::PdfError::NoText => FormNotice::PdfNoText,
                        crate::server::pdf::PdfError::TooLong => FormNotice::PdfTooLong,
                        crate::server::pdf::PdfError::Unreadable => FormNotice::PdfUnreadable,
                    };
                    return fail(html, AppError::field("file", notice.message()));
                }
            }
        }
        // Checked as UTF-8 by `sniff`.
        _ => String::from_utf8_lossy(&bytes).into_owned(),
    };
    let title = if title.trim().is_empty() {
        name.rsplit_once('.')
            .map(|(stem, _)| stem)
            .unwrap_or(&name)
            .to_string()
    } else {
        title
    };
    match documents::create(&state, user, &title, &body, &ctx).await {
        Ok(id) if html => Redirect::to(&format!("/documents/{id}")).into_response(),
        Ok(id) => (
            axum::http::StatusCode::CREATED,
            axum::Json(serde_json::json!({ "id": id })),
        )
            .into_response(),
        Err(e) => fail(html, e),
    }
}

/// Used by the body-limit middleware: uploads get their own, larger limit.
pub const PATH: &str = "/documents/upload";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_types_are_decided_by_content() {
        assert_eq!(sniff("a.md", b"# hi"), Ok(Kind::Markdown));
        assert_eq!(sniff("a.TXT", b"hello"), Ok(Kind::Text));
        assert_eq!(sniff("a.pdf", b"%PDF-1.4 ..."), Ok(Kind::Pdf));
        assert!(sniff("a.pdf", b"just text").is_err());
        assert!(sniff("a.md", b"%PDF-1.4").is_err());
        assert!(sniff("a.md", b"\x89PNG\r\n\x1a\n\0\0").is_err());
        assert!(sniff("a.txt", &[0xff, 0xfe, 0x00]).is_err());
        assert!(sniff("a.exe", b"MZ").is_err());
        assert!(sniff("noext", b"text").is_err());
    }
}
