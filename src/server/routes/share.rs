//! `GET /s/{secret}` and `POST /s/{secret}` (the password form): a shared
//! document's public page. Rendered here on the server, outside the app: no
//! script, no account data, its own strict Content-Security-Policy, `noindex`,
//! never cached. Every way a link can fail looks the same to the visitor.

use crate::server::{
    caller::Caller,
    request::ClientIp,
    services::share_links::{self, Visit},
    state::AppState,
};
use axum::{
    extract::{Path, State},
    http::{header, HeaderValue, StatusCode},
    response::{Html, IntoResponse, Response},
    Extension, Form,
};
use serde::Deserialize;
use sha2::{Digest, Sha256};

pub const PATH: &str = "/s/{secret}";

/// The page's only style, allowed by its hash (no other style or script runs).
const STYLE: &str = "body{font:16px/1.6 system-ui,sans-serif;max-width:46rem;margin:2rem auto;\
padding:0 1rem;color:#0f172a;background:#fff}h1{font-size:1.8rem;line-height:1.2}\
.meta{color:#475569;font-size:.85rem}.error{color:#b91c1c}label{display:block;font-weight:600}\
input{font:inherit;padding:.4rem;margin:.3rem 0 .8rem;border:1px solid #64748b;border-radius:4px}\
button{font:inherit;padding:.4rem .9rem;border-radius:4px;border:0;background:#4338ca;color:#fff}\
pre{overflow:auto;background:#f1f5f9;padding:.6rem}img{max-width:100%}\
footer{margin-top:3rem;color:#475569;font-size:.8rem}\
@media(prefers-color-scheme:dark){body{background:#020617;color:#e2e8f0}.meta,footer{color:#94a3b8}\
pre{background:#1e293b}.error{color:#f87171}}";

fn csp() -> String {
    let hash = data_encoding::BASE64.encode(&Sha256::digest(STYLE.as_bytes()));
    format!(
        "default-src 'none'; style-src 'sha256-{hash}'; img-src 'self' data:; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The page around `body`. It has no script, so it is ready as soon as it loads:
/// `data-hydrated` says so, as the app's pages do once hydrated.
fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex, nofollow\">\
         <link rel=\"icon\" href=\"/favicon.svg\" type=\"image/svg+xml\">\
         <title>{}</title><style>{STYLE}</style></head><body data-hydrated=\"true\"><main>{body}</main>\
         <footer>Shared read-only with Motto.</footer></body></html>",
        escape(title)
    );
    let mut res = (status, Html(html)).into_response();
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&csp()) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(
        header::HeaderName::from_static("x-robots-tag"),
        HeaderValue::from_static("noindex, nofollow"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

fn gone() -> Response {
    page(
        StatusCode::NOT_FOUND,
        "Link not available",
        "<h1>This link does not work</h1><p>It may have expired or been revoked, \
         or the address may be incomplete. Ask the person who shared it for a new one.</p>",
    )
}

fn password_form(wrong: bool) -> Response {
    let error = if wrong {
        "<p id=\"password-error\" class=\"error\" role=\"alert\">That is not the password.</p>"
    } else {
        ""
    };
    let described = if wrong {
        " aria-describedby=\"password-error\" aria-invalid=\"true\""
    } else {
        ""
    };
    // The form posts to this same address (the browser keeps the path).
    let body = format!(
        "<h1>This document is protected</h1><p>Enter the password you were given with the link.</p>\
         <form method=\"post\"><label for=\"password\">Password</label>\
         <input id=\"password\" name=\"password\" type=\"password\" required \
         autocomplete=\"current-password\"{described}>{error}\
         <button type=\"submit\">Open</button></form>"
    );
    let status = if wrong {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
    };
    page(status, "Protected document", &body)
}

async fn show(
    state: &AppState,
    secret: &str,
    password: Option<&str>,
    ip: Option<ClientIp>,
    caller: &Caller,
) -> Response {
    let ip = ip.map(|c| c.0);
    let visit = share_links::visit(state, secret, password, ip, &caller.audit).await;
    match visit {
        Ok(Visit::Gone) => gone(),
        Ok(Visit::Password { wrong }) => password_form(wrong),
        Ok(Visit::Throttled(wait)) => {
            let mut res = page(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many attempts",
                "<h1>Too many attempts</h1><p>Wait a little, then try the password again.</p>",
            );
            if let Ok(v) = HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            res
        }
        Ok(Visit::Document {
            title,
            html,
            updated_at,
        }) => page(
            StatusCode::OK,
            &title,
            &format!(
                "<h1>{}</h1><p class=\"meta\">Last changed {} (UTC)</p><article>{html}</article>",
                escape(&title),
                updated_at.format("%Y-%m-%d %H:%M")
            ),
        ),
        Err(e) => {
            tracing::error!(error = %e, "share link page failed");
            page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "<h1>Something went wrong</h1><p>Try again in a moment.</p>",
            )
        }
    }
}

pub async fn get(
    State(state): State<AppState>,
    ip: Option<Extension<ClientIp>>,
    caller: Caller,
    Path(secret): Path<String>,
) -> Response {
    show(&state, &secret, None, ip.map(|e| e.0), &caller).await
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    password: String,
}

pub async fn post(
    State(state): State<AppState>,
    ip: Option<Extension<ClientIp>>,
    caller: Caller,
    Path(secret): Path<String>,
    Form(form): Form<PasswordForm>,
) -> Response {
    show(
        &state,
        &secret,
        Some(&form.password),
        ip.map(|e| e.0),
        &caller,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_the_policy_allows_only_the_pages_own_style() {
        assert_eq!(
            escape("<b a=\"x\">&'"),
            "&lt;b a=&quot;x&quot;&gt;&amp;&#39;"
        );
        let csp = csp();
        assert!(csp.starts_with("default-src 'none'; style-src 'sha256-"));
        assert!(!csp.contains("script-src"));
        assert!(!csp.contains("unsafe"));
    }
}
