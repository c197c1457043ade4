//! Code generation (`POST /api/v1/prod/{transactions/{id}|devices/{b_code}}/codes`): PROD
//! only, every generation recorded, the new code becomes the transaction's current code;
//! `Idempotency-Key` replays the recorded generation.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Duration;
use serde::Deserialize;

use super::handlers::{authorize, device_not_found, field, parse_id, tx_not_found};
use super::model::{CodeGrant, Env, Generation, TxStatus, parse_chf};
use super::wire::{ApiError, GenerationView, generation_view};
use crate::shared::Shared;
use crate::system::System;

/// Validity of a new code when the device is unknown to PGW, in hours.
const DEFAULT_VALIDITY_HOURS: u32 = 72;

/// Optional body of a code generation.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct GenerateBody {
    requested_by: Option<String>,
    reason: Option<String>,
    /// Device-level codes only: the amount the code pays for, CHF.
    amount: Option<String>,
}

/// What a generation is for.
enum Target {
    Transaction(String),
    Device(String),
}

/// `POST /api/v1/prod/transactions/{id}/codes`
pub async fn generate_for_transaction(
    AxState(shared): AxState<Shared>,
    Path((env, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    generate(shared, env, Target::Transaction(id), headers, body).await
}

/// `POST /api/v1/prod/devices/{b_code}/codes`
pub async fn generate_for_device(
    AxState(shared): AxState<Shared>,
    Path((env, b_code)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    generate(shared, env, Target::Device(b_code), headers, body).await
}

async fn generate(shared: Shared, env: String, target: Target, headers: HeaderMap, body: Bytes) -> Response {
    let s = shared.clone();
    shared
        .guard(System::Pgw, "generate_code", async move {
            match generate_now(&s, &env, target, &headers, &body) {
                Ok((status, v)) => {
                    let mut r = (status, Json(v)).into_response();
                    if status == StatusCode::OK {
                        r.headers_mut().insert("idempotent-replayed", http::HeaderValue::from_static("true"));
                    }
                    r
                }
                Err(e) => e.into_response(),
            }
        })
        .await
}

fn generate_now(
    s: &Shared,
    env: &str,
    target: Target,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(StatusCode, GenerationView), ApiError> {
    let mut state = Shared::lock(&s.0.pgw);
    let env = authorize(&state, env, headers)?;
    if env != Env::Prod {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "prod_only",
            "codes can only be generated in the PROD environment",
        ));
    }
    let req: GenerateBody = if body.iter().all(u8::is_ascii_whitespace) {
        GenerateBody::default()
    } else {
        serde_json::from_slice::<Option<GenerateBody>>(body)
            .map_err(|e| ApiError::invalid(vec![field("body", e.to_string())]))?
            .unwrap_or_default()
    };
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_owned);
    if key.as_ref().is_some_and(|k| k.is_empty() || k.len() > 255) {
        return Err(ApiError::invalid(vec![field("Idempotency-Key", "must be 1 to 255 characters")]));
    }
    let now = s.now();
    let seed = s.0.seed;
    // Resolve the target: (transaction index, device b-code, amount).
    let (tx_index, device, amount) = match &target {
        Target::Transaction(id) => {
            let id = parse_id(id)?;
            let es = state.env(env);
            let i = es.transactions.iter().position(|t| t.id == id).ok_or_else(|| tx_not_found(id))?;
            let t = &es.transactions[i];
            if t.status != TxStatus::Completed {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "transaction_not_completed",
                    format!("transaction {id} did not complete; no code can be issued"),
                ));
            }
            (Some(i), t.device.clone(), t.amount_rappen)
        }
        Target::Device(b) => {
            let d = state.env(env).device(b).ok_or_else(|| device_not_found(b))?;
            let amount = match req.amount.as_deref().map(parse_chf) {
                Some(Some(a)) if a > 0 => a,
                Some(_) => return Err(ApiError::invalid(vec![field("amount", "expected CHF such as 3.50")])),
                None => return Err(ApiError::invalid(vec![field("amount", "required for a device-level code")])),
            };
            (None, d.b_code.clone(), amount)
        }
    };
    let tx_id = tx_index.map(|i| state.env(env).transactions[i].id);
    let internal_id = state.env(env).device(&device).map(|d| d.internal_id.clone()).unwrap_or_default();
    let honour = !state.behaviour.ignore_idempotency_key;
    if let Some(k) = key.as_ref().filter(|_| honour)
        && let Some(g) = state.env(env).generations.iter().find(|g| g.idempotency_key.as_ref() == Some(k))
    {
        if g.transaction_id == tx_id && g.device.eq_ignore_ascii_case(&device) {
            return Ok((StatusCode::OK, generation_view(g, &internal_id)));
        }
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_key_reused",
            "this Idempotency-Key was already used for another target",
        ));
    }
    let hours = state.env(env).device(&device).map_or(DEFAULT_VALIDITY_HOURS, |d| d.code_validity_hours);
    let valid_until = now + Duration::hours(i64::from(hours));
    let code = state.next_code(seed);
    let id = state.next_generation_id();
    let g = Generation {
        id,
        env,
        transaction_id: tx_id,
        device,
        amount_rappen: amount,
        code: code.clone(),
        valid_until,
        generated_at: now,
        idempotency_key: key,
        requested_by: req.requested_by,
        reason: req.reason,
    };
    let view = generation_view(&g, &internal_id);
    let es = state.env_mut(env);
    if let Some(i) = tx_index {
        es.transactions[i].codes.push(CodeGrant { code, valid_until, issued_at: now, origin: "generated".into() });
    }
    es.generations.push(g);
    Ok((StatusCode::CREATED, view))
}
