//! Partner-facing payment routes: authorize, direct charge, charge an authorization,
//! reversal, refunds (per charge and payment level), shipment, and the reads of the payment
//! and of single transactions.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};
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
}

/// Runs a handler body under the fault rules of `op`.
async fn guarded<F>(s: Shared, op: &'static str, f: F) -> Response
where
    F: FnOnce(&Shared) -> Response + Send,
{
    let inner = s.clone();
    s.guard(System::Unzer, op, async move { f(&inner) }).await
}

fn txn_response(st: &UnzerState, env: &Env, n: u64, txn_id: &str) -> Result<Value, ApiError> {
    let p = ops::payment(st, n)?;
    let t = p.txns.iter().find(|t| t.id == txn_id).ok_or_else(|| {
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

async fn read_txn(s: Shared, id: String, t: String, headers: HeaderMap, uri: Uri) -> Response {
    guarded(s, "get_transaction", move |s| {
        let ctx = Ctx::new(s, headers, &uri);
        let path = uri.path().to_owned();
        run(s, &ctx, Access::Private, |st, env, caller| {
            let n = ops::find(st, caller.merchant, &id)?;
            let p = ops::payment(st, n)?;
            let kind = route_kind(&path);
            let Some(x) = p.txns.iter().find(|x| x.id == t && x.kind == kind) else {
                return Err(ApiError::new(
                    StatusCode::NOT_FOUND,
                    codes::GENERAL,
                    format!("Transaction {t} not found."),
                ));
            };
            let id = x.id.clone();
            txn_response(st, env, n, &id)
        })
    })
    .await
}

/// The transaction type a GET path addresses.
fn route_kind(path: &str) -> TxnType {
    let tail = path.split_once("/v1/payments/").map_or(path, |(_, t)| t);
    let tail = tail.split_once('/').map_or("", |(_, t)| t);
    if tail.contains("/chargebacks/") {
        TxnType::Chargeback
    } else if tail.starts_with("authorize/") && tail.contains("cancels/") {
        TxnType::CancelAuthorize
    } else if tail.starts_with("charges/") && tail.contains("cancels/") {
        TxnType::CancelCharge
    } else if tail.starts_with("shipments/") {
        TxnType::Shipment
    } else if tail.starts_with("authorize/") {
        TxnType::Authorize
    } else {
        TxnType::Charge
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_paths_address_their_transaction_type() {
        let cases = [
            ("/v1/payments/s-pay-1/authorize/s-aut-1", TxnType::Authorize),
            ("/v1/payments/s-pay-1/charges/s-chg-2", TxnType::Charge),
            ("/v1/payments/s-pay-1/charges/s-chg-2/cancels/s-cnl-1", TxnType::CancelCharge),
            ("/v1/payments/s-pay-1/charges/cancels/s-cnl-3", TxnType::CancelCharge),
            ("/v1/payments/s-pay-1/authorize/s-aut-1/cancels/s-cnl-1", TxnType::CancelAuthorize),
            ("/v1/payments/s-pay-1/authorize/cancels/s-cnl-1", TxnType::CancelAuthorize),
            ("/v1/payments/s-pay-1/shipments/s-shp-1", TxnType::Shipment),
            ("/v1/payments/s-pay-1/charges/s-chg-1/chargebacks/s-cbk-1", TxnType::Chargeback),
        ];
        for (path, kind) in cases {
            assert_eq!(route_kind(path), kind, "{path}");
        }
    }
}
