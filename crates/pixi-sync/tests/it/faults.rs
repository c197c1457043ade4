//! Under faults (PX-40 … PX-42): act-then-fail at unzer and pixi, a worker killed between the
//! partner call and recording it (then a fresh App on the same database), two workers on one
//! tenant, and partner outages — each ends with exactly one charge/refund/booking per
//! document and the right pixi state.

use proto::payops::pixi_sync::v1 as pb;
use sandbox::pixi::{CreditNoteRequest, OrderStatus};
use sandbox::unzer::{PayKind, SeedOutcome, TxnType};
use sandbox::{FailMode, FaultSpec, System};

use crate::capture::ship;
use crate::helpers::{METHODS, PIXI_USER, Tenant, TestApp, txns};

#[tokio::test]
async fn px_40_act_then_fail_on_charge_ends_with_exactly_one_charge() {
    for mode in [FailMode::Error, FailMode::Reset, FailMode::Hang] {
        let app = TestApp::spawn().await;
        let t = Tenant::setup(&app, pb::Mode::Expert, &METHODS).await;
        let (nr, pay) = t.order(&app, "UNZERCC", PayKind::Card, &[6000, 4000], SeedOutcome::Authorized).await;
        app.settle(3).await;
        let inv = ship(&app, nr, &[]).await;
        let spec = FaultSpec { hang_ms: 12_000, ..FaultSpec::act_then_fail_once(System::Unzer, "charge", mode) };
        app.admin.add_fault(&spec).await.unwrap();
        app.pass().await;
        let p = t.unzer(&app, &pay).await;
        assert_eq!(txns(&p, TxnType::Charge).len(), 1, "{mode:?}: unzer acted");
        assert!(!t.pixi(&app, nr).await.documents[0].captured, "{mode:?}: the answer was lost");
        app.advance(60).await;
        app.settle(3).await;
        let p = t.unzer(&app, &pay).await;
        let charges = txns(&p, TxnType::Charge);
        assert_eq!(charges.len(), 1, "{mode:?}: found by reading the payment, not charged again");
        assert_eq!(charges[0].invoice_id, inv);
        let o = t.pixi(&app, nr).await;
        assert!(o.documents[0].captured);
        assert_eq!(o.bookings.len(), 1);
        assert_eq!(o.customer_balance_minor, 0);
        let d = t.dashboard_order(&app, nr).await;
        assert!(d.incidents.is_empty(), "{mode:?}: {:?}", d.incidents);
        assert_eq!(d.movements.iter().filter(|m| m.kind == "charge" && m.status == "succeeded").count(), 1);
    }
}

#[tokio::test]
async fn px_40_act_then_fail_on_refund_ends_with_exactly_one_refund() {
    let app = TestApp::spawn().await;
    let t = Tenant::setup(&app, pb::Mode::Standard, &METHODS).await;
    let (nr, pay) = t.order(&app, "UNZERCC", PayKind::Card, &[6000, 4000], SeedOutcome::Authorized).await;
    app.settle(3).await;
    ship(&app, nr, &[]).await;
    app.advance(5).await;
    app.settle(3).await;
    let o = t.pixi(&app, nr).await;
    let credit = app
        .admin
        .pixi_credit_note(PIXI_USER, nr, &CreditNoteRequest { lines: vec![o.lines[0].key], ..Default::default() })
        .await
        .unwrap();
    app.admin.add_fault(&FaultSpec::act_then_fail_once(System::Unzer, "refund", FailMode::Error)).await.unwrap();
    app.admin
        .add_fault(&FaultSpec::act_then_fail_once(System::Pixi, "pixiCACreateManualBooking", FailMode::Reset))
        .await
        .unwrap();
    app.advance(5).await;
    for _ in 0..4 {
        app.settle(3).await;
        app.advance(60).await;
    }
    let p = t.unzer(&app, &pay).await;
    let refunds = txns(&p, TxnType::CancelCharge);
    assert_eq!(refunds.len(), 1, "exactly one refund");
    assert_eq!(refunds[0].amount_minor, 6000);
    let o = t.pixi(&app, nr).await;
    let returns: Vec<_> =
        o.bookings.iter().filter(|b| b.match_invoice_nr.as_deref() == Some(credit.nr.as_str())).collect();
    assert_eq!(returns.len(), 1, "exactly one returns booking despite the lost pixi answer");
    assert_eq!(o.customer_balance_minor, 0);
}

#[tokio::test]
async fn px_40_act_then_fail_on_a_refund_that_empties_the_charge_is_booked_once_not_flagged() {
    // A whole single-line order returned: the lost refund leaves nothing refundable at unzer, and
    // that must read as "our refund went through", not as "credit note cannot be refunded".
    let app = TestApp::spawn().await;
    let t = Tenant::setup(&app, pb::Mode::Standard, &METHODS).await;
    let (nr, pay) = t.order(&app, "UNZERCC", PayKind::Card, &[6000], SeedOutcome::Authorized).await;
    app.settle(3).await;
    ship(&app, nr, &[]).await;
    app.advance(5).await;
    app.settle(3).await;
    let o = t.pixi(&app, nr).await;
    let credit = app
        .admin
        .pixi_credit_note(PIXI_USER, nr, &CreditNoteRequest { lines: vec![o.lines[0].key], ..Default::default() })
        .await
        .unwrap();
    app.admin.add_fault(&FaultSpec::act_then_fail_once(System::Unzer, "refund", FailMode::Error)).await.unwrap();
    app.advance(5).await;
    for _ in 0..4 {
        app.settle(3).await;
        app.advance(60).await;
    }
    let p = t.unzer(&app, &pay).await;
    let refunds = txns(&p, TxnType::CancelCharge);
    assert_eq!(refunds.len(), 1, "exactly one refund");
    assert_eq!(refunds[0].amount_minor, 6000);
    let o = t.pixi(&app, nr).await;
    let returns: Vec<_> =
        o.bookings.iter().filter(|b| b.match_invoice_nr.as_deref() == Some(credit.nr.as_str())).collect();
    assert_eq!(returns.len(), 1, "the refund is booked as a return in pixi");
    let d = t.dashboard_order(&app, nr).await;
    assert!(d.incidents.is_empty(), "no incident for a refund that went through: {:?}", d.incidents);
}

#[tokio::test]
async fn px_40_a_worker_killed_between_the_unzer_call_and_recording_it_is_finished_exactly_once_by_a_fresh_app() {
    for point in [kit::journal::AFTER_CALL, pixi_sync::service::AFTER_OUTCOME] {
        let mut app = TestApp::spawn().await;
        let t = Tenant::setup(&app, pb::Mode::Expert, &METHODS).await;
        let (nr, pay) = t.order(&app, "UNZERCC", PayKind::Card, &[6000, 4000], SeedOutcome::Authorized).await;
        let (piv, piv_pay) =
            t.order(&app, "UNZERINV", PayKind::PaylaterInvoice, &[3000], SeedOutcome::Authorized).await;
        app.settle_clean(&t.api_id, 3).await;
        ship(&app, nr, &[]).await;
        ship(&app, piv, &[]).await;
        app.faults.arm_times(point, 2);
        app.pass().await;
        assert_eq!(txns(&t.unzer(&app, &pay).await, TxnType::Charge).len(), 1, "{point}: charged, then died");
        assert!(!t.pixi(&app, nr).await.documents[0].captured, "{point}");
        // The process is gone (its locks go with its connections); a fresh one starts.
        app.restart().await;
        app.advance(120).await;
        app.settle_clean(&t.api_id, 3).await;
        for (order, payment) in [(nr, &pay), (piv, &piv_pay)] {
            let p = t.unzer(&app, payment).await;
            assert_eq!(txns(&p, TxnType::Charge).len(), 1, "{point}: exactly one charge");
            let o = t.pixi(&app, order).await;
            assert!(o.documents[0].captured, "{point}");
            assert_eq!(o.bookings.len(), 1, "{point}: booked once");
            assert_eq!(o.status, OrderStatus::Closed);
        }
        let replayed: i64 =
            sqlx::query_scalar("SELECT count(*) FROM journal WHERE status = 'succeeded' AND probes > 0")
                .fetch_one(&app.pool)
                .await
                .unwrap();
        assert!(replayed >= 1 || point == pixi_sync::service::AFTER_OUTCOME, "{point}: settled by a probe");
    }
}

#[tokio::test]
async fn px_41_two_workers_on_one_tenant_do_no_double_work() {
    // The app's own process only configures; the two replicas a and b do the work.
    let app = TestApp::spawn().await;
    let a = app.replica().await;
    let b = app.replica().await;
    let t = Tenant::setup(&app, pb::Mode::Standard, &METHODS).await;
    let mut orders = Vec::new();
    for i in 0..12 {
        orders.push(t.order(&app, "UNZERCC", PayKind::Card, &[1000 + i], SeedOutcome::Authorized).await);
    }
    let (ra, rb) = tokio::join!(a.pass(), b.pass());
    assert_eq!(ra.leased + rb.leased, 1, "one lease holder: {ra:?} {rb:?}");
    for _ in 0..3 {
        let _ = tokio::join!(a.pass(), b.pass());
    }
    for (nr, pay) in &orders {
        assert_eq!(txns(&t.unzer(&app, pay).await, TxnType::Charge).len(), 1, "order {nr}: one capture");
        let o = t.pixi(&app, *nr).await;
        assert_eq!(o.status, OrderStatus::Open);
        assert_eq!(o.comments.len(), 1, "no duplicate comments");
        assert_eq!(o.comments[0].text.lines().count(), 2, "capture and release");
    }
    // The holder dies; after the lease's lifetime the other one takes over.
    let holder = pixi_sync::store::leases::holder(&a.pool, t.api_id.parse().unwrap()).await.unwrap().unwrap().0;
    let (dead, alive) = if ra.leased == 1 { (a, b) } else { (b, a) };
    drop(dead);
    let (late, late_pay) = t.order(&app, "UNZERCC", PayKind::Card, &[500], SeedOutcome::Authorized).await;
    assert_eq!(alive.pass().await.not_leased, 1, "lease still valid");
    app.advance(31).await;
    let r = alive.settle(3).await;
    assert_eq!(r.not_leased, 0);
    let now_holder = pixi_sync::store::leases::holder(&alive.pool, t.api_id.parse().unwrap()).await.unwrap().unwrap().0;
    assert_ne!(holder, now_holder);
    assert_eq!(txns(&t.unzer(&app, &late_pay).await, TxnType::Charge).len(), 1);
    assert_eq!(t.pixi(&app, late).await.status, OrderStatus::Open);
}

#[tokio::test]
async fn px_42_a_pixi_outage_during_a_run_delays_and_then_completes_everything() {
    let app = TestApp::spawn().await;
    let t = Tenant::setup(&app, pb::Mode::Expert, &METHODS).await;
    let mut orders = Vec::new();
    for i in 0..8 {
        orders.push(t.order(&app, "UNZERCC", PayKind::Card, &[2000 + i, 1000], SeedOutcome::Authorized).await);
    }
    // pixi fails half of all calls for a while (5xx, resets), then comes back.
    let flaky = FaultSpec { fail_before_per_mille: 500, max_fires: 40, ..FaultSpec::new(System::Pixi, "*") };
    app.admin.add_fault(&flaky).await.unwrap();
    let mut failed = 0;
    for round in 0..30 {
        let r = app.pass().await;
        failed += r.failed;
        if round == 10 {
            for (nr, _) in &orders {
                if t.pixi(&app, *nr).await.status == OrderStatus::Open {
                    ship(&app, *nr, &[]).await;
                }
            }
        }
        app.advance(30).await;
    }
    assert!(failed > 0, "the outage was noticed");
    app.admin.clear_faults().await.unwrap();
    // Orders still on HOLD when pixi comes back are released by the next passes (how many
    // calls the outage hit, and so which orders were released during it, depends on the
    // sandbox's fault dice); then the rest is shipped.
    for _ in 0..10 {
        let mut held = 0;
        for (nr, _) in &orders {
            held += usize::from(t.pixi(&app, *nr).await.status == OrderStatus::Hold);
        }
        if held == 0 {
            break;
        }
        app.advance(600).await;
        app.settle(3).await;
    }
    for (nr, _) in &orders {
        if t.pixi(&app, *nr).await.status == OrderStatus::Open && t.pixi(&app, *nr).await.documents.is_empty() {
            ship(&app, *nr, &[]).await;
        }
    }
    for _ in 0..10 {
        app.advance(600).await;
        app.settle(3).await;
    }
    for (nr, pay) in &orders {
        let o = t.pixi(&app, *nr).await;
        assert_eq!(o.status, OrderStatus::Closed, "order {nr}");
        assert!(o.documents.iter().all(|d| d.captured), "order {nr}");
        assert_eq!(o.customer_balance_minor, 0, "order {nr}");
        let charges = txns(&t.unzer(&app, pay).await, TxnType::Charge).len();
        assert_eq!(charges, 1, "order {nr}: exactly one charge");
        let texts: Vec<String> = o.comments.iter().map(|c| c.text.clone()).collect();
        let mut unique = texts.clone();
        unique.dedup();
        assert_eq!(texts, unique, "no duplicate comments");
    }
}

#[tokio::test]
async fn px_42_an_unzer_outage_delays_the_capture_flags_it_when_it_lasts_and_completes_it_once_after() {
    let app = TestApp::spawn().await;
    let t = Tenant::setup(&app, pb::Mode::Expert, &METHODS).await;
    let (nr, pay) = t.order(&app, "UNZERCC", PayKind::Card, &[6000], SeedOutcome::Authorized).await;
    app.settle(3).await;
    ship(&app, nr, &[]).await;
    app.admin.add_fault(&FaultSpec::fail_times(System::Unzer, "charge", FailMode::Error, 1000)).await.unwrap();
    for _ in 0..12 {
        app.settle(2).await;
        app.advance(600).await;
    }
    assert!(txns(&t.unzer(&app, &pay).await, TxnType::Charge).is_empty());
    let d = t.dashboard_order(&app, nr).await;
    let stuck: Vec<_> = d.incidents.iter().filter(|i| i.code == "OUTCOME_UNKNOWN").collect();
    assert_eq!(stuck.len(), 1, "flagged once when it lasted: {:?}", d.incidents);
    app.admin.clear_faults().await.unwrap();
    app.advance(600).await;
    app.settle(3).await;
    assert_eq!(txns(&t.unzer(&app, &pay).await, TxnType::Charge).len(), 1, "exactly one charge after the outage");
    let o = t.pixi(&app, nr).await;
    assert!(o.documents[0].captured);
    assert_eq!(o.customer_balance_minor, 0);
}

#[tokio::test]
async fn px_40_a_lost_answer_to_a_cancel_of_the_initial_prepayment_charge_is_found_not_sent_again() {
    // unzer lists a cancel of a transfer type's unpaid initial charge as cancel-authorize under
    // charges/s-chg-1/cancels: the journal's probe must look there, or the buyer's debt is cut twice.
    let app = TestApp::spawn().await;
    let t = Tenant::setup(&app, pb::Mode::Standard, &METHODS).await;
    let (nr, pay) = t.order(&app, "VORKASSE", PayKind::Prepayment, &[3000, 7000], SeedOutcome::Pending).await;
    app.settle(3).await;
    let o = t.pixi(&app, nr).await;
    let cancel = sandbox::pixi::Cancel { lines: Some(vec![o.lines[0].key]), ..Default::default() };
    app.admin.pixi_cancel(PIXI_USER, nr, &cancel).await.unwrap();
    let ship = sandbox::pixi::Ship { ignore_lock: true, ..Default::default() };
    app.admin.pixi_ship(PIXI_USER, nr, &ship).await.unwrap();
    app.admin.add_fault(&FaultSpec::act_then_fail_once(System::Unzer, "refund", FailMode::Error)).await.unwrap();
    app.advance(5).await;
    for _ in 0..4 {
        app.settle(3).await;
        app.advance(60).await;
    }
    let p = t.unzer(&app, &pay).await;
    let cancels: Vec<_> = p.transactions.iter().filter(|t| t.kind == TxnType::CancelAuthorize).collect();
    assert_eq!(cancels.len(), 1, "one cancel of the initial charge: {cancels:?}");
    assert_eq!((cancels[0].amount_minor, cancels[0].path.as_str()), (3000, "charges/s-chg-1/cancels/s-cnl-1"));
    assert_eq!(p.amounts.total, 7000, "the buyer owes 70.00, not 40.00");
    let d = t.dashboard_order(&app, nr).await;
    assert_eq!(d.movements.iter().filter(|m| m.kind == "refund" && m.status == "succeeded").count(), 1);
}

#[tokio::test]
async fn px_40_a_lost_answer_to_a_shipment_is_found_by_its_invoice_id() {
    // A shipment carries no paymentReference (php-sdk Shipment): the probe recognises ours by
    // the invoiceId unzer echoes.
    let app = TestApp::spawn().await;
    let t = Tenant::setup(&app, pb::Mode::Standard, &METHODS).await;
    let (nr, pay) = t.order(&app, "UNZERINV", PayKind::InvoiceSecured, &[6000], SeedOutcome::Natural).await;
    app.settle(3).await;
    let inv = ship(&app, nr, &[]).await;
    app.admin.add_fault(&FaultSpec::act_then_fail_once(System::Unzer, "shipment", FailMode::Error)).await.unwrap();
    app.advance(5).await;
    for _ in 0..3 {
        app.settle(3).await;
        app.advance(60).await;
    }
    let p = t.unzer(&app, &pay).await;
    let ships = txns(&p, TxnType::Shipment);
    assert_eq!(ships.len(), 1, "found, not reported again");
    assert_eq!((ships[0].invoice_id.as_str(), ships[0].payment_reference.as_str()), (inv.as_str(), ""));
    assert!(t.pixi(&app, nr).await.documents[0].captured, "balanced once CLOSED");
    assert!(t.dashboard_order(&app, nr).await.incidents.is_empty());
}
