use crate::db_test;
use crate::helpers::TestApp;

db_test!(health_answers_ok, |backend| {
    let app = TestApp::spawn(backend).await;
    let res = app.get("/health").await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    app.stop().await;
});

db_test!(
    ready_answers_200_then_503_when_the_database_is_gone,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let res = app.get("/ready").await;
        assert_eq!(res.status(), 200);
        assert_eq!(
            res.json::<serde_json::Value>().await.unwrap()["database"],
            "ok"
        );

        app.db.destroy(&app.state.db).await;

        let res = app.get("/ready").await;
        assert_eq!(res.status(), 503);
        assert_eq!(
            res.json::<serde_json::Value>().await.unwrap()["status"],
            "unavailable"
        );
        // Liveness does not depend on the database.
        assert_eq!(app.get("/health").await.status(), 200);
        app.stop().await;
    }
);

fn request_id(res: &reqwest::Response) -> String {
    res.headers()
        .get("x-request-id")
        .expect("x-request-id header")
        .to_str()
        .unwrap()
        .to_string()
}

db_test!(every_response_carries_a_fresh_request_id, |backend| {
    let app = TestApp::spawn(backend).await;
    let mut seen = std::collections::HashSet::new();
    for path in ["/health", "/ready", "/", "/no/such/page", "/pkg/missing.js"] {
        let res = app.get(path).await;
        let id = request_id(&res);
        assert_eq!(id.len(), 32, "{path}: {id}");
        assert!(id.chars().all(|c| c.is_ascii_hexdigit()), "{path}: {id}");
        assert!(seen.insert(id), "{path}: request id repeated");
    }
    // A client cannot choose its own id (it would forge log correlation).
    let res = app
        .client
        .get(format!("{}/health", app.url))
        .header("x-request-id", "attacker-chosen")
        .send()
        .await
        .unwrap();
    assert_ne!(request_id(&res), "attacker-chosen");
    app.stop().await;
});

db_test!(
    server_stops_accepting_connections_after_shutdown,
    |backend| {
        let app = TestApp::spawn(backend).await;
        // After shutdown the listener is closed and the serve task has returned.
        assert_eq!(app.get("/health").await.status(), 200);
        let url = app.url.clone();
        app.stop().await;
        let after = reqwest::Client::new()
            .get(format!("{url}/health"))
            .send()
            .await;
        assert!(after.is_err(), "server still answering after shutdown");
    }
);

async fn slow_ok() -> &'static str {
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    "finished"
}

db_test!(in_flight_requests_finish_after_shutdown_starts, |backend| {
    let app = crate::helpers::TestApp::on(backend)
        .vars(&[])
        .routes(axum::Router::new().route("/slow", axum::routing::get(slow_ok)))
        .spawn()
        .await;
    let url = format!("{}/slow", app.url);
    let in_flight = tokio::spawn(async move { reqwest::get(url).await });
    // Let the request reach the handler, then ask the server to stop.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    app.stop().await;
    let res = in_flight
        .await
        .unwrap()
        .expect("in-flight request completed");
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "finished");
});

db_test!(metrics_are_served_to_the_token_holder_only, |backend| {
    const TOKEN: &str = "metrics-5c0e7a1f9b3d8e2a6c4f0b9d7e5a3c1f";
    let app = TestApp::on(backend)
        .vars(&[("METRICS_TOKEN", TOKEN), ("RATE_LIMIT_API", "1/min")])
        .spawn()
        .await;
    let scrape = |token: Option<&'static str>| {
        let url = format!("{}/metrics", app.url);
        async move {
            let mut req = reqwest::Client::new().get(url);
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            req.send().await.unwrap()
        }
    };
    assert_eq!(scrape(None).await.status(), 401);
    assert_eq!(
        scrape(Some("metrics-wrong-wrong-wrong-wrong-wrong-wr"))
            .await
            .status(),
        401
    );
    // Some traffic: pages, a failed login, a rate-limited API call.
    for _ in 0..3 {
        assert_eq!(app.get("/health").await.status(), 200);
    }
    assert_eq!(app.get("/documents/12345").await.status(), 303);
    app.login("nobody", "wrong password entirely").await;
    for _ in 0..2 {
        reqwest::Client::new()
            .get(format!("{}/api/v1/me", app.url))
            .bearer_auth("motto_x")
            .send()
            .await
            .unwrap();
    }
    let res = scrape(Some(TOKEN)).await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let text = res.text().await.unwrap();
    assert!(
        text.contains("http_requests_total{method=\"GET\",route=\"/health\",status=\"200\"} 3"),
        "{text}"
    );
    // Routes are templates, not raw paths.
    assert!(text.contains("route=\"/documents/{id}\""), "{text}");
    assert!(!text.contains("12345"), "{text}");
    assert!(
        text.contains(
            "http_request_duration_seconds_bucket{method=\"GET\",route=\"/health\",le=\"+Inf\"} 3"
        ),
        "{text}"
    );
    assert!(text.contains("login_failures_total 1"), "{text}");
    assert!(
        text.contains("rate_limited_total{class=\"api\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("db_pool_connections{state=\"idle\"}"),
        "{text}"
    );
});

db_test!(metrics_are_off_without_a_token, |backend| {
    let app = TestApp::spawn(backend).await;
    assert_eq!(app.get("/metrics").await.status(), 404);
});
