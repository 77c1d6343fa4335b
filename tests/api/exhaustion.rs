//! Resource exhaustion by anyone on the network (ASVS 2.4.1: anti-automation
//! against the exhaustion of resources), against a real `motto serve` process.

use crate::helpers::{free_port, serve_process};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const METRICS_TOKEN: &str = "metrics-5c0e7a1f9b3d8e2a6c4f0b9d7e5a3c1f";

/// Resident memory of a process, in bytes (Linux).
fn rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap();
    kb * 1024
}

/// One request with a method made up by the client, over a raw connection.
async fn made_up_method(port: u16, method: &str) {
    let mut conn = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let req =
        format!("{method} /health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    conn.write_all(req.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let _ = conn.read_to_end(&mut answer).await;
    assert!(answer.starts_with(b"HTTP/1.1 "), "no answer");
}

/// The number of time series `/metrics` reports.
async fn series(port: u16) -> usize {
    let text = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines().filter(|l| !l.starts_with('#')).count()
}

/// 2,000 requests, each with its own 10 KB method: before, every one became a
/// label of two series kept forever (40 MB and counting), metrics on or off.
async fn flood(port: u16) {
    for i in 0..2_000u32 {
        let method = format!("{:X}{}", i, "M".repeat(10 * 1024));
        made_up_method(port, &method).await;
    }
}

#[tokio::test]
async fn asvs_2_4_1_made_up_methods_add_no_metric_series_and_no_memory() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/motto.db", dir.path().display());
    let port = free_port();
    let mut child =
        serve_process(dir.path(), &url, port, &[("METRICS_TOKEN", METRICS_TOKEN)]).await;
    // Warm up: the standard series exist, allocator arenas are sized.
    made_up_method(port, "GET").await;
    made_up_method(port, "WARMUP").await;
    let (series_before, rss_before) = (series(port).await, rss(child.id()));
    flood(port).await;
    let (series_after, rss_after) = (series(port).await, rss(child.id()));
    let _ = child.kill();
    let _ = child.wait();
    // /metrics itself adds its own series between the two readings.
    assert!(
        series_after <= series_before + 16,
        "series grew from {series_before} to {series_after}"
    );
    let grown = rss_after.saturating_sub(rss_before);
    assert!(
        grown < 16 << 20,
        "resident memory grew by {} MB",
        grown >> 20
    );
}

#[tokio::test]
async fn asvs_2_4_1_made_up_methods_cost_no_memory_when_metrics_are_off() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/motto.db", dir.path().display());
    let port = free_port();
    let mut child = serve_process(dir.path(), &url, port, &[]).await;
    made_up_method(port, "GET").await;
    made_up_method(port, "WARMUP").await;
    let rss_before = rss(child.id());
    flood(port).await;
    let rss_after = rss(child.id());
    let _ = child.kill();
    let _ = child.wait();
    let grown = rss_after.saturating_sub(rss_before);
    assert!(
        grown < 16 << 20,
        "resident memory grew by {} MB",
        grown >> 20
    );
}
