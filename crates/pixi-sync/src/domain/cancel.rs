//! Cancellations (PX-17 whole order, PX-18 some lines): what each payment family sends to
//! unzer and when. Partial cancellations are aggregated: the key carries the cumulative
//! cancelled amount, so each new batch of cancelled lines is sent once, as one movement.

use super::decide::{Action, CANCEL, Ctx, Decision, act};
use super::facts::{Payment, PixiOrder, PixiStatus};
use super::payment_type::{Family, PaymentType};
use super::progress::{Progress, Purpose};
use super::settings::Mode;

fn reverse(key: String, purpose: Purpose, amount: i64) -> Option<Decision> {
    act(Action::Reverse { key, purpose, amount_minor: amount })
}

fn refund(key: String, purpose: Purpose, charge_id: String, amount: i64) -> Option<Decision> {
    act(Action::Refund { key, purpose, charge_id: Some(charge_id), amount_minor: amount, reason: CANCEL })
}

/// Invoice work still open or failed (the closing reversal waits for it).
fn invoices_settled(o: &PixiOrder, s: &Progress, needs_charge: bool) -> bool {
    o.invoices().filter(|d| d.shipped).all(|d| {
        let inv = s.invoices.get(&d.nr);
        let failed = inv.is_some_and(|i| i.failed);
        !failed && (!needs_charge || inv.is_some_and(|i| i.charge.is_some()))
    })
}

/// The cancellation step.
pub(super) fn cancellations(
    ctx: &Ctx<'_>,
    o: &PixiOrder,
    p: &Payment,
    kind: PaymentType,
    s: &Progress,
) -> Option<Decision> {
    if s.cancel.failed {
        return None;
    }
    let closed = o.status == PixiStatus::Closed;
    let cum = o.cancelled_minor();
    let done = s.cancel.done_minor;
    match kind.family() {
        Family::Authorize if ctx.mode == Mode::Expert => {
            // Expert: with the last shipment (CLOSED) the order is closed at unzer; the
            // cancelled rest can no longer be captured. Nothing captured yet = the whole
            // authorisation is cancelled.
            let open = p.authorized_open();
            if closed && open > 0 && s.cancel.closed.is_none() && invoices_settled(o, s, true) {
                return reverse(ctx.key("reverse", "closed"), Purpose::Close, open);
            }
            None
        }
        Family::Authorize | Family::Charged | Family::SecuredDebit => {
            // Standard (and charged types, SEPA secured): the money was captured before; what
            // was captured but never invoiced is refunded once the order is CLOSED (same as a
            // return).
            if !closed || !invoices_settled(o, s, false) {
                return None;
            }
            let rest = p.charged_minor() - o.invoiced_minor() - done - refunded_by_others(p, s);
            if rest > ctx.tolerance_minor
                && let Some(c) = p.refundable_charge()
            {
                let amount = rest.min(p.charge_open(c));
                return refund(ctx.key("refund", &format!("cancel:{}", c.id)), Purpose::Cancel, c.id.clone(), amount);
            }
            let open = p.authorized_open();
            if kind.family() == Family::Authorize && open > 0 && s.cancel.closed.is_none() {
                return reverse(ctx.key("reverse", "closed"), Purpose::Close, open);
            }
            None
        }
        Family::PaylaterInvoice | Family::PaylaterDebit => {
            // Before the payment period started (no charge yet) a whole cancel reverses the
            // authorisation; after it, cancelled lines are reversed aggregated; the open rest
            // goes when the order is CLOSED.
            let open = p.authorized_open();
            let started = p.charged_minor() > 0;
            if o.all_cancelled() && !started && open > 0 {
                return reverse(ctx.key("reverse", "cancel"), Purpose::Cancel, open);
            }
            if started && cum > done && open > 0 {
                let amount = (cum - done).min(open);
                return reverse(ctx.key("reverse", &format!("cancel:{cum}")), Purpose::Cancel, amount);
            }
            if closed && started && open > 0 && s.cancel.closed.is_none() && invoices_settled(o, s, true) {
                return reverse(ctx.key("reverse", "closed"), Purpose::Close, open);
            }
            None
        }
        Family::Prepayment | Family::Invoice | Family::InvoiceSecured => {
            super::transfers::cancellations(ctx, o, p, kind.family(), s)
        }
    }
}

/// Refunds at unzer not made by pixi-sync (the shop or a person refunded directly).
fn refunded_by_others(p: &Payment, s: &Progress) -> i64 {
    let ours: i64 = s.credits.values().map(|c| c.refunded_minor).sum::<i64>()
        + s.cancel.moves.iter().map(|m| m.amount_minor).sum::<i64>();
    (p.refunded_minor() - ours).max(0)
}
