//! The public HTTP port (default 8051): unzer webhooks and the tenants' error pages.
//!
//! - `POST /unzer/webhooks/{tenant_id}/{secret}`: unzer cannot sign webhooks, so the URL
//!   carries a per-tenant secret (registered with unzer when a payment configuration is
//!   saved). A webhook is only a trigger: the payment's orders become due now and the worker
//!   reads the payment itself; the body is never taken as state.
//! - `GET /errors/{token}` (PX-31): the tenant's problem orders, read-only, without login,
//!   behind an unguessable token, refreshing every minute.

mod errors;
mod webhooks;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::grpc::Api;

/// Largest webhook body accepted.
const MAX_BODY: usize = 64 * 1024;

/// Requests served at once on the public port; more wait for a slot.
const MAX_IN_FLIGHT: usize = 256;

/// The public router.
pub fn router(api: Api) -> Router {
    let cache = std::sync::Arc::new(webhooks::Cache::default());
    let hooks = Router::new()
        .route("/unzer/webhooks/{tenant_id}/{secret}", post(webhooks::receive))
        .with_state((api.clone(), cache));
    Router::new()
        .route("/errors/{token}", get(errors::page))
        .route("/payops.css", get(|| async { (webui::asset_headers("text/css; charset=utf-8"), webui::CSS) }))
        .route("/errors.css", get(|| async { (webui::asset_headers("text/css; charset=utf-8"), errors::CSS) }))
        .with_state(api)
        .merge(hooks)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(tower::limit::ConcurrencyLimitLayer::new(MAX_IN_FLIGHT))
}

/// A JSON error body `{"error": …, "fields": [{"field": …, "reason": …}]}`.
pub(crate) fn json_error(
    status: axum::http::StatusCode,
    error: &str,
    fields: &[(&str, &str)],
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let fields: Vec<serde_json::Value> =
        fields.iter().map(|(f, r)| serde_json::json!({ "field": f, "reason": r })).collect();
    (status, axum::Json(serde_json::json!({ "error": error, "fields": fields }))).into_response()
}
