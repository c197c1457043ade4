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

/// Waits until `view` listens (its connection is up and LISTENs).
async fn live(view: &hotline_api::service::timeline_view::TimelineView) {
    for _ in 0..500 {
        if view.is_live() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the timeline view never listened");
}

#[tokio::test]
async fn hl_40_a_timeline_kept_in_memory_shows_every_event_committed_before_the_read_on_any_replica() {
    use hotline_api::service::timeline_view::TimelineView;
    let app = TestApp::spawn().await;
    let clock = ManualClock::new(app.now() - Duration::hours(2));
    publish(&app, "pixi-sync", &clock, &[("4711", "order_released", "Auftrag freigegeben")]).await;
    assert_eq!(app.drain().await, 1);
    // A second replica's view on the same database.
    let other = std::sync::Arc::new(TimelineView::new(100, 1000));
    let token = tokio_util::sync::CancellationToken::new();
    let task = tokio::spawn(other.clone().run(app.hotline.pool.clone(), token.clone()));
    live(&app.hotline.timeline).await;
    live(&other).await;
    let agent = app.token(AGENT).await;
    let mut t = app.timeline_client().await;
    let read = |t: &mut proto::payops::hotline::v1::timeline_service_client::TimelineServiceClient<
        tonic::transport::Channel,
    >| {
        let mut t = t.clone();
        let agent = agent.clone();
        async move {
            t.get_order_timeline(authed(&agent, GetOrderTimelineRequest { order_id: "4711".into() }))
                .await
                .unwrap()
                .into_inner()
                .events
                .len()
        }
    };
    for _ in 0..2 {
        assert_eq!(read(&mut t).await, 1);
        assert_eq!(other.read(&app.hotline.pool, "4711").await.unwrap().len(), 1);
    }
    assert!(app.hotline.timeline.reads_from_memory() >= 1, "the second read is answered from memory");
    assert!(other.reads_from_memory() >= 1);
    // Each new event, committed by the projection, shows in the very next read on both replicas.
    for n in 2..=21 {
        publish(&app, "terminal-gateway", &clock, &[("4711", "terminal_payment_approved", "Zahlung genehmigt")]).await;
        assert_eq!(app.drain().await, 1);
        assert_eq!(read(&mut t).await, n);
        assert_eq!(other.read(&app.hotline.pool, "4711").await.unwrap().len(), n);
        assert_eq!(read(&mut t).await, n);
    }
    assert!(app.hotline.timeline.reads_from_memory() >= 20, "reads between changes came from memory");
    token.cancel();
    task.await.unwrap();
    app.stop().await;
}

#[tokio::test]
async fn hl_40_when_the_listening_connection_is_lost_nothing_kept_in_memory_is_shown_again() {
    use hotline_api::service::timeline_view::TimelineView;
    use hotline_api::store::timeline::{TimelineRow, insert};
    let app = TestApp::spawn().await;
    let pool = app.hotline.pool.clone();
    let row = |id: &str| TimelineRow {
        event_id: id.into(),
        source: "pixi-sync".into(),
        event_type: "order_released".into(),
        occurred_at: chrono::Utc::now(),
        summary: "Auftrag freigegeben".into(),
    };
    let mut tx = pool.begin().await.unwrap();
    insert(&mut tx, "4711", &row("e-1"), "test").await.unwrap();
    tx.commit().await.unwrap();
    let view = std::sync::Arc::new(TimelineView::new(100, 1000));
    let token = tokio_util::sync::CancellationToken::new();
    let task = tokio::spawn(view.clone().run(pool.clone(), token.clone()));
    live(&view).await;
    for _ in 0..2 {
        assert_eq!(view.read(&pool, "4711").await.unwrap().len(), 1);
    }
    assert_eq!(view.reads_from_memory(), 1);
    // The listening connection dies; an event is committed before it listens again, so its
    // notification is never delivered.
    let pid: i32 = sqlx::query_scalar(
        "SELECT pid FROM pg_stat_activity WHERE query LIKE '%LISTEN%' AND query LIKE '%' || $1 || '%'",
    )
    .bind(view.barrier_channel())
    .fetch_one(&pool)
    .await
    .unwrap();
    sqlx::query("SELECT pg_terminate_backend($1)").bind(pid).execute(&pool).await.unwrap();
    for _ in 0..500 {
        let alive: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1)")
            .bind(pid)
            .fetch_one(&pool)
            .await
            .unwrap();
        if !alive {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    let mut tx = pool.begin().await.unwrap();
    insert(&mut tx, "4711", &row("e-2"), "test").await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(view.read(&pool, "4711").await.unwrap().len(), 2, "read while not listening");
    for _ in 0..500 {
        if view.is_live() && view.read(&pool, "4711").await.unwrap().len() == 2 && view.reads_from_memory() > 1 {
            break;
        }
        assert_eq!(view.read(&pool, "4711").await.unwrap().len(), 2);
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(view.is_live(), "listens again");
    assert!(view.reads_from_memory() > 1, "and answers from memory again");
    token.cancel();
    task.await.unwrap();
    app.stop().await;
}

/// HL-40 under load: readers on two replicas' views read one order back to back while events of
/// it are committed, so barrier rounds follow one another (and overlap: the next round starts a
/// gap after the last whether or not its notification has arrived). No read may show fewer
/// events than were committed before it started.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hl_40_reads_during_writes_never_show_less_than_was_committed_before_they_started() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    use hotline_api::service::timeline_view::TimelineView;
    use hotline_api::store::timeline::{TimelineRow, insert};
    let app = TestApp::spawn().await;
    let pool = app.hotline.pool.clone();
    let row = |id: String| TimelineRow {
        event_id: id,
        source: "pixi-sync".into(),
        event_type: "order_released".into(),
        occurred_at: chrono::Utc::now(),
        summary: "Auftrag freigegeben".into(),
    };
    let mut tx = pool.begin().await.unwrap();
    insert(&mut tx, "4711", &row("e-0".into()), "test").await.unwrap();
    tx.commit().await.unwrap();
    let token = tokio_util::sync::CancellationToken::new();
    let views: Vec<Arc<TimelineView>> = (0..2).map(|_| Arc::new(TimelineView::new(100, 1000))).collect();
    let mut tasks = Vec::new();
    for v in &views {
        tasks.push(tokio::spawn(v.clone().run(pool.clone(), token.clone())));
        live(v).await;
    }
    let committed = Arc::new(AtomicUsize::new(1));
    let writing = Arc::new(AtomicBool::new(true));
    let mut readers = Vec::new();
    for r in 0..8 {
        let (view, pool, committed, writing) = (views[r % 2].clone(), pool.clone(), committed.clone(), writing.clone());
        readers.push(tokio::spawn(async move {
            let mut reads = 0;
            while writing.load(Ordering::SeqCst) {
                let before = committed.load(Ordering::SeqCst);
                let shown = view.read(&pool, "4711").await.unwrap().len();
                assert!(shown >= before, "a read showed {shown} events; {before} were committed before it started");
                reads += 1;
                tokio::task::yield_now().await;
            }
            reads
        }));
    }
    for n in 1..=150 {
        let mut tx = pool.begin().await.unwrap();
        insert(&mut tx, "4711", &row(format!("e-{n}")), "test").await.unwrap();
        tx.commit().await.unwrap();
        committed.store(n + 1, Ordering::SeqCst);
        // Let some reads be answered from memory between two changes.
        if n % 10 == 0 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    writing.store(false, Ordering::SeqCst);
    let mut reads = 0;
    for r in readers {
        reads += r.await.unwrap();
    }
    let from_memory: u64 = views.iter().map(|v| v.reads_from_memory()).sum();
    assert!(from_memory > 0, "some of the {reads} reads were answered from memory");
    assert!(views.iter().all(|v| v.rounds() > 10), "barrier rounds followed one another");
    token.cancel();
    for t in tasks {
        t.await.unwrap();
    }
    app.stop().await;
}
