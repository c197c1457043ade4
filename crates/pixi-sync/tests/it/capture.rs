//! Invoices: capture per invoice in expert mode (PX-13), the sum check in standard mode
//! (PX-14), invoice types and the payment period (PX-15), prepayment balancing (PX-16),
//! rounding (PX-23) and booking-event signs (PX-25).

use proto::payops::pixi_sync::v1 as pb;
use sandbox::pixi::{BookingSource, Ship};
use sandbox::unzer::{ConfigPatch, PayKind, SeedOutcome, TxnType};

use crate::helpers::{METHODS, PIXI_USER, Tenant, TestApp, txns, types_of};

/// Ships the given lines (all when empty); returns the invoice number.
pub async fn ship(app: &TestApp, nr: i64, lines: &[usize]) -> String {
    let o = app.admin.pixi_order(PIXI_USER, nr).await.unwrap();
    let keys = if lines.is_empty() { None } else { Some(lines.iter().map(|i| o.lines[*i].key).collect()) };
    app.admin.pixi_ship(PIXI_USER, nr, &Ship { lines: keys, ..Ship::default() }).await.unwrap().nr
}

#[tokio::test]
async fn px_13_expert_mode_charges_exactly_each_invoice_and_books_it_once() {
    let app = TestApp::spawn().await;
    let t = Tenant::setup(&app, pb::Mode::Expert, &METHODS).await;
    let (card, card_pay) =
        t.order_with(&app, "UNZERCC", PayKind::Card, &[6000, 4000], 495, SeedOutcome::Authorized, None).await;
    let (pp, pp_pay) = t.order(&app, "UNZERPP", PayKind::Paypal, &[3000, 2000], SeedOutcome::Authorized).await;
    app.settle(5).await;
    assert!(txns(&t.unzer(&app, &card_pay).await, TxnType::Charge).is_empty(), "expert: nothing captured at release");

    let first = ship(&app, card, &[0]).await;
    let pp_inv = ship(&app, pp, &[]).await;
    app.advance(5).await;
    app.settle(5).await;
    let p = t.unzer(&app, &card_pay).await;
    let charges = txns(&p, TxnType::Charge);
    assert_eq!(charges.len(), 1);
    assert_eq!(
        (charges[0].amount_minor, charges[0].invoice_id.as_str()),
        (6495, first.as_str()),
        "invoice incl. shipping"
    );
    let o = t.pixi(&app, card).await;
    let doc = o.documents.iter().find(|d| d.nr == first).unwrap();
    assert!(doc.captured && doc.paid_minor == 6495);
    let bookings: Vec<_> =
        o.bookings.iter().filter(|b| b.match_invoice_nr.as_deref() == Some(first.as_str())).collect();
    assert_eq!(bookings.len(), 1, "one booking (by the capture mark), no extra manual booking");
    assert_eq!((bookings[0].event_id.as_str(), bookings[0].source), ("UZE", BookingSource::Capture));

    let second = ship(&app, card, &[1]).await;
    app.advance(5).await;
    app.settle(5).await;
    let p = t.unzer(&app, &card_pay).await;
    let charges = txns(&p, TxnType::Charge);
    assert_eq!(charges.iter().map(|c| c.amount_minor).collect::<Vec<_>>(), [6495, 4000]);
    assert_eq!(charges[1].invoice_id, second);
    assert_eq!(t.pixi(&app, card).await.customer_balance_minor, 0, "customer account balanced");
    assert_eq!(txns(&t.unzer(&app, &pp_pay).await, TxnType::Charge)[0].amount_minor, 5000);
    assert_eq!(t.pixi(&app, pp).await.documents[0].nr, pp_inv);

    let events = app.events().await;
    let types = types_of(&events, card);
    assert_eq!(types.iter().filter(|t| *t == "money_moved").count(), 2);
    assert_eq!(types.iter().filter(|t| *t == "document_balanced").count(), 2);
    assert!(types.contains(&"order_completed".to_owned()));
}

#[tokio::test]
async fn px_14_standard_mode_checks_the_invoice_sum_against_the_order_amount() {
    let app = TestApp::spawn().await;
    let t = Tenant::setup(&app, pb::Mode::Standard, &METHODS).await;
    let (nr, pay) = t.order(&app, "UNZERCC", PayKind::Card, &[6000, 4000], SeedOutcome::Authorized).await;
    app.settle(5).await;
    let inv = ship(&app, nr, &[0]).await;
    app.advance(5).await;
    app.settle(5).await;
    let p = t.unzer(&app, &pay).await;
    assert_eq!(txns(&p, TxnType::Charge).len(), 1, "no capture per invoice in standard mode");
    let o = t.pixi(&app, nr).await;
    assert!(o.documents.iter().any(|d| d.nr == inv && d.captured && d.paid_minor == 6000), "invoice balanced");

    // A pixi user released an order by hand whose payment covers the lines but not the
    // shipping cost pixi adds to the first invoice: the invoice exceeds what was captured.
    // That is an error, never an extra capture.
    let pay3 = t.payment(&app, PayKind::Card, 1000, SeedOutcome::Authorized, Some(1000)).await;
    let o3 = crate::helpers::seed("UNZERCC", Some(pay3.clone()), &[1000], 500);
    let nr3 = app.admin.pixi_seed_order(PIXI_USER, &o3).await.unwrap().order_nr;
    app.admin.pixi_release(PIXI_USER, nr3).await.unwrap();
    ship(&app, nr3, &[]).await;
    app.advance(5).await;
    app.settle(5).await;
    let d = t.dashboard_order(&app, nr3).await;
    assert_eq!(d.order.as_ref().unwrap().problem, pb::Problem::Error as i32);
    assert!(d.incidents.iter().any(|i| i.code == "INVOICES_EXCEED_ORDER"), "{:?}", d.incidents);
    let doc = &t.pixi(&app, nr3).await.documents[0];
    assert!(!doc.captured && doc.total_minor == 1500, "not marked");
    assert_eq!(txns(&t.unzer(&app, &pay3).await, TxnType::Charge).len(), 1, "nothing captured by the check");
}

#[tokio::test]
async fn px_15_invoice_types_start_the_payment_period_per_invoice_in_both_modes() {
    for mode in [pb::Mode::Standard, pb::Mode::Expert] {
        let app = TestApp::spawn().await;
        let t = Tenant::setup(&app, mode, &METHODS).await;
        let (piv, piv_pay) =
            t.order(&app, "UNZERINV", PayKind::PaylaterInvoice, &[6000, 4000], SeedOutcome::Authorized).await;
        let (sdd, sdd_pay) =
            t.order(&app, "UNZERDD", PayKind::SepaDirectDebitSecured, &[3000, 2000], SeedOutcome::Charged).await;
        app.settle(5).await;
        let piv_inv = ship(&app, piv, &[0]).await;
        let sdd_inv = ship(&app, sdd, &[0]).await;
        app.advance(5).await;
        app.settle(5).await;
        let p = t.unzer(&app, &piv_pay).await;
        assert!(p.term_started_at.is_some(), "{mode:?}: the charge starts the payment period");
        let c = txns(&p, TxnType::Charge);
        assert_eq!((c.len(), c[0].amount_minor, c[0].invoice_id.as_str()), (1, 6000, piv_inv.as_str()), "{mode:?}");
        assert!(!t.pixi(&app, piv).await.documents[0].captured, "{mode:?}: paylater invoice balanced only when CLOSED");
        let s = t.unzer(&app, &sdd_pay).await;
        assert!(txns(&s, TxnType::Shipment).is_empty(), "{mode:?}: SEPA secured is never shipped (COR.700.400.800)");
        let o = t.pixi(&app, sdd).await;
        assert!(o.documents[0].captured && o.documents[0].nr == sdd_inv, "{mode:?}: direct debit balanced at once");
        ship(&app, piv, &[]).await;
        app.advance(5).await;
        app.settle(5).await;
        let o = t.pixi(&app, piv).await;
        assert!(o.documents.iter().all(|d| d.captured), "{mode:?}: balanced once CLOSED");
        assert_eq!(o.customer_balance_minor, 0);
    }
}

#[tokio::test]
async fn px_15_an_expired_authorisation_cannot_start_the_payment_period() {
    let app = TestApp::spawn().await;
    let t = Tenant::setup(&app, pb::Mode::Expert, &METHODS).await;
    let (nr, pay) = t.order(&app, "UNZERINV", PayKind::PaylaterInvoice, &[6000], SeedOutcome::Authorized).await;
    app.settle(5).await;
    app.admin.unzer_set_config(&ConfigPatch { authorization_days: Some(1), ..Default::default() }).await.unwrap();
    app.advance(2 * 86_400).await;
    ship(&app, nr, &[]).await;
    app.settle(5).await;
    assert!(txns(&t.unzer(&app, &pay).await, TxnType::Charge).is_empty());
    let d = t.dashboard_order(&app, nr).await;
    let inc = d.incidents.iter().find(|i| i.code == "AUTHORIZATION_EXPIRED").expect("incident");
    assert!(inc.title.contains("payment period cannot start"), "{}", inc.title);
    assert_eq!(d.order.unwrap().problem, pb::Problem::Error as i32);
}

#[tokio::test]
async fn px_16_prepayment_balances_only_when_paid_and_closed_and_hints_when_shipped_before() {
    let app = TestApp::spawn().await;
    let t = Tenant::setup(&app, pb::Mode::Expert, &METHODS).await;
    let (paid, paid_pay) = t.order(&app, "VORKASSE", PayKind::Prepayment, &[3000, 2000], SeedOutcome::Pending).await;
    let (early, _) = t.order(&app, "VORKASSE", PayKind::Prepayment, &[1000], SeedOutcome::Pending).await;
    app.settle(5).await;
    app.admin.unzer_receive_transfer(&paid_pay, None).await.unwrap();
    app.advance(700).await;
    app.settle(5).await;
    ship(&app, paid, &[0]).await;
    app.advance(5).await;
    app.settle(5).await;
    assert!(!t.pixi(&app, paid).await.documents[0].captured, "not CLOSED yet: no balancing");
    ship(&app, paid, &[]).await;
    app.advance(5).await;
    app.settle(5).await;
    let o = t.pixi(&app, paid).await;
    assert!(o.documents.iter().all(|d| d.captured), "paid and CLOSED: balanced");
    assert_eq!(o.customer_balance_minor, 0);

    // Shipped despite the lock, before the money came: a hint, no balancing.
    app.admin.pixi_ship(PIXI_USER, early, &Ship { ignore_lock: true, ..Ship::default() }).await.unwrap();
    app.advance(5).await;
    app.settle(5).await;
    let d = t.dashboard_order(&app, early).await;
    assert_eq!(d.order.as_ref().unwrap().problem, pb::Problem::Hint as i32);
    assert!(d.incidents.iter().any(|i| i.code == "BALANCE_BY_HAND"));
    assert!(!t.pixi(&app, early).await.documents[0].captured);
}

#[tokio::test]
async fn px_23_amount_differences_within_the_tolerance_are_accepted() {
    let app = TestApp::spawn().await;
    let t = Tenant::setup(&app, pb::Mode::Expert, &METHODS).await;
    // The shop authorised 99.99, pixi invoices 100.00 (rounding): tolerance 2.
    let pay = t.payment(&app, PayKind::Card, 9999, SeedOutcome::Authorized, None).await;
    let nr = app
        .admin
        .pixi_seed_order(PIXI_USER, &crate::helpers::seed("UNZERCC", Some(pay.clone()), &[10_000], 0))
        .await
        .unwrap()
        .order_nr;
    app.settle(5).await;
    assert!(!t.pixi(&app, nr).await.lock.locked, "released: 99.99 covers 100.00 within the tolerance");
    ship(&app, nr, &[]).await;
    app.advance(5).await;
    app.settle(5).await;
    let c = txns(&t.unzer(&app, &pay).await, TxnType::Charge).iter().map(|c| c.amount_minor).collect::<Vec<_>>();
    assert_eq!(c, [9999], "captured what is authorised");
    let o = t.pixi(&app, nr).await;
    assert!(o.documents[0].captured && o.documents[0].paid_minor == 10_000);
    assert!(t.dashboard_order(&app, nr).await.incidents.is_empty());
}

#[tokio::test]
async fn px_25_incoming_payments_are_booked_positive_and_refunds_negative() {
    let app = TestApp::spawn().await;
    let t = Tenant::setup(&app, pb::Mode::Expert, &METHODS).await;
    let (nr, _) = t.order(&app, "UNZERCC", PayKind::Card, &[6000, 4000], SeedOutcome::Authorized).await;
    app.settle(5).await;
    ship(&app, nr, &[]).await;
    app.advance(5).await;
    app.settle(5).await;
    let o = t.pixi(&app, nr).await;
    let ret = o.lines[0].key;
    app.admin
        .pixi_credit_note(PIXI_USER, nr, &sandbox::pixi::CreditNoteRequest { lines: vec![ret], ..Default::default() })
        .await
        .unwrap();
    app.advance(5).await;
    app.settle(5).await;
    let o = t.pixi(&app, nr).await;
    let effects: Vec<(String, i64)> = o.bookings.iter().map(|b| (b.event_id.clone(), b.effect_minor)).collect();
    assert_eq!(effects, [("UZE".to_owned(), 10_000), ("UZR".to_owned(), -6000)]);
    assert_eq!(o.customer_balance_minor, 0);
}
