//! Partner-facing payment routes: authorize, direct charge, charge an authorization,
//! reversal, refunds (per charge and payment level), shipment, and the reads of the payment
//! and of single transactions.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, patch, post};
use serde::Deserialize;
use serde_json::Value;

use super::cancels;
use super::http::{Access, Ctx, amount, body, run};
use super::model::{State as UnzerState, TxnType};
use super::ops::{self, Create, CreateReq, Env, Refs};
use super::wire::{self, ApiError, codes};
use crate::shared::Shared;
use crate::system::System;

/// Body of every transaction POST (unknown fields are ignored, as unzer does).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct TxnBody {
    amount: Option<Value>,
    amount_gross: Option<Value>,
    currency: Option<String>,
    return_url: Option<String>,
    order_id: Option<String>,
    invoice_id: Option<String>,
    payment_reference: Option<String>,
    reason_code: Option<String>,
    resources: Resources,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Resources {
    type_id: Option<String>,
    customer_id: Option<String>,
    basket_id: Option<String>,
    metadata_id: Option<String>,
}

impl TxnBody {
    fn amount(&self) -> Result<Option<i64>, ApiError> {
        amount(self.amount.as_ref().or(self.amount_gross.as_ref()))
    }

    fn refs(&self) -> Refs {
        Refs {
            order_id: self.order_id.clone().unwrap_or_default(),
            invoice_id: self.invoice_id.clone().unwrap_or_default(),
            payment_reference: self.payment_reference.clone().unwrap_or_default(),
        }
    }

    fn create_req(&self) -> Result<CreateReq, ApiError> {
        let missing = |f: &str| ApiError::bad(codes::FIELD_MISSING, format!("{f} is missing."));
        let amount = self.amount()?.ok_or_else(|| missing("amount"))?;
        let currency = self.currency.clone().filter(|c| !c.is_empty()).ok_or_else(|| missing("currency"))?;
        let type_id =
            self.resources.type_id.clone().filter(|t| !t.is_empty()).ok_or_else(|| missing("resources.typeId"))?;
        let r = self.refs();
        Ok(CreateReq {
            amount,
            currency,
            return_url: self.return_url.clone().unwrap_or_default(),
            order_id: r.order_id,
            invoice_id: r.invoice_id,
            payment_reference: r.payment_reference,
            type_id,
            customer_id: self.resources.customer_id.clone().unwrap_or_default(),
            basket_id: self.resources.basket_id.clone().unwrap_or_default(),
            metadata_id: self.resources.metadata_id.clone().unwrap_or_default(),
        })
    }
}

/// The payment routes.
pub(crate) fn routes() -> Router<Shared> {
    Router::new()
        .route("/v1/payments/authorize", post(authorize))
        .route("/v1/payments/charges", post(direct_charge))
        .route("/v1/payments/{id}", get(get_payment))
        .route("/v1/payments/{id}/charges", post(capture))
        .route("/v1/payments/{id}/authorize", patch(reauthorize))
        .route("/v1/payments/{id}/authorize/cancels", post(reverse))
        .route("/v1/payments/{id}/authorize/{aut}/cancels", post(reverse_aut))
        .route("/v1/payments/{id}/charges/cancels", post(refund_payment))
        .route("/v1/payments/{id}/charges/{chg}/cancels", post(refund))
        .route("/v1/payments/{id}/shipments", post(ship))
        .route("/v1/payments/{id}/authorize/{t}", get(get_txn))
        .route("/v1/payments/{id}/charges/{t}", get(get_txn))
        .route("/v1/payments/{id}/shipments/{t}", get(get_txn))
        .route("/v1/payments/{id}/authorize/cancels/{t}", get(get_txn))
        .route("/v1/payments/{id}/charges/cancels/{t}", get(get_txn))
        .route("/v1/payments/{id}/authorize/{aut}/cancels/{t}", get(get_nested_txn))
        .route("/v1/payments/{id}/charges/{chg}/cancels/{t}", get(get_nested_txn))
        .route("/v1/payments/{id}/charges/{chg}/chargebacks/{t}", get(get_nested_txn))
        .route("/v1/payments/{id}/charges/chargebacks/{t}", get(get_txn))
}

/// Runs a handler body under the fault rules of `op`.
async fn guarded<F>(s: Shared, op: &'static str, f: F) -> Response
where
    F: FnOnce(&Shared) -> Response + Send,
{
    let inner = s.clone();
    s.guard(System::Unzer, op, async move { f(&inner) }).await
}

fn txn_response_of(
    st: &UnzerState,
    env: &Env,
    n: u64,
    txn_id: &str,
    kind: TxnType,
    parent: Option<&str>,
) -> Result<Value, ApiError> {
    let p = ops::payment(st, n)?;
    let t =
        p.txns.iter().find(|t| t.id == txn_id && t.kind == kind && t.parent.as_deref() == parent).ok_or_else(|| {
            ApiError::new(StatusCode::NOT_FOUND, codes::GENERAL, format!("Transaction {txn_id} not found."))
        })?;
    let live = st.merchants.get(p.merchant).is_some_and(|m| m.env() == "p");
    Ok(wire::txn_json(&env.base, p, t, live))
}

/// The answer of a transaction just created: the newest one with this id (ids repeat under
/// other parents).
fn txn_response(st: &UnzerState, env: &Env, n: u64, txn_id: &str) -> Result<Value, ApiError> {
    let p = ops::payment(st, n)?;
    let t = p.txns.iter().rev().find(|t| t.id == txn_id).ok_or_else(|| {
        ApiError::new(StatusCode::NOT_FOUND, codes::GENERAL, format!("Transaction {txn_id} not found."))
    })?;
    let live = st.merchants.get(p.merchant).is_some_and(|m| m.env() == "p");
    Ok(wire::txn_json(&env.base, p, t, live))
}

async fn create(s: Shared, headers: HeaderMap, uri: Uri, bytes: Bytes, op: Create, name: &'static str) -> Response {
    guarded(s, name, move |s| {
        let ctx = Ctx::new(s, headers, &uri);
        run(s, &ctx, Access::Private, |st, env, caller| {
            let req = body::<TxnBody>(&ctx.headers, &bytes)?.create_req()?;
            let (n, id) = ops::create(st, env, caller.merchant, op, &req, None)?;
            txn_response(st, env, n, &id)
        })
    })
    .await
}

async fn authorize(State(s): State<Shared>, headers: HeaderMap, uri: Uri, bytes: Bytes) -> Response {
    create(s, headers, uri, bytes, Create::Authorize, "authorize").await
}

async fn direct_charge(State(s): State<Shared>, headers: HeaderMap, uri: Uri, bytes: Bytes) -> Response {
    create(s, headers, uri, bytes, Create::Charge, "charge").await
}

/// A follow-up POST on payment `id`: parse the body, find the payment, run `f`.
async fn follow_up<F>(
    s: Shared,
    headers: HeaderMap,
    uri: Uri,
    bytes: Bytes,
    id: String,
    name: &'static str,
    f: F,
) -> Response
where
    F: FnOnce(&mut UnzerState, &Env, u64, TxnBody) -> Result<String, ApiError> + Send,
{
    guarded(s, name, move |s| {
        let ctx = Ctx::new(s, headers, &uri);
        run(s, &ctx, Access::Private, |st, env, caller| {
            let b = body::<TxnBody>(&ctx.headers, &bytes)?;
            let n = ops::find(st, caller.merchant, &id)?;
            let txn = f(st, env, n, b)?;
            txn_response(st, env, n, &txn)
        })
    })
    .await
}

async fn capture(
    State(s): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    bytes: Bytes,
) -> Response {
    follow_up(s, headers, uri, bytes, id, "charge", |st, env, n, b| ops::capture(st, env, n, b.amount()?, b.refs()))
        .await
}

async fn reverse(
    State(s): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    bytes: Bytes,
) -> Response {
    follow_up(s, headers, uri, bytes, id, "cancel", |st, env, n, b| {
        cancels::reverse(st, env, n, b.amount()?, b.refs(), b.reason_code.clone())
    })
    .await
}

async fn reverse_aut(
    State(s): State<Shared>,
    Path((id, _aut)): Path<(String, String)>,
    headers: HeaderMap,
    uri: Uri,
    bytes: Bytes,
) -> Response {
    reverse(State(s), Path(id), headers, uri, bytes).await
}

async fn refund(
    State(s): State<Shared>,
    Path((id, chg)): Path<(String, String)>,
    headers: HeaderMap,
    uri: Uri,
    bytes: Bytes,
) -> Response {
    follow_up(s, headers, uri, bytes, id, "refund", move |st, env, n, b| {
        cancels::refund(st, env, n, &chg, b.amount()?, b.refs(), b.reason_code.clone())
    })
    .await
}

async fn refund_payment(
    State(s): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    bytes: Bytes,
) -> Response {
    follow_up(s, headers, uri, bytes, id, "refund", |st, env, n, b| {
        cancels::refund_payment(st, env, n, b.amount()?, b.refs(), b.reason_code.clone())
    })
    .await
}

async fn reauthorize(
    State(s): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    bytes: Bytes,
) -> Response {
    follow_up(s, headers, uri, bytes, id, "reauthorize", |st, env, n, b| {
        ops::reauthorize(st, env, n, b.amount()?, b.currency.as_deref())
    })
    .await
}

async fn ship(State(s): State<Shared>, Path(id): Path<String>, headers: HeaderMap, uri: Uri, bytes: Bytes) -> Response {
    follow_up(s, headers, uri, bytes, id, "shipment", |st, env, n, b| ops::ship(st, env, n, b.refs())).await
}

async fn get_payment(State(s): State<Shared>, Path(id): Path<String>, headers: HeaderMap, uri: Uri) -> Response {
    guarded(s, "get_payment", move |s| {
        let ctx = Ctx::new(s, headers, &uri);
        run(s, &ctx, Access::Private, |st, env, caller| {
            let n = ops::find(st, caller.merchant, &id)?;
            Ok(wire::payment_json(&env.base, ops::payment(st, n)?))
        })
    })
    .await
}

async fn get_txn(
    State(s): State<Shared>,
    Path((id, t)): Path<(String, String)>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    read_txn(s, id, t, headers, uri).await
}

async fn get_nested_txn(
    State(s): State<Shared>,
    Path((id, _parent, t)): Path<(String, String, String)>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    read_txn(s, id, t, headers, uri).await
}

async fn read_txn(s: Shared, id: String, _t: String, headers: HeaderMap, uri: Uri) -> Response {
    guarded(s, "get_transaction", move |s| {
        let ctx = Ctx::new(s, headers, &uri);
        let tail = txn_tail(uri.path()).to_owned();
        run(s, &ctx, Access::Private, |st, env, caller| {
            let n = ops::find(st, caller.merchant, &id)?;
            let p = ops::payment(st, n)?;
            // Ids are numbered per parent: the whole path below the payment names one.
            let Some(x) = p.txns.iter().find(|x| wire::txn_path(p, x) == tail) else {
                return Err(ApiError::new(
                    StatusCode::NOT_FOUND,
                    codes::GENERAL,
                    format!("Transaction {tail} not found."),
                ));
            };
            let id = x.id.clone();
            let kind = x.kind;
            let parent = x.parent.clone();
            txn_response_of(st, env, n, &id, kind, parent.as_deref())
        })
    })
    .await
}

/// The path of a GET below `/v1/payments/{id}/` (trailing slash dropped).
fn txn_tail(path: &str) -> &str {
    let tail = path.split_once("/v1/payments/").map_or(path, |(_, t)| t);
    tail.split_once('/').map_or("", |(_, t)| t).trim_end_matches('/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_paths_name_the_transaction_below_the_payment() {
        let cases = [
            ("/v1/payments/s-pay-1/authorize/s-aut-1", "authorize/s-aut-1"),
            ("/v1/payments/s-pay-1/charges/s-chg-2/", "charges/s-chg-2"),
            ("/v1/payments/s-pay-1/charges/s-chg-2/cancels/s-cnl-1", "charges/s-chg-2/cancels/s-cnl-1"),
            ("/v1/payments/s-pay-1/charges/cancels/s-cnl-3", "charges/cancels/s-cnl-3"),
        ];
        for (path, tail) in cases {
            assert_eq!(txn_tail(path), tail, "{path}");
        }
    }
}
