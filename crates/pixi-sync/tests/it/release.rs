//! Release (PX-10 … PX-12), manual orders (PX-20), comments (PX-21), legacy methods (PX-27).

use proto::payops::pixi_sync::v1 as pb;
use sandbox::pixi::{LineStatus, OrderStatus};
use sandbox::unzer::{PayKind, SeedOutcome, TxnType};

use crate::capture::ship;
use crate::helpers::{METHODS, PIXI_USER, Tenant, TestApp, seed, txns, types_of};

#[tokio::test]
async fn px_10_accepted_payments_release_pending_ones_wait_refused_ones_are_locked_and_flagged() {
    for mode in [pb::Mode::Standard, pb::Mode::Expert] {
        let app = TestApp::spawn().await;
        let t = Tenant::setup(&app, mode, &METHODS).await;
        let (card, _) = t.order(&app, "UNZERCC", PayKind::Card, &[6000, 4000], SeedOutcome::Authorized).await;
        let (paypal, pp_id) = t.order(&app, "UNZERPP", PayKind::Paypal, &[2500], SeedOutcome::Pending).await;
        let (refused, _) = t.order(&app, "UNZERCC", PayKind::Card, &[1000], SeedOutcome::Failed).await;
        let (sepa, _) = t.order(&app, "UNZERDD", PayKind::SepaDirectDebitSecured, &[3000], SeedOutcome::Charged).await;
        let (piv, _) = t.order(&app, "UNZERINV", PayKind::PaylaterInvoice, &[4000], SeedOutcome::Authorized).await;
        app.settle(5).await;

        for nr in [card, sepa, piv] {
            let o = t.pixi(&app, nr).await;
            assert_eq!(o.status, OrderStatus::Open, "{mode:?} {nr}");
            assert!(!o.lock.locked, "{mode:?} {nr}");
            assert!(o.lines.iter().all(|l| l.status == LineStatus::Ang));
        }
        let waiting = t.pixi(&app, paypal).await;
        assert_eq!(waiting.status, OrderStatus::Hold, "pending payments are not released");
        let r = t.pixi(&app, refused).await;
        assert_eq!(r.status, OrderStatus::Open, "refused: released …");
        assert!(r.lock.locked, "… with a shipping lock");
        let d = t.dashboard_order(&app, refused).await;
        assert_eq!(d.order.as_ref().unwrap().problem, pb::Problem::Error as i32);
        assert!(d.incidents[0].code == "PAYMENT_REFUSED", "{:?}", d.incidents);

        // The customer finishes the PayPal redirect; the next pass releases the order.
        app.admin.unzer_finish_redirect(&pp_id, true).await.unwrap();
        app.advance(60).await;
        app.settle(5).await;
        assert_eq!(t.pixi(&app, paypal).await.status, OrderStatus::Open, "{mode:?}");
        let events = app.events().await;
        assert!(types_of(&events, card).contains(&"order_released".to_owned()));
        assert!(types_of(&events, refused).contains(&"attention".to_owned()));
    }
}

#[tokio::test]
async fn px_11_standard_mode_captures_the_full_amount_before_release_unless_the_shop_did() {
    let app = TestApp::spawn().await;
    let t = Tenant::setup(&app, pb::Mode::Standard, &METHODS).await;
    let (nr, pay) = t.order(&app, "UNZERCC", PayKind::Card, &[6000, 4000], SeedOutcome::Authorized).await;
    let (pp, pp_pay) =
        t.order_with(&app, "UNZERPP", PayKind::Paypal, &[2000], 495, SeedOutcome::Authorized, None).await;
    let (shop, shop_pay) =
        t.order_with(&app, "UNZERCC", PayKind::Card, &[5000], 0, SeedOutcome::Authorized, Some(5000)).await;
    app.settle(5).await;
    let p = t.unzer(&app, &pay).await;
    let charges = txns(&p, TxnType::Charge);
    assert_eq!(charges.len(), 1);
    assert_eq!(charges[0].amount_minor, 10_000);
    assert_eq!(t.pixi(&app, nr).await.status, OrderStatus::Open);
    assert_eq!(txns(&t.unzer(&app, &pp_pay).await, TxnType::Charge)[0].amount_minor, 2495);
    assert_eq!(t.pixi(&app, pp).await.status, OrderStatus::Open);
    let shop_charges = t.unzer(&app, &shop_pay).await;
    assert_eq!(txns(&shop_charges, TxnType::Charge).len(), 1, "the shop captured: no second capture");
    assert_eq!(t.pixi(&app, shop).await.status, OrderStatus::Open);
}

#[tokio::test]
async fn px_12_prepayment_is_released_locked_with_transfer_data_and_unlocked_when_paid() {
    for mode in [pb::Mode::Standard, pb::Mode::Expert] {
        let app = TestApp::spawn().await;
        let t = Tenant::setup(&app, mode, &METHODS).await;
        let (nr, pay) = t.order(&app, "VORKASSE", PayKind::Prepayment, &[4000, 1000], SeedOutcome::Pending).await;
        app.settle(5).await;
        let o = t.pixi(&app, nr).await;
        assert_eq!(o.status, OrderStatus::Open);
        assert!(o.lock.locked, "locked while the money is awaited");
        assert_eq!(o.billing.account_holder.as_deref(), Some("Unzer Sandbox Merchant"), "Kontoinhaber = Empfänger");
        assert_eq!(o.billing.iban.as_deref(), Some("DE89370400440532013000"));
        assert_eq!(o.billing.bic.as_deref(), Some("COBADEFFXXX"));
        let charge = &txns(&t.unzer(&app, &pay).await, TxnType::Charge)[0].clone();
        assert!(o.billing.bank_name.as_deref().is_some_and(|b| !b.is_empty()), "Bank = Zahlungsreferenz");
        assert!(charge.id.starts_with("s-chg-"));

        // The transfer arrives; unzer sends a webhook; the lock goes.
        app.admin.unzer_receive_transfer(&pay, None).await.unwrap();
        app.admin.unzer_run_deliveries().await.unwrap();
        app.settle(5).await;
        let o = t.pixi(&app, nr).await;
        assert!(!o.lock.locked, "{mode:?}: lock lifted after the payment-received event");
        let events = app.events().await;
        let locks: Vec<_> = types_of(&events, nr).into_iter().filter(|e| e == "shipping_lock_changed").collect();
        assert_eq!(locks.len(), 2, "set and lifted");
    }
}

#[tokio::test]
async fn px_20_manual_and_exchange_orders_are_ignored_without_error() {
    let app = TestApp::spawn().await;
    let t = Tenant::setup(&app, pb::Mode::Expert, &METHODS).await;
    let mut manual = seed("UNZERCC", None, &[1000], 0);
    manual.manual = true;
    let m = app.admin.pixi_seed_order(PIXI_USER, &manual).await.unwrap();
    assert_eq!(m.order_nr_external, format!("P{}", m.order_nr));
    app.settle(5).await;
    let o = t.pixi(&app, m.order_nr).await;
    assert_eq!(o.status, OrderStatus::Hold, "no action");
    assert!(o.comments.is_empty() && !o.lock.locked);
    let list = app
        .dashboard()
        .await
        .list_orders(pb::ListOrdersRequest { tenant_id: t.tenant_id.clone(), ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert!(list.orders.is_empty(), "no error, not even a row: {:?}", list.orders);
}

#[tokio::test]
async fn px_21_every_action_is_written_as_an_order_comment() {
    let app = TestApp::spawn().await;
    let t = Tenant::setup(&app, pb::Mode::Standard, &METHODS).await;
    let (nr, _) = t.order(&app, "UNZERCC", PayKind::Card, &[6000], SeedOutcome::Authorized).await;
    app.settle(5).await;
    let comments: Vec<String> = t.pixi(&app, nr).await.comments.into_iter().map(|c| c.text).collect();
    assert_eq!(comments.len(), 1, "one comment per sync: {comments:?}");
    let lines: Vec<&str> = comments[0].lines().collect();
    assert_eq!(lines.len(), 2, "one line per action: {lines:?}");
    assert!(lines[0].contains("captured 60.00 at unzer before release"), "{lines:?}");
    assert!(lines[1].contains("order released"), "{lines:?}");
    assert!(
        lines.iter().all(|c| c.starts_with("payops unzer 2026-01-05 11:00")),
        "what and when (local time): {lines:?}"
    );
    app.settle(3).await;
    assert_eq!(t.pixi(&app, nr).await.comments.len(), 1, "no duplicates on later passes");
    ship(&app, nr, &[]).await;
    app.advance(60).await;
    app.settle(3).await;
    let comments = t.pixi(&app, nr).await.comments;
    assert_eq!(comments.len(), 2);
    assert!(comments[1].text.contains("marked paid") && comments[1].text.contains("11:01"), "{:?}", comments[1]);
}

#[tokio::test]
async fn px_27_orders_of_methods_without_an_active_configuration_are_left_alone() {
    let app = TestApp::spawn().await;
    let t = Tenant::setup(&app, pb::Mode::Expert, &["UNZERCC"]).await;
    // The old Heidelpay app's method and an unconfigured unzer method.
    let (legacy, _) = t.order(&app, "RECHNUNG", PayKind::Card, &[1000], SeedOutcome::Authorized).await;
    let (other, _) = t.order(&app, "UNZERPP", PayKind::Paypal, &[1000], SeedOutcome::Authorized).await;
    let (ours, _) = t.order(&app, "UNZERCC", PayKind::Card, &[1000], SeedOutcome::Authorized).await;
    app.settle(5).await;
    for nr in [legacy, other] {
        let o = t.pixi(&app, nr).await;
        assert_eq!(o.status, OrderStatus::Hold);
        assert!(o.comments.is_empty());
    }
    assert_eq!(t.pixi(&app, ours).await.status, OrderStatus::Open);
    let list = app
        .dashboard()
        .await
        .list_orders(pb::ListOrdersRequest { tenant_id: t.tenant_id.clone(), ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(list.orders.len(), 1);
    assert_eq!(list.orders[0].order_nr, ours);
}

#[tokio::test]
async fn px_43_a_pixi_change_is_acted_on_at_the_next_poll_and_an_unzer_webhook_at_once() {
    let app = TestApp::spawn().await;
    let t = Tenant::setup(&app, pb::Mode::Expert, &METHODS).await;
    app.settle_clean(&t.api_id, 2).await; // the first full scan is done; the next one is minutes away
    let (nr, pay) = t.order(&app, "UNZERCC", PayKind::Card, &[6000], SeedOutcome::Authorized).await;
    app.advance(2).await; // one POLL_INTERVAL
    let r = app.pass().await;
    assert!(r.orders >= 1, "{r:?}");
    assert_eq!(t.pixi(&app, nr).await.status, OrderStatus::Open, "found through the change feed at the next poll");
    ship(&app, nr, &[]).await;
    app.advance(2).await;
    app.pass().await;
    assert_eq!(txns(&t.unzer(&app, &pay).await, TxnType::Charge).len(), 1, "the shipment is captured at the next poll");

    let (pp, pp_pay) = t.order(&app, "UNZERPP", PayKind::Paypal, &[2000], SeedOutcome::Pending).await;
    app.advance(2).await;
    app.pass().await;
    assert_eq!(t.pixi(&app, pp).await.status, OrderStatus::Hold);
    // The customer finishes; unzer's webhook makes the order due at once (no clock move).
    app.admin.unzer_finish_redirect(&pp_pay, true).await.unwrap();
    app.admin.unzer_run_deliveries().await.unwrap();
    app.pass().await;
    assert_eq!(t.pixi(&app, pp).await.status, OrderStatus::Open, "acted on the webhook without waiting");
}
