//! Fault tests: a server killed with SIGKILL in the middle of SQLite writes starts
//! again with an intact database and audit chain, and keeps every write it
//! acknowledged.

use crate::helpers::{access_token, serve_process, GOOD_PASSWORD};
use std::sync::{
    atomic::{AtomicBool, Ordering},
    Arc, Mutex,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_sqlite_writes_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/motto.db", dir.path().display());
    let port = crate::helpers::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = serve_process(dir.path(), &url, port, &[("RATE_LIMIT_API", "off")]).await;
    let client = reqwest::Client::new();
    let form = [
        ("username", "alice"),
        ("email", "alice@example.com"),
        ("password", GOOD_PASSWORD),
        ("password_confirm", GOOD_PASSWORD),
    ];
    assert_eq!(
        client
            .post(format!("{base}/api/register"))
            .form(&form)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let token = access_token(&base, "alice").await;
    // Four writers; every document the server acknowledged (201) is remembered.
    let acknowledged: Arc<Mutex<Vec<i64>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..4 {
        let (acknowledged, stop, base, token) = (
            acknowledged.clone(),
            stop.clone(),
            base.clone(),
            token.clone(),
        );
        writers.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let res = client
                    .post(format!("{base}/api/v1/documents"))
                    .bearer_auth(&token)
                    .json(&serde_json::json!({"title": format!("w{w} n{n}"), "body": "x".repeat(2000)}))
                    .send()
                    .await;
                match res {
                    Ok(r) if r.status() == 201 => {
                        let id = r.json::<serde_json::Value>().await.ok().and_then(|v| v["id"].as_i64());
                        if let Some(id) = id {
                            acknowledged.lock().unwrap().push(id);
                        }
                    }
                    // The connection died with the server: not acknowledged.
                    _ => break,
                }
            }
        }));
    }
    while acknowledged.lock().unwrap().len() < 40 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    server.kill().unwrap(); // SIGKILL: no shutdown, no checkpoint
    server.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();

    // It starts again, the database is intact, and every acknowledged write is there.
    let mut server = serve_process(dir.path(), &url, port, &[("RATE_LIMIT_API", "off")]).await;
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(integrity, "ok");
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM documents")
        .fetch_all(&pool)
        .await
        .unwrap();
    let missing: Vec<&i64> = acknowledged.iter().filter(|id| !ids.contains(id)).collect();
    assert!(missing.is_empty(), "acknowledged but lost: {missing:?}");
    let created: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'document.create'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        created,
        ids.len() as i64,
        "one audit event per stored document"
    );
    let report = motto::server::db::audit::verify(&motto::server::db::Db::Sqlite(pool.clone()))
        .await
        .unwrap();
    assert!(report.is_intact(), "the audit chain breaks after the crash");
    pool.close().await;
    server.kill().unwrap();
    server.wait().unwrap();
}
