//! The compiled site (`pkg/`: the WASM, its JS glue and the CSS; the favicon)
//! served from `LEPTOS_SITE_ROOT`, and on-the-fly compression of everything else.
//!
//! Caching: pages link the site under `/assets/<version>/pkg/…`, where the version
//! is a hash of the files' contents, so those URLs never change meaning and are
//! cached for a year as `immutable`; a new build gets new URLs. (cargo-leptos's
//! `hash-files` would do the same per file, but it makes Leptos read a `hash.txt`
//! beside the executable on every page render and ties the names to the build
//! machine's layout; a content hash computed here is the same on every instance
//! serving the same build.) `/pkg/…` stays reachable, revalidated on every use.
//!
//! Compression: release builds are precompressed (`cargo leptos build --release
//! --precompress` writes `.br` and `.gz` beside each file) and served by the
//! browser's `Accept-Encoding`, with `Vary`. Pages, JSON and other text are
//! compressed as they go out; small bodies, already-compressed types and the
//! assistant's live reply stream are not.

use axum::{
    body::Body,
    extract::Request,
    http::{header, HeaderValue},
    middleware::Next,
    response::Response,
    Router,
};
use sha2::{Digest, Sha256};
use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::{Mutex, OnceLock},
};
use tower_http::{
    compression::{predicate::SizeAbove, CompressionLayer, CompressionLevel, Predicate},
    services::{ServeDir, ServeFile},
    set_header::SetResponseHeaderLayer,
};

/// A year: hashed URLs never change meaning.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Unhashed URLs: use the cached copy only after asking whether it changed.
const REVALIDATE: &str = "no-cache";

/// The compiled site and the version its URLs carry.
#[derive(Clone, Debug)]
pub struct Site {
    pub root: PathBuf,
    /// Hex digest of the names and contents of the files in `pkg/`.
    pub version: String,
}

impl Site {
    /// Look at the site under `root`. Hashing reads every file of `pkg/` once per
    /// process (a few milliseconds for a release build).
    pub fn open(root: &Path) -> Site {
        static VERSIONS: OnceLock<Mutex<HashMap<PathBuf, String>>> = OnceLock::new();
        let mut known = VERSIONS
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let version = known
            .entry(root.to_path_buf())
            .or_insert_with(|| content_version(&root.join("pkg")))
            .clone();
        Site {
            root: root.to_path_buf(),
            version,
        }
    }

    /// The URL prefix pages load the site from: `/assets/<version>`, under which
    /// `pkg/motto.js`, `pkg/motto.wasm` and `pkg/motto.css` live.
    pub fn asset_root(&self) -> String {
        format!("/assets/{}", self.version)
    }

    /// The stylesheet's URL.
    pub fn stylesheet(&self) -> String {
        format!("{}/pkg/motto.css", self.asset_root())
    }
}

/// Names and contents of the files in `dir` (not the `.br`/`.gz` copies, which
/// follow from them), hashed. `"unbuilt"` when there is nothing to hash.
fn content_version(dir: &Path) -> String {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .filter(|p| !matches!(p.extension().and_then(|e| e.to_str()), Some("br" | "gz")))
            .collect(),
        Err(_) => return "unbuilt".into(),
    };
    if files.is_empty() {
        return "unbuilt".into();
    }
    files.sort();
    let mut hash = Sha256::new();
    for file in &files {
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
        hash.update(name.unwrap_or_default().as_bytes());
        hash.update([0]);
        match std::fs::read(file) {
            Ok(bytes) => hash.update(&bytes),
            Err(e) => {
                tracing::warn!(file = %file.display(), error = %e, "cannot read a site file");
            }
        }
        hash.update([0]);
    }
    hex::encode(&hash.finalize()[..8])
}

/// Routes for the site's files. Precompressed variants are chosen by
/// `Accept-Encoding`; every answer says it varies by that header.
pub fn router<S: Clone + Send + Sync + 'static>(site: &Site) -> Router<S> {
    let pkg = || {
        ServeDir::new(site.root.join("pkg"))
            .precompressed_br()
            .precompressed_gzip()
    };
    let vary = || {
        SetResponseHeaderLayer::appending(header::VARY, HeaderValue::from_static("accept-encoding"))
    };
    let cache = |value: &'static str| {
        SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static(value))
    };
    Router::new()
        .nest_service(
            &format!("{}/pkg", site.asset_root()),
            tower::ServiceBuilder::new()
                .layer(cache(IMMUTABLE))
                .layer(vary())
                .service(pkg()),
        )
        .nest_service(
            "/pkg",
            tower::ServiceBuilder::new()
                .layer(cache(REVALIDATE))
                .layer(vary())
                .service(pkg()),
        )
        .route_service(
            "/favicon.svg",
            tower::ServiceBuilder::new()
                .layer(cache("public, max-age=86400"))
                .service(ServeFile::new(site.root.join("favicon.svg"))),
        )
}

/// What is worth compressing on the fly: text that is not tiny. Not the WASM
/// (precompressed at build time; a debug build's is tens of megabytes), images,
/// archives, or a live stream that must reach the reader a piece at a time (the
/// assistant's reply), which says so with `X-Accel-Buffering: no` as it does to
/// nginx.
#[derive(Clone, Copy, Debug)]
pub struct Compressible;

const COMPRESSIBLE_TYPES: &[&str] = &[
    "text/html",
    "text/css",
    "text/plain",
    "text/csv",
    "text/markdown",
    "text/javascript",
    "application/javascript",
    "application/json",
    "application/problem+json",
    "application/x-ndjson",
    "image/svg+xml",
];

impl Predicate for Compressible {
    fn should_compress<B>(&self, response: &http::Response<B>) -> bool
    where
        B: axum::body::HttpBody,
    {
        let essence = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            });
        let text = essence.is_some_and(|t| COMPRESSIBLE_TYPES.contains(&t.as_str()));
        let live = response
            .headers()
            .get("x-accel-buffering")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"no"));
        text && !live && SizeAbove::new(1024).should_compress(response)
    }
}

/// Brotli and gzip at a level that costs little CPU per response.
pub fn compression() -> CompressionLayer<Compressible> {
    CompressionLayer::new()
        .br(true)
        .gzip(true)
        .quality(CompressionLevel::Precise(4))
        .compress_when(Compressible)
}

/// BREACH: a compressed response's length can leak a secret on the page to an
/// attacker who can make the victim's browser send many requests with chosen
/// input. Those requests come from another site, so cross-site requests get no
/// compression at all; Motto's own pages and the site's files are unaffected.
pub async fn no_compression_cross_site(mut req: Request<Body>, next: Next) -> Response {
    let cross_site = req
        .headers()
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"cross-site"));
    if cross_site {
        req.headers_mut().remove(header::ACCEPT_ENCODING);
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_follows_the_contents_not_the_file_times() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        for dir in [a.path(), b.path()] {
            std::fs::write(dir.join("motto.js"), "js").unwrap();
            std::fs::write(dir.join("motto.wasm"), "wasm").unwrap();
        }
        std::fs::write(b.path().join("motto.wasm.br"), "compressed").unwrap();
        let (va, vb) = (content_version(a.path()), content_version(b.path()));
        assert_eq!(va, vb, "same contents, same version on every instance");
        assert_eq!(va.len(), 16);
        std::fs::write(b.path().join("motto.wasm"), "wasm2").unwrap();
        assert_ne!(va, content_version(b.path()));
    }

    #[test]
    fn a_missing_site_has_a_version_that_says_so() {
        assert_eq!(content_version(Path::new("/nonexistent/pkg")), "unbuilt");
    }

    #[test]
    fn only_text_over_a_kilobyte_is_compressed_on_the_fly() {
        let res = |ty: &str, len: usize| {
            http::Response::builder()
                .header(header::CONTENT_TYPE, ty)
                .body(http_body_util::Full::new(bytes::Bytes::from(vec![
                    b'a';
                    len
                ])))
                .unwrap()
        };
        assert!(Compressible.should_compress(&res("text/html; charset=utf-8", 5000)));
        assert!(Compressible.should_compress(&res("application/json", 5000)));
        assert!(!Compressible.should_compress(&res("application/json", 100)));
        assert!(Compressible.should_compress(&res("application/x-ndjson", 5000)));
        let mut live = res("application/x-ndjson", 5000);
        live.headers_mut()
            .insert("x-accel-buffering", HeaderValue::from_static("no"));
        assert!(!Compressible.should_compress(&live));
        assert!(!Compressible.should_compress(&res("application/wasm", 5000)));
        assert!(!Compressible.should_compress(&res("application/zip", 5000)));
        assert!(!Compressible.should_compress(&res("image/png", 5000)));
    }
}
