//! Error reporting: with `SENTRY_DSN`, an internal error reaches Sentry with its
//! request id and nothing secret. Sentry is an outside service, so a stand-in
//! speaks its ingestion protocol (envelopes over HTTP) on loopback.

use crate::helpers::{
    access_token, free_port, postgres_admin_url, serve_process, Backend, TestDb, GOOD_PASSWORD,
};
use axum::{body::Bytes, extract::State, routing::post, Router};
use std::sync::{Arc, Mutex};

type Received = Arc<Mutex<Vec<(String, String, Vec<u8>)>>>;

/// Sentry's envelope endpoint: `POST /api/{project}/envelope/`.
async fn sentry_sink() -> (String, Received) {
    let received: Received = Arc::default();
    async fn envelope(
        State(received): State<Received>,
        axum::extract::Path(project): axum::extract::Path<String>,
        headers: axum::http::HeaderMap,
        body: Bytes,
    ) -> &'static str {
        let auth = headers
            .get("x-sentry-auth")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        received
            .lock()
            .unwrap()
            .push((project, auth, body.to_vec()));
        "{}"
    }
    let app = Router::new()
        .route("/api/{project}/envelope/", post(envelope))
        .with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://publickey@{addr}/42"), received)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn internal_errors_are_reported_to_sentry_without_secrets() {
    if postgres_admin_url().is_none() {
        eprintln!("TEST_DATABASE_URL is not set: Sentry test skipped");
        return;
    }
    let (dsn, received) = sentry_sink().await;
    let db = TestDb::new(Backend::Postgres).await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let server = serve_process(
        db.dir.path(),
        &db.url,
        port,
        &[("SENTRY_DSN", &dsn), ("RATE_LIMIT_API", "off")],
    )
    .await;
    struct Killed(std::process::Child);
    impl Drop for Killed {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _server = Killed(server);
    let res = reqwest::Client::new()
        .post(format!("{base}/api/register"))
        .form(&[
            ("username", "alice"),
            ("email", "alice@example.com"),
            ("password", GOOD_PASSWORD),
            ("password_confirm", GOOD_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let token = access_token(&base, "alice").await;
    assert!(
        received.lock().unwrap().is_empty(),
        "nothing is reported while all is well"
    );

    // The database disappears under the running server.
    db.destroy(&motto::server::db::Db::from_pool(
        motto::server::db::Pool::Postgres(sqlx::PgPool::connect_lazy(&db.url).unwrap()),
        motto::server::crypto::AuditKeys::unchecked(),
    ))
    .await;
    let res = reqwest::Client::new()
        .post(format!("{base}/api/v1/documents"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"title": "t", "body": "b"}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_server_error(), "{}", res.status());
    let body: serde_json::Value = res.json().await.unwrap();
    let request_id = body["error"]["request_id"].as_str().unwrap().to_string();

    let mut reported = None;
    for _ in 0..100 {
        let events = received.lock().unwrap().clone();
        if let Some(e) = events
            .into_iter()
            .find(|(_, _, b)| String::from_utf8_lossy(b).contains(&request_id))
        {
            reported = Some(e);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let (project, auth, body) = reported.expect("the error reached Sentry with its request id");
    assert_eq!(project, "42");
    assert!(auth.contains("sentry_key=publickey"), "{auth}");
    let text = String::from_utf8_lossy(&body);
    // An error event (Sentry's default level, so no "level" field), named after
    // the log line, from our code.
    assert!(text.contains("\"type\":\"event\""), "{text}");
    assert!(text.contains("\"logger\":\"motto::"), "{text}");
    assert!(!text.contains(&token), "the access token was reported");
    assert!(!text.contains(GOOD_PASSWORD), "the password was reported");
}
