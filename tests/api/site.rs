//! The compiled site's files and compression: precompressed variants chosen by
//! Accept-Encoding with Vary, content-hashed URLs cached as immutable, pages and
//! JSON compressed on the fly, never for cross-site requests (BREACH).

use crate::db_test;
use crate::helpers::{Backend, TestApp};

/// A site like the one `cargo leptos build --release --precompress` writes.
struct FakeSite {
    dir: tempfile::TempDir,
    wasm: Vec<u8>,
}

impl FakeSite {
    fn new() -> FakeSite {
        let dir = tempfile::tempdir().unwrap();
        let pkg = dir.path().join("pkg");
        std::fs::create_dir_all(&pkg).unwrap();
        let wasm: Vec<u8> = (0..50_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(pkg.join("motto.wasm"), &wasm).unwrap();
        std::fs::write(pkg.join("motto.wasm.br"), b"brotli bytes").unwrap();
        std::fs::write(pkg.join("motto.wasm.gz"), b"gzip bytes").unwrap();
        std::fs::write(
            pkg.join("motto.js"),
            "export default function(){}\n".repeat(100),
        )
        .unwrap();
        std::fs::write(pkg.join("motto.css"), "body{margin:0}\n".repeat(200)).unwrap();
        std::fs::write(dir.path().join("favicon.svg"), "<svg/>").unwrap();
        FakeSite { dir, wasm }
    }

    async fn app(&self, backend: Backend) -> TestApp {
        let root = self.dir.path().to_str().unwrap();
        TestApp::on(backend)
            .vars(&[("LEPTOS_SITE_ROOT", root)])
            .spawn()
            .await
    }
}

fn header(res: &reqwest::Response, name: &str) -> String {
    res.headers()
        .get_all(name)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The `/assets/<version>` prefix the home page loads the site from.
async fn asset_root(app: &TestApp) -> String {
    let html = app.get("/").await.text().await.unwrap();
    let start = html.find("/assets/").expect("an /assets/ URL in the page");
    let rest = &html[start..];
    let end = rest.find("/pkg/").expect("/pkg/ after the version");
    rest[..end].to_string()
}

db_test!(pages_load_the_site_from_content_hashed_urls, |backend| {
    let site = FakeSite::new();
    let app = site.app(backend).await;
    let html = app.get("/").await.text().await.unwrap();
    let root = asset_root(&app).await;
    assert_eq!(root.len(), "/assets/".len() + 16, "{root}");
    for file in ["motto.js", "motto.css"] {
        assert!(
            html.contains(&format!("{root}/pkg/{file}")),
            "{file}: {html}"
        );
    }
    // The WASM is preloaded from the same place (named `motto_bg.wasm` in a binary
    // not built by cargo-leptos, such as this test's).
    assert!(
        html.contains(&format!("href=\"{root}/pkg/motto.wasm\""))
            || html.contains(&format!("href=\"{root}/pkg/motto_bg.wasm\"")),
        "{html}"
    );
    // A rebuilt site gets another version: the same names under new URLs.
    let other = FakeSite::new();
    std::fs::write(other.dir.path().join("pkg/motto.wasm"), b"rebuilt").unwrap();
    let app2 = other.app(backend).await;
    assert_ne!(asset_root(&app2).await, root);
    app2.stop().await;
    app.stop().await;
});

db_test!(
    precompressed_files_are_served_by_accept_encoding,
    |backend| {
        let site = FakeSite::new();
        let app = site.app(backend).await;
        let root = asset_root(&app).await;
        let url = format!("{}{root}/pkg/motto.wasm", app.url);
        let get = |enc: Option<&'static str>| {
            let mut req = app.client.get(&url);
            if let Some(enc) = enc {
                req = req.header("accept-encoding", enc);
            }
            req.send()
        };

        let br = get(Some("gzip, deflate, br")).await.unwrap();
        assert_eq!(br.status(), 200);
        assert_eq!(header(&br, "content-encoding"), "br");
        assert_eq!(header(&br, "content-type"), "application/wasm");
        assert_eq!(
            header(&br, "cache-control"),
            "public, max-age=31536000, immutable"
        );
        assert!(header(&br, "vary")
            .to_lowercase()
            .contains("accept-encoding"));
        assert_eq!(br.bytes().await.unwrap().as_ref(), b"brotli bytes");

        let gz = get(Some("gzip")).await.unwrap();
        assert_eq!(header(&gz, "content-encoding"), "gzip");
        assert_eq!(gz.bytes().await.unwrap().as_ref(), b"gzip bytes");

        let plain = get(None).await.unwrap();
        assert_eq!(header(&plain, "content-encoding"), "");
        assert!(header(&plain, "vary")
            .to_lowercase()
            .contains("accept-encoding"));
        assert_eq!(plain.bytes().await.unwrap().as_ref(), site.wasm.as_slice());

        // The unhashed path still works, but must be revalidated.
        let old = app.get("/pkg/motto.wasm").await;
        assert_eq!(old.status(), 200);
        assert_eq!(header(&old, "cache-control"), "no-cache");

        // Another build's version is not this build's file.
        let stale = app.get("/assets/0123456789abcdef/pkg/motto.wasm").await;
        assert_eq!(stale.status(), 404);
        app.stop().await;
    }
);

db_test!(
    pages_and_json_are_compressed_on_the_fly_but_not_cross_site,
    |backend| {
        let site = FakeSite::new();
        let app = site.app(backend).await;
        let page = |enc: &'static str, fetch_site: Option<&'static str>| {
            let mut req = app
                .client
                .get(format!("{}/", app.url))
                .header("accept-encoding", enc);
            if let Some(s) = fetch_site {
                req = req.header("sec-fetch-site", s);
            }
            req.send()
        };
        let br = page("br", Some("same-origin")).await.unwrap();
        assert_eq!(br.status(), 200);
        assert_eq!(header(&br, "content-encoding"), "br");
        assert!(header(&br, "vary")
            .to_lowercase()
            .contains("accept-encoding"));
        let gz = page("gzip", None).await.unwrap();
        assert_eq!(header(&gz, "content-encoding"), "gzip");

        // BREACH: a page requested from another site is never compressed.
        let cross = page("br, gzip", Some("cross-site")).await.unwrap();
        assert_eq!(cross.status(), 200);
        assert_eq!(header(&cross, "content-encoding"), "");
        assert!(cross.text().await.unwrap().contains("<!DOCTYPE html>"));

        // The OpenAPI document is large JSON.
        let spec = app
            .client
            .get(format!("{}/api/v1/openapi.json", app.url))
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(header(&spec, "content-encoding"), "gzip");

        // Small answers are not worth it.
        let health = app
            .client
            .get(format!("{}/health", app.url))
            .header("accept-encoding", "br, gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(header(&health, "content-encoding"), "");
        app.stop().await;
    }
);
