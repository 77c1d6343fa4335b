//! Fault tests: a server killed with SIGKILL in the middle of SQLite writes starts
//! again with an intact database and audit chain, and keeps every write it
//! acknowledged.

use crate::db_test;
use crate::helpers::{access_token, serve_process, test_key_db, TestApp, GOOD_PASSWORD};
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
    let report = motto::server::db::audit::verify(&test_key_db(motto::server::db::Pool::Sqlite(
        pool.clone(),
    )))
    .await
    .unwrap();
    assert!(report.is_intact(), "the audit chain breaks after the crash");
    pool.close().await;
    server.kill().unwrap();
    server.wait().unwrap();
}

/// A PostgreSQL cluster of the test's own (Debian's server binaries, a fresh data
/// directory, a free port), so the test can restart it without touching the
/// server other tests use. Stopped and deleted when dropped.
struct OwnPostgres {
    bin: std::path::PathBuf,
    dir: tempfile::TempDir,
    port: u16,
}

impl OwnPostgres {
    fn bin_dir() -> Option<std::path::PathBuf> {
        let mut dirs: Vec<_> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .filter(|p| p.join("initdb").exists())
            .collect();
        dirs.sort();
        dirs.pop()
    }

    fn run(&self, program: &str, args: &[&str]) {
        let root = std::fs::read_to_string("/proc/self/status")
            .unwrap_or_default()
            .lines()
            .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"));
        let exe = self.bin.join(program);
        let mut cmd = if root {
            let mut c = std::process::Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            std::process::Command::new(&exe)
        };
        let out = cmd.args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{program} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn start(&self) {
        let opts = format!(
            "-k {} -p {} -c listen_addresses=127.0.0.1 -c fsync=on",
            self.dir.path().display(),
            self.port
        );
        let log = self.dir.path().join("server.log").display().to_string();
        self.run(
            "pg_ctl",
            &["-D", &self.data(), "-l", &log, "-w", "-o", &opts, "start"],
        );
    }

    fn stop(&self) {
        self.run("pg_ctl", &["-D", &self.data(), "-m", "fast", "-w", "stop"]);
    }

    async fn new() -> Option<OwnPostgres> {
        let bin = Self::bin_dir()?;
        let dir = tempfile::tempdir().unwrap();
        std::process::Command::new("chmod")
            .arg("755")
            .arg(dir.path())
            .status()
            .unwrap();
        let _ = std::process::Command::new("chown")
            .arg("postgres:")
            .arg(dir.path())
            .status();
        let pg = OwnPostgres {
            bin,
            dir,
            port: crate::helpers::free_port(),
        };
        pg.run(
            "initdb",
            &["-D", &pg.data(), "-A", "trust", "-U", "postgres"],
        );
        pg.start();
        let admin = format!("postgres://postgres@127.0.0.1:{}/postgres", pg.port);
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
        sqlx::query("CREATE DATABASE motto")
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
        Some(pg)
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/motto", self.port)
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        let _ = std::process::Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join("pg_ctl"))
            .args(["-D", &self.data(), "-m", "immediate", "-w", "stop"])
            .output();
        let _ = std::process::Command::new(self.bin.join("pg_ctl"))
            .args(["-D", &self.data(), "-m", "immediate", "-w", "stop"])
            .output();
    }
}

/// What a writer saw: documents the server acknowledged (201, with their titles)
/// and the status of every other answer.
#[derive(Default)]
struct Outcomes {
    acknowledged: Vec<(i64, String)>,
    refused: Vec<(u16, serde_json::Value)>,
    dropped: usize,
}

fn spawn_writers(
    base: &str,
    token: &str,
    outcomes: &Arc<Mutex<Outcomes>>,
    stop: &Arc<AtomicBool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..4)
        .map(|w| {
            let (outcomes, stop, base, token) = (
                outcomes.clone(),
                stop.clone(),
                base.to_string(),
                token.to_string(),
            );
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let title = format!("w{w} n{n}");
                    let res = client
                        .post(format!("{base}/api/v1/documents"))
                        .bearer_auth(&token)
                        .json(&serde_json::json!({"title": title, "body": "x".repeat(500)}))
                        .send()
                        .await;
                    match res {
                        Ok(r) if r.status() == 201 => {
                            let v: serde_json::Value = r.json().await.unwrap();
                            let id = v["id"].as_i64().unwrap();
                            outcomes.lock().unwrap().acknowledged.push((id, title));
                        }
                        Ok(r) => {
                            let status = r.status().as_u16();
                            let body = r.json().await.unwrap_or(serde_json::Value::Null);
                            outcomes.lock().unwrap().refused.push((status, body));
                            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                        }
                        Err(_) => outcomes.lock().unwrap().dropped += 1,
                    }
                }
            })
        })
        .collect()
}

async fn register_and_token(base: &str) -> String {
    let form = [
        ("username", "alice"),
        ("email", "alice@example.com"),
        ("password", GOOD_PASSWORD),
        ("password_confirm", GOOD_PASSWORD),
    ];
    let res = reqwest::Client::new()
        .post(format!("{base}/api/register"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    access_token(base, "alice").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_restart_during_writes_gives_clean_503s_and_loses_nothing() {
    let Some(pg) = OwnPostgres::new().await else {
        assert!(
            crate::helpers::postgres_admin_url().is_none(),
            "PostgreSQL's server binaries (Debian package postgresql) are needed for this test"
        );
        eprintln!("no PostgreSQL server binaries: restart test skipped");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let port = crate::helpers::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let server = serve_process(
        dir.path(),
        &pg.url(),
        port,
        &[
            ("RATE_LIMIT_API", "off"),
            ("DATABASE_ACQUIRE_TIMEOUT_SECS", "2"),
        ],
    )
    .await;
    let _server = Killed(server);
    let token = register_and_token(&base).await;

    // Readiness, polled throughout.
    let stop = Arc::new(AtomicBool::new(false));
    let readiness: Arc<Mutex<Vec<u16>>> = Arc::default();
    let poller = {
        let (stop, readiness, base) = (stop.clone(), readiness.clone(), base.clone());
        tokio::spawn(async move {
            let client = reqwest::Client::new();
            while !stop.load(Ordering::Relaxed) {
                if let Ok(r) = client.get(format!("{base}/ready")).send().await {
                    readiness.lock().unwrap().push(r.status().as_u16());
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        })
    };
    let outcomes: Arc<Mutex<Outcomes>> = Arc::default();
    let writers = spawn_writers(&base, &token, &outcomes, &stop);
    let acked = || outcomes.lock().unwrap().acknowledged.len();
    while acked() < 30 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }

    // The restart: down for two seconds, then up again.
    pg.stop();
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let during = acked();
    pg.start();

    // Writes succeed again after it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while acked() < during + 30 {
        assert!(
            std::time::Instant::now() < deadline,
            "writes did not recover after the restart"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.await.unwrap();
    }
    poller.await.unwrap();

    let outcomes = std::mem::take(&mut *outcomes.lock().unwrap());
    let readiness = readiness.lock().unwrap().clone();
    let first_down = readiness.iter().position(|s| *s == 503);
    assert!(first_down.is_some(), "/ready never said 503: {readiness:?}");
    assert!(
        readiness[first_down.unwrap()..].contains(&200),
        "/ready did not come back: {readiness:?}"
    );
    assert!(readiness.iter().all(|s| *s == 200 || *s == 503));
    assert!(!outcomes.refused.is_empty(), "the outage refused nothing");
    for (status, body) in &outcomes.refused {
        assert_eq!(*status, 503, "{body}");
        assert_eq!(body["error"]["code"], "unavailable", "{body}");
    }
    assert_eq!(outcomes.dropped, 0, "connections dropped without an answer");

    // Every acknowledged write is there, once; nothing is there twice.
    let pool = sqlx::PgPool::connect(&pg.url()).await.unwrap();
    let stored: Vec<(i64, String)> = sqlx::query_as("SELECT id, title FROM documents")
        .fetch_all(&pool)
        .await
        .unwrap();
    let titles: std::collections::HashSet<&str> = stored.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(titles.len(), stored.len(), "a write was stored twice");
    let missing: Vec<_> = outcomes
        .acknowledged
        .iter()
        .filter(|a| !stored.contains(a))
        .collect();
    assert!(missing.is_empty(), "acknowledged but lost: {missing:?}");
    let report = motto::server::db::audit::verify(&test_key_db(motto::server::db::Pool::Postgres(
        pool.clone(),
    )))
    .await
    .unwrap();
    assert!(
        report.is_intact(),
        "the audit chain breaks after the restart"
    );
    pool.close().await;
}

/// Kills its server when the test ends, however it ends.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

db_test!(
    sigterm_under_load_lets_in_flight_requests_finish,
    |backend| {
        let db = crate::helpers::TestDb::new(backend).await;
        let port = crate::helpers::free_port();
        let base = format!("http://127.0.0.1:{port}");
        let server = serve_process(
            db.dir.path(),
            &db.url,
            port,
            &[("RATE_LIMIT_API", "off"), ("SHUTDOWN_GRACE_SECS", "20")],
        )
        .await;
        let pid = server.id();
        let mut server = Killed(server);
        let token = register_and_token(&base).await;
        let outcomes: Arc<Mutex<Outcomes>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let writers = spawn_writers(&base, &token, &outcomes, &stop);
        while outcomes.lock().unwrap().acknowledged.len() < 20 {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        // A slow request: its body is still arriving when SIGTERM comes, and for
        // half a second after.
        let (signalled, wait_signal) = tokio::sync::oneshot::channel::<()>();
        let slow = {
            let (base, token) = (base.clone(), token.clone());
            tokio::spawn(async move {
                let head = bytes::Bytes::from_static(br#"{"title": "slow", "body": ""#);
                let tail = bytes::Bytes::from(format!("{}\"}}", "y".repeat(10_000)));
                let body = futures::stream::unfold(0, move |step| {
                    let (head, tail) = (head.clone(), tail.clone());
                    async move {
                        match step {
                            0 => Some((Ok::<_, std::io::Error>(head), 1)),
                            1 => Some((Ok(tail), 2)),
                            _ => None,
                        }
                    }
                });
                let mut wait_signal = Some(wait_signal);
                let body = futures::StreamExt::then(body, move |chunk| {
                    let wait = if matches!(&chunk, Ok(c) if c.len() > 100) {
                        wait_signal.take()
                    } else {
                        None
                    };
                    async move {
                        if let Some(w) = wait {
                            let _ = w.await;
                            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                        }
                        chunk
                    }
                });
                reqwest::Client::new()
                    .post(format!("{base}/api/v1/documents"))
                    .bearer_auth(&token)
                    .header("content-type", "application/json")
                    .body(reqwest::Body::wrap_stream(body))
                    .send()
                    .await
            })
        };
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        signalled.send(()).unwrap();
        let slow = slow.await.unwrap().expect("the slow request was answered");
        assert_eq!(
            slow.status(),
            201,
            "the request in flight at SIGTERM completed"
        );
        let slow_id = slow.json::<serde_json::Value>().await.unwrap()["id"]
            .as_i64()
            .unwrap();
        // The server exits by itself, cleanly, within the grace period.
        let started = std::time::Instant::now();
        let exit = loop {
            if let Some(exit) = server.0.try_wait().unwrap() {
                break exit;
            }
            assert!(
                started.elapsed() < std::time::Duration::from_secs(25),
                "the server did not stop after SIGTERM"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        };
        assert!(exit.success(), "exit status {exit:?}");
        stop.store(true, Ordering::Relaxed);
        for w in writers {
            w.await.unwrap();
        }
        let outcomes = std::mem::take(&mut *outcomes.lock().unwrap());
        // Requests already being served were answered; new ones found the port closed
        // (a connection error, not an error answer or a cut-off response).
        assert!(
            outcomes.refused.is_empty(),
            "requests in flight at SIGTERM got error answers: {:?}",
            outcomes.refused
        );
        let pool_db = motto::server::db::Db::connect(
            &motto::server::config::Settings::for_tests_with(
                &db.url,
                db.dir.path(),
                &[("SECRET_KEY", crate::helpers::TEST_KEY)],
            )
            .database,
        )
        .await
        .unwrap();
        let stored: Vec<i64> = motto::on_pool!(&pool_db, pool => {
            sqlx::query_scalar("SELECT id FROM documents").fetch_all(pool).await.unwrap()
        });
        let missing: Vec<_> = outcomes
            .acknowledged
            .iter()
            .filter(|(id, _)| !stored.contains(id))
            .collect();
        assert!(missing.is_empty(), "acknowledged but lost: {missing:?}");
        assert!(stored.contains(&slow_id));
        let report = motto::server::db::audit::verify(&pool_db).await.unwrap();
        assert!(report.is_intact());
        pool_db.close().await;
    }
);

db_test!(
    asvs_16_5_1_with_the_database_gone_sign_in_and_out_answer_503,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let alice = crate::helpers::signed_up(&app, "alice").await;
        // Bob has two-factor on and is between his password and his code.
        let bob = crate::helpers::signed_up(&app, "bob").await;
        crate::two_factor::enrol(&app, &bob).await;
        let halfway = app.new_client();
        let res = app
            .call(
                &halfway,
                "login",
                &[("login", "bob"), ("password", GOOD_PASSWORD)],
            )
            .await;
        assert_eq!(res.status(), 200);
        let visitor = app.new_client();
        // The database goes away (every connection of the pool closed).
        app.state.db.close().await;
        let statuses = [
            (
                "login",
                app.login_with(&visitor, "alice", GOOD_PASSWORD).await,
            ),
            ("logout", app.call(&alice, "logout", &[]).await),
            (
                "second factor",
                app.call(&halfway, "login/two_factor", &[("code", "123456")])
                    .await,
            ),
        ];
        for (what, res) in statuses {
            let status = res.status().as_u16();
            let retry = res.headers().contains_key("retry-after");
            let body = res.text().await.unwrap();
            assert_eq!(status, 503, "{what}: {body}");
            assert!(retry, "{what}: no Retry-After");
        }
    }
);

db_test!(one_pooled_connection_is_enough_for_every_write, |backend| {
    // A write transaction that asks the pool for a second connection waits
    // for ever once every connection is taken (on SQLite, by writers that
    // wait for its lock). With one connection that wait shows at once.
    let app = TestApp::on(backend)
        .vars(&[
            ("DATABASE_MAX_CONNECTIONS", "1"),
            ("DATABASE_ACQUIRE_TIMEOUT_SECS", "2"),
        ])
        .settings(|s| s.quota_storage_bytes = Some(1_000_000))
        .spawn()
        .await;
    let (root, _) = crate::admin::admin(&app, "root").await;
    let alice = crate::helpers::signed_up(&app, "alice").await;
    let docs = app.documents(&alice);
    let id = docs.create("Notes", "first").await;
    assert_eq!(docs.update(id, 1, "Notes", "second").await.status(), 200);
    let me = crate::helpers::json(app.call(&alice, "me", &[]).await).await;
    let alice_id = me["id"].as_i64().unwrap().to_string();
    let res = app
        .call(
            &root,
            "admin/user/act",
            &[("id", alice_id.as_str()), ("action", "disable")],
        )
        .await;
    assert_eq!(res.status(), 200);
});

// A browser that leaves a page before it has all arrived (a click elsewhere, a
// closed tab) drops the connection mid-render. The page's resources keep loading
// in tasks of their own; when the render's root was dropped under them, Leptos's
// owner tree could free itself from inside a context lookup and deadlock the
// worker thread for good (reactive_graph 0.2: a read lock held while the last
// reference to an ancestor is dropped). Enough of those and nothing answers.
db_test!(
    pages_abandoned_mid_render_never_hang_the_server,
    |backend| {
        // A deadlocked runtime cannot run its own timeouts: a thread outside it
        // ends the whole test run with a message instead of letting it hang.
        let done = Arc::new(AtomicBool::new(false));
        let watched = done.clone();
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_secs(180));
            if !watched.load(Ordering::SeqCst) {
                eprintln!(
                    "pages_abandoned_mid_render_never_hang_the_server: the server hung (deadlock)"
                );
                std::process::abort();
            }
        });
        let app = TestApp::spawn(backend).await;
        let c = crate::helpers::signed_up(&app, "ava").await;
        let url = format!("{}/account", app.url);
        for _ in 0..60 {
            let mut tasks = Vec::new();
            for _ in 0..4 {
                let (c, url) = (c.clone(), url.clone());
                // Only the head is read; the body is dropped unread.
                tasks.push(tokio::spawn(async move {
                    let _ = c.get(url).send().await;
                }));
            }
            for t in tasks {
                t.await.unwrap();
            }
        }
        let answer = tokio::time::timeout(std::time::Duration::from_secs(20), async {
            let res = c.get(&url).send().await.unwrap();
            (res.status(), res.text().await.unwrap())
        })
        .await
        .expect("the server answers after abandoned pages");
        assert_eq!(answer.0, 200);
        tokio::time::timeout(std::time::Duration::from_secs(30), app.stop())
            .await
            .expect("the server stops after abandoned pages");
        done.store(true, Ordering::SeqCst);
    }
);
