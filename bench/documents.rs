//! Documents benchmark: seed N documents (~2 KB each) for one user, then measure
//! search and list latency through the running server (HTTP on loopback), on SQLite
//! and, when BENCH_DATABASE_URL or TEST_DATABASE_URL names a server, PostgreSQL.
//!
//!   cargo bench --features ssr --bench documents            (100,000 documents)
//!   BENCH_DOCS=10000 cargo bench --features ssr --bench documents
//!
//! Prints a table; asserts nothing about time.

use motto::server::{config::Settings, db::Db};
use std::time::{Duration, Instant};

const PASSWORD: &str = "violet ferry lantern quietly";

// The same generator and made-up vocabulary as `motto seed`.
use motto::server::seed::{vocabulary, Rng};

fn document(rng: &mut Rng, words: &[String]) -> (String, String) {
    let title: Vec<&str> = (0..4).map(|_| rng.word(words)).collect();
    let mut body = String::with_capacity(2200);
    while body.len() < 2000 {
        let n = 8 + (rng.next_u64() % 10) as usize;
        let sentence: Vec<&str> = (0..n).map(|_| rng.word(words)).collect();
        body.push_str(&sentence.join(" "));
        body.push_str(". ");
        if rng.next_u64().is_multiple_of(6) {
            body.push_str("\n\n");
        }
    }
    (title.join(" "), body)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

async fn seed(db: &Db, owner: i64, n: usize) -> Duration {
    let words = vocabulary();
    let mut rng = Rng(42);
    let start = Instant::now();
    let now = chrono::Utc::now();
    let batch = 200;
    let mut done = 0;
    while done < n {
        let size = batch.min(n - done);
        let mut sql = String::from(
            "INSERT INTO documents (owner_id, space_id, title, body, version, created_at, updated_at) VALUES ",
        );
        for i in 0..size {
            let b = i * 4;
            sql.push_str(&format!(
                "{}(${}, (SELECT id FROM spaces WHERE personal_user_id = ${}), ${}, ${}, 1, ${}, ${})",
                if i > 0 { "," } else { "" },
                b + 1,
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 4
            ));
        }
        let docs: Vec<(String, String)> = (0..size).map(|_| document(&mut rng, &words)).collect();
        let mut tx = db.begin().await.expect("begin");
        motto::on_tx!(&mut tx, conn => {
            let mut q = sqlx::query(&sql);
            for (i, (title, body)) in docs.iter().enumerate() {
                let t = now - chrono::Duration::seconds((done + i) as i64);
                q = q.bind(owner).bind(title).bind(body).bind(t);
            }
            q.execute(&mut *conn).await.expect("insert batch");
        });
        tx.commit().await.expect("commit");
        done += size;
    }
    start.elapsed()
}

async fn measure(
    client: &reqwest::Client,
    url: &str,
    form: &[(&str, String)],
    runs: usize,
) -> (Duration, Duration, Duration) {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        let res = client.post(url).form(form).send().await.expect("request");
        assert!(res.status().is_success(), "{url}: {}", res.status());
        res.bytes().await.expect("body");
        times.push(t.elapsed());
    }
    times.sort();
    (
        percentile(&times, 0.5),
        percentile(&times, 0.95),
        percentile(&times, 0.99),
    )
}

async fn measure_page(
    client: &reqwest::Client,
    url: &str,
    runs: usize,
) -> (Duration, Duration, Duration) {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        let res = client.get(url).send().await.expect("request");
        assert!(res.status().is_success(), "{url}: {}", res.status());
        res.bytes().await.expect("body");
        times.push(t.elapsed());
    }
    times.sort();
    (
        percentile(&times, 0.5),
        percentile(&times, 0.95),
        percentile(&times, 0.99),
    )
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

async fn run(label: &str, url: &str, dir: &std::path::Path, n: usize) {
    let settings = Settings::for_tests_with(
        url,
        dir,
        &[
            ("RATE_LIMIT_SERVER_FN", "off"),
            ("RATE_LIMIT_REGISTER", "off"),
        ],
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

    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let res = client
        .post(format!("{base}/api/register"))
        .form(&[
            ("username", "bench"),
            ("email", "bench@example.com"),
            ("password", PASSWORD),
            ("password_confirm", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    let owner: i64 = motto::on_pool!(&state.db, pool => {
        sqlx::query_scalar("SELECT id FROM users WHERE username_key = 'bench'").fetch_one(pool).await.unwrap()
    });
    let seeded = seed(&state.db, owner, n).await;
    if let motto::server::db::Pool::Postgres(pool) = state.db.pool() {
        // Steady state: autovacuum would have set the visibility map by now.
        sqlx::query("VACUUM ANALYZE documents")
            .execute(pool)
            .await
            .unwrap();
    }

    let words = vocabulary();
    let mut rng = Rng(7);
    let mut search_times = Vec::new();
    // Typical queries: two words of middling frequency (not the very commonest,
    // which behave like stop words and match most of the collection).
    let typical = &words[100..1500];
    for _ in 0..200 {
        let a = &typical[(rng.next_u64() as usize) % typical.len()];
        let b = &typical[(rng.next_u64() as usize) % typical.len()];
        let q = format!("{a} {b}");
        let t = Instant::now();
        let res = client
            .post(format!("{base}/api/documents/search"))
            .form(&[("query", q)])
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success());
        res.bytes().await.unwrap();
        search_times.push(t.elapsed());
    }
    search_times.sort();
    let list = measure(
        &client,
        &format!("{base}/api/documents/list"),
        &[
            ("sort", "updated".into()),
            ("page", "1".into()),
            ("trashed", "false".into()),
        ],
        200,
    )
    .await;
    let deep = measure(
        &client,
        &format!("{base}/api/documents/list"),
        &[
            ("sort", "title".into()),
            ("page", "2000".into()),
            ("trashed", "false".into()),
        ],
        50,
    )
    .await;
    let page = measure_page(&client, &format!("{base}/documents"), 200).await;
    println!(
        "| {label} | seed {n} docs | {:.1} s |",
        seeded.as_secs_f64()
    );
    println!(
        "| {label} | search (2 words), 200 runs | p50 {} ms | p95 {} ms | p99 {} ms |",
        ms(percentile(&search_times, 0.5)),
        ms(percentile(&search_times, 0.95)),
        ms(percentile(&search_times, 0.99))
    );
    println!(
        "| {label} | list page 1 (server fn), 200 runs | p50 {} ms | p95 {} ms | p99 {} ms |",
        ms(list.0),
        ms(list.1),
        ms(list.2)
    );
    println!("| {label} | list by title, page 2000 (server fn), 50 runs | p50 {} ms | p95 {} ms | p99 {} ms |", ms(deep.0), ms(deep.1), ms(deep.2));
    println!(
        "| {label} | /documents page (SSR HTML), 200 runs | p50 {} ms | p95 {} ms | p99 {} ms |",
        ms(page.0),
        ms(page.1),
        ms(page.2)
    );
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let n: usize = std::env::var("BENCH_DOCS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    println!("Documents benchmark: {n} documents of ~2 KB for one user, sequential requests on loopback.");
    println!(
        "Machine: {} cores; {}",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0),
        std::env::consts::ARCH
    );
    run(
        "SQLite",
        &format!("sqlite://{}/bench.db", dir.path().display()),
        dir.path(),
        n,
    )
    .await;
    let pg = std::env::var("BENCH_DATABASE_URL")
        .or_else(|_| std::env::var("TEST_DATABASE_URL"))
        .ok();
    if let Some(admin) = pg {
        use sqlx::Connection;
        let name = format!("motto_bench_{}", std::process::id());
        let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .unwrap();
        let mut url = url::Url::parse(&admin).unwrap();
        url.set_path(&name);
        run("PostgreSQL", url.as_str(), dir.path(), n).await;
        sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
            .execute(&mut conn)
            .await
            .unwrap();
    } else {
        println!("(set BENCH_DATABASE_URL or TEST_DATABASE_URL to include PostgreSQL)");
    }
}
