//! API keys and the REST API under /api/v1: scopes, owner-only, revocation and
//! expiry on the very next request, one error format, no secret at rest.

use crate::db_test;
use crate::helpers::{json as json_of, signed_up as user, TestApp, GOOD_PASSWORD};
use serde_json::{json, Value};

/// A new key with these scopes: (secret, id).
pub(crate) async fn key(
    app: &TestApp,
    c: &reqwest::Client,
    name: &str,
    scopes: &[&str],
) -> (String, i64) {
    let mut form = vec![("name", name), ("days", "90")];
    for s in scopes {
        form.push(("scopes[]", s));
    }
    let res = app.call(c, "api_keys/create", &form).await;
    assert_eq!(res.status(), 200);
    let v = json_of(res).await;
    (
        v["key"].as_str().unwrap().to_string(),
        v["view"]["id"].as_i64().unwrap(),
    )
}

async fn api(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    key: Option<&str>,
    body: Option<Value>,
) -> reqwest::Response {
    let client = reqwest::Client::new();
    let mut req = client.request(method, format!("{}/api/v1{path}", app.url));
    if let Some(k) = key {
        req = req.bearer_auth(k);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.unwrap()
}

use reqwest::Method;

db_test!(
    asvs_11_5_1_keys_are_shown_once_and_stored_hashed,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let alice = user(&app, "alice").await;
        let (secret, _) = key(&app, &alice, "backup", &["documents:read"]).await;
        assert!(secret.starts_with("motto_"));
        assert_eq!(secret.len(), 52);
        let list = json_of(app.call(&alice, "api_keys/list", &[]).await).await;
        let text = list.to_string();
        assert!(!text.contains(&secret));
        assert_eq!(list[0]["prefix"], &secret[..14]);
        assert_eq!(list[0]["status"], "active");
        // Use it, then no table holds it in the clear.
        assert_eq!(
            api(&app, Method::GET, "/me", Some(&secret), None)
                .await
                .status(),
            200
        );
        let secret_part = &secret[14..46];
        let tables: Vec<String> = match backend {
            crate::helpers::Backend::Sqlite => motto::on_pool!(&app.state.db, pool => {
                sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'").fetch_all(pool).await.unwrap()
            }),
            crate::helpers::Backend::Postgres => motto::on_pool!(&app.state.db, pool => {
                sqlx::query_scalar("SELECT schemaname || '.' || tablename FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')").fetch_all(pool).await.unwrap()
            }),
        };
        assert!(tables.iter().any(|t| t.ends_with("api_keys")), "{tables:?}");
        for table in &tables {
            let sql = match backend {
                crate::helpers::Backend::Sqlite => format!("SELECT * FROM \"{table}\""),
                crate::helpers::Backend::Postgres => format!("SELECT t::text FROM {table} t"),
            };
            let dump: Vec<String> = motto::on_pool!(&app.state.db, pool => {
                use sqlx::Row;
                sqlx::query(&sql).fetch_all(pool).await.unwrap().iter().map(|r| {
                    (0..r.len()).map(|i| r.try_get::<String, _>(i)
                        .or_else(|_| r.try_get::<Vec<u8>, _>(i).map(|b| String::from_utf8_lossy(&b).into_owned()))
                        .unwrap_or_default()).collect::<Vec<_>>().join("|")
                }).collect()
            });
            for row in dump {
                assert!(!row.contains(secret_part), "{table} holds the key: {row}");
            }
        }
        // Bad input is refused beside its field.
        let res = app
            .call(
                &alice,
                "api_keys/create",
                &[
                    ("name", "x"),
                    ("days", "400"),
                    ("scopes[]", "documents:read"),
                ],
            )
            .await;
        assert_eq!(res.status(), 422);
        let res = app
            .call(&alice, "api_keys/create", &[("name", "x"), ("days", "30")])
            .await;
        assert_eq!(res.status(), 422);
        let res = app
            .call(
                &alice,
                "api_keys/create",
                &[("name", "x"), ("days", "30"), ("scopes[]", "admin:all")],
            )
            .await;
        assert_eq!(res.status(), 422);
    }
);

db_test!(scope_matrix, |backend| {
    let app = TestApp::spawn(backend).await;
    let alice = user(&app, "alice").await;
    let bob = user(&app, "bob").await;
    let (all, _) = key(
        &app,
        &alice,
        "all",
        &[
            "documents:read",
            "documents:write",
            "conversations:read",
            "conversations:write",
        ],
    )
    .await;
    let (read_docs, _) = key(&app, &alice, "read docs", &["documents:read"]).await;
    let (read_convs, _) = key(&app, &alice, "read convs", &["conversations:read"]).await;
    let (expired, expired_id) = key(
        &app,
        &alice,
        "old",
        &[
            "documents:read",
            "documents:write",
            "conversations:read",
            "conversations:write",
        ],
    )
    .await;
    let (revoked, revoked_id) = key(
        &app,
        &alice,
        "gone",
        &[
            "documents:read",
            "documents:write",
            "conversations:read",
            "conversations:write",
        ],
    )
    .await;
    let (bobs, _) = key(
        &app,
        &bob,
        "bob",
        &[
            "documents:read",
            "documents:write",
            "conversations:read",
            "conversations:write",
        ],
    )
    .await;
    app.db
        .raw_execute(&format!(
            "UPDATE api_keys SET expires_at = {} WHERE id = {expired_id}",
            match backend {
                crate::helpers::Backend::Sqlite => "'2020-01-01T00:00:00+00:00'",
                crate::helpers::Backend::Postgres => "'2020-01-01T00:00:00Z'",
            }
        ))
        .await;
    assert_eq!(
        app.call(
            &alice,
            "api_keys/revoke",
            &[("id", &revoked_id.to_string())]
        )
        .await
        .status(),
        200
    );

    // Alice's objects.
    let res = api(
        &app,
        Method::POST,
        "/documents",
        Some(&all),
        Some(json!({"title": "Kettle", "body": "Water boils at 100 degrees."})),
    )
    .await;
    assert_eq!(res.status(), 201);
    assert!(res.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/api/v1/documents/"));
    let doc = json_of(res).await["id"].as_i64().unwrap();
    let res = api(
        &app,
        Method::POST,
        "/conversations",
        Some(&all),
        Some(json!({"title": "Q"})),
    )
    .await;
    assert_eq!(res.status(), 201);
    let conv = json_of(res).await["id"].as_i64().unwrap();

    struct Case {
        method: Method,
        path: String,
        body: Option<Value>,
        scope: &'static str,
        ok: u16,
    }
    let cases = vec![
        Case {
            method: Method::GET,
            path: "/documents".into(),
            body: None,
            scope: "documents:read",
            ok: 200,
        },
        Case {
            method: Method::GET,
            path: format!("/documents/{doc}"),
            body: None,
            scope: "documents:read",
            ok: 200,
        },
        Case {
            method: Method::PUT,
            path: format!("/documents/{doc}"),
            body: Some(json!({"title": "Kettle", "body": "Still 100.", "version": 1})),
            scope: "documents:write",
            ok: 200,
        },
        Case {
            method: Method::GET,
            path: "/conversations".into(),
            body: None,
            scope: "conversations:read",
            ok: 200,
        },
        Case {
            method: Method::GET,
            path: format!("/conversations/{conv}"),
            body: None,
            scope: "conversations:read",
            ok: 200,
        },
        Case {
            method: Method::POST,
            path: format!("/conversations/{conv}/messages"),
            body: Some(json!({"content": "When does water boil?"})),
            scope: "conversations:write",
            ok: 201,
        },
        Case {
            method: Method::DELETE,
            path: format!("/documents/{doc}"),
            body: None,
            scope: "documents:write",
            ok: 204,
        },
    ];
    for c in &cases {
        let other_scope_key = if c.scope.starts_with("documents") {
            &read_convs
        } else {
            &read_docs
        };
        let status = |k: Option<&str>| {
            let (app, c) = (&app, c);
            let k = k.map(str::to_string);
            async move {
                api(app, c.method.clone(), &c.path, k.as_deref(), c.body.clone())
                    .await
                    .status()
                    .as_u16()
            }
        };
        // Failures first: nothing may change before the allowed call runs.
        assert_eq!(
            status(None).await,
            401,
            "no credentials {} {}",
            c.method,
            c.path
        );
        assert_eq!(
            status(Some("motto_notarealkeyatall")).await,
            401,
            "garbage {} {}",
            c.method,
            c.path
        );
        assert_eq!(
            status(Some(&expired)).await,
            401,
            "expired {} {}",
            c.method,
            c.path
        );
        assert_eq!(
            status(Some(&revoked)).await,
            401,
            "revoked {} {}",
            c.method,
            c.path
        );
        let wrong = status(Some(other_scope_key)).await;
        assert_eq!(wrong, 403, "missing scope {} {}", c.method, c.path);
        if c.path.contains(&doc.to_string()) || c.path.contains(&format!("conversations/{conv}")) {
            assert_eq!(
                status(Some(&bobs)).await,
                404,
                "another user's object {} {}",
                c.method,
                c.path
            );
        }
        assert_eq!(
            status(Some(&all)).await,
            c.ok,
            "allowed {} {}",
            c.method,
            c.path
        );
    }
    // The message call got the assistant's reply, citing the document.
    let conv_view = json_of(
        api(
            &app,
            Method::GET,
            &format!("/conversations/{conv}"),
            Some(&all),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(conv_view["messages"][1]["role"], "assistant");

    let actions = app.audit_actions().await;
    for a in ["apikey.create", "apikey.revoke", "apikey.denied"] {
        assert!(actions.iter().any(|x| x == a), "{a}");
    }
    // Changes made with a key name the key as the actor.
    let key_actor: Option<i64> = motto::on_pool!(&app.state.db, pool => {
        sqlx::query_scalar("SELECT actor_api_key_id FROM audit_events WHERE action = 'document.create'")
            .fetch_one(pool).await.unwrap()
    });
    assert!(key_actor.is_some());
});

db_test!(
    revocation_bites_on_the_next_request_and_cookies_are_not_accepted,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let alice = user(&app, "alice").await;
        let (k, id) = key(&app, &alice, "script", &["documents:read"]).await;
        let res = api(&app, Method::GET, "/me", Some(&k), None).await;
        assert_eq!(res.status(), 200);
        let me = json_of(res).await;
        assert_eq!(me["username"], "alice");
        let list = json_of(app.call(&alice, "api_keys/list", &[]).await).await;
        assert!(list[0]["last_used_at"].is_string(), "last used recorded");
        app.call(&alice, "api_keys/revoke", &[("id", &id.to_string())])
            .await;
        let res = api(&app, Method::GET, "/me", Some(&k), None).await;
        assert_eq!(res.status(), 401);
        assert_eq!(res.headers()["www-authenticate"], "Bearer realm=\"motto\"");
        let err = json_of(res).await;
        assert_eq!(err["error"]["code"], "unauthorized");
        // A signed-in browser's cookies do nothing here.
        let res = alice
            .get(format!("{}/api/v1/me", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
        // Another user cannot revoke alice's keys.
        let bob = user(&app, "bob").await;
        let (_, id2) = key(&app, &alice, "second", &["documents:read"]).await;
        assert_eq!(
            app.call(&bob, "api_keys/revoke", &[("id", &id2.to_string())])
                .await
                .status(),
            404
        );
        // A disabled account's key stops working.
        let (k3, _) = key(&app, &alice, "third", &["documents:read"]).await;
        app.db
            .raw_execute("UPDATE users SET disabled = TRUE WHERE username_key = 'alice'")
            .await;
        assert_eq!(
            api(&app, Method::GET, "/me", Some(&k3), None)
                .await
                .status(),
            401
        );
    }
);

db_test!(errors_have_one_shape, |backend| {
    let app = TestApp::spawn(backend).await;
    let alice = user(&app, "alice").await;
    let (k, _) = key(&app, &alice, "w", &["documents:write", "documents:read"]).await;
    let res = api(
        &app,
        Method::POST,
        "/documents",
        Some(&k),
        Some(json!({"title": "", "body": "x"})),
    )
    .await;
    assert_eq!(res.status(), 422);
    let e = json_of(res).await;
    assert_eq!(e["error"]["code"], "invalid");
    assert_eq!(e["error"]["fields"][0]["field"], "title");
    let res = api(
        &app,
        Method::POST,
        "/documents",
        Some(&k),
        Some(json!({"nope": 1})),
    )
    .await;
    assert_eq!(res.status(), 422);
    assert_eq!(json_of(res).await["error"]["code"], "invalid");
    let res = api(&app, Method::GET, "/documents/999999", Some(&k), None).await;
    assert_eq!(res.status(), 404);
    assert_eq!(json_of(res).await["error"]["code"], "not_found");
    let res = api(&app, Method::GET, "/no/such/thing", Some(&k), None).await;
    assert_eq!(res.status(), 404);
    let res = api(&app, Method::GET, "/documents/not-a-number", Some(&k), None).await;
    assert_eq!(res.status(), 404);
    assert_eq!(json_of(res).await["error"]["code"], "not_found");
    // A stale version is a conflict, and the text is not lost on the server side.
    let id = json_of(
        api(
            &app,
            Method::POST,
            "/documents",
            Some(&k),
            Some(json!({"title": "A", "body": "one"})),
        )
        .await,
    )
    .await["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        api(
            &app,
            Method::PUT,
            &format!("/documents/{id}"),
            Some(&k),
            Some(json!({"title": "A", "body": "two", "version": 1}))
        )
        .await
        .status(),
        200
    );
    let res = api(
        &app,
        Method::PUT,
        &format!("/documents/{id}"),
        Some(&k),
        Some(json!({"title": "A", "body": "three", "version": 1})),
    )
    .await;
    assert_eq!(res.status(), 409);
    assert_eq!(json_of(res).await["error"]["code"], "conflict");
    // Search and pagination.
    let found = json_of(api(&app, Method::GET, "/documents?q=two", Some(&k), None).await).await;
    assert_eq!(found["items"][0]["id"], id);
    let page = json_of(api(&app, Method::GET, "/documents?page=1", Some(&k), None).await).await;
    assert_eq!(page["total"], 1);
    // Malformed query parameters, a method the path does not have, and text a
    // database cannot store all get the same shape (not axum's plain text, not a 500).
    let res = api(&app, Method::GET, "/documents?page=abc", Some(&k), None).await;
    assert_eq!(res.status(), 422);
    assert_eq!(json_of(res).await["error"]["code"], "invalid");
    let res = api(&app, Method::PATCH, "/documents", Some(&k), None).await;
    assert_eq!(res.status(), 405);
    assert_eq!(json_of(res).await["error"]["code"], "method_not_allowed");
    let res = api(
        &app,
        Method::POST,
        "/documents",
        Some(&k),
        Some(json!({"title": "nul", "body": "a\u{0}b"})),
    )
    .await;
    assert_eq!(res.status(), 422);
    assert_eq!(json_of(res).await["error"]["fields"][0]["field"], "body");
    let res = api(&app, Method::GET, "/documents?q=tw%00o", Some(&k), None).await;
    assert_eq!(res.status(), 200);
    assert_eq!(json_of(res).await["items"][0]["id"], id);
    assert_eq!(app.count("documents").await, 1);
});

db_test!(rate_limited_answers_have_the_api_shape, |backend| {
    let app = TestApp::on(backend)
        .vars(&[("RATE_LIMIT_API", "2/min")])
        .spawn()
        .await;
    let alice = user(&app, "alice").await;
    let (k, _) = key(&app, &alice, "r", &["documents:read"]).await;
    for _ in 0..2 {
        assert_eq!(
            api(&app, Method::GET, "/me", Some(&k), None).await.status(),
            200
        );
    }
    let res = api(&app, Method::GET, "/me", Some(&k), None).await;
    assert_eq!(res.status(), 429);
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let e = json_of(res).await;
    assert_eq!(e["error"]["code"], "rate_limited");
    assert!(e["error"]["message"].as_str().unwrap().contains("Too many"));
});

// --- OpenAPI ----------------------------------------------------------------------

db_test!(the_openapi_document_matches_the_routes, |backend| {
    let app = TestApp::spawn(backend).await;
    let res = reqwest::get(format!("{}/api/v1/openapi.json", app.url))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let spec = json_of(res).await;
    assert!(
        spec["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        spec["openapi"]
    );
    assert_eq!(
        spec["servers"][0]["url"],
        app.state.settings.public_origin()
    );
    assert_eq!(
        spec["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    for schema in [
        "ErrorBody",
        "DocumentView",
        "ConversationView",
        "TokenPair",
        "MessageView",
    ] {
        assert!(
            spec["components"]["schemas"][schema].is_object(),
            "{schema} missing"
        );
    }
    // Every documented operation exists and is guarded as documented: with no
    // credential, a secured one answers 401 and a public one looks at its body (422).
    let paths = spec["paths"].as_object().unwrap();
    let mut operations = 0;
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
            let url = format!("{}{}", app.url, path.replace("{id}", "1"));
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let res = reqwest::Client::new()
                .request(m, &url)
                .send()
                .await
                .unwrap();
            let public = op["security"]
                .as_array()
                .is_some_and(|s| s.iter().all(|r| r.as_object().unwrap().is_empty()));
            let expected = if public { 422 } else { 401 };
            assert_eq!(res.status(), expected, "{method} {path}");
            let code = res.status().as_u16().to_string();
            assert!(
                op["responses"][&code].is_object(),
                "{method} {path} does not document {code}"
            );
            if !public {
                let scopes = op["security"][0]["bearer"].as_array().unwrap();
                assert!(
                    path == "/api/v1/me" || scopes.len() == 1,
                    "{method} {path}: {scopes:?}"
                );
            }
        }
    }
    assert_eq!(operations, 13);
});

db_test!(the_api_reference_page_renders_the_spec, |backend| {
    let app = TestApp::spawn(backend).await;
    let res = app.get("/docs/api").await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    for text in [
        "Motto API reference",
        "/api/v1/documents/{id}",
        "Save a new version of a document",
        "documents:write",
        "id=\"schema-DocumentView\"",
        "/api/v1/openapi.json",
    ] {
        assert!(html.contains(text), "{text} missing from the page");
    }
    // Nothing from elsewhere: no third-party script or style.
    assert!(!html.contains("cdn"), "a CDN reference");
    assert!(!html.contains("src=\"http"), "an absolute script source");
});

// --- Access and refresh tokens ---------------------------------------------------

pub(crate) async fn tokens(app: &TestApp, login: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/api/v1/auth/token", app.url))
        .json(&json!({ "username": login, "password": GOOD_PASSWORD }))
        .send()
        .await
        .unwrap()
}

pub(crate) async fn refresh(app: &TestApp, token: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/api/v1/auth/refresh", app.url))
        .json(&json!({ "refresh_token": token }))
        .send()
        .await
        .unwrap()
}

fn forge(app: &TestApp, claims: Value, alg: jsonwebtoken::Algorithm, key: &[u8]) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(alg),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(key),
    )
    .unwrap_or_else(|_| panic!("encode for {}", app.url))
}

db_test!(
    asvs_9_1_1_access_tokens_are_verified_and_refresh_rotates,
    |backend| {
        let app = TestApp::spawn(backend).await;
        user(&app, "alice").await;
        assert_eq!(
            reqwest::Client::new()
                .post(format!("{}/api/v1/auth/token", app.url))
                .json(&json!({ "username": "alice", "password": "wrong wrong wrong" }))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
                / 100,
            4
        );
        let res = tokens(&app, "alice").await;
        assert_eq!(res.status(), 200);
        let pair = json_of(res).await;
        assert_eq!(pair["token_type"], "Bearer");
        assert_eq!(pair["expires_in"], 3600);
        let access = pair["access_token"].as_str().unwrap().to_string();
        let refresh_token = pair["refresh_token"].as_str().unwrap().to_string();
        let me = api(&app, Method::GET, "/me", Some(&access), None).await;
        assert_eq!(me.status(), 200);
        assert_eq!(json_of(me).await["username"], "alice");
        let res = api(
            &app,
            Method::POST,
            "/documents",
            Some(&access),
            Some(json!({"title": "T", "body": "b"})),
        )
        .await;
        assert_eq!(res.status(), 201);

        // Forged or altered tokens are refused: another key, alg none, wrong audience,
        // wrong type, expired.
        let key = motto::server::services::tokens::signing_key(&app.state.settings);
        let now = chrono::Utc::now().timestamp();
        let iss = app.state.settings.public_origin();
        let base = json!({"sub": "1", "aud": "motto-api", "iss": iss, "iat": now, "exp": now + 600, "typ": "access", "epoch": 0, "jti": "x"});
        let good = forge(&app, base.clone(), jsonwebtoken::Algorithm::HS256, &key);
        assert_eq!(
            api(&app, Method::GET, "/me", Some(&good), None)
                .await
                .status(),
            200,
            "a token made with the real key works"
        );
        let mut c = base.clone();
        c["aud"] = json!("someone-else");
        assert_eq!(
            api(
                &app,
                Method::GET,
                "/me",
                Some(&forge(&app, c, jsonwebtoken::Algorithm::HS256, &key)),
                None
            )
            .await
            .status(),
            401
        );
        let mut c = base.clone();
        c["typ"] = json!("refresh");
        assert_eq!(
            api(
                &app,
                Method::GET,
                "/me",
                Some(&forge(&app, c, jsonwebtoken::Algorithm::HS256, &key)),
                None
            )
            .await
            .status(),
            401
        );
        let mut c = base.clone();
        c["exp"] = json!(now - 120);
        assert_eq!(
            api(
                &app,
                Method::GET,
                "/me",
                Some(&forge(&app, c, jsonwebtoken::Algorithm::HS256, &key)),
                None
            )
            .await
            .status(),
            401
        );
        let other = forge(
            &app,
            base.clone(),
            jsonwebtoken::Algorithm::HS256,
            b"not the key at all, not at all!!",
        );
        assert_eq!(
            api(&app, Method::GET, "/me", Some(&other), None)
                .await
                .status(),
            401
        );
        let hs512 = forge(&app, base.clone(), jsonwebtoken::Algorithm::HS512, &key);
        assert_eq!(
            api(&app, Method::GET, "/me", Some(&hs512), None)
                .await
                .status(),
            401,
            "algorithm pinned"
        );
        let parts: Vec<&str> = good.split('.').collect();
        let none = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{}.", parts[1]);
        assert_eq!(
            api(&app, Method::GET, "/me", Some(&none), None)
                .await
                .status(),
            401
        );

        // Refresh rotates; the old refresh token is spent.
        let res = refresh(&app, &refresh_token).await;
        assert_eq!(res.status(), 200);
        let second = json_of(res).await;
        let refresh2 = second["refresh_token"].as_str().unwrap().to_string();
        assert_ne!(refresh2, refresh_token);
        // Reusing the spent one revokes the whole family, including the new one.
        assert_eq!(refresh(&app, &refresh_token).await.status(), 401);
        assert_eq!(refresh(&app, &refresh2).await.status(), 401);
        assert!(app
            .audit_actions()
            .await
            .contains(&"auth.token.reuse".to_string()));

        // Revoke ends a family.
        let pair = json_of(tokens(&app, "alice").await).await;
        let r = pair["refresh_token"].as_str().unwrap();
        let res = reqwest::Client::new()
            .post(format!("{}/api/v1/auth/revoke", app.url))
            .json(&json!({ "refresh_token": r }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 204);
        assert_eq!(refresh(&app, r).await.status(), 401);
    }
);

db_test!(a_disabled_users_tokens_fail, |backend| {
    let app = TestApp::spawn(backend).await;
    user(&app, "alice").await;
    let pair = json_of(tokens(&app, "alice").await).await;
    let access = pair["access_token"].as_str().unwrap().to_string();
    let refresh_token = pair["refresh_token"].as_str().unwrap().to_string();
    app.db
        .raw_execute("UPDATE users SET disabled = TRUE, session_epoch = session_epoch + 1 WHERE username_key = 'alice'")
        .await;
    assert_eq!(
        api(&app, Method::GET, "/me", Some(&access), None)
            .await
            .status(),
        401
    );
    assert_eq!(refresh(&app, &refresh_token).await.status(), 401);
    // No token in the clear at rest.
    let stored: Vec<String> = motto::on_pool!(&app.state.db, pool => {
        sqlx::query_scalar("SELECT token_hash FROM refresh_tokens").fetch_all(pool).await.unwrap()
    });
    assert!(stored
        .iter()
        .all(|h| h.len() == 64 && !refresh_token.contains(h.as_str())));
});

db_test!(
    asvs_9_2_3_tokens_for_another_audience_or_of_another_type_are_refused,
    |backend| {
        let app = TestApp::spawn(backend).await;
        user(&app, "alice").await;
        let key = motto::server::services::tokens::signing_key(&app.state.settings);
        let now = chrono::Utc::now().timestamp();
        let iss = app.state.settings.public_origin();
        let claims = |aud: &str, typ: &str| json!({"sub": "1", "aud": aud, "iss": iss, "iat": now, "exp": now + 600, "typ": typ, "epoch": 0, "jti": "y"});
        let ok = forge(
            &app,
            claims("motto-api", "access"),
            jsonwebtoken::Algorithm::HS256,
            &key,
        );
        assert_eq!(
            api(&app, Method::GET, "/me", Some(&ok), None)
                .await
                .status(),
            200
        );
        for (aud, typ) in [
            ("another-service", "access"),
            ("motto-api", "refresh"),
            ("motto-api", "id"),
        ] {
            let t = forge(&app, claims(aud, typ), jsonwebtoken::Algorithm::HS256, &key);
            assert_eq!(
                api(&app, Method::GET, "/me", Some(&t), None).await.status(),
                401,
                "{aud} {typ}"
            );
        }
    }
);

db_test!(
    asvs_14_2_1_credentials_in_the_url_are_not_accepted,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let alice = user(&app, "alice").await;
        let (k, _) = key(&app, &alice, "url", &["documents:read"]).await;
        let access = json_of(tokens(&app, "alice").await).await["access_token"]
            .as_str()
            .unwrap()
            .to_string();
        for q in [
            format!("api_key={k}"),
            format!("access_token={access}"),
            format!("token={k}"),
        ] {
            let res = reqwest::get(format!("{}/api/v1/me?{q}", app.url))
                .await
                .unwrap();
            assert_eq!(res.status(), 401, "{q}");
        }
        // The same credentials in the header work.
        assert_eq!(
            api(&app, Method::GET, "/me", Some(&k), None).await.status(),
            200
        );
        assert_eq!(
            api(&app, Method::GET, "/me", Some(&access), None)
                .await
                .status(),
            200
        );
    }
);

db_test!(
    asvs_7_3_2_rotating_refresh_tokens_does_not_make_a_login_last_for_ever,
    |backend| {
        let app = TestApp::on(backend)
            .vars(&[("REFRESH_TOKEN_MAX_DAYS", "2")])
            .spawn()
            .await;
        user(&app, "alice").await;
        let pair = json_of(tokens(&app, "alice").await).await;
        // Never beyond the family's end, even though a token alone lasts 7 days.
        let lasts = pair["refresh_expires_in"].as_i64().unwrap();
        assert!(lasts <= 2 * 86_400 && lasts > 2 * 86_400 - 60, "{lasts}");
        let next = json_of(refresh(&app, pair["refresh_token"].as_str().unwrap()).await).await;
        let token = next["refresh_token"].as_str().unwrap().to_string();
        // Two days later (the family's login moved back), rotation ends.
        let sql = "UPDATE refresh_tokens SET created_at = $1";
        let long_ago = chrono::Utc::now() - chrono::Duration::days(3);
        motto::on_pool!(&app.state.db, pool => {
            sqlx::query(sql).bind(long_ago).execute(pool).await.unwrap();
        });
        assert_eq!(refresh(&app, &token).await.status(), 401);
        assert!(app
            .audit_actions()
            .await
            .contains(&"auth.token.refresh_refused".to_string()));
        app.stop().await;
    }
);

db_test!(refresh_follows_a_newly_required_second_factor, |backend| {
    let app = TestApp::spawn(backend).await;
    user(&app, "bob").await;
    let pair = json_of(tokens(&app, "bob").await).await;
    // An administrator now requires two-factor authentication for everyone.
    let (admin, _) = crate::admin::admin(&app, "root").await;
    let res = app
        .call(
            &admin,
            "admin/settings/two_factor/set",
            &[("required_for", "everyone")],
        )
        .await;
    assert_eq!(res.status(), 200);
    // Bob has not set it up: no new tokens by rotation, and the family ends.
    let res = refresh(&app, pair["refresh_token"].as_str().unwrap()).await;
    assert_eq!(res.status(), 422);
    let spent_family = "SELECT COUNT(*) FROM refresh_tokens WHERE revoked_at IS NULL";
    let live: i64 = motto::on_pool!(&app.state.db, pool => {
        sqlx::query_scalar(spent_family).fetch_one(pool).await.unwrap()
    });
    assert_eq!(live, 0);
    app.stop().await;
});

// Found by schemathesis: a login name with a NUL character reached PostgreSQL,
// which cannot hold NUL in text, and the token endpoint answered 500.
db_test!(
    a_login_name_with_nul_is_refused_like_any_wrong_login,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let _alice = user(&app, "alice").await;
        let res = app
            .client
            .post(format!("{}/api/v1/auth/token", app.url))
            .json(&json!({ "username": "ali\u{0}ce", "password": GOOD_PASSWORD }))
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let body = res.text().await.unwrap();
        assert_eq!(status, 422, "{body}");
        assert!(
            body.contains("Wrong username, email or password."),
            "{body}"
        );
        let res = app
            .login_with(&app.new_client(), "ali\u{0}ce", GOOD_PASSWORD)
            .await;
        let status = res.status().as_u16();
        let body = res.text().await.unwrap();
        assert_eq!(status, 422, "{body}");
        app.stop().await;
    }
);
