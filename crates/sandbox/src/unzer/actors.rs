//! External actors driven through the admin API: the customer's transfer arrives (prepayment,
//! invoice), the customer finishes or abandons a redirect, the buyer's bank charges back, and
//! authorizations expire with the sandbox clock (`authorize.expired`).

use super::delivery;
use super::model::{State, TxnStatus, TxnType};
use super::ops::{Env, Refs, env_of, new_txn, outcome, payment, settle};
use super::wire::{ApiError, codes};

/// The customer's bank transfer of `amount` arrived: a successful charge of its own
/// (`s-chg-2`, …, the one refunds go to); the initial charge stays pending. A partial transfer
/// leaves the payment `partly`, an overpayment puts it into review.
pub(crate) fn receive(st: &mut State, env: &Env, n: u64, amount: i64) -> Result<(), ApiError> {
    let p = payment(st, n)?;
    if !p.kind.funds_arrive() {
        return Err(ApiError::bad(codes::GENERAL, format!("payment type {} takes no bank transfer", p.kind.name())));
    }
    if p.initial_charge().is_none_or(|c| c.status == TxnStatus::Error) {
        return Err(ApiError::bad(codes::GENERAL, "the payment has no charge to pay"));
    }
    let before = p.state();
    let prefix = env_of(st, p.merchant);
    let no = p.counters.chg + 1;
    let id = format!("{prefix}-chg-{no}");
    let refs =
        Refs { order_id: p.order_id.clone(), invoice_id: p.invoice_id.clone(), payment_reference: String::new() };
    let txn = new_txn(st, env, TxnType::Charge, id, amount, TxnStatus::Success, &refs);
    let p = st.payments.get_mut(&n).ok_or_else(|| ApiError::bad(codes::GENERAL, "payment vanished"))?;
    p.counters.chg = no;
    p.txns.push(txn);
    settle(st, env, n, Some(before), &["charge.succeeded"]);
    Ok(())
}

/// The customer finished (`success`) or abandoned the redirect (or 3-D Secure step) of a pending
/// authorize/charge.
pub(crate) fn finish_redirect(st: &mut State, env: &Env, n: u64, success: bool) -> Result<(), ApiError> {
    let p = payment(st, n)?;
    if p.kind.funds_arrive() {
        return Err(ApiError::bad(
            codes::GENERAL,
            format!("payment type {} waits for a transfer, not a redirect", p.kind.name()),
        ));
    }
    let before = p.state();
    let p = st.payments.get_mut(&n).ok_or_else(|| ApiError::bad(codes::GENERAL, "payment vanished"))?;
    let Some(t) = p
        .txns
        .iter_mut()
        .find(|t| matches!(t.kind, TxnType::Authorize | TxnType::Charge) && t.status == TxnStatus::Pending)
    else {
        return Err(ApiError::bad(codes::GENERAL, "no transaction waits for a redirect"));
    };
    t.status = if success { TxnStatus::Success } else { TxnStatus::Error };
    if !success {
        t.error_code = Some(codes::REDIRECT_FAILED.to_owned());
    }
    t.at = env.now;
    let event = format!("{}.{}", t.kind.name(), outcome(t.status));
    settle(st, env, n, Some(before), &[&event]);
    Ok(())
}

/// A chargeback of `amount` (default: what is still refundable) on `charge_id` (default: the
/// last successful charge).
pub(crate) fn chargeback(
    st: &mut State,
    env: &Env,
    n: u64,
    charge_id: Option<&str>,
    amount: Option<i64>,
) -> Result<String, ApiError> {
    let p = payment(st, n)?;
    let charge = match charge_id {
        Some(id) => p.charge(id),
        None => p.txns.iter().rev().find(|t| t.kind == TxnType::Charge && t.status == TxnStatus::Success),
    };
    let Some(c) = charge.filter(|c| c.status == TxnStatus::Success) else {
        return Err(ApiError::bad(codes::GENERAL, "no successful charge to charge back"));
    };
    let open = p.charge_open(c);
    let amt = amount.unwrap_or(open);
    if amt <= 0 || amt > open {
        return Err(ApiError::bad(codes::GENERAL, format!("amount must be between 1 and {open} minor units")));
    }
    let charge_id = c.id.clone();
    let before = p.state();
    let prefix = env_of(st, p.merchant);
    let refs = Refs { order_id: p.order_id.clone(), ..Refs::default() };
    let mut txn = new_txn(st, env, TxnType::Chargeback, String::new(), amt, TxnStatus::Success, &refs);
    let p = st.payments.get_mut(&n).ok_or_else(|| ApiError::bad(codes::GENERAL, "payment vanished"))?;
    let no = p.counters.next_chargeback(&charge_id);
    let id = format!("{prefix}-cbk-{no}");
    txn.id = id.clone();
    txn.parent = Some(charge_id);
    p.txns.push(txn);
    settle(st, env, n, Some(before), &["chargeback"]);
    Ok(id)
}

/// Queues `authorize.expired` once for every authorization whose chargeable life ended with
/// something still open.
pub(crate) fn expire(st: &mut State, env: &Env) {
    let days = st.config.authorization_days;
    let due: Vec<(u64, usize, String)> = st
        .payments
        .iter()
        .filter(|(_, p)| {
            !p.expiry_notified && p.authorized_open() > 0 && p.expires_at(days).is_some_and(|e| env.now >= e)
        })
        .map(|(n, p)| (*n, p.merchant, p.id.clone()))
        .collect();
    for (n, merchant, id) in due {
        if let Some(p) = st.payments.get_mut(&n) {
            p.expiry_notified = true;
        }
        let url = format!("{}/v1/payments/{id}", env.base);
        delivery::queue(st, env, merchant, "authorize.expired", Some(&id), &url);
    }
}
