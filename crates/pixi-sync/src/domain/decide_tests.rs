//! Table tests of the order state machine: each case drives `decide` → (simulated partner
//! outcome) → `apply` until idle and compares the partner actions taken. A tiny model of the
//! unzer payment is updated by the simulated actions, as re-reading unzer would.

use std::collections::BTreeSet;

use super::decide::{Action, Ctx, Decision, Wait, decide};
use super::facts::{Bank, Doc, DocKind, Line, Payment, PaymentFacts, PixiOrder, PixiStatus, Txn, TxnKind, TxnStatus};
use super::payment_type::PaymentType;
use super::progress::{Event, MoveKind, Moved, Progress, Severity, apply};
use super::settings::Mode;

const SCOPE: &str = "api:100001";

fn order(status: PixiStatus, lines: &[(i64, &str)], docs: &[(&str, DocKind, i64, bool)]) -> PixiOrder {
    PixiOrder {
        order_nr: 100_001,
        external_nr: "600001".into(),
        shop_id: "DEM".into(),
        status,
        payment_method: "UNZERCC".into(),
        mandant: "DEM".into(),
        kk_id: Some("s-pay-1".into()),
        currency: "EUR".into(),
        total_minor: lines.iter().filter(|(_, s)| !matches!(*s, "STO" | "NLB")).map(|(a, _)| a).sum(),
        locked: false,
        merged: false,
        cust_key: 1,
        lines: lines
            .iter()
            .enumerate()
            .map(|(i, (a, st))| Line { key: i as i64 + 1, status: (*st).into(), amount_minor: *a })
            .collect(),
        docs: docs
            .iter()
            .map(|(nr, kind, total, shipped)| Doc {
                nr: (*nr).into(),
                kind: *kind,
                total_minor: *total,
                paid_minor: 0,
                shipped: *shipped,
            })
            .collect(),
    }
}

fn txn(id: &str, kind: TxnKind, status: TxnStatus, amount: i64) -> Txn {
    Txn { id: id.into(), kind, status, amount_minor: amount, parent: None }
}

/// A payment as the shop left it: authorised (authorising types) or charged.
fn payment(kind: PaymentType, amount: i64, checkout: TxnStatus) -> Payment {
    let first = if kind.authorizes() {
        txn("s-aut-1", TxnKind::Authorize, checkout, amount)
    } else {
        txn("s-chg-1", TxnKind::Charge, checkout, amount)
    };
    let bank = kind.funds_arrive().then(|| Bank {
        holder: "Unzer Sandbox Merchant".into(),
        iban: "DE89370400440532013000".into(),
        bic: "COBADEFFXXX".into(),
        reference: "4866.5496.0065".into(),
    });
    Payment {
        id: "s-pay-1".into(),
        type_id: format!("s-{}-x", "crd"),
        kind: Ok(kind),
        state: "pending".into(),
        currency: "EUR".into(),
        total_minor: amount,
        txns: vec![first],
        bank,
    }
}

struct Run {
    actions: Vec<String>,
    progress: Progress,
    end: Decision,
    payment: Payment,
}

/// Drives the machine until idle with every partner call succeeding (or failing where
/// `fail` names the key prefix).
fn run(mode: Mode, o: &PixiOrder, mut p: Payment, s: Progress, fail: Option<(&str, bool)>) -> Run {
    let attempted = BTreeSet::new();
    let ctx = Ctx {
        scope: SCOPE,
        mode,
        tolerance_minor: 2,
        invoice_event: "UZE",
        return_event: "UZR",
        attempted: &attempted,
    };
    let mut s = s;
    let mut actions = Vec::new();
    for _ in 0..60 {
        let d = decide(&ctx, o, &PaymentFacts::Found(p.clone()), &s);
        let Decision::Act(a) = d.clone() else {
            return Run { actions, progress: s, end: d, payment: p };
        };
        if let Some(line) = summary(&a) {
            actions.push(line);
        }
        let event = outcome(&a, &mut p, &s, fail);
        s = apply(s, &event, "t");
    }
    panic!("no end: {actions:?}");
}

fn summary(a: &Action) -> Option<String> {
    Some(match a {
        Action::Release { accepted, .. } => format!("release {}", if *accepted { "accepted" } else { "refused" }),
        Action::SetLock { locked, .. } => format!("lock {locked}"),
        Action::WriteBank { .. } => "bank".into(),
        Action::MarkCaptured { invoice, amount_minor, .. } => format!("mark {invoice} {amount_minor}"),
        Action::BookReturn { credit, amount_minor, .. } => format!("book {credit} {amount_minor}"),
        Action::Charge { key, amount_minor, .. } => format!("charge {} {amount_minor}", tail(key)),
        Action::Ship { invoice, .. } => format!("ship {invoice}"),
        Action::Reverse { key, amount_minor, .. } => format!("reverse {} {amount_minor}", tail(key)),
        Action::Refund { key, amount_minor, reason, .. } => format!("refund {} {amount_minor} {reason}", tail(key)),
        Action::Flag { problem, .. } => format!("flag {}", problem.code),
        Action::Comment { .. } | Action::Record(_) => return None,
    })
}

fn tail(key: &str) -> String {
    key.split(':').skip(3).collect::<Vec<_>>().join(":")
}

fn next_id(p: &Payment, prefix: &str) -> String {
    let n = p.txns.iter().filter(|t| t.id.starts_with(prefix)).count() + 1;
    format!("{prefix}{n}")
}

fn outcome(a: &Action, p: &mut Payment, s: &Progress, fail: Option<(&str, bool)>) -> Event {
    let failing = |key: &str| fail.filter(|(k, _)| key.contains(k)).map(|(_, expired)| expired);
    match a {
        Action::Release { .. } => Event::Released { locked: s.locked_by_us && !s.prepay_lifted },
        Action::SetLock { locked, purpose, reason, .. } => {
            Event::LockChanged { locked: *locked, purpose: *purpose, reason: reason.clone() }
        }
        Action::WriteBank { .. } => Event::BankWritten,
        Action::MarkCaptured { invoice, amount_minor, .. } => {
            Event::InvoiceBalanced { invoice: invoice.clone(), amount_minor: *amount_minor }
        }
        Action::BookReturn { credit, amount_minor, .. } => {
            Event::CreditBooked { credit: credit.clone(), amount_minor: *amount_minor }
        }
        Action::Comment { keys, .. } => Event::Commented { keys: keys.clone() },
        Action::Flag { index, .. } => Event::Flagged { index: *index },
        Action::Record(e) => e.clone(),
        Action::Charge { key, purpose, amount_minor, .. } => {
            if let Some(expired) = failing(key) {
                return Event::MoveFailed {
                    purpose: purpose.clone(),
                    kind: MoveKind::Charge,
                    key: key.clone(),
                    reason: "refused".into(),
                    expired,
                };
            }
            let id = next_id(p, "s-chg-");
            p.txns.push(txn(&id, TxnKind::Charge, TxnStatus::Success, *amount_minor));
            Event::Moved {
                purpose: purpose.clone(),
                kind: MoveKind::Charge,
                moved: Moved { key: key.clone(), txn_id: id, amount_minor: *amount_minor },
            }
        }
        Action::Ship { key, invoice } => {
            if let Some(expired) = failing(key) {
                return Event::MoveFailed {
                    purpose: super::progress::Purpose::Invoice(invoice.clone()),
                    kind: MoveKind::Ship,
                    key: key.clone(),
                    reason: "refused".into(),
                    expired,
                };
            }
            let id = next_id(p, "s-shp-");
            p.txns.push(txn(&id, TxnKind::Shipment, TxnStatus::Success, 0));
            Event::Moved {
                purpose: super::progress::Purpose::Invoice(invoice.clone()),
                kind: MoveKind::Ship,
                moved: Moved { key: key.clone(), txn_id: id, amount_minor: 0 },
            }
        }
        Action::Reverse { key, purpose, amount_minor } => {
            let id = next_id(p, "s-cnl-");
            p.txns.push(txn(&id, TxnKind::CancelAuthorize, TxnStatus::Success, *amount_minor));
            Event::Moved {
                purpose: purpose.clone(),
                kind: MoveKind::Reverse,
                moved: Moved { key: key.clone(), txn_id: id, amount_minor: *amount_minor },
            }
        }
        Action::Refund { key, purpose, charge_id, amount_minor, .. } => {
            let id = next_id(p, "s-cnl-");
            let mut t = txn(&id, TxnKind::CancelCharge, TxnStatus::Success, *amount_minor);
            t.parent = charge_id.clone().or_else(|| p.paid_charges().last().map(|c| c.id.clone()));
            p.txns.push(t);
            Event::Moved {
                purpose: purpose.clone(),
                kind: MoveKind::Refund,
                moved: Moved { key: key.clone(), txn_id: id, amount_minor: *amount_minor },
            }
        }
    }
}

fn hold(amounts: &[i64]) -> PixiOrder {
    let lines: Vec<(i64, &str)> = amounts.iter().map(|a| (*a, "HAL")).collect();
    order(PixiStatus::Hold, &lines, &[])
}

fn released() -> Progress {
    Progress { released: Some(super::progress::Released { by_us: true, locked: false }), ..Progress::default() }
}

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
fn px_15_secured_debit_reports_shipment_and_balances_each_invoice_at_once() {
    let o = order(PixiStatus::Open, &[(6000, "AUS"), (4000, "ANG")], &[("R1", DocKind::Invoice, 6000, true)]);
    let r = run(
        Mode::Standard,
        &o,
        payment(PaymentType::SepaDirectDebitSecured, 10_000, TxnStatus::Success),
        released(),
        None,
    );
    assert_eq!(r.actions, ["ship R1", "mark R1 6000"]);
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
    let mut paid = payment(PaymentType::Prepayment, 10_000, TxnStatus::Success);
    paid.txns[0].status = TxnStatus::Success;
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
    let mut later = payment(PaymentType::Prepayment, 10_000, TxnStatus::Success);
    later.txns[0].status = TxnStatus::Success;
    let r = run(Mode::Expert, &closed, later, r.progress, None);
    assert!(r.actions.is_empty(), "never balanced automatically: {:?}", r.actions);
}

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
    assert_eq!(r.actions, ["refund whole 10000 CANCEL"], "prepayment before the money: cancel");
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
    assert_eq!(r.actions, ["refund whole 10000 CANCEL"]);
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

    let mut paid = payment(PaymentType::Prepayment, 10_000, TxnStatus::Success);
    paid.txns[0].status = TxnStatus::Success;
    let r = run(Mode::Expert, &open, paid, released(), None);
    assert_eq!(r.actions, ["refund lines:3000 3000 CANCEL"], "prepayment received: refund the cancelled lines");
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
        super::progress::InvoiceProgress {
            charge: Some(Moved { key: "k".into(), txn_id: "s-chg-1".into(), amount_minor: 6000 }),
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
    s.credits.insert("G1".into(), super::progress::CreditProgress { refunded_minor: 6000, ..Default::default() });
    let Decision::Act(Action::BookReturn { event, amount_minor, .. }) =
        decide(&ctx, &o, &PaymentFacts::Found(payment(PaymentType::Card, 6000, TxnStatus::Success)), &s)
    else {
        panic!("expected booking");
    };
    assert_eq!((event.as_str(), amount_minor), ("UZR", 6000), "positive amount, the returns event carries the sign");
}
