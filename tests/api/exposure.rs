//! Exposure and trust: what a stranger on the network (or a web page they control,
//! through DNS rebinding) can reach.

use crate::db_test;
use crate::helpers::{json, signed_up, TestApp};

/// A server function call with a chosen `Host` header.
async fn get_with_host(app: &TestApp, path: &str, host: &str) -> reqwest::Response {
    app.new_client()
        .get(format!("{}{path}", app.url))
        .header("host", host)
        .send()
        .await
        .unwrap()
}

db_test!(requests_for_another_host_name_are_refused, |backend| {
    // DNS rebinding: a page on evil.example re-points its name at 127.0.0.1 and
    // then talks to a loopback Motto as "evil.example".
    let app = TestApp::spawn(backend).await;
    let port = app.url.rsplit(':').next().unwrap().to_string();
    let res = get_with_host(&app, "/", &format!("evil.example:{port}")).await;
    assert_eq!(res.status(), 400);
    let res = get_with_host(&app, "/health", "evil.example").await;
    assert_eq!(res.status(), 400);
    // The names of this server pass: PUBLIC_URL's host, and loopback names for a
    // server on loopback.
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
    ] {
        assert_eq!(
            get_with_host(&app, "/", &host).await.status(),
            200,
            "{host}"
        );
    }
    app.stop().await;

    // ALLOWED_HOSTS adds names (a second name behind a proxy, an internal name).
    let app = TestApp::on(backend)
        .vars(&[("ALLOWED_HOSTS", "motto.internal, wiki.example.com")])
        .spawn()
        .await;
    assert_eq!(
        get_with_host(&app, "/", "motto.internal").await.status(),
        200
    );
    assert_eq!(
        get_with_host(&app, "/", "WIKI.example.com:443")
            .await
            .status(),
        200
    );
    assert_eq!(get_with_host(&app, "/", "evil.example").await.status(), 400);
    app.stop().await;
});

db_test!(the_development_outbox_is_for_this_machine_only, |backend| {
    // Loopback server, loopback client: the developer at their machine.
    let app = TestApp::spawn(backend).await;
    let res = app.call(&app.client, "dev/outbox", &[]).await;
    assert_eq!(res.status(), 200);
    app.stop().await;

    // Anyone else (here: a client behind a trusted proxy) gets 404, anonymous or not.
    let app = TestApp::on(backend)
        .vars(&[("TRUSTED_PROXIES", "127.0.0.1")])
        .spawn()
        .await;
    let remote = |client: reqwest::Client| {
        let url = format!("{}/api/dev/outbox", app.url);
        async move {
            client
                .post(url)
                .header("x-forwarded-for", "203.0.113.9")
                .header("content-type", "application/x-www-form-urlencoded")
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(remote(app.new_client()).await.status(), 404);
    let stranger = signed_up(&app, "stranger").await;
    assert_eq!(remote(stranger).await.status(), 404);
    app.stop().await;

    // A server listening on every interface serves it to nobody but administrators,
    // not even to a loopback client.
    let app = TestApp::on(backend)
        .vars(&[("LISTEN_ADDR", "0.0.0.0:3999")])
        .spawn()
        .await;
    let port = app.url.rsplit(':').next().unwrap().to_string();
    let host = format!("localhost:{port}");
    let res = app
        .new_client()
        .post(format!("{}/api/dev/outbox", app.url))
        .header("host", &host)
        .header("content-type", "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    app.stop().await;
});

db_test!(administrators_can_read_the_development_outbox, |backend| {
    let app = TestApp::on(backend)
        .vars(&[("TRUSTED_PROXIES", "127.0.0.1")])
        .spawn()
        .await;
    let (admin, _) = crate::admin::admin(&app, "ada").await;
    let res = admin
        .post(format!("{}/api/dev/outbox", app.url))
        .header("x-forwarded-for", "203.0.113.9")
        .header("content-type", "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(json(res).await.is_array());
    app.stop().await;
});

db_test!(
    asvs_2_4_1_every_forwarded_for_header_counts_not_only_the_first,
    |backend| {
        // The client sends its own X-Forwarded-For; the proxy adds a header of its
        // own instead of appending. The client is the last untrusted hop.
        let app = TestApp::on(backend)
            .vars(&[("TRUSTED_PROXIES", "127.0.0.1")])
            .spawn()
            .await;
        let res = app
            .new_client()
            .post(format!("{}/api/login", app.url))
            .header("x-forwarded-for", "198.51.100.7")
            .header("x-forwarded-for", "203.0.113.9")
            .form(&[("login", "nobody"), ("password", "wrong password entirely")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422);
        let sql = "SELECT source_ip FROM audit_events WHERE action = 'auth.login.failure'";
        let ip: Option<String> = motto::on_pool!(&app.state.db, pool => {
            sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
        });
        assert_eq!(ip.as_deref(), Some("203.0.113.9"));
        app.stop().await;
    }
);
