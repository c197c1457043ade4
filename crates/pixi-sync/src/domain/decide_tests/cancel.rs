//! Cancellations (PX-17, PX-18) and problems (PX-24, PX-26).

use super::super::decide::{Decision, Wait};
use super::super::facts::{DocKind, PixiStatus, TxnKind, TxnStatus};
use super::super::payment_type::PaymentType;
use super::super::progress::{Progress, Severity};
use super::super::settings::Mode;
use super::{hold, order, payment, receive, released, run, txn};

#[test]
fn px_17_whole_order_cancel_per_family_and_mode() {
    let cancelled = order(PixiStatus::Closed, &[(6000, "STO"), (4000, "NLB")], &[]);
    let mut captured = payment(PaymentType::Card, 10_000, TxnStatus::Success);
    captured.txns.push(txn("s-chg-1", TxnKind::Charge, TxnStatus::Success, 10_000));
    let r = run(Mode::Standard, &cancelled, captured.clone(), released(), None);
    assert_eq!(r.actions, ["refund cancel:s-chg-1 10000 CANCEL"], "standard: refund what was captured");
    let r = run(Mode::Expert, &cancelled, payment(PaymentType::Card, 10_000, TxnStatus::Success), released(), None);
    assert_eq!(r.actions, ["reverse closed 10000"], "expert: cancel the authorisation");
    let r = run(Mode::Expert, &cancelled, captured, released(), None);
    assert!(r.actions.is_empty(), "expert with capture: nothing ({:?})", r.actions);
    let r =
        run(Mode::Expert, &cancelled, payment(PaymentType::Prepayment, 10_000, TxnStatus::Pending), released(), None);
    assert_eq!(r.actions, ["refund whole:s-chg-1 10000 CANCEL"], "prepayment before the money: cancel");
    let r = run(
        Mode::Expert,
        &cancelled,
        payment(PaymentType::PaylaterInvoice, 10_000, TxnStatus::Success),
        released(),
        None,
    );
    assert_eq!(r.actions, ["reverse cancel 10000"], "invoice type before the period: cancel");
    let r = run(
        Mode::Expert,
        &cancelled,
        payment(PaymentType::InvoiceSecured, 10_000, TxnStatus::Pending),
        released(),
        None,
    );
    assert_eq!(r.actions, ["refund whole:s-chg-1 10000 CANCEL"]);
}

#[test]
fn px_18_partial_cancellations_are_refunded_or_aggregated_per_mode() {
    let closed = order(
        PixiStatus::Closed,
        &[(6000, "AUS"), (3000, "STO"), (1000, "NLB")],
        &[("R1", DocKind::Invoice, 6000, true)],
    );
    let mut captured = payment(PaymentType::Card, 10_000, TxnStatus::Success);
    captured.txns.push(txn("s-chg-1", TxnKind::Charge, TxnStatus::Success, 10_000));
    let r = run(Mode::Standard, &closed, captured, released(), None);
    assert_eq!(r.actions, ["mark R1 6000", "refund cancel:s-chg-1 4000 CANCEL"]);

    let r = run(Mode::Expert, &closed, payment(PaymentType::Card, 10_000, TxnStatus::Success), released(), None);
    assert_eq!(r.actions, ["charge R1 6000", "mark R1 6000", "reverse closed 4000"], "one aggregated reversal");

    let open = order(
        PixiStatus::Open,
        &[(6000, "AUS"), (3000, "STO"), (1000, "ANG")],
        &[("R1", DocKind::Invoice, 6000, true)],
    );
    let r =
        run(Mode::Expert, &open, payment(PaymentType::PaylaterInvoice, 10_000, TxnStatus::Success), released(), None);
    assert_eq!(r.actions, ["charge R1 6000", "reverse cancel:3000 3000"], "after the period started");

    let mut paid = payment(PaymentType::Prepayment, 10_000, TxnStatus::Pending);
    receive(&mut paid, 10_000);
    let r = run(Mode::Expert, &open, paid, released(), None);
    assert_eq!(
        r.actions,
        ["refund lines:3000:s-chg-2 3000 CANCEL"],
        "prepayment received: refund the cancelled lines on the receipt"
    );
}

#[test]
fn px_24_merged_orders_are_flagged_as_a_hint_and_not_processed() {
    let mut o = hold(&[10_000]);
    o.merged = true;
    let r = run(Mode::Expert, &o, payment(PaymentType::Card, 10_000, TxnStatus::Success), Progress::default(), None);
    assert_eq!(r.actions, ["flag MERGED"]);
    assert_eq!(r.progress.worst(), Some(Severity::Hint));
    assert_eq!(r.end, Decision::Idle(Wait::Done));
}

#[test]
fn px_26_a_document_pixi_marked_paid_is_a_configuration_error_naming_the_method() {
    let mut o = order(PixiStatus::Open, &[(10_000, "AUS")], &[("R1", DocKind::Invoice, 10_000, true)]);
    o.docs[0].paid_minor = 10_000;
    let r = run(Mode::Expert, &o, payment(PaymentType::Card, 10_000, TxnStatus::Success), released(), None);
    assert_eq!(r.actions[0], "flag PAID_BY_PIXI");
    assert!(r.progress.problems[0].description.contains("UNZERCC"));
}
