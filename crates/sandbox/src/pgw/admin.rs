//! Admin routes of the PGW simulator (`/admin/pgw/…`): seed API keys, devices and
//! transactions (with their code and its validity), read transactions and every recorded code
//! generation.

use axum::body::Bytes;
use axum::extract::{Query, State as AxState};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::model::{CodeGrant, Device, Env, Generation, Transaction, TxStatus, is_b_code, normalize_mobile};
use super::wire::{DeviceView, TransactionView, device_view, transaction_view};
use crate::admin::AdminError;
use crate::shared::Shared;

/// Seeds an API key of one environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PgwApiKey {
    /// Environment the key is valid for.
    pub env: Env,
    /// The key (sent as `X-API-Key`).
    pub key: String,
}

/// Seeds a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PgwDevice {
    /// Environment.
    pub env: Env,
    /// b-code, e.g. `b10234`.
    pub b_code: String,
    /// Internal device id.
    pub internal_id: String,
    /// Sub-merchant.
    pub sub_merchant: String,
    /// Location text.
    #[serde(default)]
    pub location: String,
    /// Validity of codes issued at this device, hours (default 72).
    #[serde(default)]
    pub code_validity_hours: Option<u32>,
}

/// Seeds a transaction (a payment at a device) with its code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PgwTransaction {
    /// Environment.
    pub env: Env,
    /// PGW number (default: next free number).
    #[serde(default)]
    pub id: Option<u64>,
    /// TWINT transaction number (default: generated from the seed).
    #[serde(default)]
    pub twint_ref: Option<Uuid>,
    /// Device b-code (must be seeded first).
    pub device: String,
    /// Paying mobile number (normalised to E.164).
    pub mobile: String,
    /// Payment time.
    pub at: DateTime<Utc>,
    /// Amount in Rappen.
    pub amount_rappen: i64,
    /// Default `TWINT`.
    #[serde(default)]
    pub payment_method: Option<String>,
    /// Default `completed`.
    #[serde(default)]
    pub status: Option<TxStatus>,
    /// The code (default: generated; none unless completed).
    #[serde(default)]
    pub code: Option<String>,
    /// End of validity (default: `at` + the device's validity hours).
    #[serde(default)]
    pub valid_until: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize)]
struct EnvQuery {
    env: Option<Env>,
}

/// Routes under `/admin/pgw`.
pub fn routes(shared: Shared) -> Router {
    Router::new()
        .route("/api-keys", post(add_key))
        .route("/devices", post(add_device))
        .route("/transactions", post(add_transaction).get(list_transactions))
        .route("/generations", get(list_generations))
        .route("/behaviour", post(set_behaviour))
        .with_state(shared)
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, AdminError> {
    serde_json::from_slice(body).map_err(|e| AdminError::bad("body", e))
}

async fn add_key(AxState(s): AxState<Shared>, body: Bytes) -> Result<StatusCode, AdminError> {
    let k: PgwApiKey = parse(&body)?;
    if k.key.is_empty() {
        return Err(AdminError::bad("key", "must not be empty"));
    }
    Shared::lock(&s.0.pgw).env_mut(k.env).api_keys.insert(k.key);
    Ok(StatusCode::NO_CONTENT)
}

/// Adds a device (shared with the demo loader).
pub(crate) fn insert_device(state: &mut super::State, d: PgwDevice) -> Result<DeviceView, AdminError> {
    if !is_b_code(&d.b_code) {
        return Err(AdminError::bad("b_code", "expected b followed by letters or digits"));
    }
    let device = Device {
        b_code: d.b_code.clone(),
        internal_id: d.internal_id,
        sub_merchant: d.sub_merchant,
        location: d.location,
        code_validity_hours: d.code_validity_hours.unwrap_or(72),
    };
    let view = device_view(&device);
    state.env_mut(d.env).devices.insert(d.b_code.to_ascii_lowercase(), device);
    Ok(view)
}

async fn add_device(AxState(s): AxState<Shared>, body: Bytes) -> Result<(StatusCode, Json<DeviceView>), AdminError> {
    let d: PgwDevice = parse(&body)?;
    let view = insert_device(&mut Shared::lock(&s.0.pgw), d)?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Adds a transaction (shared with the demo loader).
pub(crate) fn insert_transaction(
    state: &mut super::State,
    seed: u64,
    now: DateTime<Utc>,
    t: PgwTransaction,
) -> Result<TransactionView, AdminError> {
    let mobile = normalize_mobile(&t.mobile).ok_or_else(|| AdminError::bad("mobile", "not a mobile number"))?;
    if t.amount_rappen <= 0 {
        return Err(AdminError::bad("amount_rappen", "must be positive"));
    }
    let hours = match state.env(t.env).device(&t.device) {
        Some(d) => d.code_validity_hours,
        None => return Err(AdminError::bad("device", format!("unknown device {} (seed it first)", t.device))),
    };
    if let Some(id) = t.id
        && state.env(t.env).transaction(id).is_some()
    {
        return Err(AdminError::bad("id", format!("transaction {id} exists")));
    }
    let id = t.id.unwrap_or_else(|| state.next_transaction_id());
    let twint_ref = t.twint_ref.unwrap_or_else(|| state.next_uuid(seed));
    let status = t.status.unwrap_or_default();
    let codes = if status == TxStatus::Completed {
        let code = t.code.unwrap_or_else(|| state.next_code(seed));
        let valid_until = t.valid_until.unwrap_or(t.at + Duration::hours(i64::from(hours)));
        vec![CodeGrant { code, valid_until, issued_at: t.at, origin: "purchase".into() }]
    } else {
        Vec::new()
    };
    let tx = Transaction {
        id,
        twint_ref,
        device: t.device.to_ascii_lowercase(),
        mobile,
        at: t.at,
        amount_rappen: t.amount_rappen,
        payment_method: t.payment_method.unwrap_or_else(|| "TWINT".into()),
        status,
        codes,
    };
    let es = state.env_mut(t.env);
    es.transactions.push(tx);
    let view = es.transactions.last().map(|tx| transaction_view(es, tx, now));
    view.ok_or_else(|| AdminError::bad("transaction", "not stored"))
}

async fn add_transaction(
    AxState(s): AxState<Shared>,
    body: Bytes,
) -> Result<(StatusCode, Json<TransactionView>), AdminError> {
    let t: PgwTransaction = parse(&body)?;
    let view = insert_transaction(&mut Shared::lock(&s.0.pgw), s.0.seed, s.now(), t)?;
    Ok((StatusCode::CREATED, Json(view)))
}

async fn list_transactions(AxState(s): AxState<Shared>, Query(q): Query<EnvQuery>) -> Json<Vec<TransactionView>> {
    let state = Shared::lock(&s.0.pgw);
    let es = state.env(q.env.unwrap_or(Env::Prod));
    let now = s.now();
    Json(es.transactions.iter().map(|t| transaction_view(es, t, now)).collect())
}

async fn list_generations(AxState(s): AxState<Shared>, Query(q): Query<EnvQuery>) -> Json<Vec<Generation>> {
    Json(Shared::lock(&s.0.pgw).env(q.env.unwrap_or(Env::Prod)).generations.clone())
}

async fn set_behaviour(AxState(s): AxState<Shared>, body: Bytes) -> Result<StatusCode, AdminError> {
    let b: super::Behaviour = parse(&body)?;
    Shared::lock(&s.0.pgw).behaviour = b;
    Ok(StatusCode::NO_CONTENT)
}
