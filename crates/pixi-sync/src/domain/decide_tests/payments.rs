//! What the shop already collected (the seed: "Im Standard Modus prüft die App ob eine
//! Bestellung bereits im Online-Shop eingezogen wurde"): STANDARD captures only the rest, an
//! order paid by direct charge is accepted, EXPERT does not charge an invoice the shop's
//! capture already covers; and an expired authorisation per type.

use super::*;

fn card_with(txns: Vec<Txn>) -> Payment {
    let mut p = payment(PaymentType::Card, 0, TxnStatus::Success);
    p.total_minor =
        txns.iter().filter(|t| t.kind != TxnKind::CancelAuthorize).map(|t| t.amount_minor).max().unwrap_or(0);
    p.txns = txns;
    p
}

#[test]
fn px_11_standard_mode_captures_the_order_total_minus_what_the_shop_already_charged() {
    // Authorised 120.00 for an order of 100.00; the shop captured 30.00 at checkout.
    let p = card_with(vec![
        txn("s-aut-1", TxnKind::Authorize, TxnStatus::Success, 12_000),
        txn("s-chg-1", TxnKind::Charge, TxnStatus::Success, 3_000),
    ]);
    let r = run(Mode::Standard, &hold(&[10_000]), p, Progress::default(), None);
    assert_eq!(r.actions, ["charge release 7000", "release accepted"], "100.00 in all, not min(100.00, 90.00 open)");
}

#[test]
fn px_10_an_order_the_shop_paid_by_direct_charge_is_accepted_and_not_charged_again() {
    let paid = card_with(vec![txn("s-chg-1", TxnKind::Charge, TxnStatus::Success, 10_000)]);
    let r = run(Mode::Standard, &hold(&[10_000]), paid.clone(), Progress::default(), None);
    assert_eq!(r.actions, ["release accepted"], "the shop collected the money: nothing to capture");
    let o = order(PixiStatus::Closed, &[(10_000, "AUS")], &[("R1", DocKind::Invoice, 10_000, true)]);
    let r = run(Mode::Expert, &o, paid, released(), None);
    assert_eq!(r.actions, ["mark R1 10000"], "expert: the direct charge already covers the invoice");
    assert!(r.progress.completed);
}

#[test]
fn px_13_expert_mode_charges_only_what_the_shops_capture_does_not_cover() {
    let o = order(
        PixiStatus::Open,
        &[(6_000, "AUS"), (4_000, "AUS")],
        &[("R1", DocKind::Invoice, 6_000, true), ("R2", DocKind::Invoice, 4_000, true)],
    );
    let all = card_with(vec![
        txn("s-aut-1", TxnKind::Authorize, TxnStatus::Success, 10_000),
        txn("s-chg-1", TxnKind::Charge, TxnStatus::Success, 10_000),
    ]);
    let r = run(Mode::Expert, &o, all, released(), None);
    assert_eq!(r.actions, ["mark R1 6000", "mark R2 4000"], "captured in full by the shop: no charge");
    let part = card_with(vec![
        txn("s-aut-1", TxnKind::Authorize, TxnStatus::Success, 10_000),
        txn("s-chg-1", TxnKind::Charge, TxnStatus::Success, 7_000),
    ]);
    let r = run(Mode::Expert, &o, part, released(), None);
    assert_eq!(r.actions, ["mark R1 6000", "charge R2 3000", "mark R2 4000"], "only the 30.00 the shop left open");
}

#[test]
fn px_15_an_expired_card_authorisation_is_an_incident_that_says_what_to_do() {
    let o = order(PixiStatus::Open, &[(6_000, "AUS")], &[("R1", DocKind::Invoice, 6_000, true)]);
    let r =
        run(Mode::Expert, &o, payment(PaymentType::Card, 6_000, TxnStatus::Success), released(), Some(("R1", true)));
    assert_eq!(r.actions, ["charge R1 6000", "flag AUTHORIZATION_EXPIRED"]);
    let p = &r.progress.problems[0];
    assert!(p.title.contains("card authorisation expired"), "{}", p.title);
    assert!(
        p.description.contains("no re-authorisation for cards") && p.description.contains("new payment"),
        "the operator is told what to do: {}",
        p.description
    );
}

#[test]
fn px_15_an_expired_paylater_installment_is_reauthorised_before_the_late_invoice_is_charged() {
    let o = order(
        PixiStatus::Closed,
        &[(4_000, "AUS"), (6_000, "AUS")],
        &[("R1", DocKind::Invoice, 4_000, true), ("R2", DocKind::Invoice, 6_000, true)],
    );
    for kind in [PaymentType::PaylaterInstallment, PaymentType::PaylaterDirectDebit] {
        let r = run(Mode::Expert, &o, payment(kind, 10_000, TxnStatus::Success), released(), Some(("R2", true)));
        let marks: Vec<&String> = r.actions.iter().filter(|a| a.starts_with("mark")).collect();
        let steps: Vec<&String> = r.actions.iter().filter(|a| !a.starts_with("mark")).collect();
        assert_eq!(
            steps,
            ["charge R1 4000", "charge R2 6000", "reauthorize R2 10000", "charge R2:reauth 6000"],
            "{kind}: the expired authorisation is renewed, then the late delivery charged"
        );
        assert_eq!(marks.len(), 2, "{kind}: {:?}", r.actions);
        assert!(r.progress.problems.is_empty(), "{kind}: no incident: {:?}", r.progress.problems);
        assert!(r.progress.completed, "{kind}");
    }
    let r = run(
        Mode::Expert,
        &o,
        payment(PaymentType::PaylaterInvoice, 10_000, TxnStatus::Success),
        released(),
        Some(("R2", true)),
    );
    assert!(
        r.actions.contains(&"flag AUTHORIZATION_EXPIRED".to_owned()),
        "paylater invoice: no re-authorisation through pixi: {:?}",
        r.actions
    );
    assert!(!r.actions.iter().any(|a| a.starts_with("reauthorize")));
}
