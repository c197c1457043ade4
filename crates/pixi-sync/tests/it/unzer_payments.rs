//! Payment-side flows end to end against the unzer simulator: an expired paylater installment
//! re-authorised before a late delivery's charge (PX-15), and an order the shop already paid by
//! direct charge accepted and not charged again (the seed's "already collected" check).

use proto::payops::pixi_sync::v1 as pb;
use sandbox::unzer::{PayKind, SeedOutcome, SeedPayment, TxnType};

use crate::capture::ship;
use crate::helpers::{METHODS, PIXI_USER, Tenant, TestApp, seed, txns};

#[tokio::test]
async fn px_15_an_expired_paylater_installment_is_reauthorised_and_the_late_delivery_charged() {
    let app = TestApp::spawn().await;
    let t = Tenant::setup(&app, pb::Mode::Expert, &METHODS).await;
    let (nr, pay) =
        t.order(&app, "UNZERINV", PayKind::PaylaterInstallment, &[4000, 6000], SeedOutcome::Authorized).await;
    app.settle(3).await;
    ship(&app, nr, &[0]).await;
    app.advance(5).await;
    app.settle(3).await;
    app.advance(8 * 24 * 3600).await;
    ship(&app, nr, &[]).await;
    app.advance(5).await;
    for _ in 0..3 {
        app.settle(3).await;
        app.advance(60).await;
    }
    let p = t.unzer(&app, &pay).await;
    let charges: Vec<i64> = txns(&p, TxnType::Charge).iter().map(|c| c.amount_minor).collect();
    assert_eq!(charges, [4000, 6000], "the late delivery was charged after the re-authorisation");
    let o = t.pixi(&app, nr).await;
    assert!(o.documents.iter().all(|d| d.captured), "balanced once CLOSED");
    let d = t.dashboard_order(&app, nr).await;
    assert!(d.incidents.is_empty(), "no dead end: {:?}", d.incidents);
}

#[tokio::test]
async fn px_10_an_order_the_shop_paid_by_direct_charge_is_released_and_not_charged_again() {
    let app = TestApp::spawn().await;
    let t = Tenant::setup(&app, pb::Mode::Expert, &METHODS).await;
    // A card the shop charged at checkout: no authorisation, one successful charge.
    let paid = app
        .admin
        .unzer_seed_payment(&SeedPayment {
            private_key: t.private_key.clone(),
            kind: PayKind::Card,
            amount_minor: 5000,
            currency: "EUR".into(),
            order_id: String::new(),
            invoice_id: String::new(),
            payment_reference: String::new(),
            outcome: SeedOutcome::Charged,
            charged_minor: None,
            at: None,
        })
        .await
        .unwrap();
    let nr = app
        .admin
        .pixi_seed_order(PIXI_USER, &seed("UNZERCC", Some(paid.id.clone()), &[5000], 0))
        .await
        .unwrap()
        .order_nr;
    app.settle(3).await;
    let o = t.pixi(&app, nr).await;
    assert!(!o.lock.locked, "accepted: the shop collected the money");
    ship(&app, nr, &[]).await;
    app.advance(5).await;
    app.settle(3).await;
    assert_eq!(txns(&t.unzer(&app, &paid.id).await, TxnType::Charge).len(), 1, "not charged again");
    assert!(t.pixi(&app, nr).await.documents[0].captured);
    assert!(t.dashboard_order(&app, nr).await.incidents.is_empty());
}
