//! Security hardening: headers, CSRF, CORS, rate limits, throttling, errors.

use crate::db_test;
use crate::helpers::{TestApp, GOOD_PASSWORD};
use axum::routing::get;

fn header(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
}

fn nonce_of(csp: &str) -> String {
    csp.split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce in the CSP")
        .to_string()
}

db_test!(
    asvs_3_4_3_security_headers_with_a_fresh_nonce_per_response,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let a = app.get("/").await;
        let b = app.get("/").await;
        for res in [&a, &b] {
            let csp = header(res, "content-security-policy").expect("CSP");
            assert!(!csp.contains("unsafe-inline"), "{csp}");
            assert!(csp.contains("object-src 'none'"));
            assert!(csp.contains("base-uri 'none'"));
            // asvs_3_4_6: no framing.
            assert!(csp.contains("frame-ancestors 'none'"));
            assert!(header(res, "permissions-policy")
                .unwrap()
                .contains("camera=()"));
            // Plain http: no HSTS.
            assert_eq!(header(res, "strict-transport-security"), None);
        }
        let (na, nb) = (
            nonce_of(&header(&a, "content-security-policy").unwrap()),
            nonce_of(&header(&b, "content-security-policy").unwrap()),
        );
        assert_ne!(na, nb, "nonce reused");
        // The page's scripts carry the header's nonce.
        let html = a.text().await.unwrap();
        assert!(html.contains(&format!("nonce=\"{na}\"")), "{html}");
        // Every response, not only pages.
        let health = app.get("/health").await;
        assert!(header(&health, "content-security-policy").is_some());
        assert!(header(&health, "x-content-type-options").is_some());
        app.stop().await;
    }
);

db_test!(asvs_3_4_1_hsts_when_served_over_https, |backend| {
    let app = TestApp::on(backend)
        .vars(&[("PUBLIC_URL", "https://motto.example.com")])
        .spawn()
        .await;
    let res = app.get("/health").await;
    assert_eq!(
        header(&res, "strict-transport-security").as_deref(),
        Some("max-age=31536000; includeSubDomains")
    );
    app.stop().await;
});

async fn post_login(app: &TestApp, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut req = app
        .new_client()
        .post(format!("{}/api/login", app.url))
        .form(&[("login", "nobody"), ("password", "whatever password")]);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

db_test!(
    asvs_3_5_1_cross_site_posts_are_refused_and_audited,
    |backend| {
        let app = TestApp::spawn(backend).await;
        // By Sec-Fetch-Site.
        let res = post_login(
            &app,
            &[
                ("sec-fetch-site", "cross-site"),
                ("origin", "https://evil.example"),
            ],
        )
        .await;
        assert_eq!(res.status(), 403);
        // By Origin alone (older browsers).
        let res = post_login(&app, &[("origin", "https://evil.example")]).await;
        assert_eq!(res.status(), 403);
        let res = post_login(&app, &[("origin", "null")]).await;
        assert_eq!(res.status(), 403);
        // A plain form post to a page route is covered by the same layer.
        let res = app
            .new_client()
            .post(format!("{}/account", app.url))
            .header("sec-fetch-site", "cross-site")
            .form(&[("x", "y")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403);
        let actions = app.audit_actions().await;
        assert!(
            actions.iter().any(|a| a == "authz.csrf_rejected"),
            "{actions:?}"
        );
        app.stop().await;
    }
);

db_test!(
    asvs_3_5_2_same_origin_and_non_browser_posts_pass,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let own_origin = app.url.clone();
        for headers in [
            vec![
                ("sec-fetch-site", "same-origin"),
                ("origin", own_origin.as_str()),
            ],
            vec![("origin", own_origin.as_str())],
            vec![],
        ] {
            let res = post_login(&app, &headers).await;
            // Reaches the login check: wrong credentials, not a CSRF refusal.
            assert_eq!(res.status(), 422, "{headers:?}");
        }
        app.stop().await;
    }
);

db_test!(
    asvs_3_5_1_cors_origins_do_not_open_cookie_routes_to_cross_site_posts,
    |backend| {
        // An origin allowed to call the bearer-only REST API is not trusted with
        // the person's cookies: a page there must not log them out or act as them.
        let app = TestApp::on(backend)
            .vars(&[("CORS_ORIGINS", "https://app.example.com")])
            .spawn()
            .await;
        app.register("hana", "hana@example.com", GOOD_PASSWORD)
            .await;
        for path in ["/api/logout", "/api/documents/create"] {
            let res = app
                .client
                .post(format!("{}{path}", app.url))
                .header("origin", "https://app.example.com")
                .header("sec-fetch-site", "cross-site")
                .form(&[("title", "planted"), ("body", "x")])
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 403, "POST {path}");
        }
        assert_eq!(app.get("/account").await.status(), 200, "still signed in");
        assert_eq!(app.count("documents").await, 0);
        // The REST API, which reads only the Authorization header, is open to it.
        let res = app
            .new_client()
            .post(format!("{}/api/v1/documents", app.url))
            .header("origin", "https://app.example.com")
            .header("sec-fetch-site", "cross-site")
            .bearer_auth("motto_not_a_real_key")
            .json(&serde_json::json!({"title": "t", "body": "b"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401, "reached the API's own authentication");
        app.stop().await;
    }
);

db_test!(asvs_3_5_3_no_state_change_on_get, |backend| {
    let app = TestApp::spawn(backend).await;
    app.register("gail", "gail@example.com", GOOD_PASSWORD)
        .await;
    for path in ["/api/logout", "/api/register", "/api/login"] {
        let res = app.get(path).await;
        assert_ne!(res.status(), 200, "GET {path} was accepted");
    }
    // Still signed in: the GET to logout did nothing.
    assert_eq!(app.get("/account").await.status(), 200);
    app.stop().await;
});

db_test!(asvs_3_4_2_cors_only_for_listed_origins, |backend| {
    let app = TestApp::on(backend)
        .vars(&[("CORS_ORIGINS", "https://app.example.com")])
        .spawn()
        .await;
    let preflight = |origin: &'static str| {
        let app = &app;
        async move {
            app.client
                .request(reqwest::Method::OPTIONS, format!("{}/api/v1/me", app.url))
                .header("origin", origin)
                .header("access-control-request-method", "GET")
                .send()
                .await
                .unwrap()
        }
    };
    let ok = preflight("https://app.example.com").await;
    assert_eq!(
        header(&ok, "access-control-allow-origin").as_deref(),
        Some("https://app.example.com")
    );
    let evil = preflight("https://evil.example").await;
    assert_eq!(header(&evil, "access-control-allow-origin"), None);
    let null = preflight("null").await;
    assert_eq!(header(&null, "access-control-allow-origin"), None);
    app.stop().await;

    // Without CORS_ORIGINS nobody gets CORS headers.
    let app = TestApp::spawn(backend).await;
    let res = app
        .client
        .get(format!("{}/health", app.url))
        .header("origin", "https://app.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(header(&res, "access-control-allow-origin"), None);
    app.stop().await;
});

db_test!(
    asvs_2_4_1_rate_limit_answers_429_with_retry_after,
    |backend| {
        let app = TestApp::on(backend)
            .vars(&[("RATE_LIMIT_LOGIN", "3/min")])
            .spawn()
            .await;
        for _ in 0..3 {
            assert_eq!(post_login(&app, &[]).await.status(), 422);
        }
        for _ in 0..3 {
            let res = post_login(&app, &[]).await;
            assert_eq!(res.status(), 429);
            let retry: u64 = header(&res, "retry-after").unwrap().parse().unwrap();
            assert!((1..=60).contains(&retry), "{retry}");
        }
        // A different endpoint class is not affected.
        assert_eq!(app.get("/health").await.status(), 200);
        // Hits are audited, once per key per minute.
        let hits = app
            .audit_actions()
            .await
            .into_iter()
            .filter(|a| a == "security.rate_limited")
            .count();
        assert_eq!(hits, 1);
        app.stop().await;
    }
);

db_test!(
    asvs_2_4_1_forwarded_for_only_from_trusted_proxies,
    |backend| {
        // Untrusted peer: X-Forwarded-For is ignored, so changing it does not help.
        let app = TestApp::on(backend)
            .vars(&[("RATE_LIMIT_LOGIN", "2/min")])
            .spawn()
            .await;
        for i in 0..2 {
            let xff = format!("198.51.100.{i}");
            assert_eq!(
                post_login(&app, &[("x-forwarded-for", &xff)])
                    .await
                    .status(),
                422
            );
        }
        let res = post_login(&app, &[("x-forwarded-for", "198.51.100.99")]).await;
        assert_eq!(res.status(), 429);
        app.stop().await;

        // Trusted peer: each forwarded client has its own budget, and audit shows it.
        let app = TestApp::on(backend)
            .vars(&[
                ("RATE_LIMIT_LOGIN", "2/min"),
                ("TRUSTED_PROXIES", "127.0.0.1"),
            ])
            .spawn()
            .await;
        for i in 0..4 {
            let xff = format!("198.51.100.{i}");
            assert_eq!(
                post_login(&app, &[("x-forwarded-for", &xff)])
                    .await
                    .status(),
                422
            );
        }
        let ips: Vec<Option<String>> = motto::on_pool!(&app.state.db, pool => {
            sqlx::query_scalar("SELECT source_ip FROM audit_events WHERE action = 'auth.login.failure' ORDER BY id")
                .fetch_all(pool)
                .await
                .unwrap()
        });
        assert_eq!(ips[0].as_deref(), Some("198.51.100.0"));
        app.stop().await;
    }
);

db_test!(
    asvs_6_3_1_login_throttling_slows_the_attacker_not_the_owner,
    |backend| {
        let app = TestApp::on(backend)
            .vars(&[
                ("RATE_LIMIT_LOGIN", "off"),
                ("TRUSTED_PROXIES", "127.0.0.1"),
                ("LOGIN_THROTTLE_FREE_ATTEMPTS", "3"),
            ])
            .spawn()
            .await;
        app.register("hank", "hank@example.com", GOOD_PASSWORD)
            .await;
        let attempt = |xff: &'static str, password: &'static str| {
            let app = &app;
            async move {
                app.new_client()
                    .post(format!("{}/api/login", app.url))
                    .header("x-forwarded-for", xff)
                    .form(&[("login", "hank"), ("password", password)])
                    .send()
                    .await
                    .unwrap()
            }
        };
        for _ in 0..3 {
            assert_eq!(
                attempt("203.0.113.66", "not the password at all")
                    .await
                    .status(),
                422
            );
        }
        // The attacker's source now waits, even with the right password.
        let res = attempt("203.0.113.66", GOOD_PASSWORD).await;
        assert_eq!(res.status(), 429);
        assert!(header(&res, "retry-after").is_some());
        // asvs_6_1_1: the owner, elsewhere, is not locked out.
        assert_eq!(attempt("192.0.2.10", GOOD_PASSWORD).await.status(), 200);
        app.stop().await;
    }
);

async fn boom() -> &'static str {
    panic!("secret detail that must not leak")
}

async fn slow() -> &'static str {
    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    "late"
}

db_test!(
    asvs_16_5_1_a_panic_gives_a_generic_500_with_the_request_id,
    |backend| {
        let app = TestApp::on(backend)
            .vars(&[])
            .routes(axum::Router::new().route("/boom", get(boom)))
            .spawn()
            .await;
        let res = app.get("/boom").await;
        assert_eq!(res.status(), 500);
        let request_id = header(&res, "x-request-id").unwrap();
        let body = res.text().await.unwrap();
        assert!(body.contains(&request_id), "{body}");
        assert!(!body.contains("secret detail"), "{body}");
        // The server is still there.
        assert_eq!(app.get("/health").await.status(), 200);
        app.stop().await;
    }
);

db_test!(slow_requests_time_out_with_503, |backend| {
    let app = TestApp::on(backend)
        .vars(&[("REQUEST_TIMEOUT_SECS", "1")])
        .routes(axum::Router::new().route("/slow", get(slow)))
        .spawn()
        .await;
    let res = app.get("/slow").await;
    assert_eq!(res.status(), 503);
    app.stop().await;
});

db_test!(asvs_3_4_4_nosniff_on_every_response, |backend| {
    let app = TestApp::spawn(backend).await;
    for path in ["/", "/health", "/pkg/missing.js", "/no/such/page"] {
        let res = app.get(path).await;
        assert_eq!(
            header(&res, "x-content-type-options").as_deref(),
            Some("nosniff"),
            "{path}"
        );
    }
    app.stop().await;
});

db_test!(asvs_3_4_5_referrer_policy_is_same_origin, |backend| {
    let app = TestApp::spawn(backend).await;
    for path in ["/", "/health", "/login"] {
        let res = app.get(path).await;
        assert_eq!(
            header(&res, "referrer-policy").as_deref(),
            Some("same-origin"),
            "{path}"
        );
    }
    app.stop().await;
});
