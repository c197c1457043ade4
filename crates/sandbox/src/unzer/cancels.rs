//! Cancels: reversal of the authorization (`/authorize/cancels`; paylater types at payment
//! level), refund of one charge (`/charges/{id}/cancels`; on the pending initial charge of a
//! transfer type it is a reversal of what the buyer still owes, listed as `cancel-authorize`
//! under `charges/s-chg-1/cancels`, as `unzerdev/php-sdk`'s `PaymentTest` fixture shows) and
//! the payment-level refund of paylater types (`/charges/cancels`). Partial amounts may
//! repeat; an exhausted amount answers `API.340.100.014` (already cancelled), `…018` (already
//! charged) or `…015` (already charged back). Cancel ids are numbered per parent transaction.

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
    // Card-like reversals are nested under the authorization; paylater ones are at payment
    // level (`authorize/cancels/s-cnl-1`, the SDK's paylater fixture).
    let parent = if p.kind.paylater() { None } else { p.authorization().map(|a| a.id.clone()) };
    let order_id = p.order_id.clone();
    let mut txn =
        new_txn(st, env, TxnType::CancelAuthorize, String::new(), amt, TxnStatus::Success, &Refs { order_id, ..refs });
    txn.parent = parent;
    txn.reason_code = reason;
    let id = push(st, n, txn, "authorize")?;
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
    if p.is_initial(c) {
        return reverse_initial(st, env, n, charge_id, amount, refs, reason);
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
    let before = p.state();
    let order_id = p.order_id.clone();
    let mut txn =
        new_txn(st, env, TxnType::CancelCharge, String::new(), amt, TxnStatus::Success, &Refs { order_id, ..refs });
    txn.parent = Some(charge_id.to_owned());
    txn.refund = true;
    txn.reason_code = reason;
    let id = push(st, n, txn, charge_id)?;
    settle(st, env, n, Some(before), &["charge.canceled"]);
    Ok(id)
}

/// A cancel of a transfer type's pending initial charge: a reversal of what the buyer still
/// owes, at most `initial − receipts − cancelled on it` (`CancelService::cancelPaymentCharges`,
/// `calculateMaxReversalAmount`); after the money arrived refunds go to the receipt charges.
fn reverse_initial(
    st: &mut State,
    env: &Env,
    n: u64,
    charge_id: &str,
    amount: Option<i64>,
    refs: Refs,
    reason: Option<String>,
) -> Result<String, ApiError> {
    let p = payment(st, n)?;
    let Some(c) = p.charge(charge_id) else {
        return Err(ApiError::new(StatusCode::NOT_FOUND, codes::GENERAL, format!("Charge {charge_id} not found.")));
    };
    let open = p.max_reversal(c);
    if open == 0 {
        return Err(if p.received() > 0 {
            ApiError::bad(codes::CANCEL_NOT_ALLOWED, "Cancel not allowed: the buyer paid; refund the received charges.")
        } else {
            ApiError::bad(codes::ALREADY_CANCELLED, "The charge is already cancelled.")
        });
    }
    let amt = amount.unwrap_or(open);
    if amt > open {
        return Err(too_much(amt, open, &p.currency, "amount the buyer still owes"));
    }
    let before = p.state();
    let order_id = p.order_id.clone();
    let mut txn =
        new_txn(st, env, TxnType::CancelAuthorize, String::new(), amt, TxnStatus::Success, &Refs { order_id, ..refs });
    txn.parent = Some(charge_id.to_owned());
    txn.reason_code = reason;
    let id = push(st, n, txn, charge_id)?;
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
    let order_id = p.order_id.clone();
    let mut txn =
        new_txn(st, env, TxnType::CancelCharge, String::new(), amt, TxnStatus::Success, &Refs { order_id, ..refs });
    txn.refund = true;
    txn.reason_code = Some(reason);
    let id = push(st, n, txn, "charges")?;
    settle(st, env, n, Some(before), &["charge.canceled"]);
    Ok(id)
}

/// Numbers `txn` under `parent` (`s-cnl-N` per parent transaction) and appends it.
fn push(st: &mut State, n: u64, mut txn: super::model::Txn, parent: &str) -> Result<String, ApiError> {
    let prefix = st.payments.get(&n).map(|p| env_of(st, p.merchant)).unwrap_or("s");
    let p = st.payments.get_mut(&n).ok_or_else(|| ApiError::bad(codes::GENERAL, "payment vanished"))?;
    let no = p.counters.next_cancel(parent);
    txn.id = format!("{prefix}-cnl-{no}");
    let id = txn.id.clone();
    p.txns.push(txn);
    Ok(id)
}
