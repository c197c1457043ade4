//! Money received by bank transfer (prepayment, invoice, invoice secured) as unzer models it:
//! the initial charge stays pending, each transfer is a successful charge of its own, a cancel
//! of the initial charge reverses only what the buyer still owes; and which invoice types take
//! a shipment (only invoice secured; plain invoice and SEPA secured refuse it).

use super::*;
use crate::domain::decide::Wait;

fn open(lines: &[(i64, &str)], docs: &[(&str, DocKind, i64, bool)]) -> PixiOrder {
    order(PixiStatus::Open, lines, docs)
}

fn closed(lines: &[(i64, &str)], docs: &[(&str, DocKind, i64, bool)]) -> PixiOrder {
    order(PixiStatus::Closed, lines, docs)
}

#[test]
fn px_12_a_partial_transfer_keeps_the_prepayment_shipping_lock_and_is_shown_as_a_hint() {
    let mut p = payment(PaymentType::Prepayment, 10_000, TxnStatus::Pending);
    let r = run(Mode::Standard, &hold(&[10_000]), p.clone(), Progress::default(), None);
    assert_eq!(r.actions, ["bank", "lock true", "release accepted"]);
    receive(&mut p, 6_000);
    let o = open(&[(10_000, "ANG")], &[]);
    let r = run(Mode::Standard, &o, p.clone(), r.progress, None);
    assert_eq!(r.actions, ["flag PARTIAL_RECEIPT"], "the lock stays: only 60.00 of 100.00 arrived");
    assert_eq!(r.end, Decision::Idle(Wait::Funds));
    assert!(r.progress.problems[0].description.contains("60.00 of 100.00"), "{:?}", r.progress.problems);
    receive(&mut p, 4_000);
    let r = run(Mode::Standard, &o, p, r.progress, None);
    assert_eq!(r.actions, ["lock false"], "the rest arrived: unlocked");
}

#[test]
fn px_16_a_partial_transfer_never_balances_the_prepayment_invoice() {
    let mut p = payment(PaymentType::Prepayment, 10_000, TxnStatus::Pending);
    receive(&mut p, 6_000);
    let o = closed(&[(10_000, "AUS")], &[("R1", DocKind::Invoice, 10_000, true)]);
    let r = run(Mode::Expert, &o, p.clone(), released(), None);
    assert!(!r.actions.iter().any(|a| a.starts_with("mark")), "not paid in full: {:?}", r.actions);
    assert!(r.actions.contains(&"flag BALANCE_BY_HAND".to_owned()), "{:?}", r.actions);
    assert!(!r.progress.completed || r.progress.manual_balance);
}

#[test]
fn px_17_prepayment_partly_cancelled_then_cancelled_in_full_refunds_the_rest_before_it_completes() {
    let mut p = payment(PaymentType::Prepayment, 10_000, TxnStatus::Pending);
    receive(&mut p, 10_000);
    let part = open(&[(3_000, "STO"), (7_000, "ANG")], &[]);
    let r = run(Mode::Standard, &part, p, released(), None);
    assert_eq!(r.actions, ["refund lines:3000:s-chg-2 3000 CANCEL"], "money received: refunded on the receipt");
    let all = closed(&[(3_000, "STO"), (7_000, "STO")], &[]);
    let r = run(Mode::Standard, &all, r.payment, r.progress, None);
    assert_eq!(r.actions, ["refund whole:s-chg-2 7000 CANCEL"], "the rest is refunded too");
    assert!(r.progress.completed, "completed once everything went back");
    assert_eq!(r.progress.cancel.done_minor, 10_000);
}

#[test]
fn px_17_a_cancel_after_a_partial_transfer_reverses_what_is_owed_and_refunds_the_transfer() {
    let mut p = payment(PaymentType::Prepayment, 10_000, TxnStatus::Pending);
    receive(&mut p, 6_000);
    let all = closed(&[(10_000, "STO")], &[]);
    let r = run(Mode::Standard, &all, p, released(), None);
    assert_eq!(
        r.actions,
        ["refund whole:s-chg-1 4000 CANCEL", "refund whole:s-chg-2 6000 CANCEL"],
        "the initial charge reverses only the 40.00 still owed (the SDK's max reversal); the 60.00 received go back on the receipt"
    );
    assert!(r.progress.completed);
}

#[test]
fn px_17_before_any_transfer_a_cancel_reverses_the_initial_charge_only() {
    let p = payment(PaymentType::Prepayment, 10_000, TxnStatus::Pending);
    let r = run(Mode::Standard, &open(&[(10_000, "STO")], &[]), p, released(), None);
    assert_eq!(r.actions, ["refund whole:s-chg-1 10000 CANCEL"]);
}

#[test]
fn px_19_returns_after_the_transfers_are_refunded_on_the_receipt_charges() {
    let mut p = payment(PaymentType::Prepayment, 10_000, TxnStatus::Pending);
    receive(&mut p, 6_000);
    receive(&mut p, 4_000);
    let o =
        closed(&[(10_000, "AUS")], &[("R1", DocKind::Invoice, 10_000, true), ("G1", DocKind::CreditNote, 8_000, true)]);
    let r = run(Mode::Expert, &o, p, released(), None);
    assert_eq!(
        r.actions,
        ["refund G1:s-chg-3 4000 RETURN", "refund G1:s-chg-2 4000 RETURN", "book G1 8000", "mark R1 10000"]
    );
}

#[test]
fn px_15_plain_invoice_is_never_shipped_and_balances_once_paid_and_closed() {
    let mut p = payment(PaymentType::Invoice, 10_000, TxnStatus::Pending);
    let shipped = open(&[(10_000, "AUS")], &[("R1", DocKind::Invoice, 10_000, true)]);
    let r = run(Mode::Standard, &shipped, p.clone(), released(), None);
    assert!(r.actions.is_empty(), "unzer refuses shipments of plain invoice (API.360.000.004): {:?}", r.actions);
    let done = closed(&[(10_000, "AUS")], &[("R1", DocKind::Invoice, 10_000, true)]);
    let r = run(Mode::Standard, &done, p.clone(), r.progress, None);
    assert!(r.actions.is_empty(), "not paid yet: {:?}", r.actions);
    receive(&mut p, 10_000);
    let r = run(Mode::Standard, &done, p, r.progress, None);
    assert_eq!(r.actions, ["mark R1 10000"]);
    assert!(r.progress.completed);
}

#[test]
fn px_15_sepa_direct_debit_secured_is_never_shipped_and_each_invoice_balances_at_once() {
    let o = open(&[(6_000, "AUS"), (4_000, "ANG")], &[("R1", DocKind::Invoice, 6_000, true)]);
    let p = payment(PaymentType::SepaDirectDebitSecured, 10_000, TxnStatus::Success);
    let r = run(Mode::Standard, &o, p, released(), None);
    assert_eq!(r.actions, ["mark R1 6000"], "unzer refuses its shipment (COR.700.400.800): insured at the charge");
}

#[test]
fn px_15_invoice_secured_reports_each_invoice_as_a_shipment_then_balances_when_closed() {
    let p = payment(PaymentType::InvoiceSecured, 10_000, TxnStatus::Pending);
    let o = closed(&[(10_000, "AUS")], &[("R1", DocKind::Invoice, 10_000, true)]);
    let r = run(Mode::Standard, &o, p, released(), None);
    assert_eq!(r.actions, ["ship R1", "mark R1 10000"]);
}
