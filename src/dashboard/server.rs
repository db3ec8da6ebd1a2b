//! `serve`: the read-only HTTP server. Every request reads one snapshot on a blocking thread
//! (SQLite calls block), renders it, and answers; a store error is a 500 page, an unknown path
//! or id a 404 page, never a panic.

use super::app::Shared;
pub use super::app::{App, DiscoveredFigures, Page, TotalsCache};
use super::{metrics, pages};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

/// The browser may run only this server's script and style: even an escaping mistake could
/// not run a script written into a description.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

fn with_headers(status: StatusCode, content_type: &'static str, body: String) -> Response {
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

const HTML: &str = "text/html; charset=utf-8";

/// Runs `f` on a blocking thread and turns its outcome into a response.
async fn respond(
    app: Shared,
    f: impl FnOnce(&App) -> crate::store::Result<Page> + Send + 'static,
) -> Response {
    let db = app.database.clone();
    match tokio::task::spawn_blocking(move || f(&app)).await {
        Ok(Ok(Page::Html(body))) => with_headers(StatusCode::OK, HTML, body),
        Ok(Ok(Page::NotFound(what))) => {
            with_headers(StatusCode::NOT_FOUND, HTML, pages::not_found(&db, &what))
        }
        Ok(Err(e)) => with_headers(
            StatusCode::INTERNAL_SERVER_ERROR,
            HTML,
            pages::error(&db, &e.to_string()),
        ),
        Err(_) => with_headers(
            StatusCode::INTERNAL_SERVER_ERROR,
            HTML,
            pages::error(&db, "the page could not be rendered"),
        ),
    }
}

async fn index(State(app): State<Shared>) -> Response {
    respond(app, |app| pages::index(app).map(Page::Html)).await
}

async fn search(State(app): State<Shared>, Query(q): Query<HashMap<String, String>>) -> Response {
    let query = q.get("q").cloned().unwrap_or_default();
    respond(app, move |app| pages::search(app, &query).map(Page::Html)).await
}

async fn pool(
    State(app): State<Shared>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    respond(app, move |app| pages::pool(app, &id, &q)).await
}

async fn discovery(
    State(app): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    respond(app, move |app| pages::discovery(app, &q)).await
}

async fn metrics_text(State(app): State<Shared>) -> Response {
    let db = app.database.clone();
    match tokio::task::spawn_blocking(move || app.store.view(|v| metrics::render(v, &app.totals)))
        .await
    {
        Ok(Ok(text)) => with_headers(StatusCode::OK, metrics::CONTENT_TYPE, text),
        Ok(Err(e)) => with_headers(
            StatusCode::INTERNAL_SERVER_ERROR,
            "text/plain; charset=utf-8",
            format!("# cannot read {db}: {e}\n"),
        ),
        Err(_) => with_headers(
            StatusCode::INTERNAL_SERVER_ERROR,
            "text/plain; charset=utf-8",
            "# metrics could not be rendered\n".into(),
        ),
    }
}

async fn fallback(State(app): State<Shared>) -> Response {
    with_headers(
        StatusCode::NOT_FOUND,
        HTML,
        pages::not_found(&app.database, "no such page"),
    )
}

async fn style() -> Response {
    with_headers(
        StatusCode::OK,
        "text/css; charset=utf-8",
        include_str!("style.css").into(),
    )
}

async fn script() -> Response {
    with_headers(
        StatusCode::OK,
        "text/javascript; charset=utf-8",
        include_str!("map.js").into(),
    )
}

/// The routes of the dashboard over `app`.
pub fn router(app: App) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/search", get(search))
        .route("/pools/{id}", get(pool))
        .route("/discovery", get(discovery))
        .route("/metrics", get(metrics_text))
        .route("/static/style.css", get(style))
        .route("/static/map.js", get(script))
        .fallback(fallback)
        .with_state(Arc::new(app))
}

/// Serves `app` on `listen` until interrupted; prints the address it listens on to `out` first
/// (with port 0 the system picks one, which callers read from that line).
pub fn run(app: App, listen: SocketAddr, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        writeln!(out, "serving http://{addr}/ (read-only: {})", app.database)?;
        out.flush()?;
        let router = router(app);
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
    })
}
