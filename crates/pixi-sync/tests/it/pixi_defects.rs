//! pixi-side money and operations defects (issue 14), each against the simulator answering
//! as pixi does: a shipping lock pixi refuses, transient SQL errors, orders of a configured
//! method that arrive released, misconfigured initial statuses, and documents written by hand.

use proto::payops::pixi_sync::v1 as pb;
use sandbox::pixi::{CreditNoteRequest, OrderStatus, PaymentMethod, RefusalSpec, SqlErrorSpec, Switches};
use sandbox::unzer::{PayKind, SeedOutcome, TxnType};

use crate::capture::ship;
use crate::helpers::{METHODS, PIXI_USER, Tenant, TestApp, txns};

async fn switch(app: &TestApp, s: Switches) {
    app.admin.pixi_switches(PIXI_USER, &s).await.unwrap();
}

fn refuse(call: &str, message: &str) -> Switches {
    Switches {
        refusals: vec![RefusalSpec { call: call.into(), message: message.into(), times: 1 }],
        ..Switches::default()
    }
}

fn sql_error(call: &str, class: u8, number: i32, after_acting: bool) -> Switches {
    Switches {
        sql_errors: vec![SqlErrorSpec { call: call.into(), class, number, message: None, times: 1, after_acting }],
        ..Switches::default()
    }
}

async fn codes(t: &Tenant, app: &crate::helpers::Instance, nr: i64) -> Vec<String> {
    t.dashboard_order(app, nr).await.incidents.iter().map(|i| i.code.clone()).collect()
}

#[tokio::test]
async fn px_10_a_shipping_lock_pixi_refuses_keeps_the_refused_order_on_hold_and_flags_it() {
    let app = TestApp::spawn().await;
    let t = Tenant::setup(&app, pb::Mode::Expert, &METHODS).await;
    switch(&app, refuse("pixiSetOrderShippingLock", "Order is being edited by another user")).await;
    let (nr, _) = t.order(&app, "UNZERCC", PayKind::Card, &[1000], SeedOutcome::Failed).await;
    app.settle(3).await;
    let o = t.pixi(&app, nr).await;
    assert_eq!(o.status, OrderStatus::Hold, "released without the lock pixi refused: the goods could ship");
    assert!(codes(&t, &app, nr).await.contains(&"PIXI_REFUSED_LOCK".to_owned()), "{:?}", codes(&t, &app, nr).await);
}

#[tokio::test]
async fn ct_04_a_deadlock_while_marking_an_invoice_captured_is_tried_again_not_recorded_as_done() {
    let app = TestApp::spawn().await;
    let t = Tenant::setup(&app, pb::Mode::Expert, &METHODS).await;
    let (nr, pay) = t.order(&app, "UNZERCC", PayKind::Card, &[6000], SeedOutcome::Authorized).await;
    app.settle(3).await;
    ship(&app, nr, &[]).await;
    switch(&app, sql_error("pixiPaySetInvoiceCapture", 13, 1205, false)).await;
    app.advance(5).await;
    app.settle(3).await;
    for _ in 0..3 {
        app.advance(60).await;
        app.settle(3).await;
    }
    let o = t.pixi(&app, nr).await;
    assert!(o.documents[0].captured, "pixi rolled the capture mark back; it must be sent again");
    assert_eq!(o.customer_balance_minor, 0);
    assert_eq!(txns(&t.unzer(&app, &pay).await, TxnType::Charge).len(), 1, "charged once");
    assert!(codes(&t, &app, nr).await.is_empty(), "a transient error is no incident");
}

#[tokio::test]
async fn ct_04_an_error_the_procedure_raised_after_booking_is_probed_not_booked_twice() {
    let app = TestApp::spawn().await;
    let t = Tenant::setup(&app, pb::Mode::Expert, &METHODS).await;
    let (nr, _) = t.order(&app, "UNZERCC", PayKind::Card, &[6000], SeedOutcome::Authorized).await;
    app.settle(3).await;
    ship(&app, nr, &[]).await;
    switch(&app, sql_error("pixiPaySetInvoiceCapture", 16, 50000, true)).await;
    app.advance(5).await;
    for _ in 0..3 {
        app.settle(3).await;
        app.advance(60).await;
    }
    let o = t.pixi(&app, nr).await;
    assert!(o.documents[0].captured);
    assert_eq!(o.bookings.len(), 1, "the probe found the mark; nothing booked twice");
    assert!(codes(&t, &app, nr).await.is_empty(), "{:?}", codes(&t, &app, nr).await);
}

#[tokio::test]
async fn px_26_an_order_of_a_configured_method_that_arrives_not_on_hold_is_a_configuration_incident() {
    let app = TestApp::spawn().await;
    let t = Tenant::setup(&app, pb::Mode::Expert, &METHODS).await;
    let m = PaymentMethod {
        code: "UNZERCC".into(),
        text: "unzer Karte".into(),
        xml_tag: "TAGUNZERCC".into(),
        direct_charge: false,
        auto_paid: false,
        ini_status: "ANG".into(),
    };
    app.admin.pixi_add_payment_method(PIXI_USER, &m).await.unwrap();
    let (nr, _) = t.order(&app, "UNZERCC", PayKind::Card, &[1000], SeedOutcome::Authorized).await;
    assert_eq!(t.pixi(&app, nr).await.status, OrderStatus::Open);
    app.settle(3).await;
    let d = t.dashboard_order(&app, nr).await;
    let found = d.incidents.iter().find(|i| i.code == "NOT_ON_HOLD");
    assert!(found.is_some_and(|i| i.problem == pb::Problem::Error as i32), "{:?}", d.incidents);
    assert!(found.is_some_and(|i| i.description.contains("UNZERCC")), "names the payment method");
    let problems = app
        .dashboard()
        .await
        .list_config_problems(pb::ListConfigProblemsRequest { tenant_id: t.tenant_id.clone() })
        .await
        .unwrap()
        .into_inner()
        .problems;
    assert!(
        problems
            .iter()
            .any(|p| p.payment_method == "UNZERCC" && p.code == "INITIAL_STATUS" && p.message.contains("ANG")),
        "{problems:?}"
    );
}

#[tokio::test]
async fn px_19_manual_credit_notes_and_invoices_are_not_refunded_or_charged_automatically() {
    let app = TestApp::spawn().await;
    let t = Tenant::setup(&app, pb::Mode::Expert, &METHODS).await;
    let (nr, pay) = t.order(&app, "UNZERCC", PayKind::Card, &[6000, 4000], SeedOutcome::Authorized).await;
    app.settle(3).await;
    ship(&app, nr, &[0]).await;
    app.advance(5).await;
    app.settle(3).await;
    // Written by hand in customer service: a goodwill credit and an extra invoice.
    let credit = CreditNoteRequest { lines: vec![], amount_minor: Some(1500), auto_paid: None };
    let manual_credit = app.admin.pixi_credit_note(PIXI_USER, nr, &credit).await.unwrap().nr;
    let manual_invoice = app.admin.pixi_manual_invoice(PIXI_USER, nr, 700).await.unwrap().nr;
    app.advance(5).await;
    app.settle(3).await;
    let p = t.unzer(&app, &pay).await;
    assert!(txns(&p, TxnType::CancelCharge).is_empty(), "a manual credit note is not refunded");
    assert_eq!(txns(&p, TxnType::Charge).len(), 1, "a manual invoice is not charged");
    let d = t.dashboard_order(&app, nr).await;
    let hint_for = |doc: &str| {
        d.incidents.iter().any(|i| {
            i.code == "MANUAL_DOCUMENT" && i.problem == pb::Problem::Hint as i32 && i.description.contains(doc)
        })
    };
    assert!(hint_for(&manual_credit) && hint_for(&manual_invoice), "{:?}", d.incidents);
    // A credit note from a return is still refunded.
    let o = t.pixi(&app, nr).await;
    let ret = CreditNoteRequest { lines: vec![o.lines[0].key], ..CreditNoteRequest::default() };
    app.admin.pixi_credit_note(PIXI_USER, nr, &ret).await.unwrap();
    app.advance(5).await;
    app.settle(3).await;
    let refunds = txns(&t.unzer(&app, &pay).await, TxnType::CancelCharge).len();
    assert_eq!(refunds, 1, "the return is refunded");
}

#[tokio::test]
async fn px_30_retry_order_tries_what_pixi_refused_again_once_the_cause_is_fixed_audited() {
    let app = TestApp::spawn().await;
    let t = Tenant::setup(&app, pb::Mode::Expert, &METHODS).await;
    let (nr, pay) = t.order(&app, "UNZERCC", PayKind::Card, &[6000, 4000], SeedOutcome::Authorized).await;
    app.settle(3).await;
    ship(&app, nr, &[]).await;
    app.advance(5).await;
    app.settle(3).await;
    let o = t.pixi(&app, nr).await;
    let ret = CreditNoteRequest { lines: vec![o.lines[0].key], ..CreditNoteRequest::default() };
    let credit = app.admin.pixi_credit_note(PIXI_USER, nr, &ret).await.unwrap().nr;
    // pixi refuses the booking (say, the returns event was deleted); someone fixes it in pixi.
    switch(&app, refuse("pixiCACreateManualBooking", "EventID UZR does not exist")).await;
    app.advance(5).await;
    app.settle(3).await;
    let booked = |o: &sandbox::pixi::OrderView| {
        o.bookings.iter().filter(|b| b.match_invoice_nr.as_deref() == Some(credit.as_str())).count()
    };
    assert!(codes(&t, &app, nr).await.contains(&"PIXI_REFUSED_BOOKING".to_owned()));
    for _ in 0..3 {
        app.advance(600).await;
        app.settle(3).await;
    }
    assert_eq!(booked(&t.pixi(&app, nr).await), 0, "a refusal is final until someone asks to try again");

    let mut d = app.dashboard().await;
    let req = |by: &str| pb::RetryOrderRequest {
        tenant_id: t.tenant_id.clone(),
        pixi_api_config_id: t.api_id.clone(),
        order_nr: nr,
        requested_by: by.into(),
        note: "event UZR created again".into(),
    };
    let r = d.retry_order(req("ops@example.com")).await.unwrap().into_inner();
    assert_eq!(r.reopened, [format!("booking {credit}")]);
    app.settle(3).await;
    let o = t.pixi(&app, nr).await;
    assert_eq!(booked(&o), 1, "booked once after the retry");
    assert_eq!(o.customer_balance_minor, 0);
    assert_eq!(txns(&t.unzer(&app, &pay).await, TxnType::CancelCharge).len(), 1, "refunded once, not again");
    let audit = pixi_sync::store::audit::of_tenant(&app.pool, t.tenant_id.parse().unwrap()).await.unwrap();
    assert!(
        // SE-04: the authenticated caller, not the name in the request.
        audit.iter().any(|(actor, action, _)| actor == "testkit" && action == "order_retried"),
        "{audit:?}"
    );
}

#[tokio::test]
async fn px_13_pixi_is_given_the_charge_unique_id_as_pay_id_not_the_charge_id() {
    let app = TestApp::spawn().await;
    let t = Tenant::setup(&app, pb::Mode::Expert, &METHODS).await;
    // pixi-sync charges the invoice (expert), and the shop already charged (a direct charge).
    let (ours, ours_pay) = t.order(&app, "UNZERCC", PayKind::Card, &[6000], SeedOutcome::Authorized).await;
    let (shop, shop_pay) = t.order(&app, "UNZERPP", PayKind::Paypal, &[2500], SeedOutcome::Charged).await;
    app.settle(3).await;
    ship(&app, ours, &[]).await;
    ship(&app, shop, &[]).await;
    app.advance(5).await;
    app.settle(3).await;
    for (nr, pay) in [(ours, ours_pay), (shop, shop_pay)] {
        let charge = txns(&t.unzer(&app, &pay).await, TxnType::Charge)[0].clone();
        let doc = t.pixi(&app, nr).await.documents[0].clone();
        assert!(doc.captured, "order {nr}");
        assert_eq!(doc.pay_id.as_deref(), Some(charge.unique_id.as_str()), "order {nr}: PayID = processing.uniqueId");
        assert_ne!(doc.pay_id.as_deref(), Some(charge.id.as_str()));
    }
}
