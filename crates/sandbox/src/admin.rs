//! The admin API (SB-04, SB-05, SB-06) on its own port: faults, clock, request log, base URLs,
//! reset, and each system's own admin routes under `/admin/<system>/…` (seeding data and
//! driving external actors such as "the customer pays on the terminal").
//!
//! Errors are `{"error": "<field>: <reason>"}` with status 400/404/422.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::faults::FaultSpec;
use crate::shared::Shared;
use crate::system::System;
use crate::{freshdesk, nets, pgw, pixi, postfinance, smallinvoice, smtp, unzer};

/// An admin error: status plus `{"error": …}`.
pub struct AdminError(pub StatusCode, pub String);

impl AdminError {
    /// 400 naming the field.
    pub fn bad(field: &str, reason: impl std::fmt::Display) -> Self {
        AdminError(StatusCode::BAD_REQUEST, format!("{field}: {reason}"))
    }

    /// 404 for a missing thing.
    pub fn not_found(what: impl std::fmt::Display) -> Self {
        AdminError(StatusCode::NOT_FOUND, format!("{what} not found"))
    }
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        (self.0, Json(serde_json::json!({ "error": self.1 }))).into_response()
    }
}

/// The complete admin router.
pub fn router(shared: Shared) -> Router {
    Router::new()
        .route("/admin/health", get(|| async { "ok" }))
        .route("/admin/urls", get(urls))
        .route("/admin/faults", get(list_faults).post(add_fault).delete(clear_faults))
        .route("/admin/faults/fired", get(fired_faults))
        .route("/admin/clock", get(get_clock))
        .route("/admin/clock/advance", post(advance_clock))
        .route("/admin/clock/set", post(set_clock))
        .route("/admin/requests", get(requests).delete(clear_requests))
        .with_state(shared.clone())
        .nest("/admin/pixi", pixi::admin(shared.clone()))
        .nest("/admin/unzer", unzer::admin(shared.clone()))
        .nest("/admin/nets", nets::admin(shared.clone()))
        .nest("/admin/pgw", pgw::admin(shared.clone()))
        .nest("/admin/smallinvoice", smallinvoice::admin(shared.clone()))
        .nest("/admin/freshdesk", freshdesk::admin(shared.clone()))
        .nest("/admin/postfinance", postfinance::admin(shared.clone()))
        .nest("/admin/smtp", smtp::admin(shared))
}

async fn urls(State(s): State<Shared>) -> impl IntoResponse {
    Json(s.0.urls.get().cloned().unwrap_or_default())
}

async fn list_faults(State(s): State<Shared>) -> impl IntoResponse {
    Json(s.0.faults.rules())
}

async fn add_fault(State(s): State<Shared>, body: axum::body::Bytes) -> Result<StatusCode, AdminError> {
    let spec: FaultSpec = serde_json::from_slice(&body).map_err(|e| AdminError::bad("body", e))?;
    spec.validate().map_err(|e| AdminError(StatusCode::BAD_REQUEST, e))?;
    s.0.faults.add(spec);
    Ok(StatusCode::NO_CONTENT)
}

async fn clear_faults(State(s): State<Shared>) -> StatusCode {
    s.0.faults.clear();
    StatusCode::NO_CONTENT
}

async fn fired_faults(State(s): State<Shared>) -> impl IntoResponse {
    Json(s.0.faults.fired())
}

async fn get_clock(State(s): State<Shared>) -> impl IntoResponse {
    Json(serde_json::json!({ "now": s.now(), "offset_ms": s.0.clock.offset_ms() }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    #[serde(default)]
    seconds: i64,
    #[serde(default)]
    ms: i64,
}

async fn advance_clock(State(s): State<Shared>, body: axum::body::Bytes) -> Result<impl IntoResponse, AdminError> {
    let a: Advance = serde_json::from_slice(&body).map_err(|e| AdminError::bad("body", e))?;
    let ms = a
        .seconds
        .checked_mul(1000)
        .and_then(|x| x.checked_add(a.ms))
        .ok_or_else(|| AdminError::bad("seconds", "too large"))?;
    if ms < 0 {
        return Err(AdminError::bad("seconds", "time only moves forward"));
    }
    s.0.clock.advance_ms(ms);
    Ok(Json(serde_json::json!({ "now": s.now() })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetClock {
    at: DateTime<Utc>,
}

async fn set_clock(State(s): State<Shared>, body: axum::body::Bytes) -> Result<impl IntoResponse, AdminError> {
    let c: SetClock = serde_json::from_slice(&body).map_err(|e| AdminError::bad("at", e))?;
    s.0.clock.set(c.at);
    Ok(Json(serde_json::json!({ "now": s.now() })))
}

#[derive(Deserialize)]
struct RequestQuery {
    system: Option<String>,
    #[serde(default)]
    since: u64,
}

async fn requests(State(s): State<Shared>, Query(q): Query<RequestQuery>) -> Result<impl IntoResponse, AdminError> {
    let system = q.system.map(|n| n.parse::<System>()).transpose().map_err(|e| AdminError::bad("system", e))?;
    Ok(Json(s.0.log.list(system, q.since)))
}

async fn clear_requests(State(s): State<Shared>) -> StatusCode {
    s.0.log.clear();
    StatusCode::NO_CONTENT
}
