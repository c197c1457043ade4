//! Money received by bank transfer (prepayment, invoice, invoice secured) as unzer models it
//! (docs: manage Unzer prepayment / invoice; `php-sdk` `IsInvoiceType.php`,
//! `CancelService::cancelPaymentCharges`): the initial charge stays pending, every transfer
//! arrives as a successful charge of its own, and a cancellation first reverses what the
//! buyer still owes on the initial charge (at most initial − received − cancelled on it, the
//! SDK's max reversal) and refunds the rest on the receipt charges.
//!
//! When (PX-17, PX-18, seed "Bestellung stornieren"): a whole cancel at once; cancelled lines
//! aggregated once the money arrived or the order is CLOSED (prepayment, invoice), or once the
//! shipment started the payment term or the order is CLOSED (invoice secured).

use super::decide::{Action, CANCEL, Ctx, Decision, act};
use super::facts::{Funds, Payment, PixiOrder, PixiStatus, TxnKind};
use super::payment_type::Family;
use super::progress::{Event, Progress, Purpose, Severity};

fn cancel(key: String, charge_id: &str, amount: i64) -> Option<Decision> {
    act(Action::Refund {
        key,
        purpose: Purpose::Cancel,
        charge_id: Some(charge_id.to_owned()),
        amount_minor: amount,
        reason: CANCEL,
    })
}

/// The cancellation step of a transfer family.
pub(super) fn cancellations(
    ctx: &Ctx<'_>,
    o: &PixiOrder,
    p: &Payment,
    family: Family,
    s: &Progress,
) -> Option<Decision> {
    if o.all_cancelled() {
        // Everything still held goes: whatever earlier batches sent is already in the facts.
        return next(ctx, p, s, "whole", i64::MAX);
    }
    let closed = o.status == PixiStatus::Closed;
    let started = match family {
        Family::InvoiceSecured => p.has_shipment() || s.invoices.values().any(|i| i.shipment.is_some()),
        _ => p.received_minor() > 0,
    };
    let cum = o.cancelled_minor();
    let need = cum - s.cancel.done_minor;
    if need <= 0 || !(started || closed) {
        return None;
    }
    next(ctx, p, s, &format!("lines:{cum}"), need)
}

/// The next movement of batch `batch` (at most `need`): a movement of the batch whose answer
/// was lost first (under its own key, so the journal asks unzer before anything is sent
/// again), then the reversal of what is owed, then the receipts, newest first.
fn next(ctx: &Ctx<'_>, p: &Payment, s: &Progress, batch: &str, need: i64) -> Option<Decision> {
    let prefix = ctx.key("cancel", &format!("{batch}:"));
    let lost = ctx.attempted.iter().find(|k| k.starts_with(&prefix) && !s.cancel.moves.iter().any(|m| &m.key == *k));
    if let Some(key) = lost {
        let charge_id = &key[prefix.len()..];
        let c = p.txns.iter().find(|t| t.kind == TxnKind::Charge && t.id == charge_id)?;
        let open = p.charge_open(c);
        let amount = if open > 0 { need.min(open) } else { need.min(c.amount_minor) };
        return cancel(key.clone(), charge_id, amount);
    }
    let owed = p.max_reversal();
    if owed > 0
        && let Some(initial) = p.initial_charge()
    {
        return cancel(format!("{prefix}{}", initial.id), &initial.id, need.min(owed));
    }
    let receipt = p.paid_charges().filter(|c| p.charge_open(c) > 0).last()?;
    cancel(format!("{prefix}{}", receipt.id), &receipt.id, need.min(p.charge_open(receipt)))
}

/// A transfer that covers only part of what is owed is shown once as a hint: the shipping lock
/// stays and nothing is balanced until the rest arrives.
pub(super) fn partial_receipt(o: &PixiOrder, p: &Payment, s: &Progress) -> Option<Decision> {
    let Some(Funds::Partial { received_minor, owed_minor }) = p.funds() else { return None };
    if s.has_problem("PARTIAL_RECEIPT", None) || o.all_cancelled() {
        return None;
    }
    super::decide::record(Event::Problem(super::progress::ProblemNote {
        code: "PARTIAL_RECEIPT".into(),
        doc: None,
        severity: Severity::Hint,
        title: "transfer received in part".into(),
        description: format!(
            "unzer reports {} of {} received by transfer (payment partly paid); the order stays as it is until the rest arrives",
            super::progress::format_minor(received_minor),
            super::progress::format_minor(owed_minor)
        ),
        flagged: false,
    }))
}
