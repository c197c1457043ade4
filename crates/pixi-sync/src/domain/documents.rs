//! Invoices and credit notes (PX-13 … PX-16, PX-19): what each payment family sends to unzer
//! per document and when the pixi customer account is balanced.

use super::decide::{Action, Ctx, Decision, RETURN, Wait, act, record};
use super::facts::{Payment, PixiOrder, PixiStatus, TxnKind};
use super::payment_type::{Family, PaymentType};
use super::progress::{Event, Progress, Purpose, Severity};
use super::settings::Mode;

/// The charge that pays invoice `nr` and its unique id for pixi's `PayID` (pixi's example is
/// the payment provider's unique transaction id, `31HA07BC812E3C3FDD691A7818766939`, not a
/// charge id): the invoice's own charge or the release capture as recorded; else the shop's
/// charge, whose unique id the executor reads from unzer.
fn pay_ref(p: &Payment, s: &Progress, nr: &str) -> (String, String) {
    let ours = s.invoices.get(nr).and_then(|i| i.charge.as_ref()).or(s.release_charge.as_ref());
    if let Some(m) = ours {
        return (m.txn_id.clone(), m.unique_id.clone());
    }
    let charge = p.paid_charges().next().or_else(|| p.txns.iter().find(|t| t.kind == TxnKind::Charge));
    (charge.map_or_else(|| p.id.clone(), |t| t.id.clone()), String::new())
}

fn mark(ctx: &Ctx<'_>, p: &Payment, s: &Progress, nr: &str, amount_minor: i64) -> Option<Decision> {
    act(Action::MarkCaptured {
        key: ctx.key("balance", nr),
        invoice: nr.to_owned(),
        amount_minor,
        charge_id: pay_ref(p, s, nr).0,
        pay_id: pay_ref(p, s, nr).1,
        event: ctx.invoice_event.to_owned(),
    })
}

/// Each shipped invoice: capture it (expert card-like, paylater), report the shipment
/// (invoice secured only), or check the sum (standard, charged types); balance at once where
/// the family allows (paylater direct debit, SEPA secured).
pub(super) fn invoices(ctx: &Ctx<'_>, o: &PixiOrder, p: &Payment, kind: PaymentType, s: &Progress) -> Option<Decision> {
    let family = kind.family();
    for d in o.invoices().filter(|d| d.shipped) {
        let inv = s.invoices.get(&d.nr).cloned().unwrap_or_default();
        if inv.failed || inv.balanced && family != Family::Prepayment {
            continue;
        }
        match family {
            Family::Authorize if ctx.mode == Mode::Expert => {
                if inv.charge.is_none() {
                    // What the shop captured itself covers invoices first (the seed: the app
                    // checks whether the shop already collected the money). A charge whose
                    // answer was lost is finished under its key whatever the facts say.
                    let need = uncovered(o, p, s, &d.nr);
                    let key = ctx.key("charge", &d.nr);
                    if need > 0 || ctx.attempted.contains(&key) {
                        return charge(ctx, p, key, &d.nr, if need > 0 { need } else { d.total_minor });
                    }
                }
                return mark(ctx, p, s, &d.nr, d.total_minor);
            }
            Family::PaylaterInvoice | Family::PaylaterDebit => {
                if inv.expired && !inv.reauthorized {
                    // PX-15: installment and direct debit are re-authorised (PATCH …/authorize)
                    // for what was charged plus what is still to come, then charged again.
                    return act(Action::Reauthorize {
                        key: ctx.key("reauth", &d.nr),
                        invoice: d.nr.clone(),
                        amount_minor: (p.charged_minor() + d.total_minor).max(o.total_minor),
                    });
                }
                if inv.charge.is_none() {
                    let key = if inv.reauthorized {
                        ctx.key("charge", &format!("{}:reauth", d.nr))
                    } else {
                        ctx.key("charge", &d.nr)
                    };
                    return charge(ctx, p, key, &d.nr, d.total_minor);
                }
                if family == Family::PaylaterDebit {
                    return mark(ctx, p, s, &d.nr, d.total_minor);
                }
            }
            Family::Authorize | Family::Charged => {
                if !inv.sum_ok {
                    // PX-14: the money was captured at release (or by the shop); invoices
                    // must not exceed the order amount nor what was captured.
                    // Cumulative up to this invoice, so only the invoice that crosses fails.
                    let invoiced: i64 =
                        o.invoices().take_while(|x| x.nr != d.nr).map(|x| x.total_minor).sum::<i64>() + d.total_minor;
                    let limit = o.total_minor.max(0).min(p.charged_minor().max(0));
                    let limit = if limit == 0 { p.charged_minor() } else { limit };
                    if invoiced > limit + ctx.tolerance_minor {
                        return record(Event::SumExceeded {
                            invoice: d.nr.clone(),
                            invoiced_minor: invoiced,
                            limit_minor: limit,
                        });
                    }
                    return record(Event::SumChecked { invoice: d.nr.clone() });
                }
                return mark(ctx, p, s, &d.nr, d.total_minor);
            }
            Family::InvoiceSecured => {
                // Only invoice secured takes a shipment (with the invoiceId): it starts the
                // insurance and the buyer's payment term; balanced when CLOSED.
                if inv.shipment.is_none() {
                    return act(Action::Ship { key: ctx.key("ship", &d.nr), invoice: d.nr.clone() });
                }
            }
            Family::SecuredDebit => {
                // Charged and insured at checkout; unzer refuses a shipment (COR.700.400.800).
                return mark(ctx, p, s, &d.nr, d.total_minor);
            }
            Family::Invoice => {
                // The buyer pays by transfer after delivery; unzer refuses a shipment of plain
                // invoice (API.360.000.004): balanced once paid in full and CLOSED.
            }
            Family::Prepayment => {
                // PX-16: shipped before the money arrived → hint, never balance automatically.
                if !p.funds_received() && !s.manual_balance && !inv.balanced {
                    return record(Event::ManualBalance { invoice: d.nr.clone() });
                }
            }
        }
    }
    None
}

/// PX-13/PX-23: charge the invoice amount under `key`; a difference to what is still
/// authorised within the rounding tolerance is absorbed.
fn charge(ctx: &Ctx<'_>, p: &Payment, key: String, nr: &str, total: i64) -> Option<Decision> {
    let open = p.authorized_open();
    let amount = if total > open && total - open <= ctx.tolerance_minor { open } else { total };
    act(Action::Charge {
        key,
        purpose: Purpose::Invoice(nr.to_owned()),
        amount_minor: amount,
        invoice_id: Some(nr.to_owned()),
    })
}

/// EXPERT: what invoice `nr` still needs charged once the shop's own captures (charges
/// pixi-sync did not make) have covered the invoices in number order.
fn uncovered(o: &PixiOrder, p: &Payment, s: &Progress, nr: &str) -> i64 {
    let ours: i64 = s.invoices.values().filter_map(|i| i.charge.as_ref()).map(|m| m.amount_minor).sum::<i64>()
        + s.release_charge.as_ref().map_or(0, |m| m.amount_minor);
    let mut pool = (p.charged_minor() - ours).max(0);
    for d in o.invoices() {
        let need = (d.total_minor - pool).max(0);
        pool = (pool - d.total_minor).max(0);
        if d.nr == nr {
            return need;
        }
    }
    0
}

/// PX-19: refund each credit note at unzer, then book it with the returns event.
pub(super) fn credit_notes(
    ctx: &Ctx<'_>,
    o: &PixiOrder,
    p: &Payment,
    kind: PaymentType,
    s: &Progress,
) -> Option<Decision> {
    for d in o.credit_notes() {
        let cr = s.credits.get(&d.nr).cloned().unwrap_or_default();
        if cr.failed || cr.booked {
            continue;
        }
        let need = d.total_minor - cr.refunded_minor;
        if need > 0 {
            if matches!(kind.family(), Family::PaylaterInvoice | Family::PaylaterDebit) {
                return act(Action::Refund {
                    key: ctx.key("refund", &d.nr),
                    purpose: Purpose::Credit(d.nr.clone()),
                    charge_id: None,
                    amount_minor: need,
                    reason: RETURN,
                });
            }
            let Some(c) = p.refundable_charge() else {
                // A refund whose answer was lost may itself have emptied the charge: finish it
                // under its own key first (the journal probes unzer before anything is sent
                // again) instead of calling the credit note unrefundable.
                let lost = p.txns.iter().filter(|t| t.kind == TxnKind::Charge).find(|t| {
                    let key = ctx.key("refund", &format!("{}:{}", d.nr, t.id));
                    ctx.attempted.contains(&key) && !cr.refunds.iter().any(|m| m.key == key)
                });
                if let Some(t) = lost {
                    return act(Action::Refund {
                        key: ctx.key("refund", &format!("{}:{}", d.nr, t.id)),
                        purpose: Purpose::Credit(d.nr.clone()),
                        charge_id: Some(t.id.clone()),
                        amount_minor: need,
                        reason: RETURN,
                    });
                }
                let e = super::decide::problem(
                    Severity::Error,
                    "NOTHING_TO_REFUND",
                    Some(&d.nr),
                    "credit note cannot be refunded",
                    format!(
                        "credit note {} asks for a refund but nothing refundable is left on the unzer payment",
                        d.nr
                    ),
                );
                return record(e);
            };
            if cr.refunds.iter().any(|m| m.key == ctx.key("refund", &format!("{}:{}", d.nr, c.id))) {
                // Our refund on this charge is not in the facts yet: read unzer again soon.
                return Some(Decision::Idle(Wait::Payment));
            }
            return act(Action::Refund {
                key: ctx.key("refund", &format!("{}:{}", d.nr, c.id)),
                purpose: Purpose::Credit(d.nr.clone()),
                charge_id: Some(c.id.clone()),
                amount_minor: need.min(p.charge_open(c)),
                reason: RETURN,
            });
        }
        return act(Action::BookReturn {
            key: ctx.key("book", &d.nr),
            credit: d.nr.clone(),
            amount_minor: d.total_minor,
            event: ctx.return_event.to_owned(),
        });
    }
    None
}

/// Balancing that waits for the order to close: paylater invoice and invoice secured (PX-15)
/// once CLOSED, plain invoice once CLOSED and paid in full, prepayment (PX-16) once CLOSED and
/// the money arrived in full (never after a manual-balance hint).
pub(super) fn deferred_balancing(
    ctx: &Ctx<'_>,
    o: &PixiOrder,
    p: &Payment,
    kind: PaymentType,
    s: &Progress,
) -> Option<Decision> {
    if o.status != PixiStatus::Closed {
        return None;
    }
    let family = kind.family();
    for d in o.invoices().filter(|d| d.shipped) {
        let inv = s.invoices.get(&d.nr).cloned().unwrap_or_default();
        if inv.failed || inv.balanced {
            continue;
        }
        let ready = match family {
            Family::PaylaterInvoice => inv.charge.is_some(),
            Family::InvoiceSecured => inv.shipment.is_some(),
            Family::Invoice => p.funds_received(),
            Family::Prepayment => p.funds_received() && !s.manual_balance,
            _ => false,
        };
        if ready {
            return mark(ctx, p, s, &d.nr, d.total_minor);
        }
    }
    None
}
