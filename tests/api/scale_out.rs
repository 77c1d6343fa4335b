//! Several instances: two real `motto serve` processes on one PostgreSQL database,
//! started at the same moment (their migrations race), behind a real nginx as the
//! load balancer on loopback. A session started on one continues on the other,
//! and rate limits and login throttling count across both: kept in PostgreSQL, or
//! in Redis when `REDIS_URL` is set (the machine's Redis, or the one the test
//! command starts).

use crate::helpers::{
    access_token, free_port, postgres_admin_url, serve_process, uuid_like, Backend, TestDb,
    GOOD_PASSWORD,
};
use std::{path::Path, process::Child};

/// Kills its process when the test ends, however it ends.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

/// nginx on a free loopback port, balancing round-robin over `upstreams`; each
/// answer names the instance that served it (`X-Upstream`).
async fn nginx(dir: &Path, port: u16, upstreams: &[u16]) -> Proc {
    let servers: String = upstreams
        .iter()
        .map(|p| format!("server 127.0.0.1:{p};"))
        .collect();
    let d = dir.display();
    let user = if is_root() { "user root;" } else { "" };
    let conf = format!(
        r#"{user}
worker_processes 1;
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 256; }}
http {{
  access_log off;
  client_body_temp_path {d}/body;
  proxy_temp_path {d}/proxy;
  fastcgi_temp_path {d}/fastcgi;
  uwsgi_temp_path {d}/uwsgi;
  scgi_temp_path {d}/scgi;
  upstream motto {{ {servers} }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://motto;
      proxy_http_version 1.1;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      add_header X-Upstream $upstream_addr always;
    }}
  }}
}}
"#
    );
    let path = dir.join("nginx.conf");
    std::fs::write(&path, conf).unwrap();
    let bin = if Path::new("/usr/sbin/nginx").exists() {
        "/usr/sbin/nginx"
    } else {
        "nginx"
    };
    let child = std::process::Command::new(bin)
        .arg("-c")
        .arg(&path)
        .arg("-p")
        .arg(dir)
        .arg("-e")
        .arg(dir.join("error.log"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("nginx (Debian package nginx; scripts/setup.sh --test installs it)");
    let proc = Proc(child);
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return proc;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!(
        "nginx did not start: {}",
        std::fs::read_to_string(dir.join("error.log")).unwrap_or_default()
    );
}

fn redis_url() -> Option<String> {
    std::env::var("TEST_REDIS_URL")
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| {
            std::net::TcpStream::connect(("127.0.0.1", 6379))
                .is_ok()
                .then(|| "redis://127.0.0.1:6379".to_string())
        })
}

async fn me(client: &reqwest::Client, base: &str) -> (Option<String>, Option<String>) {
    let res = client.post(format!("{base}/api/me")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let upstream = res
        .headers()
        .get("x-upstream")
        .map(|v| v.to_str().unwrap().to_string());
    let body: serde_json::Value = res.json().await.unwrap();
    (body["username"].as_str().map(str::to_string), upstream)
}

async fn login(client: &reqwest::Client, base: &str, user: &str, password: &str) -> u16 {
    client
        .post(format!("{base}/api/login"))
        .form(&[("login", user), ("password", password)])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn scenario(redis: Option<String>) {
    let db = TestDb::new(Backend::Postgres).await;
    let prefix = format!("motto-test-{}", uuid_like());
    // Every instance has the same public address: the balancer's.
    let lb_port = free_port();
    let public_url = format!("http://127.0.0.1:{lb_port}");
    let mut vars = vec![
        ("PUBLIC_URL", public_url.as_str()),
        // Per day: the test cannot straddle a window boundary in practice.
        ("RATE_LIMIT_API", "8/day"),
        ("LOGIN_THROTTLE_FREE_ATTEMPTS", "2"),
        ("TRUSTED_PROXIES", "127.0.0.1"),
    ];
    if let Some(url) = &redis {
        vars.push(("REDIS_URL", url));
        vars.push(("REDIS_KEY_PREFIX", &prefix));
    }
    let (dir_a, dir_b, dir_lb) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let (port_a, port_b) = (free_port(), free_port());

    // Both start at the same moment on the empty database.
    let (a, b) = tokio::join!(
        serve_process(dir_a.path(), &db.url, port_a, &vars),
        serve_process(dir_b.path(), &db.url, port_b, &vars)
    );
    let (_a, _b) = (Proc(a), Proc(b));
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    let applied: Vec<(i64, bool)> =
        sqlx::query_as("SELECT version, success FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&pool)
            .await
            .unwrap();
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"))
        .unwrap()
        .count();
    assert_eq!(applied.len(), files, "each migration applied exactly once");
    assert!(applied.iter().all(|(_, ok)| *ok));
    let starts: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'system.start'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(starts, 2, "both instances started");

    let _lb = nginx(dir_lb.path(), lb_port, &[port_a, port_b]).await;
    let (lb, inst_a, inst_b) = (
        format!("http://127.0.0.1:{lb_port}"),
        format!("http://127.0.0.1:{port_a}"),
        format!("http://127.0.0.1:{port_b}"),
    );
    let user = format!("u{}", &uuid_like()[..8]);
    let anon = reqwest::Client::new();
    let res = anon
        .post(format!("{lb}/api/register"))
        .form(&[
            ("username", user.as_str()),
            ("email", &format!("{user}@example.com")),
            ("password", GOOD_PASSWORD),
            ("password_confirm", GOOD_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());

    // Log in through one instance, carry on through the other, then through the
    // balancer, which spreads the requests over both.
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    assert_eq!(login(&browser, &inst_a, &user, GOOD_PASSWORD).await, 200);
    assert_eq!(
        me(&browser, &inst_b).await.0.as_deref(),
        Some(user.as_str())
    );
    let mut upstreams = std::collections::HashSet::new();
    for _ in 0..6 {
        let (name, upstream) = me(&browser, &lb).await;
        assert_eq!(name.as_deref(), Some(user.as_str()));
        upstreams.insert(upstream.expect("nginx names the upstream"));
    }
    assert_eq!(upstreams.len(), 2, "the balancer used both: {upstreams:?}");
    // Logging out on one ends the session on the other too.
    let res = browser
        .post(format!("{inst_b}/api/logout"))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    assert_eq!(me(&browser, &inst_a).await.0, None);

    // The REST limit (8 a day per credential) counts calls to either instance.
    let token = access_token(&lb, &user).await;
    for i in 0..8 {
        let base = if i % 2 == 0 { &inst_a } else { &inst_b };
        let res = anon
            .get(format!("{base}/api/v1/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "call {i}");
    }
    for base in [&inst_a, &inst_b] {
        let res = anon
            .get(format!("{base}/api/v1/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 429, "the 9th and 10th calls are refused");
        assert!(res.headers().contains_key("retry-after"));
    }

    // Login throttling: two free failures on A, and B makes the next one wait.
    for _ in 0..2 {
        let status = login(&anon, &inst_a, &user, "wrong password").await;
        assert!((400..500).contains(&status) && status != 429, "{status}");
    }
    let res = anon
        .post(format!("{inst_b}/api/login"))
        .form(&[("login", user.as_str()), ("password", GOOD_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429, "B knows of A's failures");

    // And the counts are where the configuration says.
    let rows: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM rate_windows) + (SELECT COUNT(*) FROM login_throttle)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    match &redis {
        None => assert!(rows > 0, "PostgreSQL holds the counts"),
        Some(url) => {
            assert_eq!(rows, 0, "with REDIS_URL nothing is counted in PostgreSQL");
            let client = redis::Client::open(url.as_str()).unwrap();
            let mut conn = client.get_multiplexed_async_connection().await.unwrap();
            let keys: Vec<String> = redis::cmd("KEYS")
                .arg(format!("{prefix}:*"))
                .query_async(&mut conn)
                .await
                .unwrap();
            assert!(
                keys.iter().any(|k| k.contains(":rate:"))
                    && keys.iter().any(|k| k.contains(":login:pair:")),
                "{keys:?}"
            );
            assert!(
                !keys.iter().any(|k| k.contains(&user)),
                "keys carry digests, not account names: {keys:?}"
            );
            let _: () = redis::cmd("DEL")
                .arg(&keys)
                .query_async(&mut conn)
                .await
                .unwrap();
        }
    }
    pool.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_behind_nginx_share_sessions_and_limits_in_postgres() {
    if postgres_admin_url().is_none() {
        eprintln!("TEST_DATABASE_URL is not set: several-instances test skipped");
        return;
    }
    scenario(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_behind_nginx_share_sessions_and_limits_in_redis() {
    if postgres_admin_url().is_none() {
        eprintln!("TEST_DATABASE_URL is not set: several-instances test skipped");
        return;
    }
    let Some(url) = redis_url() else {
        panic!("no Redis: set TEST_REDIS_URL or run one on 127.0.0.1:6379 (scripts/test.sh does)");
    };
    scenario(Some(url)).await;
}
