//! Audit-log benchmark: seed N events (default 1,000,000), then measure the admin
//! audit page's server function through the running server (HTTP on loopback):
//! filtered first pages and a deep keyset page, on SQLite and, when
//! BENCH_DATABASE_URL or TEST_DATABASE_URL names a server, PostgreSQL.
//!
//!   cargo bench --features ssr --bench audit
//!   BENCH_EVENTS=100000 cargo bench --features ssr --bench audit
//!
//! The seeded rows are written in bulk with placeholder hashes (the chain is not
//! what is measured), then the chain head is moved past them so the server keeps
//! appending. Prints a table; asserts nothing about time.

use motto::server::{
    config::Settings,
    db::{audit::AuditContext, Db},
    services::accounts::{self, NewAccount},
};
use std::time::{Duration, Instant};

const PASSWORD: &str = "violet ferry lantern quietly";

const ACTIONS: &[(&str, &str)] = &[
    ("auth.login.success", "success"),
    ("auth.login.success", "success"),
    ("auth.login.success", "success"),
    ("auth.login.failure", "failure"),
    ("auth.logout", "success"),
    ("document.create", "success"),
    ("document.update", "success"),
    ("document.update", "success"),
    ("document.delete", "success"),
    ("conversation.create", "success"),
    ("authz.denied", "denied"),
];

use motto::server::seed::Rng;

async fn seed(db: &Db, n: usize, users: i64) -> Duration {
    let start = Instant::now();
    let first: i64 = motto::on_pool!(db, pool => {
        sqlx::query_scalar::<_, i64>("SELECT seq FROM audit_chain_head WHERE id = 1").fetch_one(pool).await.unwrap()
    }) + 1;
    let mut rng = Rng(11);
    let begin = chrono::Utc::now() - chrono::Duration::days(365);
    let step = chrono::Duration::milliseconds((365 * 86_400_000 / n.max(1)) as i64);
    let batch = 500;
    let mut done = 0;
    while done < n {
        let size = batch.min(n - done);
        let mut sql = String::from(
            "INSERT INTO audit_events (id, occurred_at, actor_user_id, action, target_type, target_id, \
             outcome, source_ip, user_agent, request_id, details, prev_hash, hash) VALUES ",
        );
        for i in 0..size {
            let b = i * 9;
            sql.push_str(&format!(
                "{}(${}, ${}, ${}, ${}, 'user', ${}, ${}, ${}, 'Mozilla/5.0 bench', ${}, ${}, 'x', 'x')",
                if i > 0 { "," } else { "" },
                b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7, b + 8, b + 9
            ));
        }
        let mut tx = db.begin().await.expect("begin");
        motto::on_tx!(&mut tx, conn => {
            let mut q = sqlx::query(&sql);
            for i in 0..size {
                let k = done + i;
                let actor = 1 + (rng.next_u64() as i64 % users);
                let (action, outcome) = ACTIONS[rng.next_u64() as usize % ACTIONS.len()];
                let ip = format!("10.{}.{}.{}", rng.next_u64() % 4, rng.next_u64() % 256, rng.next_u64() % 256);
                q = q
                    .bind(first + k as i64)
                    .bind(begin + step * k as i32)
                    .bind(actor)
                    .bind(action)
                    .bind(actor.to_string())
                    .bind(outcome)
                    .bind(ip)
                    .bind(format!("req-{k}"))
                    .bind(format!("{{\"n\":{k}}}"));
            }
            q.execute(&mut *conn).await.expect("insert batch");
        });
        tx.commit().await.expect("commit");
        done += size;
    }
    let last = first + n as i64 - 1;
    motto::on_pool!(db, pool => {
        sqlx::query("UPDATE audit_chain_head SET seq = $1, last_hash = 'x' WHERE id = 1")
            .bind(last)
            .execute(pool)
            .await
            .unwrap();
    });
    start.elapsed()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

async fn measure(
    client: &reqwest::Client,
    url: &str,
    form: &[(&str, String)],
    runs: usize,
) -> String {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        let res = client.post(url).form(form).send().await.expect("request");
        assert!(res.status().is_success(), "{url}: {}", res.status());
        res.bytes().await.expect("body");
        times.push(t.elapsed());
    }
    times.sort();
    format!(
        "p50 {} ms | p95 {} ms | p99 {} ms",
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.95)),
        ms(percentile(&times, 0.99))
    )
}

/// A measured case: its name, the form it posts, how many runs.
type Case = (&'static str, Vec<(String, String)>, usize);

async fn run(label: &str, url: &str, dir: &std::path::Path, n: usize) {
    let settings = Settings::for_tests_with(
        url,
        dir,
        &[("RATE_LIMIT_SERVER_FN", "off"), ("RATE_LIMIT_LOGIN", "off")],
    );
    let state = motto::server::prepare(settings).await.expect("start");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (_stop, rx) = tokio::sync::watch::channel(false);
    let router = motto::server::build_router(state.clone());
    tokio::spawn(motto::server::serve_router(
        listener,
        router,
        Duration::from_secs(1),
        rx,
    ));

    let admin = NewAccount {
        username: "root".into(),
        email: "root@example.com".into(),
        password: PASSWORD.to_string().into(),
        password_confirm: PASSWORD.to_string().into(),
    };
    accounts::create_admin(&state, &admin, &AuditContext::default())
        .await
        .expect("admin");
    let seeded = seed(&state.db, n, 200).await;
    if let motto::server::db::Pool::Postgres(pool) = state.db.pool() {
        sqlx::query("VACUUM ANALYZE audit_events")
            .execute(pool)
            .await
            .unwrap();
    }
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let res = client
        .post(format!("{base}/api/login"))
        .form(&[("login", "root"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    let endpoint = format!("{base}/api/admin/audit");
    let q = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (format!("query[{k}]"), v.to_string()))
            .collect();
        if v.is_empty() {
            v.push(("query[text]".into(), String::new()));
        }
        v
    };
    let cases: Vec<Case> = vec![
        ("first page, no filter", q(&[]), 200),
        ("first page, action auth.", q(&[("action", "auth.")]), 200),
        (
            "first page, outcome denied",
            q(&[("outcome", "denied")]),
            200,
        ),
        ("first page, one actor (#57)", q(&[("actor", "#57")]), 200),
        (
            "first page, actor + action",
            q(&[("actor", "#57"), ("action", "document.")]),
            200,
        ),
        (
            "first page, source address",
            q(&[("source_ip", "10.1.2.3")]),
            50,
        ),
        (
            "first page, last 7 days",
            q(&[(
                "from",
                &(chrono::Utc::now() - chrono::Duration::days(7))
                    .format("%Y-%m-%dT%H:%M")
                    .to_string(),
            )]),
            200,
        ),
        (
            "deep keyset page (before = 1000), action auth.",
            {
                let mut v = q(&[("action", "auth.")]);
                v.push(("before".into(), "1000".into()));
                v
            },
            200,
        ),
        (
            "first page, free text (scans)",
            q(&[("text", "req-12345")]),
            20,
        ),
    ];
    println!(
        "| {label} | seed {n} events | {:.1} s |",
        seeded.as_secs_f64()
    );
    for (name, form, runs) in cases {
        let form: Vec<(&str, String)> = form.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        let figures = measure(&client, &endpoint, &form, runs).await;
        println!("| {label} | {name}, {runs} runs | {figures} |");
    }
    state.db.close().await;
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::var("BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    println!("| database | case | figures |");
    println!("|---|---|---|");
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}/bench.db", dir.path().display());
    run("SQLite", &sqlite, dir.path(), n).await;
    let pg = std::env::var("BENCH_DATABASE_URL")
        .or_else(|_| std::env::var("TEST_DATABASE_URL"))
        .ok();
    if let Some(admin_url) = pg {
        use sqlx::Connection;
        let name = format!("motto_bench_audit_{}", std::process::id());
        let mut conn = sqlx::PgConnection::connect(&admin_url).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .unwrap();
        let mut url = url::Url::parse(&admin_url).unwrap();
        url.set_path(&name);
        run("PostgreSQL", url.as_str(), dir.path(), n).await;
        sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
            .execute(&mut conn)
            .await
            .unwrap();
    }
}
