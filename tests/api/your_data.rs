//! "Your data": the export holds exactly the person's own things; deleting the
//! account removes them and keeps a verifying audit chain.

use crate::db_test;
use crate::helpers::{json, signed_up, TestApp, GOOD_PASSWORD};
use motto::server::db::audit;
use serde_json::{json as j, Value};
use std::io::Read;

async fn token(app: &TestApp, name: &str) -> String {
    crate::helpers::access_token(&app.url, name).await
}

async fn api(app: &TestApp, t: &str, method: reqwest::Method, path: &str, body: Value) -> Value {
    let res = reqwest::Client::new()
        .request(method, format!("{}/api/v1{path}", app.url))
        .bearer_auth(t)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{path}: {}", res.status());
    res.json().await.unwrap_or(Value::Null)
}

/// Some documents and a conversation; the ids of (edited, trashed, conversation).
async fn content(app: &TestApp, name: &str) -> (i64, i64, i64) {
    use reqwest::Method;
    let t = token(app, name).await;
    let a = api(
        app,
        &t,
        Method::POST,
        "/documents",
        j!({"title": format!("{name} notes"), "body": format!("{name} first draft")}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    api(app, &t, Method::PUT, &format!("/documents/{a}"), j!({"title": format!("{name} notes"), "body": format!("{name} second draft"), "version": 1})).await;
    let b = api(
        app,
        &t,
        Method::POST,
        "/documents",
        j!({"title": format!("{name} old"), "body": format!("{name} binned")}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let res = reqwest::Client::new()
        .delete(format!("{}/api/v1/documents/{b}", app.url))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let c = api(
        app,
        &t,
        Method::POST,
        "/conversations",
        j!({"title": format!("{name} chat")}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    api(
        app,
        &t,
        Method::POST,
        &format!("/conversations/{c}/messages"),
        j!({"content": format!("what did {name} draft?")}),
    )
    .await;
    (a, b, c)
}

fn unzip(bytes: &[u8]) -> std::collections::BTreeMap<String, String> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut files = std::collections::BTreeMap::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let mut s = String::new();
        f.read_to_string(&mut s).unwrap();
        files.insert(f.name().unwrap().to_string(), s);
    }
    files
}

db_test!(the_export_holds_exactly_your_own_data, |backend| {
    let app = TestApp::spawn(backend).await;
    let alice = signed_up(&app, "alice").await;
    signed_up(&app, "bob").await;
    let (a, b, c) = content(&app, "alice").await;
    content(&app, "bob").await;
    app.call(
        &alice,
        "api_keys/create",
        &[
            ("name", "backup"),
            ("scopes[]", "documents:read"),
            ("days", "30"),
        ],
    )
    .await;

    let res = alice
        .post(format!("{}/account/export", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/zip");
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("motto-alice-"));
    let files = unzip(&res.bytes().await.unwrap());
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    let expected = [
        "README.txt".to_string(),
        "account.json".into(),
        format!("conversations/{c}.json"),
        format!("documents/{a}/document.json"),
        format!("documents/{a}/v1.md"),
        format!("documents/{a}/v2.md"),
        format!("documents/{b}/document.json"),
        format!("documents/{b}/v1.md"),
    ];
    let mut expected: Vec<&str> = expected.iter().map(String::as_str).collect();
    expected.sort();
    assert_eq!(names, expected);
    assert_eq!(files[&format!("documents/{a}/v1.md")], "alice first draft");
    assert_eq!(files[&format!("documents/{a}/v2.md")], "alice second draft");
    let trashed: Value =
        serde_json::from_str(&files[&format!("documents/{b}/document.json")]).unwrap();
    assert!(trashed["in_trash_since"].is_string());
    let conv: Value = serde_json::from_str(&files[&format!("conversations/{c}.json")]).unwrap();
    assert_eq!(conv["messages"][0]["content"], "what did alice draft?");
    assert_eq!(conv["messages"][1]["role"], "assistant");
    let account: Value = serde_json::from_str(&files["account.json"]).unwrap();
    assert_eq!(account["username"], "alice");
    assert_eq!(account["api_keys"][0]["name"], "backup");
    assert!(account["api_keys"][0].get("key_hash").is_none());
    // Nothing of Bob's.
    for (name, text) in &files {
        assert!(!text.contains("bob"), "{name} mentions bob");
    }
    assert!(app
        .audit_actions()
        .await
        .contains(&"account.export".to_string()));
    // Visitors get nothing; a cross-site form post is refused.
    let res = app
        .new_client()
        .post(format!("{}/account/export", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let res = alice
        .post(format!("{}/account/export", app.url))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
});

db_test!(
    deleting_the_account_removes_its_content_and_keeps_the_audit_chain,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let alice = signed_up(&app, "alice").await;
        let second = app.new_client();
        app.login_with(&second, "alice", GOOD_PASSWORD).await;
        signed_up(&app, "bob").await;
        content(&app, "alice").await;
        content(&app, "bob").await;
        let alice_id = json(app.call(&alice, "me", &[]).await).await["id"]
            .as_i64()
            .unwrap();
        let before = app.count("documents").await;

        let del = |password: &'static str, confirm: &'static str| {
            let app = &app;
            let alice = &alice;
            async move {
                app.call(
                    alice,
                    "account/delete",
                    &[("password", password), ("confirm_username", confirm)],
                )
                .await
            }
        };
        assert_eq!(del(GOOD_PASSWORD, "alicia").await.status(), 422);
        assert_eq!(del("wrong wrong wrong wrong", "alice").await.status(), 422);
        assert_eq!(app.count("documents").await, before);
        let res = del(GOOD_PASSWORD, "alice").await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());

        // Her content is gone, Bob's is not; both her sessions are over; she cannot log in.
        let owned = |table: &'static str, column: &'static str| {
            let sql = format!("SELECT COUNT(*) FROM {table} WHERE {column} = {alice_id}");
            let app = &app;
            async move {
                motto::on_pool!(&app.state.db, pool => sqlx::query_scalar::<_, i64>(&sql).fetch_one(pool).await.unwrap())
            }
        };
        for (table, column) in [
            ("documents", "owner_id"),
            ("conversations", "owner_id"),
            ("api_keys", "user_id"),
            ("user_sessions", "user_id"),
            ("refresh_tokens", "user_id"),
            ("users", "id"),
        ] {
            assert_eq!(owned(table, column).await, 0, "{table}");
        }
        assert_eq!(app.count("documents").await, 2, "Bob's two documents stay");
        assert_eq!(
            app.count("document_revisions").await,
            1,
            "Bob's one earlier version stays"
        );
        assert!(json(app.call(&alice, "me", &[]).await).await.is_null());
        assert!(json(app.call(&second, "me", &[]).await).await.is_null());
        assert!(app
            .login_with(&app.new_client(), "alice", GOOD_PASSWORD)
            .await
            .status()
            .is_client_error());
        // The audit log keeps her events under her number, and still verifies.
        let kept: i64 = motto::on_pool!(&app.state.db, pool => {
            sqlx::query_scalar(&format!("SELECT COUNT(*) FROM audit_events WHERE actor_user_id = {alice_id}")).fetch_one(pool).await.unwrap()
        });
        assert!(kept >= 5, "{kept}");
        assert!(app
            .audit_actions()
            .await
            .contains(&"account.delete".to_string()));
        assert!(audit::verify(&app.state.db).await.unwrap().is_intact());
        // The name is free again.
        assert_eq!(
            app.register("alice", "alice@example.com", GOOD_PASSWORD)
                .await
                .status(),
            200
        );
    }
);

db_test!(
    the_only_administrator_cannot_delete_their_account,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let (root, _) = crate::admin::admin(&app, "root").await;
        let res = app
            .call(
                &root,
                "account/delete",
                &[("password", GOOD_PASSWORD), ("confirm_username", "root")],
            )
            .await;
        assert_eq!(res.status(), 422);
        assert!(json(res).await.to_string().contains("only administrator"));
        assert!(!json(app.call(&root, "me", &[]).await).await.is_null());
    }
);

db_test!(
    asvs_2_4_1_a_large_export_streams_one_at_a_time_while_others_are_served,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let hugo = signed_up(&app, "hugo").await;
        let t = crate::helpers::access_token(&app.url, "hugo").await;
        // 20 documents of three versions, 400 KB each: 24 MB of text.
        let big = "all work and no play makes a dull archive\n".repeat(10_000);
        for i in 0..20 {
            let id = api(
                &app,
                &t,
                reqwest::Method::POST,
                "/documents",
                j!({"title": format!("big {i}"), "body": big}),
            )
            .await["id"]
                .as_i64()
                .unwrap();
            for v in 1..3 {
                api(
                    &app,
                    &t,
                    reqwest::Method::PUT,
                    &format!("/documents/{id}"),
                    j!({"title": format!("big {i}"), "body": format!("{big}{v}"), "version": v}),
                )
                .await;
            }
        }
        // Three at once: one is written, the others are told to wait.
        let export = || {
            hugo.post(format!("{}/account/export", app.url))
                .header("content-type", "application/x-www-form-urlencoded")
                .send()
        };
        let health = async {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            app.get("/health").await.status()
        };
        let (a, b, c, h) = tokio::join!(export(), export(), export(), health);
        assert_eq!(h, 200, "other requests are answered meanwhile");
        let mut ok = Vec::new();
        let mut waited = 0;
        for res in [a, b, c] {
            let res = res.unwrap();
            match res.status().as_u16() {
                200 => ok.push(res.bytes().await.expect("the whole archive")),
                429 => waited += 1,
                other => panic!("status {other}"),
            }
        }
        assert_eq!((ok.len(), waited), (1, 2));
        let files = unzip(&ok[0]);
        let versions = files.keys().filter(|k| k.ends_with(".md")).count();
        assert_eq!(versions, 60, "every version of every document");
        assert!(files
            .values()
            .any(|f| f.ends_with("makes a dull archive\n2")));
        app.stop().await;
    }
);
