//! The two baselines, after the TechEmpower "Fortunes" rules: read every row of a 12-row table
//! with one query, add one row at request time, sort by message in code, and render an HTML table
//! whose text is escaped by the template.
//!
//! * (a) [`serve_axum`]: our own stack — axum, an sqlx pool, tera with autoescaping.
//! * (b) [`serve_lean`]: the leanest stack built here — hyper directly, a fixed set of
//!   tokio-postgres connections with a prepared statement (concurrent queries on one connection
//!   are pipelined), and a template compiled by hand into string writes.
//!
//! Both use the same number of database connections as the application server in the same run.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use anyhow::Context as _;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// The table both baselines read. Created by the harness in the benchmark database.
pub const SCHEMA_SQL: &str = "create schema if not exists bench; \
    create table if not exists bench.fortune (id integer primary key, message text not null)";

/// Twelve rows with markup, entities, quotes and Japanese text, so escaping and UTF-8 are
/// exercised the way the rules intend.
pub const FORTUNES: [(i32, &str); 12] = [
    (1, "A bug in the hand is worth two in the backlog."),
    (2, "<script>alert('escaped, never run');</script>"),
    (3, "Tom & Jerry's \"guide\" to <b>caching</b>"),
    (4, "継続は力なり。"),
    (5, "Premature optimisation is the root of some evil."),
    (6, "A slow page is a broken page."),
    (7, "Measure twice, deploy once."),
    (8, "ネットワークは人なり。"),
    (9, "Every query carries its tenant."),
    (10, "Cache invalidation & naming things: still hard."),
    (11, "<p>Markup in data stays text</p>"),
    (12, "The machine is noisy: compare ratios, not numbers."),
];

pub const ADDED_AT_REQUEST_TIME: &str = "An extra fortune, added while the request ran.";

pub const SELECT_SQL: &str = "select id, message from bench.fortune";

const TERA_TEMPLATE: &str = "<!DOCTYPE html><html><head><title>Fortunes</title></head><body>\
<table><tr><th>id</th><th>message</th></tr>\
{% for fortune in fortunes %}<tr><td>{{ fortune.0 }}</td><td>{{ fortune.1 }}</td></tr>{% endfor %}\
</table></body></html>";

fn sort_with_added(mut rows: Vec<(i32, String)>) -> Vec<(i32, String)> {
    rows.push((0, ADDED_AT_REQUEST_TIME.to_owned()));
    rows.sort_by(|a, b| a.1.cmp(&b.1));
    rows
}

// ---- (a) axum + sqlx + tera -------------------------------------------------------------------

#[derive(Clone)]
struct AxumState {
    pool: sqlx::PgPool,
    tera: Arc<tera::Tera>,
}

async fn fortunes_axum(State(state): State<AxumState>) -> Response {
    let rows: Vec<(i32, String)> = match sqlx::query_as(SELECT_SQL).fetch_all(&state.pool).await {
        Ok(rows) => rows,
        Err(_) => return http::StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    let mut context = tera::Context::new();
    context.insert("fortunes", &sort_with_added(rows));
    match state.tera.render("fortunes.html", &context) {
        Ok(html) => ([(CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response(),
        Err(_) => http::StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

pub async fn serve_axum(listen: SocketAddr, database_url: &str, pool: u32) -> anyhow::Result<()> {
    // The app's own pool settings: this baseline is our stack.
    let pool = tsunagu_kernel::db::pool_options(pool)
        .min_connections(pool)
        .connect(database_url)
        .await
        .context("baseline (a): cannot connect to PostgreSQL")?;
    let mut tera = tera::Tera::default();
    // The .html name turns on tera's autoescaping.
    tera.add_raw_template("fortunes.html", TERA_TEMPLATE)?;
    let app = axum::Router::new()
        .route("/fortunes", get(fortunes_axum))
        .with_state(AxumState {
            pool,
            tera: Arc::new(tera),
        });
    let listener = TcpListener::bind(listen).await?;
    axum::serve(listener, app).await?;
    Ok(())
}

// ---- (b) hyper + tokio-postgres + a hand-compiled template ------------------------------------

struct Lean {
    connections: Vec<(tokio_postgres::Client, tokio_postgres::Statement)>,
    next: AtomicUsize,
}

/// HTML-escapes `text` into `out` (the characters that matter in text and attribute context).
pub fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            _ => out.push(c),
        }
    }
}

/// The Fortunes template, compiled by hand: what a template compiler would generate.
pub fn render_lean(rows: &[(i32, String)]) -> String {
    let mut html = String::with_capacity(1536);
    html.push_str(
        "<!DOCTYPE html><html><head><title>Fortunes</title></head><body>\
         <table><tr><th>id</th><th>message</th></tr>",
    );
    for (id, message) in rows {
        let _ = write!(html, "<tr><td>{id}</td><td>");
        escape_into(&mut html, message);
        html.push_str("</td></tr>");
    }
    html.push_str("</table></body></html>");
    html
}

async fn fortunes_lean(lean: &Lean) -> anyhow::Result<String> {
    let index = lean.next.fetch_add(1, Ordering::Relaxed) % lean.connections.len();
    let (client, statement) = &lean.connections[index];
    let rows = client
        .query(statement, &[])
        .await?
        .into_iter()
        .map(|row| (row.get::<_, i32>(0), row.get::<_, String>(1)))
        .collect();
    Ok(render_lean(&sort_with_added(rows)))
}

pub async fn serve_lean(listen: SocketAddr, database_url: &str, pool: u32) -> anyhow::Result<()> {
    let mut connections = Vec::new();
    for _ in 0..pool.max(1) {
        let (client, connection) = tokio_postgres::connect(database_url, tokio_postgres::NoTls)
            .await
            .context("baseline (b): cannot connect to PostgreSQL")?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        let statement = client.prepare(SELECT_SQL).await?;
        connections.push((client, statement));
    }
    let lean = Arc::new(Lean {
        connections,
        next: AtomicUsize::new(0),
    });
    let listener = TcpListener::bind(listen).await?;
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        let lean = lean.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                let lean = lean.clone();
                async move {
                    let response = if request.uri().path() == "/fortunes" {
                        match fortunes_lean(&lean).await {
                            Ok(html) => hyper::Response::builder()
                                .header(CONTENT_TYPE, "text/html; charset=utf-8")
                                .body(Full::new(Bytes::from(html))),
                            Err(_) => hyper::Response::builder()
                                .status(500)
                                .body(Full::new(Bytes::new())),
                        }
                    } else {
                        hyper::Response::builder()
                            .status(404)
                            .body(Full::new(Bytes::new()))
                    };
                    response
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lean_template_escapes_and_sorts_like_the_rules_say() {
        let rows: Vec<(i32, String)> = FORTUNES.iter().map(|(i, m)| (*i, m.to_string())).collect();
        let html = render_lean(&sort_with_added(rows));
        assert_eq!(html.matches("<tr><td>").count(), 13);
        assert!(
            html.contains("&lt;script&gt;alert(&#x27;escaped, never run&#x27;);&lt;/script&gt;")
        );
        assert!(!html.contains("<script>"));
        assert!(html.contains("継続は力なり。"));
        let first = html.find("A bug in the hand").unwrap();
        let added = html.find(ADDED_AT_REQUEST_TIME).unwrap();
        assert!(first < added, "sorted by message");
    }
}
