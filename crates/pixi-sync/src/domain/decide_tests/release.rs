//! Release (PX-10 … PX-12).

use std::collections::BTreeSet;

use super::super::decide::{Action, Ctx, Decision, Wait, decide};
use super::super::facts::{PaymentFacts, PixiStatus, TxnKind, TxnStatus};
use super::super::payment_type::PaymentType;
use super::super::progress::{Event, Progress, Severity};
use super::super::settings::Mode;
use super::{SCOPE, hold, order, payment, run, txn};

#[test]
fn px_10_accepted_payment_releases_the_order_pending_waits_refused_locks_and_flags() {
    let o = hold(&[6000, 4000]);
    let ok = run(Mode::Expert, &o, payment(PaymentType::Card, 10_000, TxnStatus::Success), Progress::default(), None);
    assert_eq!(ok.actions, ["release accepted"]);
    assert_eq!(ok.end, Decision::Idle(Wait::Follow));

    let pending =
        run(Mode::Expert, &o, payment(PaymentType::Paypal, 10_000, TxnStatus::Pending), Progress::default(), None);
    assert!(pending.actions.is_empty());
    assert_eq!(pending.end, Decision::Idle(Wait::Payment));

    let refused =
        run(Mode::Expert, &o, payment(PaymentType::Card, 10_000, TxnStatus::Error), Progress::default(), None);
    assert_eq!(refused.actions, ["flag PAYMENT_REFUSED", "lock true", "release refused"]);
    assert_eq!(refused.progress.worst(), Some(Severity::Error));

    let low = run(Mode::Expert, &o, payment(PaymentType::Card, 9000, TxnStatus::Success), Progress::default(), None);
    assert_eq!(low.actions, ["flag AMOUNT_TOO_LOW", "lock true", "release refused"]);

    let missing = {
        let attempted = BTreeSet::new();
        let ctx = Ctx {
            scope: SCOPE,
            mode: Mode::Expert,
            tolerance_minor: 0,
            invoice_event: "UZE",
            return_event: "UZR",
            attempted: &attempted,
        };
        decide(&ctx, &o, &PaymentFacts::NotFound("404".into()), &Progress::default())
    };
    assert!(
        matches!(missing, Decision::Act(Action::Record(Event::Refusal { ref code, .. })) if code == "PAYMENT_NOT_FOUND")
    );
}

#[test]
fn px_11_standard_mode_captures_the_full_amount_before_release_unless_the_shop_did() {
    let o = hold(&[6000, 4000]);
    let r = run(Mode::Standard, &o, payment(PaymentType::Card, 10_000, TxnStatus::Success), Progress::default(), None);
    assert_eq!(r.actions, ["charge release 10000", "release accepted"]);

    let mut shop_captured = payment(PaymentType::Card, 10_000, TxnStatus::Success);
    shop_captured.txns.push(txn("s-chg-1", TxnKind::Charge, TxnStatus::Success, 10_000));
    let r = run(Mode::Standard, &o, shop_captured, Progress::default(), None);
    assert_eq!(r.actions, ["release accepted"]);

    let r = run(
        Mode::Standard,
        &o,
        payment(PaymentType::Card, 10_000, TxnStatus::Success),
        Progress::default(),
        Some(("release", false)),
    );
    assert_eq!(r.actions, ["charge release 10000", "flag CAPTURE_FAILED", "lock true", "release refused"]);
}

#[test]
fn px_12_prepayment_is_released_with_lock_and_transfer_data_and_unlocked_when_paid() {
    let o = hold(&[10_000]);
    let p = payment(PaymentType::Prepayment, 10_000, TxnStatus::Pending);
    let r = run(Mode::Expert, &o, p.clone(), Progress::default(), None);
    assert_eq!(r.actions, ["bank", "lock true", "release accepted"]);
    assert_eq!(r.end, Decision::Idle(Wait::Funds));
    let mut paid = p;
    paid.txns[0].status = TxnStatus::Success;
    let open = order(PixiStatus::Open, &[(10_000, "ANG")], &[]);
    let r = run(Mode::Expert, &open, paid, r.progress, None);
    assert_eq!(r.actions, ["lock false"]);
    assert!(r.progress.prepay_lifted);
}
