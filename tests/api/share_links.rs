//! Share links (#19): a read-only public link to one document, made by its
//! editors, with an optional password (throttled like a login) and expiry,
//! revocable, forbidden per space or by the administrators' switch; the public
//! page carries no account data, its own strict CSP and `noindex`.

use crate::admin::admin;
use crate::db_test;
use crate::helpers::{json, signed_up, TestApp};
use motto::api::share_links::{
    AdminRevokeShareLink, AdminShareLinks, CreateShareLink, RevokeShareLink, SetShareLinksEnabled,
    SetSpaceShareLinks, ShareLinks,
};
use motto::api::spaces::{CreateSpace, MoveDocument, SetSpaceMember};
use motto::on_pool;
use std::sync::{Arc, Mutex, OnceLock};

struct Team {
    alice: reqwest::Client,
    bob: reqwest::Client,
    carol: reqwest::Client,
    space: i64,
    doc: i64,
}

/// Alice owns a space with Bob as a viewer and a document in it; Carol is no member.
async fn team(app: &TestApp) -> Team {
    let alice = signed_up(app, "alice").await;
    let bob = signed_up(app, "bob").await;
    let carol = signed_up(app, "carol").await;
    let res = app
        .invoke(
            &alice,
            CreateSpace {
                name: "Team".into(),
                description: String::new(),
            },
        )
        .await;
    let space = json(res).await.as_i64().unwrap();
    let add = SetSpaceMember {
        space,
        username: "bob".into(),
        role: "viewer".into(),
    };
    assert_eq!(app.invoke(&alice, add).await.status(), 200);
    let doc = app
        .documents(&alice)
        .create("Roadmap", "Ships in **spring**.")
        .await;
    let res = app.invoke(&alice, MoveDocument { id: doc, space }).await;
    assert_eq!(res.status(), 200);
    Team {
        alice,
        bob,
        carol,
        space,
        doc,
    }
}

fn make(doc: i64, password: &str, days: u32) -> CreateShareLink {
    CreateShareLink {
        id: doc,
        password: password.into(),
        expires_in_days: days,
    }
}

/// Make a link; its address on the test server (the link itself is made with
/// the configured `PUBLIC_URL`).
async fn link(app: &TestApp, c: &reqwest::Client, doc: i64, password: &str) -> String {
    let res = app.invoke(c, make(doc, password, 7)).await;
    assert_eq!(res.status(), 200);
    let url = json(res).await["url"].as_str().unwrap().to_string();
    let public = app.state.settings.public_origin();
    let path = url.strip_prefix(&public).expect("made with PUBLIC_URL");
    assert!(path.starts_with("/s/"), "{url}");
    format!("{}{path}", app.url)
}

/// What a visitor without an account gets at `url`: (status, headers, page).
async fn visit(app: &TestApp, url: &str) -> (u16, reqwest::header::HeaderMap, String) {
    let res = app.new_client().get(url).send().await.unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    (status, headers, res.text().await.unwrap())
}

async fn with_password(app: &TestApp, url: &str, password: &str) -> (u16, String) {
    let res = app
        .new_client()
        .post(url)
        .form(&[("password", password)])
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

db_test!(
    a_share_link_shows_one_document_to_anyone_and_nothing_else_until_revoked,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let t = team(&app).await;

        // Only an editor of the document's space makes links.
        assert_eq!(app.invoke(&t.bob, make(t.doc, "", 7)).await.status(), 403);
        assert_eq!(app.invoke(&t.carol, make(t.doc, "", 7)).await.status(), 404);
        assert_eq!(
            app.invoke(&t.bob, ShareLinks { id: t.doc }).await.status(),
            403
        );
        let url = link(&app, &t.alice, t.doc, "").await;

        // The secret is not stored: only its hash.
        let secret = url.rsplit('/').next().unwrap().to_string();
        let db = &app.state.db;
        let stored: i64 = on_pool!(db, pool => sqlx::query_scalar(
            "SELECT COUNT(*) FROM share_links WHERE token_hash = $1 OR token_hash LIKE '%' || $1 || '%'"
        )
        .bind(&secret)
        .fetch_one(pool)
        .await
        .unwrap());
        assert_eq!(stored, 0);

        let (status, headers, page) = visit(&app, &url).await;
        assert_eq!(status, 200);
        assert!(page.contains("<h1>Roadmap</h1>"), "{page}");
        assert!(page.contains("<strong>spring</strong>"), "{page}");
        // No account data, no script, nothing to index or keep.
        for absent in ["alice", "bob", "Log out", "<script", "Team"] {
            assert!(!page.contains(absent), "{absent} in {page}");
        }
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.starts_with("default-src 'none'; style-src 'sha256-"),
            "{csp}"
        );
        assert!(
            !csp.contains("script-src") && !csp.contains("unsafe"),
            "{csp}"
        );
        assert_eq!(headers["x-robots-tag"], "noindex, nofollow");
        assert_eq!(headers["cache-control"], "no-store");
        assert!(page.contains("<meta name=\"robots\" content=\"noindex, nofollow\">"));

        // Each view is counted (and not audited one by one).
        let before = app.audit_actions().await.len();
        visit(&app, &url).await;
        assert_eq!(app.audit_actions().await.len(), before);
        let links = json(app.invoke(&t.alice, ShareLinks { id: t.doc }).await).await;
        assert_eq!(links[0]["views"], 2);
        assert_eq!(links[0]["status"], "active");
        assert_eq!(links[0]["created_by"], "alice");
        assert!(!links.to_string().contains(&secret));

        // A made-up or shortened address finds nothing.
        assert_eq!(visit(&app, &format!("{}/s/nothing", app.url)).await.0, 404);
        assert_eq!(visit(&app, &url[..url.len() - 1]).await.0, 404);

        // Revoked: gone at once, for good.
        let id = links[0]["id"].as_i64().unwrap();
        assert_eq!(
            app.invoke(&t.bob, RevokeShareLink { link: id })
                .await
                .status(),
            403
        );
        assert_eq!(
            app.invoke(&t.alice, RevokeShareLink { link: id })
                .await
                .status(),
            200
        );
        let (status, _, page) = visit(&app, &url).await;
        assert_eq!(status, 404);
        assert!(!page.contains("spring"));
        let links = json(app.invoke(&t.alice, ShareLinks { id: t.doc }).await).await;
        assert_eq!(links[0]["status"], "revoked");

        // A trashed document's link stops too.
        let url = link(&app, &t.alice, t.doc, "").await;
        assert_eq!(app.documents(&t.alice).delete(t.doc).await.status(), 200);
        assert_eq!(visit(&app, &url).await.0, 404);

        let actions = app.audit_actions().await;
        assert!(actions.iter().any(|a| a == "share_link.create"));
        assert!(actions.iter().any(|a| a == "share_link.revoke"));
        app.stop().await;
    }
);

db_test!(
    a_password_is_asked_for_and_throttled_and_expiry_and_both_switches_stop_links,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let t = team(&app).await;

        for (password, days) in [("short", 7), ("long enough", 400)] {
            let res = app.invoke(&t.alice, make(t.doc, password, days)).await;
            assert_eq!(res.status(), 422, "{password} {days}");
        }
        let url = link(&app, &t.alice, t.doc, "open sesame").await;
        let (status, _, page) = visit(&app, &url).await;
        assert_eq!(status, 200);
        assert!(page.contains("This document is protected"), "{page}");
        assert!(!page.contains("spring"));
        let (status, page) = with_password(&app, &url, "open sesame").await;
        assert_eq!(status, 200);
        assert!(page.contains("<strong>spring</strong>"), "{page}");
        // Wrong passwords: refused, then throttled like a login (the right one too).
        for _ in 0..5 {
            let (status, page) = with_password(&app, &url, "guess").await;
            assert_eq!(status, 401);
            assert!(page.contains("That is not the password."));
            assert!(!page.contains("spring"));
        }
        // Audited, once a minute per link and address (the throttle stops guessing).
        let failures = app
            .audit_actions()
            .await
            .into_iter()
            .filter(|a| a == "share_link.password_failure")
            .count();
        assert_eq!(failures, 1);
        assert_eq!(with_password(&app, &url, "guess").await.0, 429);
        assert_eq!(with_password(&app, &url, "open sesame").await.0, 429);

        // Expired: gone.
        let url = link(&app, &t.alice, t.doc, "").await;
        assert_eq!(visit(&app, &url).await.0, 200);
        let db = &app.state.db;
        on_pool!(db, pool => sqlx::query("UPDATE share_links SET expires_at = $1")
            .bind(chrono::Utc::now() - chrono::Duration::minutes(1))
            .execute(pool)
            .await
            .map(|_| ())
            .unwrap());
        assert_eq!(visit(&app, &url).await.0, 404);
        let links = json(app.invoke(&t.alice, ShareLinks { id: t.doc }).await).await;
        assert_eq!(links[0]["status"], "expired");

        // The space's owners forbid links: existing ones stop, new ones are refused.
        let url = link(&app, &t.alice, t.doc, "").await;
        let forbid = |space| SetSpaceShareLinks {
            space,
            allowed: None,
        };
        assert_eq!(app.invoke(&t.bob, forbid(t.space)).await.status(), 403);
        assert_eq!(app.invoke(&t.alice, forbid(t.space)).await.status(), 200);
        assert_eq!(visit(&app, &url).await.0, 404);
        assert_eq!(app.invoke(&t.alice, make(t.doc, "", 7)).await.status(), 422);
        let allow = SetSpaceShareLinks {
            space: t.space,
            allowed: Some("on".into()),
        };
        assert_eq!(app.invoke(&t.alice, allow).await.status(), 200);
        assert_eq!(visit(&app, &url).await.0, 200);

        // The administrators' switch: everywhere at once; only they may use it.
        let (root, _) = admin(&app, "root").await;
        let off = SetShareLinksEnabled { enabled: None };
        assert_eq!(app.invoke(&t.alice, off).await.status(), 404);
        let off = SetShareLinksEnabled { enabled: None };
        assert_eq!(app.invoke(&root, off).await.status(), 200);
        assert_eq!(visit(&app, &url).await.0, 404);
        let res = app.invoke(&t.alice, make(t.doc, "", 7)).await;
        assert_eq!(res.status(), 422);
        assert!(json(res).await.to_string().contains("turned off"));
        let listed = json(app.invoke(&root, AdminShareLinks {}).await).await;
        assert_eq!(listed[0], false);
        assert_eq!(listed[1].as_array().unwrap().len(), 3);
        assert_eq!(listed[1][0]["space_name"], "Team");
        let on = SetShareLinksEnabled {
            enabled: Some("on".into()),
        };
        assert_eq!(app.invoke(&root, on).await.status(), 200);
        assert_eq!(visit(&app, &url).await.0, 200);
        // An administrator revokes any link.
        let id = listed[1][0]["id"].as_i64().unwrap();
        assert_eq!(
            app.invoke(&t.alice, AdminRevokeShareLink { link: id })
                .await
                .status(),
            404
        );
        assert_eq!(
            app.invoke(&root, AdminRevokeShareLink { link: id })
                .await
                .status(),
            200
        );
        assert_eq!(visit(&app, &url).await.0, 404);
        let actions = app.audit_actions().await;
        assert!(actions.iter().any(|a| a == "settings.share_links"));
        app.stop().await;
    }
);

/// Everything the server logs from the moment a test first asks (one global
/// subscriber for the whole test binary: other tests' lines land here too).
fn captured_logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Arc::new(Mutex::new(Vec::new()));
        let sink = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_current_span(true)
            .with_max_level(tracing::Level::INFO)
            .with_writer(move || Capture(sink.clone()))
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("no other subscriber");
        logs
    })
    .clone()
}

struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

db_test!(a_share_links_secret_never_reaches_the_logs, |backend| {
    let logs = captured_logs();
    let app = TestApp::spawn(backend).await;
    let t = team(&app).await;
    let url = link(&app, &t.alice, t.doc, "").await;
    let secret = url.rsplit('/').next().unwrap().to_string();
    assert_eq!(visit(&app, &url).await.0, 200);
    // Refused as cross-site: the CSRF refusal's event and warning name the path.
    let res = app
        .new_client()
        .post(&url)
        .header("origin", "https://evil.example")
        .form(&[("password", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let text = String::from_utf8_lossy(&logs.lock().unwrap()).to_string();
    assert!(text.contains("/s/{secret}"), "the request was logged");
    assert!(!text.contains(&secret), "the link's secret was logged");
    let db = &app.state.db;
    let in_audit: i64 = on_pool!(db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_events WHERE CAST(details AS TEXT) LIKE '%' || $1 || '%'"
    )
    .bind(&secret)
    .fetch_one(pool)
    .await
    .unwrap());
    assert_eq!(in_audit, 0);
    app.stop().await;
});

/// (action, target id, details) of the events with these actions, oldest first.
async fn events_of(
    app: &TestApp,
    actions: &[&str],
) -> Vec<(String, Option<String>, serde_json::Value)> {
    let rows = motto::server::db::audit::chain_batch(&app.state.db, 1, 100_000)
        .await
        .unwrap();
    rows.into_iter()
        .filter(|r| actions.contains(&r.action.as_str()))
        .map(|r| {
            (
                r.action,
                r.target_id,
                serde_json::from_str(&r.details).unwrap(),
            )
        })
        .collect()
}

db_test!(
    the_access_level_records_reads_by_others_link_views_and_question_hashes,
    |backend| {
        const ACCESS: [&str; 3] = ["document.read", "share_link.view", "assistant.query"];
        // The default level records none of them.
        let app = TestApp::spawn(backend).await;
        let t = team(&app).await;
        assert_eq!(app.documents(&t.bob).get(t.doc).await.status(), 200);
        assert!(events_of(&app, &ACCESS).await.is_empty());
        app.stop().await;

        let app = TestApp::on(backend)
            .vars(&[("AUDIT_LEVEL", "access")])
            .spawn()
            .await;
        let t = team(&app).await;
        // Bob reads Alice's document in their shared space; Carol may not.
        assert_eq!(app.documents(&t.bob).get(t.doc).await.status(), 200);
        assert_eq!(app.documents(&t.carol).get(t.doc).await.status(), 404);
        // A personal document read by its owner is no access event.
        let own = app.documents(&t.carol).create("Mine", "private").await;
        assert_eq!(app.documents(&t.carol).get(own).await.status(), 200);
        // A visitor opens a share link.
        let url = link(&app, &t.alice, t.doc, "").await;
        assert_eq!(visit(&app, &url).await.0, 200);
        // Bob asks the assistant: the question's hash, not its text.
        let question = "When does the roadmap ship?";
        let c = crate::conversations::conversation(&app, &t.bob, "Q", &[]).await;
        let (status, _) = crate::conversations::ask(&app, &t.bob, c, question).await;
        assert_eq!(status, 201);

        let events = events_of(&app, &ACCESS).await;
        let actions: Vec<&str> = events.iter().map(|e| e.0.as_str()).collect();
        assert_eq!(
            actions,
            ["document.read", "share_link.view", "assistant.query"]
        );
        assert_eq!(events[0].1.as_deref(), Some(t.doc.to_string().as_str()));
        assert_eq!(events[0].2["space"], t.space);
        use sha2::Digest;
        let hash = hex::encode(sha2::Sha256::digest(question.as_bytes()));
        assert_eq!(events[2].2["question_sha256"], hash);
        let raw = serde_json::to_string(&events).unwrap();
        assert!(
            !raw.contains("roadmap ship"),
            "the question's text is not kept"
        );
        app.stop().await;
    }
);
