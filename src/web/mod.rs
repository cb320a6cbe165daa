//! The dashboard and HTTP API (`duroxide ui`, `duroxide run --ui`): axum on
//! our tokio, pages rendered on the server, two small assets compiled into the
//! binary. It reads and writes the store through the same client as the
//! management verbs; it loads no JavaScript of the user's.

mod api;
mod auth;
mod html;
mod pages;
mod timeline;

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::Router;

pub use html::esc as escape;

use crate::engine::client::Client;
use crate::engine::store::Store;

/// Where the dashboard listens unless told otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8233";
/// The largest request body accepted (inputs, event data, queue messages).
pub const BODY_LIMIT: usize = 1 << 20;

pub struct App {
    client: Client,
    store: Store,
    token: Option<String>,
}

impl App {
    pub fn new(store: Store, token: Option<String>) -> Arc<App> {
        Arc::new(App { client: Client::new(&store), store, token: token.filter(|t| !t.is_empty()) })
    }
}

/// Epoch milliseconds now, as the pages and metrics count time.
fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// `HOST:PORT`, `:PORT` or `PORT` (those two on 127.0.0.1).
pub fn listen_address(text: &str) -> Result<SocketAddr, String> {
    let text = text.trim();
    let full = if text.chars().all(|c| c.is_ascii_digit()) && !text.is_empty() {
        format!("127.0.0.1:{text}")
    } else if let Some(port) = text.strip_prefix(':') {
        format!("127.0.0.1:{port}")
    } else {
        text.to_string()
    };
    full.to_socket_addrs()
        .map_err(|e| format!("cannot listen on '{text}': {e} (expected HOST:PORT, e.g. 127.0.0.1:8233)"))?
        .next()
        .ok_or_else(|| format!("cannot listen on '{text}': the name resolves to no address"))
}

/// Anything but loopback is reachable by others: only with a token.
pub fn check_exposure(address: &SocketAddr, token: Option<&str>) -> Result<(), String> {
    if address.ip().is_loopback() || token.is_some_and(|t| !t.is_empty()) {
        return Ok(());
    }
    Err(format!(
        "the dashboard would listen on {address}, which other machines can reach: give it a token with --token TOKEN (or DUROXIDE_UI_TOKEN), or listen on 127.0.0.1"
    ))
}

/// Binds now, so a taken port is reported before anything else starts.
pub fn bind(address: SocketAddr) -> Result<std::net::TcpListener, String> {
    let listener = std::net::TcpListener::bind(address).map_err(|e| format!("the dashboard cannot listen on {address}: {e}"))?;
    listener.set_nonblocking(true).map_err(|e| format!("the dashboard cannot listen on {address}: {e}"))?;
    Ok(listener)
}

/// The URL to print for a bound listener.
pub fn url_of(listener: &std::net::TcpListener) -> String {
    match listener.local_addr() {
        Ok(a) if a.ip().is_unspecified() => format!("http://127.0.0.1:{}/", a.port()),
        Ok(a) => format!("http://{a}/"),
        Err(_) => "the dashboard".into(),
    }
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

async fn page_not_found() -> Response {
    (StatusCode::NOT_FOUND, Html(html::page("Not found", "", "<h1>Not found</h1><p><a href=\"/\">All instances</a></p>"))).into_response()
}

pub fn router(app: Arc<App>) -> Router {
    let api = Router::new()
        .route("/api/instances", get(api::list).post(api::start))
        .route("/api/instances/:id", get(api::instance).delete(api::delete))
        .route("/api/instances/:id/history", get(api::history))
        .route("/api/instances/:id/events/:event", post(api::raise))
        .route("/api/instances/:id/queues/:queue", post(api::enqueue))
        .route("/api/instances/:id/cancel", post(api::cancel))
        .route("/api/metrics", get(api::metrics))
        .route("/api", any(api::not_found))
        .route("/api/*rest", any(api::not_found));
    let pages = Router::new()
        .route("/", get(pages::instances))
        .route("/instances/:id", get(pages::instance))
        .route("/instances/:id/live", get(pages::instance_live))
        .route("/metrics", get(pages::metrics))
        .route("/metrics/live", get(pages::metrics_live))
        .route("/login", get(pages::login_form).post(pages::login))
        .route("/assets/app.css", get(|| async { asset("text/css; charset=utf-8", include_str!("assets/app.css")) }))
        .route("/assets/app.js", get(|| async { asset("text/javascript; charset=utf-8", include_str!("assets/app.js")) }));
    api.merge(pages)
        .fallback(page_not_found)
        .layer(axum::middleware::from_fn_with_state(app.clone(), auth::guard))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(app)
}

/// Serves until `stop` resolves.
pub async fn serve(
    listener: std::net::TcpListener,
    app: Arc<App>,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), String> {
    let address = listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
    let listener = tokio::net::TcpListener::from_std(listener).map_err(|e| format!("the dashboard cannot listen on {address}: {e}"))?;
    axum::serve(listener, router(app)).with_graceful_shutdown(stop).await.map_err(|e| format!("the dashboard on {address} stopped: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_addresses() {
        assert_eq!(listen_address("8300").unwrap().to_string(), "127.0.0.1:8300");
        assert_eq!(listen_address(":8300").unwrap().to_string(), "127.0.0.1:8300");
        assert_eq!(listen_address("0.0.0.0:80").unwrap().to_string(), "0.0.0.0:80");
        let err = listen_address("nowhere").unwrap_err();
        assert!(err.starts_with("cannot listen on 'nowhere'"), "{err}");
    }

    #[test]
    fn only_loopback_goes_without_a_token() {
        assert!(check_exposure(&listen_address("127.0.0.1:1").unwrap(), None).is_ok());
        assert!(check_exposure(&listen_address("[::1]:1").unwrap(), None).is_ok());
        let err = check_exposure(&listen_address("0.0.0.0:1").unwrap(), None).unwrap_err();
        assert!(err.contains("--token"), "{err}");
        assert!(check_exposure(&listen_address("0.0.0.0:1").unwrap(), Some("")).is_err());
        assert!(check_exposure(&listen_address("0.0.0.0:1").unwrap(), Some("t")).is_ok());
    }
}
