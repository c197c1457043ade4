//! The PGW read handlers (`/api/v1/{env}/…`): API-key check per environment, searches, code
//! and device lookups and the daily listing (code generation is in `generate`). Every handler
//! runs under its fault operation.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State as AxState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{Duration, NaiveDate, NaiveTime};
use uuid::Uuid;

use super::State;
use super::model::{Criteria, Env, chf, is_b_code, normalize_mobile};
use super::wire::{ApiError, FieldError, code_view, device_view, transaction_view};
use crate::shared::Shared;
use crate::system::System;

type Pairs = Result<Query<Vec<(String, String)>>, QueryRejection>;

pub(super) fn field(field: &str, reason: impl Into<String>) -> FieldError {
    FieldError { field: field.into(), reason: reason.into() }
}

/// Resolves the environment segment and checks the `X-API-Key` header against its keys.
pub(super) fn authorize(state: &State, env: &str, headers: &HeaderMap) -> Result<Env, ApiError> {
    let Some(env) = Env::parse(env) else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_environment",
            format!("unknown environment {env:?} (use prod or test)"),
        ));
    };
    let Some(key) = headers.get("x-api-key").and_then(|v| v.to_str().ok()).filter(|k| !k.is_empty()) else {
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, "missing_api_key", "the X-API-Key header is missing"));
    };
    if !state.env(env).api_keys.contains(key) {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_api_key",
            format!("the API key is not valid for the {} environment", env.name()),
        ));
    }
    Ok(env)
}

fn parse_time(s: &str, end_of_minute: bool) -> Option<NaiveTime> {
    if let Ok(t) = NaiveTime::parse_from_str(s, "%H:%M:%S") {
        return Some(t);
    }
    let t = NaiveTime::parse_from_str(s, "%H:%M").ok()?;
    Some(if end_of_minute { t + Duration::seconds(59) } else { t })
}

fn parse_criteria(pairs: Vec<(String, String)>) -> Result<Criteria, ApiError> {
    let mut errors = Vec::new();
    let mut c = Criteria::default();
    let mut date = None;
    for (k, v) in pairs {
        let v = v.trim();
        match k.as_str() {
            "mobile" => match normalize_mobile(v) {
                Some(m) => c.mobile = Some(m),
                None => errors.push(field("mobile", "expected a mobile number such as +41791234567 or 079 123 45 67")),
            },
            "twint_ref" => match Uuid::parse_str(v) {
                Ok(u) => c.twint_ref = Some(u),
                Err(_) => errors.push(field("twint_ref", "expected the TWINT transaction number (a UUID)")),
            },
            "device" => match is_b_code(v) {
                true => c.device = Some(v.to_ascii_lowercase()),
                false => errors.push(field("device", "expected a b-code: b followed by letters or digits")),
            },
            "date" => match NaiveDate::parse_from_str(v, "%Y-%m-%d") {
                Ok(d) => date = Some(d),
                Err(_) => errors.push(field("date", "expected YYYY-MM-DD")),
            },
            "from" => match parse_time(v, false) {
                Some(t) => c.from = Some(t),
                None => errors.push(field("from", "expected HH:MM or HH:MM:SS")),
            },
            "to" => match parse_time(v, true) {
                Some(t) => c.to = Some(t),
                None => errors.push(field("to", "expected HH:MM or HH:MM:SS")),
            },
            other => errors.push(field(other, "unknown parameter")),
        }
    }
    let keyed = errors.iter().any(|e| matches!(e.field.as_str(), "mobile" | "twint_ref" | "device"));
    if c.mobile.is_none() && c.twint_ref.is_none() && c.device.is_none() && !keyed {
        errors.push(field("mobile", "one of mobile, twint_ref or device is required"));
    }
    match date {
        Some(d) => c.date = d,
        None if !errors.iter().any(|e| e.field == "date") => {
            errors.push(field("date", "required: the local payment day (Europe/Zurich), YYYY-MM-DD"));
        }
        None => {}
    }
    if let (Some(f), Some(t)) = (c.from, c.to)
        && f > t
    {
        errors.push(field("to", "must not be before from"));
    }
    if errors.is_empty() { Ok(c) } else { Err(ApiError::invalid(errors)) }
}

/// `GET /api/v1/{env}/transactions?mobile|twint_ref|device&date[&from&to]`
pub async fn search(
    AxState(shared): AxState<Shared>,
    Path(env): Path<String>,
    headers: HeaderMap,
    query: Pairs,
) -> Response {
    let s = shared.clone();
    shared
        .guard(System::Pgw, "search", async move {
            let state = Shared::lock(&s.0.pgw);
            let env = match authorize(&state, &env, &headers) {
                Ok(e) => e,
                Err(e) => return e.into_response(),
            };
            let pairs = match query {
                Ok(Query(p)) => p,
                Err(e) => return ApiError::invalid(vec![field("query", e.body_text())]).into_response(),
            };
            let c = match parse_criteria(pairs) {
                Ok(c) => c,
                Err(e) => return e.into_response(),
            };
            let es = state.env(env);
            let now = s.now();
            let items: Vec<_> = es.search(&c).into_iter().map(|t| transaction_view(es, t, now)).collect();
            let v = serde_json::json!({ "environment": env, "count": items.len(), "items": items });
            Json(state.behaviour.omit(v)).into_response()
        })
        .await
}

pub(super) fn parse_id(id: &str) -> Result<u64, ApiError> {
    id.parse().map_err(|_| ApiError::invalid(vec![field("id", "expected a PGW transaction number")]))
}

pub(super) fn tx_not_found(id: u64) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "transaction_not_found", format!("no transaction {id}"))
}

/// `GET /api/v1/{env}/transactions/{id}`
pub async fn get_transaction(
    AxState(shared): AxState<Shared>,
    Path((env, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let s = shared.clone();
    shared
        .guard(System::Pgw, "get_transaction", async move {
            let state = Shared::lock(&s.0.pgw);
            let result = authorize(&state, &env, &headers).and_then(|env| {
                let id = parse_id(&id)?;
                let es = state.env(env);
                let t = es.transaction(id).ok_or_else(|| tx_not_found(id))?;
                let v = serde_json::to_value(transaction_view(es, t, s.now())).unwrap_or_default();
                Ok(Json(state.behaviour.omit(v)))
            });
            result.into_response()
        })
        .await
}

/// `GET /api/v1/{env}/transactions/{id}/code`
pub async fn get_code(
    AxState(shared): AxState<Shared>,
    Path((env, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let s = shared.clone();
    shared
        .guard(System::Pgw, "get_code", async move {
            let state = Shared::lock(&s.0.pgw);
            let result = authorize(&state, &env, &headers).and_then(|env| {
                let id = parse_id(&id)?;
                let t = state.env(env).transaction(id).ok_or_else(|| tx_not_found(id))?;
                let c = t.codes.last().ok_or_else(|| {
                    ApiError::new(
                        StatusCode::NOT_FOUND,
                        "code_not_found",
                        format!("transaction {id} has no code (status {:?})", t.status),
                    )
                })?;
                let mut v = serde_json::to_value(code_view(c, s.now())).unwrap_or_default();
                v["transaction_id"] = id.into();
                Ok(Json(v))
            });
            result.into_response()
        })
        .await
}

/// `GET /api/v1/{env}/devices/{b_code}`
pub async fn get_device(
    AxState(shared): AxState<Shared>,
    Path((env, b_code)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let s = shared.clone();
    shared
        .guard(System::Pgw, "get_device", async move {
            let state = Shared::lock(&s.0.pgw);
            let result = authorize(&state, &env, &headers).and_then(|env| {
                let d = state.env(env).device(&b_code).ok_or_else(|| device_not_found(&b_code))?;
                Ok(Json(device_view(d)))
            });
            result.into_response()
        })
        .await
}

pub(super) fn device_not_found(b_code: &str) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "device_not_found", format!("no device {b_code}"))
}

/// `GET /api/v1/{env}/days/{date}/transactions`
pub async fn day_transactions(
    AxState(shared): AxState<Shared>,
    Path((env, date)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let s = shared.clone();
    shared
        .guard(System::Pgw, "day_transactions", async move {
            let state = Shared::lock(&s.0.pgw);
            let result = authorize(&state, &env, &headers).and_then(|env| {
                let day = NaiveDate::parse_from_str(&date, "%Y-%m-%d")
                    .map_err(|_| ApiError::invalid(vec![field("date", "expected YYYY-MM-DD")]))?;
                let es = state.env(env);
                let now = s.now();
                let txs = es.day(day);
                let total: i64 = txs.iter().map(|t| t.amount_rappen).sum();
                let items: Vec<_> = txs.into_iter().map(|t| transaction_view(es, t, now)).collect();
                Ok(Json(state.behaviour.omit(serde_json::json!({
                    "environment": env,
                    "date": day.format("%Y-%m-%d").to_string(),
                    "timezone": "Europe/Zurich",
                    "count": items.len(),
                    "total": chf(total),
                    "currency": "CHF",
                    "items": items,
                }))))
            });
            result.into_response()
        })
        .await
}

/// Unknown paths: a JSON 404 like every other PGW error.
pub async fn not_found() -> Response {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint").into_response()
}
