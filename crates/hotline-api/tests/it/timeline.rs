//! HL-40, HL-41: the order timeline shows every event of every service about an order, in
//! order, fed from the bus (envelopes published by two other services through a kit Outbox),
//! with the links to the pixi-sync dashboard and error page.

use chrono::Duration;
use kit::bus::{Bus, NewEvent, Outbox, Relay};
use kit::clock::ManualClock;
use kit::id::OrderId;
use proto::payops::events::v1::Attention;
use proto::payops::hotline::v1::GetOrderTimelineRequest;

use crate::helpers::{AGENT, SERVICE_TOKEN, TestApp, authed};

/// Publishes `events` as `source` through a real outbox and relay in its own schema.
pub async fn publish(app: &TestApp, source: &str, clock: &ManualClock, events: &[(&str, &str, &str)]) {
    let schema = source.replace('-', "_");
    let pool = app.env.pool(&schema).await.unwrap();
    let bus = Bus::connect(&app.env.bus_config()).await.unwrap();
    let outbox = Outbox::new(source, &app.env.bus_config(), clock.shared());
    let mut tx = pool.begin().await.unwrap();
    for (order, ty, summary) in events {
        let msg = Attention { incident_id: format!("{ty}-1"), title: (*summary).into(), ..Default::default() };
        outbox.add(&mut tx, NewEvent::new(OrderId::parse(*order).unwrap(), ty, &msg, *summary).unwrap()).await.unwrap();
        clock.advance(std::time::Duration::from_secs(1));
    }
    tx.commit().await.unwrap();
    Relay::new(pool, bus, source).drain().await.unwrap();
}

#[tokio::test]
async fn hl_40_the_timeline_shows_every_event_of_every_service_for_the_order_in_order() {
    let app = TestApp::spawn().await;
    let clock = ManualClock::new(app.now() - Duration::hours(2));
    publish(
        &app,
        "pixi-sync",
        &clock,
        &[("4711", "order_released", "Auftrag freigegeben"), ("4712", "order_released", "anderer Auftrag")],
    )
    .await;
    publish(
        &app,
        "terminal-gateway",
        &clock,
        &[("4711", "terminal_payment_approved", "Terminalzahlung CHF 12.50 genehmigt")],
    )
    .await;
    publish(&app, "pixi-sync", &clock, &[("4711", "attention", "Capture fehlgeschlagen")]).await;
    assert_eq!(app.drain().await, 4);
    assert_eq!(app.drain().await, 0);
    let token = app.token(AGENT).await;
    let mut t = app.timeline_client().await;
    let r = t
        .get_order_timeline(authed(&token, GetOrderTimelineRequest { order_id: "4711".into() }))
        .await
        .unwrap()
        .into_inner();
    let got: Vec<(&str, &str, &str)> =
        r.events.iter().map(|e| (e.source.as_str(), e.r#type.as_str(), e.summary.as_str())).collect();
    assert_eq!(
        got,
        [
            ("pixi-sync", "order_released", "Auftrag freigegeben"),
            ("terminal-gateway", "terminal_payment_approved", "Terminalzahlung CHF 12.50 genehmigt"),
            ("pixi-sync", "attention", "Capture fehlgeschlagen"),
        ]
    );
    // The same envelope delivered again (outside JetStream's de-duplication) is not shown twice.
    let pool = app.env.pool("pixi_sync").await.unwrap();
    let (subject, envelope): (String, Vec<u8>) =
        sqlx::query_as("SELECT subject, envelope FROM outbox ORDER BY seq LIMIT 1").fetch_one(&pool).await.unwrap();
    let bus = Bus::connect(&app.env.bus_config()).await.unwrap();
    bus.jetstream().publish(subject, envelope.into()).await.unwrap().await.unwrap();
    assert_eq!(app.drain().await, 1);
    let web = app.web(AGENT).await;
    let (status, body) = web.get("/orders/4711/timeline").await;
    assert_eq!(status, 200);
    assert_eq!(body["events"].as_array().unwrap().len(), 3);
    // Service callers read timelines too.
    let service = SERVICE_TOKEN;
    let r = t
        .get_order_timeline(authed(service, GetOrderTimelineRequest { order_id: "4712".into() }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.events.len(), 1);
    let err =
        t.get_order_timeline(authed(&token, GetOrderTimelineRequest { order_id: "47.11".into() })).await.unwrap_err();
    assert_eq!(crate::helpers::fields(&err), ["order_id"]);
    app.stop().await;
}

#[tokio::test]
async fn hl_41_timeline_links_to_the_pixi_sync_dashboard_and_error_page() {
    let app = TestApp::spawn().await;
    let token = app.token(AGENT).await;
    let mut t = app.timeline_client().await;
    let r = t
        .get_order_timeline(authed(&token, GetOrderTimelineRequest { order_id: "4711".into() }))
        .await
        .unwrap()
        .into_inner();
    let links = r.links.unwrap();
    // The console's page of the order (pixi-sync serves /bestellungen/{nr}, see its console tests).
    assert_eq!(links.pixi_sync_dashboard, "http://pixi-sync.local:8151/bestellungen/4711");
    assert_eq!(links.pixi_sync_errors, "http://pixi-sync.local/errors/t-8f3a");
    let web = app.web(AGENT).await;
    let (_, me) = web.get("/me").await;
    assert_eq!(me["links"]["pixi_sync_errors"], "http://pixi-sync.local/errors/t-8f3a");
    assert_eq!(me["links"]["pixi_sync_dashboard"], "http://pixi-sync.local:8151/", "the console's start page");
    app.stop().await;
}
