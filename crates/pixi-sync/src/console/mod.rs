//! The merchant console (CN-01 … CN-07): German web pages on their own port (default 8151) —
//! the seed's "iungo CP" screens pixi API, E-Mail, Konfiguration (Konfigurations-Center) and
//! Dashboard, plus Abgleich (reconciliation), Konfigurationsfehler, Betrieb and Benutzer —
//! behind a login whose roles carry the permission names of the gRPC API (see [`gate`]).
//!
//! The page is plain HTML, CSS and JavaScript embedded in the binary (no build step), with the
//! shared look of the `webui` crate; a strict Content Security Policy allows no inline code.
//! Every screen has a stable URL that serves the same page, which shows the screen the URL
//! names: `/o/{tenant}/pixi-api`, `/o/{tenant}/e-mail`, `/o/{tenant}/konfiguration[/{id}]`,
//! `/o/{tenant}/dashboard[?filters]`, `/o/{tenant}/bestellung/{pixi_api}/{order_nr}`,
//! `/o/{tenant}/abgleich`, `/o/{tenant}/konfigurationsfehler`, `/o/{tenant}/betrieb`,
//! `/o/{tenant}/benutzer`, `/organisationen`, and `/bestellungen/{order_nr}` — the link
//! hotline-api shows for an order (HL-41), which finds the order among the user's tenants.

pub mod api;
pub mod auth;
pub mod error;
pub mod gate;
pub mod german;
pub mod json;
pub mod session;
pub mod status;

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

use crate::grpc::{Api, ConsoleUsers, Dashboard, PaymentConfigs, Tenants};

const INDEX: &str = include_str!("assets/index.html");
const CONSOLE_JS: &str = include_str!("assets/console.js");
const CONSOLE_CSS: &str = include_str!("assets/console.css");

/// Largest request body the console accepts.
const MAX_BODY: usize = 64 * 1024;

/// What the console's handlers share.
pub struct Console {
    /// Logins and sessions.
    pub auth: auth::Auth,
    /// The gRPC service objects, behind the permission check.
    pub gate: gate::Gate,
    /// Shared service parts (settings such as the public base URL).
    pub api: Api,
}

impl Console {
    /// The console over the same `api` the gRPC services use.
    pub fn new(api: Api) -> Self {
        let gate = gate::Gate {
            tenants: Tenants::new(api.clone()),
            configs: PaymentConfigs::new(api.clone()),
            dashboard: Dashboard::new(api.clone()),
            users: ConsoleUsers::new(api.clone()),
        };
        Console { auth: api.console.clone(), gate, api }
    }
}

/// The page, its assets and its API.
pub fn router(console: Arc<Console>) -> Router {
    use api::{auth as a, configs as c, operations as ops, orders as o, setup as s};
    let api = Router::new()
        .route("/login", post(a::login))
        .route("/logout", post(a::logout))
        .route("/me", get(a::me))
        .route("/orgs", get(s::orgs).post(s::create_org))
        .route("/orders/{nr}", get(o::lookup))
        .route("/o/{t}/pixi-apis", get(s::pixi_apis).post(s::save_pixi_api))
        .route("/o/{t}/pixi-apis/{id}/methods", get(s::methods))
        .route("/o/{t}/preflight", post(s::preflight))
        .route("/o/{t}/smtp", get(s::smtp).post(s::save_smtp))
        .route("/o/{t}/smtp/test", post(s::test_mail))
        .route("/o/{t}/error-page-link", post(s::rotate_link))
        .route("/o/{t}/users", get(s::users).post(s::save_user))
        .route("/o/{t}/configs", get(c::list).post(c::save))
        .route("/o/{t}/configs/copy", post(c::copy))
        .route("/o/{t}/configs/{id}", get(c::get))
        .route("/o/{t}/orders", get(o::list))
        .route("/o/{t}/orders/{api}/{nr}", get(o::detail))
        .route("/o/{t}/orders/{api}/{nr}/solved", post(o::solved))
        .route("/o/{t}/orders/{api}/{nr}/retry", post(o::retry))
        .route("/o/{t}/config-problems", get(ops::config_problems))
        .route("/o/{t}/mismatches", get(ops::mismatches))
        .route("/o/{t}/reconcile", post(ops::reconcile))
        .route("/o/{t}/status", get(ops::status))
        .fallback(|| async { error::ApiError::not_found("Seite") })
        .with_state(console)
        .layer(axum::middleware::from_fn(webui::json_errors));
    let page = || async { asset(INDEX, "text/html; charset=utf-8") };
    Router::new()
        .route("/", get(page))
        .route("/organisationen", get(page))
        .route("/bestellungen", get(page))
        .route("/bestellungen/{nr}", get(page))
        .route("/o/{t}", get(page))
        .route("/o/{t}/{*screen}", get(page))
        .route("/payops.css", get(|| async { asset(webui::CSS, "text/css; charset=utf-8") }))
        .route("/payops.js", get(|| async { asset(webui::JS, "text/javascript; charset=utf-8") }))
        .route("/console.css", get(|| async { asset(CONSOLE_CSS, "text/css; charset=utf-8") }))
        .route("/console.js", get(|| async { asset(CONSOLE_JS, "text/javascript; charset=utf-8") }))
        .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
        .nest("/api", api)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::from_fn(headers))
        .layer(axum::middleware::from_fn(kit::http::read_body_first))
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    (webui::asset_headers(content_type), body).into_response()
}

/// Security headers, no caching of API answers, one metric per request.
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
    metrics::counter!(crate::metrics::CONSOLE_REQUESTS, "route" => route, "status" => status).increment(1);
    metrics::histogram!(crate::metrics::CONSOLE_SECONDS, "route" => route).record(started.elapsed().as_secs_f64());
    r
}

/// A bounded metric label for a path: the API area, never an id.
fn route_label(path: &str) -> &'static str {
    let Some(rest) = path.strip_prefix("/api/") else { return "page" };
    let area = match rest.strip_prefix("o/") {
        Some(scoped) => scoped.split('/').nth(1).unwrap_or(""),
        None => rest.split('/').next().unwrap_or(""),
    };
    match area {
        "login" => "api/login",
        "logout" => "api/logout",
        "me" => "api/me",
        "orgs" => "api/orgs",
        "orders" => "api/orders",
        "pixi-apis" => "api/pixi-apis",
        "smtp" => "api/smtp",
        "configs" => "api/configs",
        "users" => "api/users",
        "config-problems" | "mismatches" | "reconcile" | "status" | "preflight" => "api/operations",
        _ => "api/other",
    }
}

/// The console's bound listener.
pub struct ConsoleServer {
    listener: TcpListener,
    addr: SocketAddr,
    router: Router,
}

impl ConsoleServer {
    /// Binds `addr`.
    pub async fn bind(addr: SocketAddr, console: Arc<Console>) -> std::io::Result<ConsoleServer> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        Ok(ConsoleServer { listener, addr, router: router(console) })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves until `token` is cancelled, finishing in-flight requests.
    pub async fn serve(self, token: CancellationToken) {
        let service = self.router.into_make_service_with_connect_info::<SocketAddr>();
        if let Err(e) = axum::serve(self.listener, service).with_graceful_shutdown(token.cancelled_owned()).await {
            tracing::error!(error = %e, "console server failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_routes_never_carry_ids() {
        assert_eq!(route_label("/api/o/0190-aa/orders/0190-bb/4711"), "api/orders");
        assert_eq!(route_label("/api/orders/4711"), "api/orders");
        assert_eq!(route_label("/api/login"), "api/login");
        assert_eq!(route_label("/o/x/dashboard"), "page");
        assert_eq!(route_label("/api/o/x/whatever"), "api/other");
    }

    #[test]
    fn the_page_has_no_inline_code() {
        assert!(!INDEX.contains("<script>") && !INDEX.contains("<style") && !INDEX.contains("style="), "inline code");
        let handlers = INDEX.split(" on").skip(1).filter(|rest| {
            let name: String = rest.chars().take_while(char::is_ascii_lowercase).collect();
            !name.is_empty() && rest[name.len()..].starts_with('=')
        });
        assert_eq!(handlers.count(), 0, "inline event handlers");
        assert!(!CONSOLE_JS.contains("innerHTML"), "server data is put into the page as text only");
    }
}
