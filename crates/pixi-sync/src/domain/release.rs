//! Release (PX-10 … PX-12): an order on HOLD is released when unzer accepted its payment,
//! released with a shipping lock and flagged when the payment is refused or erroneous, and
//! left on HOLD while unzer is still pending. STANDARD mode captures first (PX-11);
//! prepayment without the money is released with a lock and the transfer data (PX-12).

use super::decide::{Action, Ctx, Decision, Wait, act, record};
use super::facts::{Payment, PaymentFacts, PixiOrder, PixiStatus, TxnKind, TxnStatus};
use super::payment_type::{Family, PaymentType};
use super::progress::{Event, LockPurpose, Progress, Purpose};
use super::settings::Mode;

/// What unzer says about the checkout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Acceptance {
    /// Accepted (for transfer types: the charge waits for the money, which is fine).
    Accepted,
    /// Still pending (authorisation or redirect not finished): look again later.
    Pending,
    /// Refused, with the reason.
    Refused(String),
}

/// PX-10: reads the checkout transaction. An authorising type needs a successful
/// authorisation; a charging type a successful charge, or a pending one that waits for a
/// transfer. Pending redirects wait. Unknown statuses count as pending, never as accepted.
pub fn acceptance(kind: PaymentType, p: &Payment) -> Acceptance {
    // A card, PayPal or Apple Pay payment the shop charged directly (no authorisation) is
    // paid: the seed's app checks whether the shop already collected the money.
    let direct = kind.family() == Family::Authorize && !p.txns.iter().any(|t| t.kind == TxnKind::Authorize);
    let authorizes = kind.authorizes() && !direct;
    let want = if authorizes { TxnKind::Authorize } else { TxnKind::Charge };
    let Some(t) = p.txns.iter().find(|t| t.kind == want) else {
        return Acceptance::Refused(format!(
            "the payment has no {} transaction",
            if authorizes { "authorize" } else { "charge" }
        ));
    };
    match t.status {
        TxnStatus::Error => Acceptance::Refused(format!(
            "the {} transaction {} failed",
            if authorizes { "authorize" } else { "charge" },
            t.id
        )),
        TxnStatus::Pending if kind.funds_arrive() => Acceptance::Accepted,
        TxnStatus::Pending => Acceptance::Pending,
        TxnStatus::Success => {
            let left = if authorizes { p.authorized_open() + p.charged_minor() } else { t.amount_minor };
            if left <= 0 {
                Acceptance::Refused("the payment was cancelled at unzer".into())
            } else {
                Acceptance::Accepted
            }
        }
    }
}

fn refusal(code: &str, title: &str, description: String) -> Option<Decision> {
    record(Event::Refusal { code: code.into(), title: title.into(), description })
}

/// The release step for an order still on HOLD.
pub(super) fn release(ctx: &Ctx<'_>, o: &PixiOrder, payment: &PaymentFacts, s: &Progress) -> Decision {
    let decided = if s.refusal.is_some() { refused(ctx, s) } else { accepted(ctx, o, payment, s) };
    decided.unwrap_or(Decision::Idle(Wait::Payment))
}

fn refused(ctx: &Ctx<'_>, s: &Progress) -> Option<Decision> {
    let code = s.refusal.clone().unwrap_or_default();
    if s.lock_refused {
        // pixi refused the lock: releasing without it would let the goods ship. The order
        // stays on HOLD, flagged, until a person acts (or asks pixi-sync to try again).
        return Some(Decision::Idle(Wait::Follow));
    }
    if !s.locked_by_us {
        return act(Action::SetLock {
            key: ctx.key("lock", "refused"),
            locked: true,
            purpose: LockPurpose::Refused,
            reason: format!("payops: unzer payment problem ({code}), see dashboard"),
        });
    }
    act(Action::Release {
        key: ctx.key("release", "order"),
        accepted: false,
        auth_code: String::new(),
        message: format!("released with shipping lock: {code}"),
    })
}

fn accepted(ctx: &Ctx<'_>, o: &PixiOrder, payment: &PaymentFacts, s: &Progress) -> Option<Decision> {
    let p = match payment {
        PaymentFacts::Found(p) => p,
        PaymentFacts::NotFound(reason) => {
            return refusal(
                "PAYMENT_NOT_FOUND",
                "unzer payment not found",
                format!("unzer does not know the payment: {reason}"),
            );
        }
        PaymentFacts::NoPaymentId => {
            return refusal(
                "NO_PAYMENT_ID",
                "order without unzer payment id",
                "the order has no unzer payment id in KK-ID nor in its import XML".into(),
            );
        }
    };
    let kind = match &p.kind {
        Ok(k) => *k,
        Err(e) => {
            return refusal(
                "UNSUPPORTED_TYPE",
                "configuration error: unsupported payment type",
                format!("{e} on payment method {} (PX-06)", o.payment_method),
            );
        }
    };
    if !p.currency.eq_ignore_ascii_case(&o.currency) {
        return refusal(
            "CURRENCY_MISMATCH",
            "payment currency differs from the order",
            format!("the unzer payment is in {} but the order in {}", p.currency, o.currency),
        );
    }
    match acceptance(kind, p) {
        Acceptance::Pending => return None,
        Acceptance::Refused(reason) => return refusal("PAYMENT_REFUSED", "unzer refused the payment", reason),
        Acceptance::Accepted => {}
    }
    if p.total_minor + ctx.tolerance_minor < o.total_minor {
        return refusal(
            "AMOUNT_TOO_LOW",
            "payment amount lower than the order",
            format!("the unzer payment covers {} minor units, the order totals {}", p.total_minor, o.total_minor),
        );
    }
    if let Some(d) = standard_capture(ctx, o, p, kind, s) {
        return Some(d);
    }
    if kind.funds_arrive()
        && !s.bank_written
        && !p.funds_received()
        && let Some(bank) = &p.bank
    {
        return act(Action::WriteBank { key: ctx.key("bank", "release"), bank: bank.clone() });
    }
    if kind == PaymentType::Prepayment && !p.funds_received() && !s.prepay_locked {
        if s.prepay_lock_refused {
            // Without the lock the order is not released before the money arrives.
            return Some(Decision::Idle(Wait::Funds));
        }
        return act(Action::SetLock {
            key: ctx.key("lock", "prepayment"),
            locked: true,
            purpose: LockPurpose::Prepayment,
            reason: "payops: waiting for the prepayment".into(),
        });
    }
    let auth_code = p
        .txns
        .iter()
        .find(|t| matches!(t.kind, TxnKind::Authorize | TxnKind::Charge))
        .map(|t| t.id.clone())
        .unwrap_or_default();
    act(Action::Release {
        key: ctx.key("release", "order"),
        accepted: true,
        auth_code,
        message: format!("unzer {} {} accepted", kind.name(), p.id),
    })
}

/// PX-11: STANDARD mode captures what the shop has not: the order total minus what is already
/// charged (before release, or after someone released the order by hand), never more than
/// the authorisation still covers.
fn standard_capture(ctx: &Ctx<'_>, o: &PixiOrder, p: &Payment, kind: PaymentType, s: &Progress) -> Option<Decision> {
    let applies = kind.family() == Family::Authorize && ctx.mode == Mode::Standard;
    if !applies || s.release_charge.is_some() || o.all_cancelled() {
        return None;
    }
    let open = p.authorized_open();
    if p.charged_minor() + ctx.tolerance_minor >= o.total_minor || open == 0 {
        return None;
    }
    act(Action::Charge {
        key: ctx.key("charge", "release"),
        purpose: Purpose::Release,
        amount_minor: (o.total_minor - p.charged_minor()).min(open),
        invoice_id: None,
    })
}

/// Steps right after release: a STANDARD capture missed because someone released by hand,
/// and lifting the prepayment lock once the money arrived (PX-12).
pub(super) fn after_release(
    ctx: &Ctx<'_>,
    o: &PixiOrder,
    p: &Payment,
    kind: PaymentType,
    s: &Progress,
) -> Option<Decision> {
    if let Some(d) = standard_capture(ctx, o, p, kind, s) {
        return Some(d);
    }
    if matches!(kind.family(), Family::Prepayment | Family::Invoice)
        && let Some(d) = super::transfers::partial_receipt(o, p, s)
    {
        return Some(d);
    }
    let lift = kind == PaymentType::Prepayment && s.prepay_locked && !s.prepay_lifted && p.funds_received();
    if lift && o.status != PixiStatus::Closed {
        return act(Action::SetLock {
            key: ctx.key("lock", "lift"),
            locked: false,
            purpose: LockPurpose::Lift,
            reason: "payops: prepayment received".into(),
        });
    }
    None
}
