//! Invoices, credit notes, rounding and booking events (PX-07, PX-13 … PX-16, PX-19, PX-23, PX-25).

use std::collections::BTreeSet;

use super::super::decide::{Action, Ctx, Decision, Wait, decide};
use super::super::facts::{DocKind, PaymentFacts, PixiStatus, TxnKind, TxnStatus};
use super::super::payment_type::PaymentType;
use super::super::progress::{Moved, Severity};
use super::super::settings::Mode;
use super::{SCOPE, order, payment, receive, released, run, txn};

#[test]
fn px_13_expert_mode_charges_exactly_each_invoice_and_marks_it_captured() {
    let o = order(PixiStatus::Open, &[(6000, "AUS"), (4000, "ANG")], &[("R1", DocKind::Invoice, 6495, true)]);
    let r = run(Mode::Expert, &o, payment(PaymentType::Card, 10_495, TxnStatus::Success), released(), None);
    assert_eq!(r.actions, ["charge R1 6495", "mark R1 6495"]);
    let r2 = run(Mode::Expert, &o, r.payment.clone(), r.progress.clone(), None);
    assert!(r2.actions.is_empty(), "idempotent: {:?}", r2.actions);

    let failed =
        run(Mode::Expert, &o, payment(PaymentType::Card, 10_495, TxnStatus::Success), released(), Some(("R1", false)));
    assert_eq!(failed.actions, ["charge R1 6495", "flag CAPTURE_FAILED"]);
}

#[test]
fn px_14_standard_mode_checks_that_invoices_do_not_exceed_the_order_amount() {
    let mut p = payment(PaymentType::Card, 10_000, TxnStatus::Success);
    p.txns.push(txn("s-chg-1", TxnKind::Charge, TxnStatus::Success, 10_000));
    let ok = order(PixiStatus::Open, &[(6000, "AUS"), (4000, "ANG")], &[("R1", DocKind::Invoice, 6000, true)]);
    let r = run(Mode::Standard, &ok, p.clone(), released(), None);
    assert_eq!(r.actions, ["mark R1 6000"]);
    let over = order(
        PixiStatus::Open,
        &[(6000, "AUS"), (4000, "AUS")],
        &[("R1", DocKind::Invoice, 6000, true), ("R2", DocKind::Invoice, 4003, true)],
    );
    let r = run(Mode::Standard, &over, p.clone(), released(), None);
    assert_eq!(r.actions, ["mark R1 6000", "flag INVOICES_EXCEED_ORDER"], "only the invoice that crosses fails");
    // PX-23: within the tolerance (2) the sum passes.
    let within = order(
        PixiStatus::Open,
        &[(6000, "AUS"), (4000, "AUS")],
        &[("R1", DocKind::Invoice, 6000, true), ("R2", DocKind::Invoice, 4002, true)],
    );
    let r = run(Mode::Standard, &within, p, released(), None);
    assert_eq!(r.actions, ["mark R1 6000", "mark R2 4002"]);
}

#[test]
fn px_07_px_15_paylater_charges_each_invoice_in_both_modes_and_balances_when_closed() {
    for mode in [Mode::Standard, Mode::Expert] {
        let o = order(PixiStatus::Open, &[(6000, "AUS"), (4000, "ANG")], &[("R1", DocKind::Invoice, 6000, true)]);
        let r = run(mode, &o, payment(PaymentType::PaylaterInvoice, 10_000, TxnStatus::Success), released(), None);
        assert_eq!(r.actions, ["charge R1 6000"], "{mode:?}");
        let closed = order(
            PixiStatus::Closed,
            &[(6000, "AUS"), (4000, "AUS")],
            &[("R1", DocKind::Invoice, 6000, true), ("R2", DocKind::Invoice, 4000, true)],
        );
        let r = run(mode, &closed, r.payment, r.progress, None);
        assert_eq!(r.actions, ["charge R2 4000", "mark R1 6000", "mark R2 4000"], "{mode:?}");
        assert_eq!(r.end, Decision::Idle(Wait::Done));
        assert!(r.progress.completed);
    }
}

#[test]
fn px_15_an_expired_authorisation_is_an_error_with_that_reason() {
    let o = order(PixiStatus::Open, &[(6000, "AUS")], &[("R1", DocKind::Invoice, 6000, true)]);
    let r = run(
        Mode::Expert,
        &o,
        payment(PaymentType::PaylaterInvoice, 6000, TxnStatus::Success),
        released(),
        Some(("R1", true)),
    );
    assert_eq!(r.actions, ["charge R1 6000", "flag AUTHORIZATION_EXPIRED"]);
    assert!(r.progress.problems[0].title.contains("payment period cannot start"));
    let s = order(PixiStatus::Open, &[(6000, "AUS")], &[("R1", DocKind::Invoice, 6000, true)]);
    let r = run(
        Mode::Expert,
        &s,
        payment(PaymentType::InvoiceSecured, 6000, TxnStatus::Pending),
        released(),
        Some(("ship", true)),
    );
    assert_eq!(r.actions, ["ship R1", "flag AUTHORIZATION_EXPIRED"]);
}

#[test]
fn px_15_secured_and_paylater_debit_balance_each_invoice_at_once() {
    let o = order(PixiStatus::Open, &[(6000, "AUS"), (4000, "ANG")], &[("R1", DocKind::Invoice, 6000, true)]);
    let r = run(
        Mode::Standard,
        &o,
        payment(PaymentType::SepaDirectDebitSecured, 10_000, TxnStatus::Success),
        released(),
        None,
    );
    assert_eq!(r.actions, ["mark R1 6000"], "no shipment: unzer refuses it (COR.700.400.800)");
    let r = run(
        Mode::Standard,
        &o,
        payment(PaymentType::PaylaterDirectDebit, 10_000, TxnStatus::Success),
        released(),
        None,
    );
    assert_eq!(r.actions, ["charge R1 6000", "mark R1 6000"]);
}

#[test]
fn px_16_prepayment_balances_only_when_received_and_closed() {
    let mut paid = payment(PaymentType::Prepayment, 10_000, TxnStatus::Pending);
    receive(&mut paid, 10_000);
    let open = order(PixiStatus::Open, &[(6000, "AUS"), (4000, "ANG")], &[("R1", DocKind::Invoice, 6000, true)]);
    let r = run(Mode::Expert, &open, paid.clone(), released(), None);
    assert!(r.actions.is_empty(), "not closed yet: {:?}", r.actions);
    let closed = order(
        PixiStatus::Closed,
        &[(6000, "AUS"), (4000, "AUS")],
        &[("R1", DocKind::Invoice, 6000, true), ("R2", DocKind::Invoice, 4000, true)],
    );
    let r = run(Mode::Expert, &closed, paid, r.progress, None);
    assert_eq!(r.actions, ["mark R1 6000", "mark R2 4000"]);

    let unpaid = payment(PaymentType::Prepayment, 10_000, TxnStatus::Pending);
    let r = run(Mode::Expert, &open, unpaid, released(), None);
    assert_eq!(r.actions, ["flag BALANCE_BY_HAND"]);
    assert_eq!(r.progress.worst(), Some(Severity::Hint));
    let mut later = payment(PaymentType::Prepayment, 10_000, TxnStatus::Pending);
    receive(&mut later, 10_000);
    let r = run(Mode::Expert, &closed, later, r.progress, None);
    assert!(r.actions.is_empty(), "never balanced automatically: {:?}", r.actions);
}

#[test]
fn px_19_credit_notes_are_refunded_then_booked_with_the_returns_event() {
    let o = order(
        PixiStatus::Closed,
        &[(6000, "RET"), (4000, "AUS")],
        &[("R1", DocKind::Invoice, 10_000, true), ("G1", DocKind::CreditNote, 6000, true)],
    );
    let r = run(Mode::Expert, &o, payment(PaymentType::Card, 10_000, TxnStatus::Success), released(), None);
    assert_eq!(r.actions, ["charge R1 10000", "mark R1 10000", "refund G1:s-chg-1 6000 RETURN", "book G1 6000"]);
    let r = run(Mode::Expert, &o, payment(PaymentType::PaylaterInvoice, 10_000, TxnStatus::Success), released(), None);
    assert_eq!(r.actions, ["charge R1 10000", "refund G1 6000 RETURN", "book G1 6000", "mark R1 10000"]);
}

#[test]
fn px_23_capture_absorbs_differences_within_the_tolerance() {
    let o = order(PixiStatus::Open, &[(10_001, "AUS")], &[("R1", DocKind::Invoice, 10_001, true)]);
    let r = run(Mode::Expert, &o, payment(PaymentType::Card, 10_000, TxnStatus::Success), released(), None);
    assert_eq!(r.actions, ["charge R1 10000", "mark R1 10001"]);
    let far = order(PixiStatus::Open, &[(10_005, "AUS")], &[("R1", DocKind::Invoice, 10_005, true)]);
    let r = run(Mode::Expert, &far, payment(PaymentType::Card, 10_000, TxnStatus::Success), released(), None);
    assert_eq!(r.actions[0], "charge R1 10005", "beyond the tolerance unzer decides");
}

#[test]
fn px_25_refunds_use_the_returns_event_and_captures_the_invoice_event() {
    let o = order(
        PixiStatus::Closed,
        &[(6000, "RET")],
        &[("R1", DocKind::Invoice, 6000, true), ("G1", DocKind::CreditNote, 6000, true)],
    );
    let attempted = BTreeSet::new();
    let ctx = Ctx {
        scope: SCOPE,
        mode: Mode::Expert,
        tolerance_minor: 0,
        invoice_event: "UZE",
        return_event: "UZR",
        attempted: &attempted,
    };
    let mut s = released();
    s.invoices.insert(
        "R1".into(),
        super::super::progress::InvoiceProgress {
            charge: Some(Moved {
                key: "k".into(),
                txn_id: "s-chg-1".into(),
                amount_minor: 6000,
                unique_id: String::new(),
            }),
            ..Default::default()
        },
    );
    let Decision::Act(Action::MarkCaptured { event, .. }) =
        decide(&ctx, &o, &PaymentFacts::Found(payment(PaymentType::Card, 6000, TxnStatus::Success)), &s)
    else {
        panic!("expected mark");
    };
    assert_eq!(event, "UZE");
    s.invoices.get_mut("R1").unwrap().balanced = true;
    s.credits
        .insert("G1".into(), super::super::progress::CreditProgress { refunded_minor: 6000, ..Default::default() });
    let Decision::Act(Action::BookReturn { event, amount_minor, .. }) =
        decide(&ctx, &o, &PaymentFacts::Found(payment(PaymentType::Card, 6000, TxnStatus::Success)), &s)
    else {
        panic!("expected booking");
    };
    assert_eq!((event.as_str(), amount_minor), ("UZR", 6000), "positive amount, the returns event carries the sign");
}
