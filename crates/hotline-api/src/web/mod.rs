//! The web port (8053): the German agent portal page — HTML, JavaScript and CSS embedded in
//! the binary, the shared look (`/payops.css`, `/payops.js`) from the `webui` crate that
//! pixi-sync's console uses too — and its HTTP/JSON API under `/api`. Every answer carries a
//! strict Content Security Policy (scripts and styles from this origin only, no inline code,
//! no framing); API answers are never cached.

mod agents;
mod api;
mod error;
mod json;
pub mod session;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::service::Hotline;

const INDEX: &str = include_str!("assets/index.html");
const APP_JS: &str = include_str!("assets/app.js");
const APP_CSS: &str = include_str!("assets/app.css");

/// The page and its API.
pub fn router(hotline: Arc<Hotline>) -> Router {
    let api = Router::new()
        .route("/login", post(api::login))
        .route("/logout", post(api::logout))
        .route("/me", get(api::me))
        .route("/b2c/lookup", post(api::lookup))
        .route("/b2c/generate", post(api::generate))
        .route("/b2c/ticket", post(api::b2c_ticket))
        .route("/b2b/customers", get(api::customers))
        .route("/b2b/customers/{id}/invoices", get(api::invoices))
        .route("/b2b/ticket", post(api::b2b_ticket))
        .route("/overview", get(api::overview))
        .route("/orders/{id}/timeline", get(api::timeline))
        .route("/audit", get(api::audit))
        .route("/agents", post(api::create_agent).get(agents::list))
        .route("/agents/{username}/active", post(agents::set_active))
        .route("/agents/{username}/role", post(agents::set_role))
        .route("/agents/{username}/password", post(agents::reset_password))
        .route("/agents/{username}/unlock", post(agents::unlock))
        .fallback(|| async {
            (StatusCode::NOT_FOUND, axum::Json(serde_json::json!({"error": "Nicht gefunden", "reason": "NOT_FOUND"})))
        })
        .with_state(hotline)
        .layer(axum::middleware::from_fn(webui::json_errors));
    Router::new()
        .route("/", get(|| async { asset(INDEX, "text/html; charset=utf-8") }))
        .route("/app.js", get(|| async { asset(APP_JS, "text/javascript; charset=utf-8") }))
        .route("/app.css", get(|| async { asset(APP_CSS, "text/css; charset=utf-8") }))
        .route("/payops.css", get(|| async { asset(webui::CSS, "text/css; charset=utf-8") }))
        .route("/payops.js", get(|| async { asset(webui::JS, "text/javascript; charset=utf-8") }))
        .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
        .nest("/api", api)
        .layer(axum::middleware::from_fn(headers))
        .layer(axum::middleware::from_fn(kit::http::read_body_first))
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "no-cache")], body).into_response()
}

/// Security headers, no caching of API answers, and one metric per request.
async fn headers(req: Request, next: Next) -> Response {
    let route = route_label(req.uri().path());
    let is_api = req.uri().path().starts_with("/api/");
    let started = std::time::Instant::now();
    let mut r = next.run(req).await;
    let h = r.headers_mut();
    webui::security_headers(h);
    if is_api {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    let status = r.status().as_u16().to_string();
    metrics::counter!("payops_hotline_http_requests_total", "route" => route, "status" => status).increment(1);
    metrics::histogram!("payops_hotline_http_request_duration_seconds", "route" => route)
        .record(started.elapsed().as_secs_f64());
    r
}

/// A bounded metric label for a path: the API area, never an id.
fn route_label(path: &str) -> &'static str {
    const AREAS: [&str; 9] = [
        "/api/login",
        "/api/logout",
        "/api/me",
        "/api/b2c",
        "/api/b2b",
        "/api/overview",
        "/api/orders",
        "/api/audit",
        "/api/agents",
    ];
    AREAS
        .into_iter()
        .find(|a| path == *a || path.starts_with(&format!("{a}/")))
        .unwrap_or(if path.starts_with("/api/") { "/api/other" } else { "/page" })
}

/// A bound web listener.
pub struct WebServer {
    listener: TcpListener,
    addr: SocketAddr,
    router: Router,
}

impl WebServer {
    /// Binds `addr`.
    pub async fn bind(addr: SocketAddr, hotline: Arc<Hotline>) -> std::io::Result<WebServer> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        Ok(WebServer { listener, addr, router: router(hotline) })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves until `token` is cancelled, finishing in-flight requests.
    pub async fn serve(self, token: CancellationToken) {
        let service = self.router.into_make_service_with_connect_info::<SocketAddr>();
        if let Err(e) = axum::serve(self.listener, service).with_graceful_shutdown(token.cancelled_owned()).await {
            tracing::error!(error = %e, "web server failed");
        }
    }
}
