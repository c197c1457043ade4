//! Flow 1 and 2 of the architecture: pixi-sync cannot capture an order (unzer answers every
//! charge with a 5xx) → the incident's attention event → ticketing-bridge opens exactly one
//! Freshdesk ticket → hotline-api shows the attention and the ticket on the order's timeline.

use proto::payops::pixi_sync::v1 as px;
use proto::payops::pixi_sync::v1::dashboard_service_client::DashboardServiceClient;
use stack::platform::Service;
use stack::sandbox::pixi::{Address, SeedLine, SeedOrder};
use stack::sandbox::unzer::{PayKind, SeedOutcome, SeedPayment, TxnType};
use stack::sandbox::{FailMode, FaultSpec, System};

use super::world::{LIMIT, World, eventually};

/// A card checkout of `amount` at unzer and its order imported into pixi (HOLD, KK-ID set);
/// returns the pixi order number and the unzer payment id.
pub async fn card_order(w: &World, amount: i64) -> (i64, String) {
    let pay = w
        .admin
        .unzer_seed_payment(&SeedPayment {
            private_key: w.seed.pixi.unzer_private_key.clone(),
            kind: PayKind::Card,
            amount_minor: amount,
            currency: "EUR".into(),
            order_id: String::new(),
            invoice_id: String::new(),
            payment_reference: String::new(),
            outcome: SeedOutcome::Authorized,
            charged_minor: None,
            at: None,
        })
        .await
        .unwrap();
    let order = SeedOrder {
        payment_code: "UNZERCC".into(),
        kk_id: Some(pay.id.clone()),
        lines: vec![SeedLine {
            item_nr: "ITEM-1".into(),
            name: "Artikel".into(),
            qty: 1,
            price_minor: amount,
            ean: None,
        }],
        billing: Address {
            first_name: "Maria".into(),
            last_name: "Muster".into(),
            street: "Hauptstr. 1".into(),
            zip: "10115".into(),
            city: "Berlin".into(),
            country: "DE".into(),
            email: "maria@example.com".into(),
            ..Address::default()
        },
        ..SeedOrder::default()
    };
    let seeded = w.admin.pixi_seed_order(&w.seed.pixi.pixi_user, &order).await.unwrap();
    (seeded.order_nr, pay.id)
}

#[tokio::test]
async fn a_capture_that_unzer_keeps_failing_opens_exactly_one_ticket_and_shows_on_the_order_timeline() {
    let w = World::new().await;
    w.admin.add_fault(&FaultSpec::fail_times(System::Unzer, "charge", FailMode::Error, 1000)).await.unwrap();
    let (nr, pay) = card_order(&w, 89_90).await;
    let order = nr.to_string();

    // pixi-sync tries to capture at release, the outcome stays unknown, the incident is raised
    // and the bridge opens its ticket; the ticket's event reaches the timeline.
    let tickets = w.ticket_for(&order).await;
    assert_eq!(tickets.len(), 1, "{tickets:?}");
    w.timeline_with(&order, "pixi-sync", "attention").await;
    w.timeline_with(&order, "ticketing-bridge", "ticket_created").await;

    // pixi-sync keeps trying (and failing) to capture: still exactly one ticket, no charge.
    let fired = w.admin.fired_faults().await.unwrap().len();
    eventually("more failed charge attempts", LIMIT, || async {
        w.advance(60).await;
        let now = w.admin.fired_faults().await.map_err(|e| e.to_string())?.len();
        if now >= fired + 2 { Ok(()) } else { Err(format!("{now} faults fired, {fired} before")) }
    })
    .await;
    let again = w.tickets_for(&order).await;
    assert_eq!(again.len(), 1, "one ticket per incident: {again:?}");
    let payment = w.admin.unzer_payment(&pay).await.unwrap();
    assert!(payment.transactions.iter().all(|t| t.kind != TxnType::Charge), "nothing was charged");

    // The incident behind the ticket, as pixi-sync's dashboard shows it: one, named in the
    // ticket and in the one mail that went out.
    let mut dashboard = DashboardServiceClient::new(w.connect(Service::PixiSync).await);
    let d = dashboard
        .get_order(px::GetOrderRequest {
            tenant_id: w.seed.pixi.tenant_id.clone(),
            pixi_api_config_id: w.seed.pixi.pixi_api_config_id.clone(),
            order_nr: nr,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(d.incidents.len(), 1, "{:?}", d.incidents);
    let incident = &d.incidents[0];
    assert_eq!(incident.code, "OUTCOME_UNKNOWN", "the capture never completed: {incident:?}");
    assert!(incident.description.contains("unzer"), "{incident:?}");
    assert_eq!(again[0].external_ref.as_deref(), Some(format!("inc:{nr}:{}", incident.incident_id).as_str()));
    assert!(again[0].subject.contains(&order), "{}", again[0].subject);
    let mails = w.admin.smtp_messages().await.unwrap();
    let about: Vec<_> = mails.iter().filter(|m| m.data.contains(&incident.incident_id)).collect();
    assert_eq!(about.len(), 1, "one mail per incident");
}

#[tokio::test]
async fn an_order_captured_at_release_shows_released_and_captured_on_the_timeline_with_one_charge_and_no_ticket() {
    let w = World::new().await;
    let (nr, pay) = card_order(&w, 45_00).await;
    let order = nr.to_string();
    w.timeline_with(&order, "pixi-sync", "order_released").await;
    let timeline = w.timeline_with(&order, "pixi-sync", "money_moved").await;
    let payment = w.admin.unzer_payment(&pay).await.unwrap();
    let charges: Vec<i64> =
        payment.transactions.iter().filter(|t| t.kind == TxnType::Charge).map(|t| t.amount_minor).collect();
    assert_eq!(charges, [45_00], "captured once, the full amount (standard mode)");
    assert!(timeline.iter().all(|(_, t)| t != "attention"), "{timeline:?}");
    assert!(w.tickets_for(&order).await.is_empty());
}
