//! The baseline for `bench/run.sh`: the least a server can do to answer the
//! documents list page. Plain axum + sqlx, no framework: find the person from a
//! cookie (one indexed read), read the 50 rows and the count (the same two
//! queries Motto runs), and write the HTML into a String. No sessions store,
//! middleware, CSP nonces, audit or hydration script. Motto's throughput is
//! reported as a ratio to this.
//!
//!   cargo build --release --features ssr --example baseline
//!   baseline LISTEN_ADDR DATABASE_URL
//!
//! The cookie is `uid=<user id>` (a benchmark stand-in, not an authentication).

use axum::{
    extract::{Query, State},
    http::{header, HeaderMap, StatusCode},
    response::{Html, IntoResponse, Response},
    routing::get,
    Router,
};
use sqlx::{PgPool, Row, SqlitePool};
use std::{collections::HashMap, fmt::Write};

fn escape(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

#[derive(Clone)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// The same code for either driver.
macro_rules! on {
    ($pool:expr, $p:ident => $body:expr) => {
        match $pool {
            Pool::Sqlite($p) => $body,
            Pool::Postgres($p) => $body,
        }
    };
}

struct Doc {
    id: i64,
    title: String,
    excerpt: String,
    updated: String,
}

async fn documents(
    State(pool): State<Pool>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let uid: Option<i64> = headers
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|c| c.split("; ").find_map(|kv| kv.strip_prefix("uid=")))
        .and_then(|v| v.parse().ok());
    let Some(uid) = uid else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let per_page: i64 = q
        .get("per_page")
        .and_then(|v| v.parse().ok())
        .unwrap_or(20)
        .clamp(1, 100);
    let page: i64 = q
        .get("page")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
        .max(1);
    let username: Option<String> = on!(&pool, p => sqlx::query_scalar("SELECT username FROM users WHERE id = $1")
        .bind(uid)
        .fetch_optional(p)
        .await
        .ok()
        .flatten());
    let Some(username) = username else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let list = "SELECT id, title, substr(body, 1, 240) AS excerpt, CAST(updated_at AS TEXT) FROM documents \
         WHERE owner_id = $1 AND deleted_at IS NULL ORDER BY updated_at DESC, id DESC LIMIT $2 OFFSET $3";
    let count = "SELECT COUNT(*) FROM documents WHERE owner_id = $1 AND deleted_at IS NULL";
    let result: Result<(Vec<Doc>, i64), sqlx::Error> = on!(&pool, p => async {
        let rows = sqlx::query(list)
            .bind(uid)
            .bind(per_page)
            .bind((page - 1) * per_page)
            .fetch_all(p)
            .await?
            .into_iter()
            .map(|r| Doc { id: r.get(0), title: r.get(1), excerpt: r.get(2), updated: r.get(3) })
            .collect();
        let total: i64 = sqlx::query_scalar(count).bind(uid).fetch_one(p).await?;
        Ok((rows, total))
    }.await);
    let Ok((rows, total)) = result else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let mut html = String::with_capacity(32 * 1024);
    html.push_str("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Documents</title></head><body><header><a href=\"/\">Motto</a> <span>");
    escape(&username, &mut html);
    html.push_str("</span></header><main><h1>Documents</h1><ul>");
    for Doc {
        id,
        title,
        excerpt,
        updated,
    } in rows
    {
        let _ = write!(html, "<li><a href=\"/documents/{id}\">");
        escape(&title, &mut html);
        html.push_str("</a><p>");
        escape(&excerpt, &mut html);
        html.push_str("</p><p>Updated ");
        escape(&updated, &mut html);
        html.push_str("</p></li>");
    }
    let pages = (total + per_page - 1) / per_page;
    let _ = write!(
        html,
        "</ul><nav><span>Page {page} of {pages} · {total} documents</span></nav></main></body></html>"
    );
    Html(html).into_response()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(addr), Some(url)) = (args.next(), args.next()) else {
        anyhow::bail!("usage: baseline LISTEN_ADDR DATABASE_URL");
    };
    let pool = if url.starts_with("sqlite:") {
        Pool::Sqlite(
            sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(8)
                .connect(&url)
                .await?,
        )
    } else {
        Pool::Postgres(
            sqlx::postgres::PgPoolOptions::new()
                .max_connections(8)
                .connect(&url)
                .await?,
        )
    };
    let app = Router::new()
        .route("/documents", get(documents))
        .route("/health", get(|| async { "ok" }))
        .with_state(pool);
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("baseline listening on {addr}");
    axum::serve(listener, app).await?;
    Ok(())
}
