//! OP-20 (and the replica half of OP-21) focused on one service: two ticketing-bridge processes
//! on one database and one stream share the durable JetStream consumer of attention events.
//! Every event becomes exactly one Freshdesk ticket and is handled once across both replicas;
//! one replica SIGKILLed while a burst is in flight loses nothing (its unacknowledged events go
//! to the survivor) and still nothing is done twice.

use std::collections::BTreeMap;
use std::time::Duration;

use kit::OrderId;
use kit::bus::event::NewEvent;
use prost::Message;
use proto::payops::events::v1::Attention;
use sandbox::freshdesk::FreshdeskConfigPatch;
use sandbox::{Sandbox, SandboxConfig, System};
use stack::ServiceProcess;
use testkit::TestEnv;

use testkit::eventually;

const KEY: &str = "fd-replicas-key-51f0";
const CONSUMER: &str = "ticketing-attention";

async fn replica(env: &TestEnv, sandbox: &Sandbox) -> ServiceProcess {
    let vars: Vec<(String, String)> = [
        ("DATABASE_URL", env.database_url.clone()),
        ("NATS_URL", env.nats_url.clone()),
        ("EVENTS_PREFIX", env.prefix.clone()),
        ("EVENTS_STREAM", env.stream.clone()),
        ("SHUTDOWN_GRACE", "10s".to_owned()),
        ("CALLERS", testkit::CALLERS.to_owned()),
        ("FRESHDESK_URL", sandbox.url(System::Freshdesk)),
        ("FRESHDESK_API_KEY", KEY.to_owned()),
        ("FRESHDESK_GROUPS", "payments:43000000002".to_owned()),
        ("ATTENTION_GROUP", "payments".to_owned()),
        ("FRESHDESK_RATE_PER_MINUTE", "60000".to_owned()),
        ("FRESHDESK_CREATE_PER_MINUTE", "60000".to_owned()),
        ("FRESHDESK_BURST", "1000".to_owned()),
        ("TICKETING_POLL", "100ms".to_owned()),
        // A creation the victim sent but never recorded is searched for before it is sent again;
        // "not found" is trusted this long after the attempt (the sandbox indexes within 1 s).
        ("FRESHDESK_INDEX_DELAY", "5s".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let mut p = ServiceProcess::start("ticketing-bridge", "payops-ticketing-bridge", &vars).await.unwrap();
    p.wait_ready(Duration::from_secs(60)).await.unwrap();
    p
}

/// Publishes pixi-sync's attention event for each order, as its relay would.
async fn publish(env: &TestEnv, orders: impl Iterator<Item = String>) {
    let js = async_nats::jetstream::new(async_nats::connect(env.nats_url.as_str()).await.unwrap());
    for order in orders {
        let msg = Attention {
            incident_id: format!("PXI-{order}"),
            severity: 3,
            title: "Capture failed".into(),
            description: "The capture was refused.".into(),
            dashboard_url: String::new(),
        };
        let event_id = format!("evt-{order}");
        let envelope = NewEvent::new(OrderId::parse(&order).unwrap(), "attention", &msg, "attention")
            .unwrap()
            .into_envelope(&event_id, "pixi-sync", chrono::Utc::now());
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(async_nats::header::NATS_MESSAGE_ID, event_id.as_str());
        let subject = format!("{}.pixi-sync.{order}.attention", env.prefix);
        js.publish_with_headers(subject, headers, envelope.encode_to_vec().into()).await.unwrap().await.unwrap();
    }
}

/// Tickets per order at Freshdesk.
async fn tickets(sandbox: &Sandbox) -> BTreeMap<String, usize> {
    let mut per_order = BTreeMap::new();
    for t in sandbox.client().freshdesk_tickets().await.unwrap().tickets {
        let order = t.custom_fields.get("cf_order_id").and_then(|v| v.as_str()).unwrap_or_default().to_owned();
        *per_order.entry(order).or_insert(0) += 1;
    }
    per_order
}

/// Attention events this replica handled (every outcome).
async fn handled(p: &ServiceProcess) -> u64 {
    let text = reqwest::get(format!("{}/metrics", p.admin_url)).await.unwrap().text().await.unwrap();
    text.lines()
        .filter(|l| {
            l.starts_with("payops_consumer_processed_total{") && l.contains(&format!("consumer=\"{CONSUMER}\""))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .map(|v| v as u64)
        .sum()
}

async fn all_ticketed(sandbox: &Sandbox, n: usize) -> BTreeMap<String, usize> {
    eventually(&format!("{n} orders have their ticket"), Duration::from_secs(180), || async {
        let t = tickets(sandbox).await;
        (t.len() >= n).then_some(t)
    })
    .await
}

#[tokio::test]
async fn op_20_two_replicas_share_one_durable_consumer_each_event_handled_once_and_a_killed_one_loses_nothing() {
    let env = TestEnv::new().await.unwrap();
    let sandbox = Sandbox::start(SandboxConfig::ephemeral()).await.unwrap();
    sandbox.client().freshdesk_add_api_key(KEY).await.unwrap();
    let index = FreshdeskConfigPatch { index_delay_secs: Some(1), ..Default::default() };
    sandbox.client().freshdesk_configure(&index).await.unwrap();
    let a = replica(&env, &sandbox).await;
    let b = replica(&env, &sandbox).await;

    // One durable consumer on the stream for both replicas, not one each.
    let js = async_nats::jetstream::new(async_nats::connect(env.nats_url.as_str()).await.unwrap());
    let mut stream = js.get_stream(&env.stream).await.unwrap();
    let info = stream.consumer_info(CONSUMER).await.unwrap();
    assert!(info.config.durable_name.as_deref() == Some(CONSUMER), "{:?}", info.config);
    assert_eq!(stream.info().await.unwrap().state.consumer_count, 1, "the replicas share one consumer");

    publish(&env, (1..=20).map(|i| format!("R-{i}"))).await;
    let t = all_ticketed(&sandbox, 20).await;
    assert!(t.values().all(|n| *n == 1), "one ticket per order: {t:?}");
    let (ha, hb) = (handled(&a).await, handled(&b).await);
    assert_eq!(ha + hb, 20, "each event handled once across the replicas (a {ha}, b {hb})");

    // A burst, and one replica dies in the middle of it: the one that took the first batch, the
    // likelier to hold unacknowledged events now (they reach the survivor after the ack wait).
    let (victim, survivor) = if ha >= hb { (a, b) } else { (b, a) };
    publish(&env, (21..=40).map(|i| format!("R-{i}"))).await;
    victim.kill().unwrap();
    assert_eq!(victim.wait().await.unwrap().0, None, "killed by the signal");
    let t = all_ticketed(&sandbox, 40).await;
    assert_eq!(t.len(), 40, "{t:?}");
    assert!(t.values().all(|n| *n == 1), "still one ticket per order after the kill: {t:?}");
    survivor.terminate().unwrap();
    assert_eq!(survivor.wait().await.unwrap().0, Some(0));
}
