//! Cross-cutting protections: security headers with CSP nonces, the CSRF rule,
//! CORS, client addresses behind proxies, rate limits, login throttling, and the
//! panic handler. Every later feature inherits them from the router.

pub mod limits;
pub mod rules;
pub mod shared;
pub mod store;
pub mod two_factor_gate;

pub use rules::limit_address;

use super::{
    db::audit::{self, NewEvent, Outcome},
    request::audit_context,
    state::AppState,
};
use crate::error::AppError;
use axum::{
    body::Body,
    extract::{ConnectInfo, Request, State},
    http::{header, HeaderName, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use std::net::{IpAddr, SocketAddr};

/// The nonce for this request's scripts; also in the CSP header.
#[derive(Clone, Debug)]
pub struct CspNonce(pub String);

pub use crate::server::request::ClientIp;

pub fn resolve_client_ip(
    peer: Option<IpAddr>,
    forwarded_for: Option<&str>,
    trusted: &[ipnet::IpNet],
) -> Option<IpAddr> {
    let peer = peer?;
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let Some(header) = forwarded_for else {
        return Some(peer);
    };
    // Walk from the nearest hop back; the first address we do not trust is the client.
    let mut client = peer;
    for hop in header.rsplit(',').map(str::trim) {
        match hop.parse::<IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !is_trusted(&ip) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    Some(client)
}

/// Refuse requests that name another host (400): a web page that re-points its
/// own domain at this server's address (DNS rebinding) then reaches it under that
/// domain, with the browser's same-origin rules on its side. HTTP/2 carries the
/// name in the URI's authority; a request with neither is not from a browser.
pub async fn allowed_host(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| req.uri().authority().map(|a| a.as_str().to_string()));
    if let Some(host) = host {
        if !state.settings.host_allowed(&host) {
            tracing::warn!(host = ?host, "refused a request for another host name");
            return (
                StatusCode::BAD_REQUEST,
                "This server does not answer to that host name. Use the address in PUBLIC_URL, or add the name to ALLOWED_HOSTS.",
            )
                .into_response();
        }
    }
    next.run(req).await
}

/// First middleware after the request id: work out the client address.
pub async fn client_ip(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ci| ci.0.ip());
    // Every X-Forwarded-For header, in order, as one list: a proxy that adds its
    // own header instead of appending to the client's must not let the client's
    // (first) header decide.
    let headers: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let xff = (!headers.is_empty()).then(|| headers.join(","));
    if let Some(ip) = resolve_client_ip(peer, xff.as_deref(), &state.settings.trusted_proxies) {
        req.extensions_mut().insert(ClientIp(ip));
    }
    next.run(req).await
}

fn new_nonce() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub fn content_security_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
         object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    )
}

/// Security headers on every response (ASVS 3.4.1-3.4.6), with a fresh CSP nonce.
pub async fn headers(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let nonce = new_nonce();
    req.extensions_mut().insert(CspNonce(nonce.clone()));
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, name: &'static str, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(HeaderName::from_static(name), v);
        }
    };
    // A page with a policy of its own (a shared document's public page) keeps it.
    if !h.contains_key("content-security-policy") {
        set(
            h,
            "content-security-policy",
            &content_security_policy(&nonce),
        );
    }
    set(h, "x-content-type-options", "nosniff");
    set(h, "referrer-policy", "same-origin");
    set(h, "x-frame-options", "DENY");
    set(h, "cross-origin-opener-policy", "same-origin");
    set(
        h,
        "permissions-policy",
        "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()",
    );
    if state.settings.is_https() {
        set(
            h,
            "strict-transport-security",
            "max-age=31536000; includeSubDomains",
        );
    }
    res
}

/// Hand the request's nonce to Leptos, which puts it on the scripts it renders.
pub fn provide_csp_nonce() {
    use leptos::prelude::*;
    if let Some(parts) = use_context::<http::request::Parts>() {
        if let Some(nonce) = parts.extensions.get::<CspNonce>() {
            provide_context(leptos::nonce::Nonce::from_value(nonce.0.clone()));
        }
    }
}

fn origin_of_host(host: &str, https: bool) -> String {
    format!("{}://{}", if https { "https" } else { "http" }, host)
}

/// The CSRF rule of Go's `CrossOriginProtection` (ASVS 3.5.1, 3.5.2): a
/// state-changing request from a browser must come from our own origin (or one in
/// `CORS_ORIGINS`); a request without `Sec-Fetch-Site` or `Origin` is not from a
/// browser and passes.
pub fn csrf_verdict(
    method: &Method,
    sec_fetch_site: Option<&str>,
    origin: Option<&str>,
    host: Option<&str>,
    public_origin: &str,
    trusted: &[String],
    https: bool,
) -> Result<(), &'static str> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let origin_trusted = |o: &str| {
        !o.eq_ignore_ascii_case("null")
            && (o.eq_ignore_ascii_case(public_origin)
                || trusted.iter().any(|t| t.eq_ignore_ascii_case(o)))
    };
    match sec_fetch_site {
        Some("same-origin") | Some("none") => Ok(()),
        Some(_) => match origin {
            Some(o) if origin_trusted(o) => Ok(()),
            _ => Err("cross-origin request refused (Sec-Fetch-Site)"),
        },
        None => match origin {
            None => Ok(()),
            Some(o) if origin_trusted(o) => Ok(()),
            // Same host as the request (as the browser addressed us).
            Some(o)
                if host.is_some_and(|h| {
                    o.eq_ignore_ascii_case(&origin_of_host(h, https))
                        || o.eq_ignore_ascii_case(&origin_of_host(h, !https))
                }) =>
            {
                Ok(())
            }
            Some(_) => Err("cross-origin request refused (Origin)"),
        },
    }
}

pub async fn csrf(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (site, origin, host) = {
        let header = |name: &str| {
            req.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        (header("sec-fetch-site"), header("origin"), header("host"))
    };
    // CORS_ORIGINS may call the REST API, which reads only the Authorization
    // header. Everything else acts with the person's cookies: no other origin is
    // trusted there, however it is configured.
    let bearer_only = req.uri().path().starts_with("/api/v1/");
    let trusted = match &state.settings.cors_origins {
        super::config::CorsOrigins::List(list) if bearer_only => list.clone(),
        _ => Vec::new(),
    };
    let verdict = csrf_verdict(
        req.method(),
        site.as_deref(),
        origin.as_deref(),
        host.as_deref(),
        &state.settings.public_origin(),
        &trusted,
        state.settings.is_https(),
    );
    if let Err(reason) = verdict {
        let ctx = audit_context(req.extensions(), req.headers(), None);
        let method = req.method().as_str().to_string();
        let path = crate::server::request::loggable_path(req.uri().path()).to_string();
        let key = format!(
            "csrf:{}",
            ctx.source_ip.clone().unwrap_or_else(|| "-".into())
        );
        if state.security.dedupe.should_record(&key) {
            let event =
                NewEvent::new("authz.csrf_rejected", Outcome::Denied).details(serde_json::json!({
                    "method": method,
                    "path": path,
                    "origin": origin,
                    "sec_fetch_site": site,
                }));
            if let Err(e) = audit::record_now(&state.db, &ctx, event).await {
                tracing::error!(error = %e, "could not record a CSRF rejection");
            }
        }
        tracing::warn!(reason, path = %path, "refused a cross-origin request");
        return (StatusCode::FORBIDDEN, axum::Json(AppError::Forbidden)).into_response();
    }
    next.run(req).await
}

/// CORS only for the origins in `CORS_ORIGINS`; nothing else gets CORS headers, and
/// the `null` origin never does (ASVS 3.4.2).
pub fn cors_layer(settings: &super::config::Settings) -> Option<tower_http::cors::CorsLayer> {
    use tower_http::cors::{AllowOrigin, CorsLayer};
    let allow = match &settings.cors_origins {
        super::config::CorsOrigins::List(list) if list.is_empty() => return None,
        super::config::CorsOrigins::List(list) => {
            let values: Vec<HeaderValue> = list
                .iter()
                .filter_map(|o| HeaderValue::from_str(o).ok())
                .collect();
            AllowOrigin::list(values)
        }
        super::config::CorsOrigins::Any => {
            AllowOrigin::predicate(|origin, _| !origin.as_bytes().eq_ignore_ascii_case(b"null"))
        }
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ])
            .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
            .max_age(std::time::Duration::from_secs(600)),
    )
}

/// A panic in a handler becomes a 500 with the request id; the server goes on.
/// axum-login answers a bare 500 (no body) when it cannot read or write the
/// session, which with sessions in the database means the database is gone. Our
/// own errors always carry a body, so only such a bare 500 is looked at: if the
/// database does not answer, it becomes the 503 with `Retry-After` that every
/// other outage gets (a login, logout or second-factor step included).
pub async fn session_outage(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    if res.status() != StatusCode::INTERNAL_SERVER_ERROR
        || res.headers().contains_key(axum::http::header::CONTENT_TYPE)
    {
        return res;
    }
    let probe = tokio::time::timeout(std::time::Duration::from_secs(2), state.db.ping()).await;
    if matches!(probe, Ok(Ok(()))) {
        return res;
    }
    let request_id = crate::server::request::current();
    tracing::error!(request_id = %request_id, "database unavailable (session store)");
    AppError::Unavailable { request_id }.into_response()
}

pub fn panic_response(err: Box<dyn std::any::Any + Send + 'static>) -> Response<Body> {
    let detail = err
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| err.downcast_ref::<&str>().copied())
        .unwrap_or("panic");
    let request_id = crate::server::request::current();
    tracing::error!(request_id = %request_id, panic = ?detail, "handler panicked");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        axum::Json(AppError::Internal { request_id }),
    )
        .into_response()
}

pub use shared::{claim_verification, Dedupe, SecurityState, VerificationGuard};

#[cfg(test)]
mod tests {
    use super::*;

    const US: &str = "https://motto.example.com";

    fn verdict(
        method: Method,
        site: Option<&str>,
        origin: Option<&str>,
    ) -> Result<(), &'static str> {
        csrf_verdict(
            &method,
            site,
            origin,
            Some("motto.example.com"),
            US,
            &["https://app.example.com".to_string()],
            true,
        )
    }

    #[test]
    fn asvs_3_5_1_cross_site_posts_are_refused() {
        assert!(verdict(
            Method::POST,
            Some("cross-site"),
            Some("https://evil.example")
        )
        .is_err());
        assert!(verdict(
            Method::POST,
            Some("same-site"),
            Some("https://sub.motto.example.com")
        )
        .is_err());
        assert!(verdict(Method::DELETE, None, Some("https://evil.example")).is_err());
        assert!(verdict(Method::POST, None, Some("null")).is_err());
    }

    #[test]
    fn asvs_3_5_2_same_origin_trusted_and_non_browser_requests_pass() {
        assert!(verdict(Method::POST, Some("same-origin"), Some(US)).is_ok());
        assert!(verdict(Method::POST, Some("none"), None).is_ok());
        assert!(verdict(Method::POST, None, Some(US)).is_ok());
        assert!(verdict(
            Method::POST,
            Some("cross-site"),
            Some("https://app.example.com")
        )
        .is_ok());
        assert!(verdict(Method::POST, None, None).is_ok());
        assert!(verdict(
            Method::GET,
            Some("cross-site"),
            Some("https://evil.example")
        )
        .is_ok());
    }

    #[test]
    fn asvs_2_4_1_forwarded_for_is_believed_only_from_trusted_proxies() {
        let trusted: Vec<ipnet::IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let proxy: IpAddr = "10.0.0.5".parse().unwrap();
        let stranger: IpAddr = "203.0.113.9".parse().unwrap();
        assert_eq!(
            resolve_client_ip(Some(stranger), Some("1.2.3.4"), &trusted),
            Some(stranger)
        );
        assert_eq!(
            resolve_client_ip(Some(proxy), Some("1.2.3.4, 10.0.0.7"), &trusted),
            Some("1.2.3.4".parse().unwrap())
        );
        assert_eq!(resolve_client_ip(Some(proxy), None, &trusted), Some(proxy));
        assert_eq!(
            resolve_client_ip(Some(proxy), Some("garbage"), &trusted),
            Some(proxy)
        );
    }

    #[test]
    fn asvs_3_4_3_csp_has_nonce_and_no_unsafe_inline() {
        let csp = content_security_policy("abc");
        assert!(csp.contains("'nonce-abc'"));
        assert!(!csp.contains("unsafe-inline"));
        assert!(csp.contains("object-src 'none'"));
        assert!(csp.contains("base-uri 'none'"));
        assert!(csp.contains("frame-ancestors 'none'"));
    }
}
