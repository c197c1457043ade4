//! Admin routes under `/admin/unzer` (SB-04): merchant key pairs, seeded payments, external
//! actors (transfer received, redirect finished, chargeback), read-back of payments with every
//! transaction and the references it carried, webhook deliveries, and the switches.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::actors;
use super::delivery;
use super::model::{Delivery, HEX, Merchant, PayType, State as UnzerState, TxnStatus, UnzerConfig};
use super::ops::{self, Create, CreateReq, Env};
use super::views::{
    ChargebackReq, ConfigPatch, MerchantView, NewMerchant, PaymentView, Receive, RedirectReq, SeedOutcome, SeedPayment,
    payment_view,
};
use super::wire::ApiError;
use crate::admin::AdminError;
use crate::shared::Shared;
use crate::system::System;

/// `GET /admin/unzer/payments` filters.
#[derive(Debug, Deserialize)]
struct ListQuery {
    order_id: Option<String>,
    public_key: Option<String>,
}

/// The admin router.
pub(crate) fn router(shared: Shared) -> Router {
    Router::new()
        .route("/merchants", get(list_merchants).post(create_merchant))
        .route("/payments", get(list_payments).post(seed_payment))
        .route("/payments/{id}", get(read_payment))
        .route("/payments/{id}/receive", post(receive))
        .route("/payments/{id}/chargeback", post(chargeback))
        .route("/payments/{id}/redirect", post(redirect))
        .route("/deliveries", get(deliveries))
        .route("/deliveries/run", post(run_deliveries))
        .route("/config", get(get_config).post(set_config))
        .with_state(shared)
}

fn parse<T: serde::de::DeserializeOwned>(bytes: &Bytes) -> Result<T, AdminError> {
    let text = if bytes.iter().all(u8::is_ascii_whitespace) { &b"{}"[..] } else { &bytes[..] };
    serde_json::from_slice(text).map_err(|e| AdminError::bad("body", e))
}

fn env(s: &Shared) -> Env {
    Env { now: s.now(), base: s.url(System::Unzer), seed: s.0.seed }
}

fn refused(e: ApiError) -> AdminError {
    AdminError(StatusCode::UNPROCESSABLE_ENTITY, format!("{}: {}", e.code, e.message))
}

/// Adds a merchant (used by the demo too).
pub(crate) fn add_merchant(st: &mut UnzerState, seed: u64, req: &NewMerchant) -> Result<MerchantView, AdminError> {
    let live = req.private_key.as_deref().is_some_and(|k| k.starts_with("p-"));
    let env = if live { "p" } else { "s" };
    let suffix = format!("2a10{}", st.random_string(seed, super::model::ALNUM, 28));
    let private_key = req.private_key.clone().unwrap_or_else(|| format!("{env}-priv-{suffix}"));
    let public_key = req.public_key.clone().unwrap_or_else(|| format!("{env}-pub-{suffix}"));
    for (field, key, infix) in [("private_key", &private_key, "-priv-"), ("public_key", &public_key, "-pub-")] {
        if !(key.starts_with('s') || key.starts_with('p')) || !key.contains(infix) {
            return Err(AdminError::bad(field, format!("must look like s{infix}… or p{infix}…")));
        }
        if st.merchants.iter().any(|m| &m.private_key == key || &m.public_key == key) {
            return Err(AdminError::bad(field, "already in use"));
        }
    }
    st.merchants.push(Merchant {
        private_key: private_key.clone(),
        public_key: public_key.clone(),
        webhooks: Vec::new(),
    });
    Ok(MerchantView { private_key, public_key, webhooks: Vec::new() })
}

async fn create_merchant(State(s): State<Shared>, bytes: Bytes) -> Result<Json<MerchantView>, AdminError> {
    let req: NewMerchant = parse(&bytes)?;
    let mut st = Shared::lock(&s.0.unzer);
    add_merchant(&mut st, s.0.seed, &req).map(Json)
}

async fn list_merchants(State(s): State<Shared>) -> Json<Vec<MerchantView>> {
    let st = Shared::lock(&s.0.unzer);
    Json(
        st.merchants
            .iter()
            .map(|m| MerchantView {
                private_key: m.private_key.clone(),
                public_key: m.public_key.clone(),
                webhooks: m.webhooks.clone(),
            })
            .collect(),
    )
}

/// Seeds a payment (used by the demo too).
pub(crate) fn seed(st: &mut UnzerState, env: &Env, req: &SeedPayment) -> Result<PaymentView, AdminError> {
    let merchant = st
        .merchants
        .iter()
        .position(|m| m.private_key == req.private_key)
        .ok_or_else(|| AdminError::bad("private_key", "no merchant with this key"))?;
    if req.amount_minor <= 0 {
        return Err(AdminError::bad("amount_minor", "must be positive"));
    }
    if let Some(c) = req.charged_minor {
        let authorized =
            req.outcome == SeedOutcome::Authorized || (req.outcome == SeedOutcome::Natural && req.kind.can_authorize());
        if !authorized {
            return Err(AdminError::bad("charged_minor", "needs an authorized outcome"));
        }
        if c <= 0 || c > req.amount_minor {
            return Err(AdminError::bad("charged_minor", "must be between 1 and amount_minor"));
        }
    }
    let env = Env { now: req.at.unwrap_or(env.now), ..env.clone() };
    let kind = req.kind;
    let type_id = ops::type_id(st, &env, merchant, kind);
    let body = serde_json::json!({ "id": type_id, "method": kind.name(), "recurring": false });
    st.types.insert(type_id.clone(), PayType { kind, merchant, body });
    let outcome = match req.outcome {
        SeedOutcome::Natural if kind.can_authorize() => SeedOutcome::Authorized,
        SeedOutcome::Natural if kind.funds_arrive() => SeedOutcome::Pending,
        SeedOutcome::Natural => SeedOutcome::Charged,
        o => o,
    };
    let (op, status) = match outcome {
        SeedOutcome::Authorized if !kind.can_authorize() => {
            return Err(AdminError::bad("outcome", format!("{} cannot be authorized", kind.name())));
        }
        SeedOutcome::Authorized => (Create::Authorize, TxnStatus::Success),
        SeedOutcome::Charged if kind.funds_arrive() => (Create::Charge, TxnStatus::Pending),
        SeedOutcome::Charged => (Create::Charge, TxnStatus::Success),
        SeedOutcome::Pending | SeedOutcome::Failed | SeedOutcome::Natural => {
            let op = if kind.can_authorize() { Create::Authorize } else { Create::Charge };
            (op, if outcome == SeedOutcome::Failed { TxnStatus::Error } else { TxnStatus::Pending })
        }
    };
    let create = CreateReq {
        amount: req.amount_minor,
        currency: req.currency.clone(),
        return_url: if kind.redirect() { "https://shop.example/return".into() } else { String::new() },
        order_id: req.order_id.clone(),
        invoice_id: req.invoice_id.clone(),
        payment_reference: req.payment_reference.clone(),
        type_id,
        customer_id: if kind.secured() {
            format!("s-cst-{}", st.random_string(env.seed, HEX, 12))
        } else {
            String::new()
        },
        basket_id: String::new(),
        metadata_id: String::new(),
    };
    let (n, _) = ops::create(st, &env, merchant, op, &create, Some(status)).map_err(refused)?;
    if outcome == SeedOutcome::Charged && kind.funds_arrive() {
        actors::receive(st, &env, n, req.amount_minor).map_err(refused)?;
    }
    if let Some(c) = req.charged_minor {
        ops::capture(st, &env, n, Some(c), ops::Refs::default()).map_err(refused)?;
    }
    view(st, n, env.now)
}

async fn seed_payment(State(s): State<Shared>, bytes: Bytes) -> Result<Json<PaymentView>, AdminError> {
    let req: SeedPayment = parse(&bytes)?;
    let env = env(&s);
    let mut st = Shared::lock(&s.0.unzer);
    seed(&mut st, &env, &req).map(Json)
}

/// The admin view of payment `n`.
pub(crate) fn view(st: &UnzerState, n: u64, now: DateTime<Utc>) -> Result<PaymentView, AdminError> {
    let p = st.payments.get(&n).ok_or_else(|| AdminError::not_found("payment"))?;
    Ok(payment_view(st, p, now))
}

async fn list_payments(State(s): State<Shared>, Query(q): Query<ListQuery>) -> Json<Vec<PaymentView>> {
    let now = s.now();
    let st = Shared::lock(&s.0.unzer);
    let views = st
        .payments
        .values()
        .filter(|p| q.order_id.as_ref().is_none_or(|o| &p.order_id == o))
        .filter(|p| {
            q.public_key.as_ref().is_none_or(|k| st.merchants.get(p.merchant).is_some_and(|m| &m.public_key == k))
        })
        .map(|p| payment_view(&st, p, now))
        .collect();
    Json(views)
}

fn number(st: &UnzerState, id: &str) -> Result<u64, AdminError> {
    st.payments
        .iter()
        .find(|(_, p)| p.id == id)
        .map(|(n, _)| *n)
        .ok_or_else(|| AdminError::not_found(format!("payment {id}")))
}

async fn read_payment(State(s): State<Shared>, Path(id): Path<String>) -> Result<Json<PaymentView>, AdminError> {
    let st = Shared::lock(&s.0.unzer);
    let n = number(&st, &id)?;
    view(&st, n, s.now()).map(Json)
}

async fn receive(
    State(s): State<Shared>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Json<PaymentView>, AdminError> {
    let req: Receive = parse(&bytes)?;
    let env = env(&s);
    let mut st = Shared::lock(&s.0.unzer);
    let n = number(&st, &id)?;
    let open = st.payments.get(&n).map_or(0, |p| p.amounts().remaining);
    let amount = req.amount_minor.unwrap_or(open);
    if amount <= 0 {
        return Err(AdminError::bad("amount_minor", "must be positive (nothing is open)"));
    }
    actors::receive(&mut st, &env, n, amount).map_err(refused)?;
    view(&st, n, env.now).map(Json)
}

async fn chargeback(
    State(s): State<Shared>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Json<PaymentView>, AdminError> {
    let req: ChargebackReq = parse(&bytes)?;
    let env = env(&s);
    let mut st = Shared::lock(&s.0.unzer);
    let n = number(&st, &id)?;
    actors::chargeback(&mut st, &env, n, req.charge_id.as_deref(), req.amount_minor).map_err(refused)?;
    view(&st, n, env.now).map(Json)
}

async fn redirect(
    State(s): State<Shared>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Json<PaymentView>, AdminError> {
    let req: RedirectReq = parse(&bytes)?;
    let env = env(&s);
    let mut st = Shared::lock(&s.0.unzer);
    let n = number(&st, &id)?;
    actors::finish_redirect(&mut st, &env, n, req.success).map_err(refused)?;
    view(&st, n, env.now).map(Json)
}

async fn deliveries(State(s): State<Shared>) -> Json<Vec<Delivery>> {
    Json(Shared::lock(&s.0.unzer).deliveries.clone())
}

async fn run_deliveries(State(s): State<Shared>) -> Json<Vec<Delivery>> {
    let ids = delivery::run_due(&s).await;
    let st = Shared::lock(&s.0.unzer);
    Json(st.deliveries.iter().filter(|d| ids.contains(&d.id)).cloned().collect())
}

async fn get_config(State(s): State<Shared>) -> Json<UnzerConfig> {
    Json(Shared::lock(&s.0.unzer).config.clone())
}

async fn set_config(State(s): State<Shared>, bytes: Bytes) -> Result<Json<UnzerConfig>, AdminError> {
    let p: ConfigPatch = parse(&bytes)?;
    if p.duplicate_per_mille.is_some_and(|d| d > 1000) {
        return Err(AdminError::bad("duplicate_per_mille", "must be between 0 and 1000"));
    }
    if p.authorization_days.is_some_and(|d| !(0..=3650).contains(&d)) {
        return Err(AdminError::bad("authorization_days", "must be between 0 and 3650"));
    }
    let mut st = Shared::lock(&s.0.unzer);
    let c = &mut st.config;
    if let Some(v) = p.errors_with_http_200 {
        c.errors_with_http_200 = v;
    }
    if let Some(v) = p.retry_delays_secs {
        c.retry_delays_secs = v;
    }
    if let Some(v) = p.timeout_ms {
        c.timeout_ms = v;
    }
    if let Some(v) = p.duplicate_per_mille {
        c.duplicate_per_mille = v;
    }
    if let Some(v) = p.auto_deliver {
        c.auto_deliver = v;
    }
    if let Some(v) = p.authorization_days {
        c.authorization_days = v;
    }
    if let Some(v) = p.omit_fields {
        c.omit_fields = v;
    }
    let out = c.clone();
    st.wake.notify_one();
    Ok(Json(out))
}
