//! Audit chain benchmark: the cost of the keyed chain and its checkpoints.
//!
//! 1. Audited writes per second: `CONCURRENCY` tasks each append events, one per
//!    transaction (a state change's audit event costs the same row and head
//!    update), for `BENCH_SECONDS`, with the checkpoint schedule running
//!    (a checkpoint every 1,000 events, written to a directory).
//! 2. Verification: `BENCH_VERIFY_EVENTS` (default 1,000,000) keyed events are
//!    seeded through the same chain code, then `verify` (links, MACs, signed
//!    checkpoints, from the database) and the outsider's walk over an export
//!    (public hashes and checkpoints, no key) are timed.
//!
//! On SQLite and, when BENCH_DATABASE_URL or TEST_DATABASE_URL names a server,
//! PostgreSQL. Prints a table; asserts nothing about time.
//!
//!   cargo bench --features ssr --bench audit_chain
//!   BENCH_VERIFY_EVENTS=100000 BENCH_SECONDS=5 cargo bench --features ssr --bench audit_chain
//!   BENCH_AUDIT_SYSLOG=udp://127.0.0.1:5514 ...   (streaming on, to a receiver there)

use motto::server::{
    audit_chain::{check_checkpoints, Walker},
    config::Settings,
    db::audit::{self, AuditContext, NewEvent, Outcome},
    services::audit_checkpoints,
};
use std::{
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

const CONCURRENCY: usize = 16;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn measure(label: &str, url: &str, dir: &std::path::Path) {
    let seconds = env_usize("BENCH_SECONDS", 10) as u64;
    let verify_events = env_usize("BENCH_VERIFY_EVENTS", 1_000_000);
    let mut vars = vec![
        ("AUDIT_CHECKPOINT_EVENTS", "1000".to_string()),
        ("DATABASE_MAX_CONNECTIONS", "16".to_string()),
    ];
    // Streaming on: every event also goes to this syslog receiver.
    if let Ok(sink) = std::env::var("BENCH_AUDIT_SYSLOG") {
        vars.push(("AUDIT_SYSLOG", sink));
    }
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let settings = Settings::for_tests_with(url, dir, &vars);
    let state = motto::server::prepare(settings).await.expect("start");

    // 1. Audited writes per second.
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for t in 0..CONCURRENCY {
        let (db, stop, done) = (state.db.clone(), stop.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            let ctx = AuditContext {
                actor_user_id: Some(t as i64),
                source_ip: Some("10.0.0.1".into()),
                user_agent: Some("bench".into()),
                request_id: Some(format!("bench-{t}")),
                ..Default::default()
            };
            while !stop.load(Ordering::Relaxed) {
                let event = NewEvent::new("document.update", Outcome::Success)
                    .target("document", t)
                    .details(serde_json::json!({ "bytes": 1234 }));
                audit::record_now(&db, &ctx, event).await.expect("append");
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let start = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.unwrap();
    }
    let elapsed = start.elapsed().as_secs_f64();
    let writes = done.load(Ordering::Relaxed);
    let sealed = audit::latest_checkpoint(&state.db)
        .await
        .unwrap()
        .map_or(0, |c| c.body.seq);
    let streaming = match motto::server::services::audit_stream::status(&state)
        .await
        .unwrap()
        .first()
    {
        Some(s) => format!(
            "; streaming to {}: {} events behind when the writers stopped",
            s.name, s.lag
        ),
        None => String::new(),
    };
    println!(
        "| {label} | audited writes, {CONCURRENCY} tasks, {seconds} s | {:.0}/s | {writes} events, {sealed} checkpoints signed meanwhile{streaming} |",
        writes as f64 / elapsed
    );

    // 2. Verification of a long chain.
    let start = Instant::now();
    let plan = motto::server::seed::Plan {
        users: 0,
        documents_per_user: 0,
        revisions: 0,
        conversations_per_user: 0,
        messages_per_conversation: 0,
        audit_events: verify_events,
        teams: Default::default(),
    };
    motto::server::seed::seed(&state.db, &plan, &"bench-password".to_string().into())
        .await
        .expect("seed");
    audit_checkpoints::seal_and_ship(&state).await;
    let seeded = start.elapsed().as_secs_f64();
    if let Ok(meta) = std::fs::metadata(dir.join("bench.db-wal")) {
        println!(
            "| {label} | WAL file after seeding | {} MB | |",
            meta.len() / 1_000_000
        );
    }
    let start = Instant::now();
    let report = audit::verify(&state.db).await.unwrap();
    let verify = start.elapsed().as_secs_f64();
    assert!(report.is_intact(), "{report:?}");
    println!(
        "| {label} | verify-audit (links, MACs, checkpoints) | {} events in {verify:.2} s | {:.0} events/s; seeding took {seeded:.0} s |",
        report.rows,
        report.rows as f64 / verify
    );

    // The outsider's walk: rows read back as an export would hold them.
    let checkpoints = audit::stored_checkpoints(&state.db).await.unwrap();
    let public = state.db.audit_keys().checkpoint_public;
    let mut rows = Vec::with_capacity(report.rows as usize);
    let mut from = 1;
    let start = Instant::now();
    loop {
        let batch = audit::chain_batch(&state.db, from, 5000).await.unwrap();
        let full = batch.len() == 5000;
        if let Some(last) = batch.last() {
            from = last.id + 1;
        }
        rows.extend(batch);
        if !full {
            break;
        }
    }
    let read = start.elapsed().as_secs_f64();
    println!(
        "| {label} | read the events back (5,000 a query, no checks) | {} events in {read:.2} s | {:.0} events/s |",
        rows.len(),
        rows.len() as f64 / read
    );
    let export: String = rows
        .iter()
        .map(|r| serde_json::to_string(r).unwrap() + "\n")
        .collect();
    let start = Instant::now();
    let list = check_checkpoints(checkpoints, &public).unwrap();
    let mut walker = Walker::new(None, list[0].body.keyed_from, &list);
    for line in export.lines() {
        let row = serde_json::from_str(line).unwrap();
        walker.push(&row).unwrap();
    }
    walker.finish().unwrap();
    let outsider = start.elapsed().as_secs_f64();
    println!(
        "| {label} | verify-export (parse + hashes + checkpoints, no key) | {} events in {outsider:.2} s | {:.0} events/s, {} MB export |",
        walker.rows,
        walker.rows as f64 / outsider,
        export.len() / 1_000_000
    );
    state.db.close().await;
}

#[tokio::main]
async fn main() {
    println!("| Backend | Measure | Result | Notes |");
    println!("|---|---|---|---|");
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/bench.db", dir.path().display());
    measure("SQLite", &url, dir.path()).await;

    let pg = std::env::var("BENCH_DATABASE_URL")
        .or_else(|_| std::env::var("TEST_DATABASE_URL"))
        .ok();
    if let Some(admin) = pg {
        use sqlx::Connection;
        let name = format!("motto_bench_chain_{}", std::process::id());
        let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .unwrap();
        let mut url = url::Url::parse(&admin).unwrap();
        url.set_path(&name);
        let pg_dir = tempfile::tempdir().unwrap();
        measure("PostgreSQL", url.as_str(), pg_dir.path()).await;
        sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
            .execute(&mut conn)
            .await
            .unwrap();
    }
}
