//! Cancels: reversal of the authorization (`/authorize/cancels`), refund of one charge
//! (`/charges/{id}/cancels`, which on an unpaid pending prepayment charge cancels it) and the
//! payment-level refund of paylater types (`/charges/cancels`). Partial amounts may repeat;
//! an exhausted amount answers `API.340.100.014` (already cancelled), `…018` (already charged)
//! or `…015` (already charged back).

use axum::http::StatusCode;

use super::model::{State, TxnStatus, TxnType};
use super::money;
use super::ops::{Env, Refs, env_of, new_txn, payment, settle};
use super::wire::{ApiError, codes};

/// Reason codes accepted on cancels (`CancelReasonCodes.php`).
pub(crate) const REASON_CODES: [&str; 3] = ["CANCEL", "RETURN", "CREDIT"];

fn too_much(amt: i64, open: i64, currency: &str, what: &str) -> ApiError {
    ApiError::bad(
        codes::CANCEL_NOT_ALLOWED,
        format!(
            "Cancel not allowed: the amount {} {currency} is higher than the {what} {} {currency}.",
            money::format(amt),
            money::format(open)
        ),
    )
}

fn check_reason(reason: Option<&str>) -> Result<(), ApiError> {
    match reason {
        Some(r) if !REASON_CODES.contains(&r) => {
            Err(ApiError::bad(codes::REQUEST_INVALID, format!("reasonCode {r:?} is invalid (CANCEL, RETURN, CREDIT).")))
        }
        _ => Ok(()),
    }
}

/// Reverses (part of) the authorization; `None` reverses what is still open.
pub(crate) fn reverse(
    st: &mut State,
    env: &Env,
    n: u64,
    amount: Option<i64>,
    refs: Refs,
    reason: Option<String>,
) -> Result<String, ApiError> {
    check_reason(reason.as_deref())?;
    let p = payment(st, n)?;
    if p.authorization().is_none() {
        return Err(ApiError::bad(
            codes::CANCEL_NOT_ALLOWED,
            "Cancel not allowed: the payment has no authorization; cancel the charge instead.",
        ));
    }
    let open = p.authorized_open();
    if open == 0 {
        return Err(if p.has_reversals() {
            ApiError::bad(codes::ALREADY_CANCELLED, "The authorization is already cancelled.")
        } else {
            ApiError::bad(codes::ALREADY_CHARGED, "The authorization is already charged in full.")
        });
    }
    let amt = amount.unwrap_or(open);
    if amt > open {
        return Err(too_much(amt, open, &p.currency, "open authorized amount"));
    }
    let before = p.state();
    let prefix = env_of(st, p.merchant);
    let no = p.counters.cnl + 1;
    let order_id = p.order_id.clone();
    let id = format!("{prefix}-cnl-{no}");
    let mut txn =
        new_txn(st, env, TxnType::CancelAuthorize, id.clone(), amt, TxnStatus::Success, &Refs { order_id, ..refs });
    txn.reason_code = reason;
    push(st, n, txn, no)?;
    settle(st, env, n, Some(before), &["authorize.canceled"]);
    Ok(id)
}

/// Refunds (part of) charge `charge_id`; `None` refunds what is still open on it.
pub(crate) fn refund(
    st: &mut State,
    env: &Env,
    n: u64,
    charge_id: &str,
    amount: Option<i64>,
    refs: Refs,
    reason: Option<String>,
) -> Result<String, ApiError> {
    check_reason(reason.as_deref())?;
    let p = payment(st, n)?;
    let Some(c) = p.charge(charge_id) else {
        return Err(ApiError::new(StatusCode::NOT_FOUND, codes::GENERAL, format!("Charge {charge_id} not found.")));
    };
    if c.status == TxnStatus::Error {
        return Err(ApiError::bad(codes::CANCEL_NOT_ALLOWED, "Cancel not allowed: the charge failed."));
    }
    if c.status == TxnStatus::Pending && p.received > 0 {
        return Err(ApiError::bad(
            codes::CANCEL_NOT_ALLOWED,
            "Cancel not allowed: the charge is partly paid; wait until it is paid in full.",
        ));
    }
    let open = p.charge_open(c);
    if open == 0 {
        let charged_back =
            p.txns.iter().any(|t| t.kind == TxnType::Chargeback && t.parent.as_deref() == Some(charge_id));
        return Err(if charged_back {
            ApiError::bad(codes::ALREADY_CHARGED_BACK, "The charge is already charged back.")
        } else {
            ApiError::bad(codes::ALREADY_CANCELLED, "The charge is already cancelled.")
        });
    }
    let amt = amount.unwrap_or(open);
    if amt > open {
        return Err(too_much(amt, open, &p.currency, "amount still refundable on this charge"));
    }
    let paid = c.status == TxnStatus::Success;
    let before = p.state();
    let prefix = env_of(st, p.merchant);
    let no = p.counters.cnl + 1;
    let order_id = p.order_id.clone();
    let id = format!("{prefix}-cnl-{no}");
    let mut txn =
        new_txn(st, env, TxnType::CancelCharge, id.clone(), amt, TxnStatus::Success, &Refs { order_id, ..refs });
    txn.parent = Some(charge_id.to_owned());
    txn.refund = paid;
    txn.reason_code = reason;
    push(st, n, txn, no)?;
    settle(st, env, n, Some(before), &["charge.canceled"]);
    Ok(id)
}

/// Payment-level refund of paylater types (`POST /payments/{id}/charges/cancels`); needs a
/// `reasonCode`. `None` refunds everything charged.
pub(crate) fn refund_payment(
    st: &mut State,
    env: &Env,
    n: u64,
    amount: Option<i64>,
    refs: Refs,
    reason: Option<String>,
) -> Result<String, ApiError> {
    let p = payment(st, n)?;
    if !p.kind.paylater() {
        return Err(ApiError::bad(
            codes::CANCEL_NOT_ALLOWED,
            format!("Payment-level cancel is only available for paylater types, not {}.", p.kind.name()),
        ));
    }
    let Some(reason) = reason else {
        return Err(ApiError::bad(codes::REASON_CODE_MISSING, "reasonCode is missing (CANCEL, RETURN or CREDIT)."));
    };
    check_reason(Some(&reason))?;
    let open = p.amounts().charged;
    if open == 0 {
        let refunded = p.txns.iter().any(|t| t.kind == TxnType::CancelCharge && t.status == TxnStatus::Success);
        return Err(if refunded {
            ApiError::bad(codes::ALREADY_CANCELLED, "The charges are already cancelled.")
        } else {
            ApiError::bad(codes::CANCEL_NOT_ALLOWED, "Cancel not allowed: nothing is charged on this payment.")
        });
    }
    let amt = amount.unwrap_or(open);
    if amt > open {
        return Err(too_much(amt, open, &p.currency, "charged amount"));
    }
    let before = p.state();
    let prefix = env_of(st, p.merchant);
    let no = p.counters.cnl + 1;
    let order_id = p.order_id.clone();
    let id = format!("{prefix}-cnl-{no}");
    let mut txn =
        new_txn(st, env, TxnType::CancelCharge, id.clone(), amt, TxnStatus::Success, &Refs { order_id, ..refs });
    txn.refund = true;
    txn.reason_code = Some(reason);
    push(st, n, txn, no)?;
    settle(st, env, n, Some(before), &["charge.canceled"]);
    Ok(id)
}

fn push(st: &mut State, n: u64, txn: super::model::Txn, no: u32) -> Result<(), ApiError> {
    let p = st.payments.get_mut(&n).ok_or_else(|| ApiError::bad(codes::GENERAL, "payment vanished"))?;
    p.counters.cnl = no;
    p.txns.push(txn);
    Ok(())
}
