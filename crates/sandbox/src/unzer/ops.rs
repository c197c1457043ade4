//! Payment operations on the simulator state: create (authorize or direct charge), charge an
//! authorization, shipment. Cancels live in `cancels.rs`, external actors in `actors.rs`.
//! Every operation checks the ledger first and fails with unzer's code, so a refused call
//! changes nothing; a successful one appends transactions and queues webhook events.

use axum::http::StatusCode;
use chrono::{DateTime, Utc};

use super::delivery;
use super::ledger::PaymentState;
use super::model::{ALNUM, Counters, HEX, PayKind, Payment, State, Txn, TxnStatus, TxnType};
use super::money;
use super::wire::{ApiError, codes, date};

/// What an operation needs from outside the state.
#[derive(Debug, Clone)]
pub(crate) struct Env {
    /// Sandbox time of the operation.
    pub(crate) now: DateTime<Utc>,
    /// Base URL of the simulator (for URLs in bodies and webhooks).
    pub(crate) base: String,
    /// Sandbox seed.
    pub(crate) seed: u64,
}

/// Authorize or direct charge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Create {
    Authorize,
    Charge,
}

/// A validated create request.
#[derive(Debug, Clone, Default)]
pub(crate) struct CreateReq {
    pub(crate) amount: i64,
    pub(crate) currency: String,
    pub(crate) return_url: String,
    pub(crate) order_id: String,
    pub(crate) invoice_id: String,
    pub(crate) payment_reference: String,
    pub(crate) type_id: String,
    pub(crate) customer_id: String,
    pub(crate) basket_id: String,
    pub(crate) metadata_id: String,
}

/// References a follow-up transaction carries.
#[derive(Debug, Clone, Default)]
pub(crate) struct Refs {
    pub(crate) order_id: String,
    pub(crate) invoice_id: String,
    pub(crate) payment_reference: String,
}

/// Finds a payment of `merchant` by id (`s-pay-N`) or, as unzer allows on fetch, by orderId.
pub(crate) fn find(st: &State, merchant: usize, key: &str) -> Result<u64, ApiError> {
    let by_id = key
        .rsplit_once("-pay-")
        .and_then(|(_, n)| n.parse::<u64>().ok())
        .filter(|n| st.payments.get(n).is_some_and(|p| p.id == key && p.merchant == merchant));
    by_id
        .or_else(|| {
            st.payments
                .iter()
                .find(|(_, p)| p.merchant == merchant && !p.order_id.is_empty() && p.order_id == key)
                .map(|(n, _)| *n)
        })
        .ok_or_else(|| {
            ApiError::new(StatusCode::NOT_FOUND, codes::PAYMENT_NOT_FOUND, format!("Payment {key} not found."))
        })
}

/// The payment with number `n` (present by construction of `find`).
pub(crate) fn payment(st: &State, n: u64) -> Result<&Payment, ApiError> {
    st.payments.get(&n).ok_or_else(|| ApiError::bad(codes::GENERAL, "payment vanished"))
}

fn payment_mut(st: &mut State, n: u64) -> Result<&mut Payment, ApiError> {
    st.payments.get_mut(&n).ok_or_else(|| ApiError::bad(codes::GENERAL, "payment vanished"))
}

/// A new transaction with fresh processing ids.
pub(crate) fn new_txn(
    st: &mut State,
    env: &Env,
    kind: TxnType,
    id: String,
    amount: i64,
    status: TxnStatus,
    refs: &Refs,
) -> Txn {
    let unique_id = st.random_string(env.seed, b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", 32);
    let digits = st.random_string(env.seed, b"0123456789", 12);
    let short_id = format!("{}.{}.{}", &digits[0..4], &digits[4..8], &digits[8..12]);
    Txn {
        id,
        kind,
        parent: None,
        amount,
        status,
        at: env.now,
        order_id: refs.order_id.clone(),
        invoice_id: refs.invoice_id.clone(),
        payment_reference: refs.payment_reference.clone(),
        reason_code: None,
        refund: false,
        unique_id,
        short_id,
        error_code: None,
    }
}

/// Env prefix (`s`/`p`) of a merchant.
pub(crate) fn env_of(st: &State, merchant: usize) -> &'static str {
    st.merchants.get(merchant).map_or("s", |m| m.env())
}

/// Authorize or direct charge: creates the payment. `force` overrides the natural outcome
/// (admin seeding). Returns the payment number and the transaction id.
pub(crate) fn create(
    st: &mut State,
    env: &Env,
    merchant: usize,
    op: Create,
    req: &CreateReq,
    force: Option<TxnStatus>,
) -> Result<(u64, String), ApiError> {
    let kind = match st.types.get(&req.type_id) {
        Some(t) if t.merchant == merchant => t.kind,
        _ => {
            return Err(ApiError::bad(
                codes::RESOURCE_NOT_OF_MERCHANT,
                format!("The payment type {:?} does not exist or does not belong to this merchant.", req.type_id),
            ));
        }
    };
    if op == Create::Authorize && !kind.can_authorize() {
        return Err(ApiError::bad(
            codes::AUTHORIZE_NOT_ALLOWED,
            format!("Authorize is not allowed for payment type {}; use a charge.", kind.name()),
        ));
    }
    if !money::CURRENCIES.contains(&req.currency.as_str()) {
        return Err(ApiError::bad(
            codes::CURRENCY_NOT_SUPPORTED,
            format!("Currency {:?} is not supported.", req.currency),
        ));
    }
    if force.is_none() && kind.redirect() && req.return_url.is_empty() {
        return Err(ApiError::bad(codes::FIELD_MISSING, "returnUrl is missing: it is required for this payment type."));
    }
    if force.is_none() && kind.secured() && req.customer_id.is_empty() {
        return Err(ApiError::bad(
            codes::CUSTOMER_ID_REQUIRED,
            "A customer resource is required for this payment type.",
        ));
    }
    if !req.order_id.is_empty() && st.payments.values().any(|p| p.merchant == merchant && p.order_id == req.order_id) {
        return Err(ApiError::bad(
            codes::ORDER_ID_IN_USE,
            format!("The orderId {:?} is already in use.", req.order_id),
        ));
    }
    let pending = kind.redirect() || (op == Create::Charge && kind.funds_arrive());
    let status = force.unwrap_or(if pending { TxnStatus::Pending } else { TxnStatus::Success });
    let prefix = env_of(st, merchant);
    let n = st.last_payment + 1;
    st.last_payment = n;
    let trace_id = st.random_string(env.seed, HEX, 32);
    let refs = Refs {
        order_id: req.order_id.clone(),
        invoice_id: req.invoice_id.clone(),
        payment_reference: req.payment_reference.clone(),
    };
    let (txn_kind, txn_id, counters) = match op {
        Create::Authorize => (TxnType::Authorize, format!("{prefix}-aut-1"), Counters::default()),
        Create::Charge => (TxnType::Charge, format!("{prefix}-chg-1"), Counters { chg: 1, ..Counters::default() }),
    };
    let mut txn = new_txn(st, env, txn_kind, txn_id.clone(), req.amount, status, &refs);
    if status == TxnStatus::Error {
        txn.error_code = Some(codes::REDIRECT_FAILED.to_owned());
    }
    let paid_term = op == Create::Charge && kind.paylater() && status == TxnStatus::Success;
    let p = Payment {
        id: format!("{prefix}-pay-{n}"),
        merchant,
        kind,
        type_id: req.type_id.clone(),
        currency: req.currency.clone(),
        order_id: req.order_id.clone(),
        invoice_id: req.invoice_id.clone(),
        customer_id: req.customer_id.clone(),
        basket_id: req.basket_id.clone(),
        metadata_id: req.metadata_id.clone(),
        return_url: req.return_url.clone(),
        trace_id,
        created_at: env.now,
        txns: vec![txn],
        term_started_at: paid_term.then_some(env.now),
        expiry_notified: false,
        counters,
    };
    st.payments.insert(n, p);
    let event = format!("{}.{}", if op == Create::Authorize { "authorize" } else { "charge" }, outcome(status));
    settle(st, env, n, None, &[&event]);
    Ok((n, txn_id))
}

/// `succeeded`, `pending` or `failed`.
pub(crate) fn outcome(s: TxnStatus) -> &'static str {
    match s {
        TxnStatus::Success => "succeeded",
        TxnStatus::Pending => "pending",
        TxnStatus::Error => "failed",
    }
}

/// Charges (part of) the authorization; `None` charges what remains.
pub(crate) fn capture(st: &mut State, env: &Env, n: u64, amount: Option<i64>, refs: Refs) -> Result<String, ApiError> {
    let days = st.config.authorization_days;
    let p = payment(st, n)?;
    let Some(aut) = p.authorization() else {
        return Err(ApiError::bad(codes::CHARGE_NOT_ALLOWED, "Charge not allowed: the payment has no authorization."));
    };
    if aut.status == TxnStatus::Pending {
        return Err(ApiError::bad(
            codes::CHARGE_NOT_ALLOWED,
            "Charge not allowed: the authorization is still pending.",
        ));
    }
    if let Some(exp) = p.expires_at(days).filter(|e| env.now >= *e) {
        return Err(ApiError::bad(
            codes::CHARGE_NOT_ALLOWED,
            format!("Charge not allowed: the authorization expired on {}.", date(exp)),
        ));
    }
    let open = p.authorized_open();
    if open == 0 {
        return Err(ApiError::bad(codes::CHARGE_NOT_ALLOWED, "Charge not allowed: nothing is left to charge."));
    }
    let amt = amount.unwrap_or(open);
    if amt > open {
        return Err(ApiError::bad(
            codes::OVER_CAPTURE,
            format!(
                "The charged amount {} {} is higher than the open authorized amount {} {}.",
                money::format(amt),
                p.currency,
                money::format(open),
                p.currency
            ),
        ));
    }
    let before = p.state();
    let paylater = p.kind.paylater();
    let prefix = env_of(st, p.merchant);
    let order_id = if refs.order_id.is_empty() { p.order_id.clone() } else { refs.order_id.clone() };
    let no = p.counters.chg + 1;
    let id = format!("{prefix}-chg-{no}");
    let txn =
        new_txn(st, env, TxnType::Charge, id.clone(), amt, TxnStatus::Success, &Refs { order_id, ..refs.clone() });
    let p = payment_mut(st, n)?;
    p.counters.chg = no;
    p.txns.push(txn);
    if p.invoice_id.is_empty() {
        p.invoice_id = refs.invoice_id;
    }
    if paylater && p.term_started_at.is_none() {
        p.term_started_at = Some(env.now);
    }
    settle(st, env, n, Some(before), &["charge.succeeded"]);
    Ok(id)
}

/// Shipment notice: starts the insurance and the buyer's payment term of invoice secured.
/// Other types refuse it as unzer's SDK integration tests show: plain invoice and prepayment
/// `API.360.000.004`, SEPA direct debit secured `COR.700.400.800` (insured at the charge);
/// paylater types start their term with the charge and card-like types have nothing to ship.
pub(crate) fn ship(st: &mut State, env: &Env, n: u64, refs: Refs) -> Result<String, ApiError> {
    let p = payment(st, n)?;
    if !p.kind.shippable() {
        let (code, why) = p.kind.shipment_refusal();
        return Err(ApiError::bad(code, format!("Shipment is not allowed for payment type {}: {why}.", p.kind.name())));
    }
    let before = p.state();
    let a = p.amounts();
    if a.total == 0 || before == PaymentState::Canceled {
        return Err(ApiError::bad(codes::SHIP_NOT_ALLOWED, "Shipment is not allowed: nothing is left on the payment."));
    }
    let invoice_id = if refs.invoice_id.is_empty() { p.invoice_id.clone() } else { refs.invoice_id.clone() };
    if invoice_id.is_empty() {
        return Err(ApiError::bad(codes::SHIPMENT_NEEDS_INVOICE_ID, "Shipment requires an invoiceId."));
    }
    let prefix = env_of(st, p.merchant);
    let order_id = if refs.order_id.is_empty() { p.order_id.clone() } else { refs.order_id.clone() };
    let no = p.counters.shp + 1;
    let id = format!("{prefix}-shp-{no}");
    let amount = a.total;
    let txn = new_txn(
        st,
        env,
        TxnType::Shipment,
        id.clone(),
        amount,
        TxnStatus::Success,
        &Refs { order_id, invoice_id: invoice_id.clone(), payment_reference: refs.payment_reference },
    );
    let p = payment_mut(st, n)?;
    p.counters.shp = no;
    p.txns.push(txn);
    if p.invoice_id.is_empty() {
        p.invoice_id = invoice_id;
    }
    p.term_started_at.get_or_insert(env.now);
    settle(st, env, n, Some(before), &["shipment"]);
    Ok(id)
}

/// `PATCH /v1/payments/{id}/authorize`: re-authorises a paylater invoice, installment or
/// direct debit for `amount` (the new authorised total), documented for those types only.
/// [INF] An accepted re-authorisation renews the authorisation's chargeable life (the docs
/// say a new risk check is made; they do not say what happens to the expiry).
pub(crate) fn reauthorize(
    st: &mut State,
    env: &Env,
    n: u64,
    amount: Option<i64>,
    currency: Option<&str>,
) -> Result<String, ApiError> {
    let p = payment(st, n)?;
    if !p.kind.paylater() {
        return Err(ApiError::bad(
            codes::AUTHORIZE_NOT_ALLOWED,
            format!("Re-authorisation is not available for payment type {}.", p.kind.name()),
        ));
    }
    let Some(aut) = p.authorization().filter(|a| a.status == TxnStatus::Success) else {
        return Err(ApiError::bad(codes::AUTHORIZE_NOT_ALLOWED, "The payment has no successful authorization."));
    };
    let amount = amount.ok_or_else(|| ApiError::bad(codes::FIELD_MISSING, "amount is missing."))?;
    if currency.is_some_and(|c| c != p.currency) {
        return Err(ApiError::bad(codes::CURRENCY_NOT_SUPPORTED, "The currency differs from the payment's."));
    }
    let reversed: i64 = p
        .txns
        .iter()
        .filter(|t| t.kind == TxnType::CancelAuthorize && t.status == TxnStatus::Success)
        .map(|t| t.amount)
        .sum();
    let charged: i64 =
        p.txns.iter().filter(|t| t.kind == TxnType::Charge && t.status != TxnStatus::Error).map(|t| t.amount).sum();
    if amount < charged {
        return Err(ApiError::bad(codes::OVER_CAPTURE, "The amount is lower than what was already charged."));
    }
    let id = aut.id.clone();
    let before = p.state();
    let p = payment_mut(st, n)?;
    if let Some(a) = p.txns.iter_mut().find(|t| t.id == id) {
        a.amount = amount + reversed;
        a.at = env.now;
    }
    p.expiry_notified = false;
    settle(st, env, n, Some(before), &["authorize.succeeded"]);
    Ok(id)
}

/// Queues `events` and, when the payment state changed (or the payment is new), the
/// `payment.<state>` event.
pub(crate) fn settle(st: &mut State, env: &Env, n: u64, before: Option<PaymentState>, events: &[&str]) {
    let Some(p) = st.payments.get(&n) else { return };
    let (merchant, id) = (p.merchant, p.id.clone());
    let after = p.state();
    let url = format!("{}/v1/payments/{id}", env.base);
    for e in events {
        delivery::queue(st, env, merchant, e, Some(&id), &url);
    }
    if before != Some(after) {
        delivery::queue(st, env, merchant, after.event(), Some(&id), &url);
    }
}

/// A fresh payment-type id such as `s-crd-k3j9x0q2m1ab`.
pub(crate) fn type_id(st: &mut State, env: &Env, merchant: usize, kind: PayKind) -> String {
    let prefix = env_of(st, merchant);
    format!("{prefix}-{}-{}", kind.code(), st.random_string(env.seed, ALNUM, 12))
}
