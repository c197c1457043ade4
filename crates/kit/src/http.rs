//! Plain HTTP listeners: the admin port every service has (`/livez`, `/readyz`, `/metrics`,
//! OP-03) and a helper to serve any other axum router (web pages, webhooks) with the same
//! graceful shutdown.

use std::net::SocketAddr;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::readiness::Readiness;

/// The largest request body any payops HTTP endpoint reads (axum's default for its extractors).
pub const BODY_LIMIT: usize = 2 * 1024 * 1024;

/// Reads the request body (up to [`BODY_LIMIT`]) before the router sees the request, so every
/// answer — a 404 or 405 for a route that never reads a body included — comes after the body
/// was taken off the connection: a client sending a large body to the wrong place gets its
/// answer instead of a reset connection (SE-07). A larger body answers 413 with a JSON error.
pub async fn read_body_first(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let (parts, body) = request.into_parts();
    match axum::body::to_bytes(body, BODY_LIMIT).await {
        Ok(bytes) => next.run(axum::extract::Request::from_parts(parts, axum::body::Body::from(bytes))).await,
        Err(_) => (
            StatusCode::PAYLOAD_TOO_LARGE,
            axum::Json(serde_json::json!({
                "error": format!("request body larger than {BODY_LIMIT} bytes"),
                "reason": "BODY_TOO_LARGE",
            })),
        )
            .into_response(),
    }
}

/// A bound HTTP listener with its router.
pub struct HttpServer {
    listener: TcpListener,
    local_addr: SocketAddr,
    router: Router,
}

impl HttpServer {
    /// Binds `addr` for `router`.
    pub async fn bind(addr: SocketAddr, router: Router) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let local_addr = listener.local_addr()?;
        let router = router.layer(axum::middleware::from_fn(read_body_first));
        Ok(HttpServer { listener, local_addr, router })
    }

    /// The admin port: `/livez` (process alive, no dependency checks), `/readyz` (database and
    /// bus usable and not shutting down), `/metrics` (Prometheus text), plus `extra` routes.
    pub async fn admin(addr: SocketAddr, readiness: Readiness, extra: Router) -> std::io::Result<Self> {
        let handle = crate::metrics::install();
        let router = Router::new()
            .route("/livez", get(|| async { "ok" }))
            .route(
                "/readyz",
                get(move || {
                    let r = readiness.clone();
                    async move {
                        if r.is_ready() {
                            (StatusCode::OK, "ready").into_response()
                        } else {
                            (StatusCode::SERVICE_UNAVAILABLE, "not ready").into_response()
                        }
                    }
                }),
            )
            .route(
                "/metrics",
                get(move || {
                    let h = handle.clone();
                    async move { ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], h.render()) }
                }),
            )
            .merge(extra);
        Self::bind(addr, router).await
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serves until `token` is cancelled, finishing in-flight requests.
    pub async fn serve(self, token: CancellationToken) -> std::io::Result<()> {
        axum::serve(self.listener, self.router).with_graceful_shutdown(token.cancelled_owned()).await
    }
}
