//! `TestApp::spawn()`: the real ticketing-bridge `App` on random ports (gRPC and admin) with
//! its own database and stream, the in-process sandbox (with the Freshdesk API key) and a
//! ManualClock; background work is driven step by step (`drain()` runs the consumer, the worker
//! and the relay until idle). More bridge processes on the same database, stream, sandbox and
//! clock come from the app: `app.replica()` for another replica, `app.restart()` for the
//! process killed and a fresh one started, `app.reconfigure(extra)` for a new configuration
//! rolled out (the process stopped gracefully, a fresh one started with `extra`).

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::consumer::{DeliverPolicy, pull};
use futures::StreamExt;
use kit::bus::{Bus, Consumer, NewEvent, Relay};
use kit::clock::{Clock, ManualClock};
use kit::fault::FaultPoints;
use kit::grpc::client::TracedChannel;
use kit::id::OrderId;
use kit::journal::Resolver;
use prost::Message;
use proto::payops::events::v1::{Attention, Envelope};
use proto::payops::ticketing::v1::ticketing_service_client::TicketingServiceClient;
use proto::payops::ticketing::v1::{CreateTicketRequest, Requester, requester};
use sandbox::freshdesk::FreshdeskTicketView;
use sandbox::{Sandbox, SandboxClient, SandboxConfig, System};
use sqlx::PgPool;
use testkit::TestEnv;
use tokio::sync::oneshot;

use ticketing_bridge::app::App;
use ticketing_bridge::bus::AttentionHandler;
use ticketing_bridge::config::Config;
use ticketing_bridge::jobs::Dispatcher;
use ticketing_bridge::service::Executor;

/// The API key the sandbox accepts.
pub const KEY: &str = "fd-test-key";

/// One test's bridge with its outside world: a test database and stream (and a bus client on
/// it), the sandbox (with the Freshdesk API key) and a ManualClock. It dereferences to its
/// running bridge process ([`Instance`]). Field order is drop order: the process goes before
/// its world.
pub struct TestApp {
    pub run: Instance,
    pub env: TestEnv,
    pub sandbox: Sandbox,
    pub admin: SandboxClient,
    pub clock: ManualClock,
    pub bus: Bus,
    /// The variables [`TestApp::spawn_with`] (and [`TestApp::reconfigure`]) set; replicas and
    /// restarts start with them too.
    extra: Vec<(String, String)>,
}

impl std::ops::Deref for TestApp {
    type Target = Instance;
    fn deref(&self) -> &Instance {
        &self.run
    }
}

/// One running bridge process (the real `App`, `run_workers = false`: the consumer, the
/// worker, the resolver and the relay are driven by the test; gRPC and admin ports live).
pub struct Instance {
    pub grpc_url: String,
    pub admin_url: String,
    pub relay: Relay,
    pub consumer: Consumer<AttentionHandler>,
    pub dispatcher: Dispatcher,
    pub resolver: Resolver,
    pub executor: Arc<Executor>,
    pub faults: FaultPoints,
    pub pool: PgPool,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), kit::platform::PlatformError>>>,
}

impl TestApp {
    /// A fresh database and stream, sandbox (with the Freshdesk API key [`KEY`]) and clock, and
    /// the bridge running on them.
    pub async fn spawn() -> TestApp {
        Self::spawn_with(&[]).await
    }

    /// Like [`TestApp::spawn`] with `extra` set in the bridge's environment.
    pub async fn spawn_with(extra: &[(&str, &str)]) -> TestApp {
        let env = TestEnv::new().await.unwrap();
        let sandbox = Sandbox::start(SandboxConfig::ephemeral()).await.unwrap();
        let admin = sandbox.client();
        admin.freshdesk_add_api_key(KEY).await.unwrap();
        let bus = env.bus().await.unwrap();
        let clock = ManualClock::at_default();
        let extra = owned(extra);
        let run = start(&env, &sandbox, &clock, &extra).await;
        TestApp { run, env, sandbox, admin, clock, bus, extra }
    }

    /// Another bridge process on this app's database, stream, sandbox and clock, with the app's
    /// environment (a replica: the same durable consumer, the same rate budget).
    pub async fn replica(&self) -> Instance {
        start(&self.env, &self.sandbox, &self.clock, &self.extra).await
    }

    /// The app's process dies ([`Instance::kill`]: its work abandoned wherever it is, nothing
    /// shut down gracefully) and a fresh one starts on the same database, stream, sandbox and
    /// clock. Arm fault points first to lose what was in flight.
    pub async fn restart(&mut self) {
        self.run.kill().await;
        self.run = start(&self.env, &self.sandbox, &self.clock, &self.extra).await;
    }

    /// A new configuration rolled out: the app's process stops gracefully and a fresh one
    /// starts with `extra` set in the app's environment (replicas and restarts after it start
    /// with it too).
    pub async fn reconfigure(&mut self, extra: &[(&str, &str)]) {
        self.run.shutdown().await;
        for (k, v) in owned(extra) {
            self.extra.retain(|(name, _)| *name != k);
            self.extra.push((k, v));
        }
        self.run = start(&self.env, &self.sandbox, &self.clock, &self.extra).await;
    }

    /// Stops the app's process gracefully (and waits for a clean exit).
    pub async fn stop(self) {
        self.run.stop().await;
    }

    /// Publishes an attention event from `source` for `order` / `incident`; returns its id.
    pub async fn attention(&self, order: &str, incident: &str, title: &str, description: &str) -> String {
        let msg = Attention {
            incident_id: incident.into(),
            severity: 3,
            title: title.into(),
            description: description.into(),
            dashboard_url: format!("https://grafana.example/d/pixi?order={order}"),
        };
        self.publish(order, &msg).await
    }

    /// Publishes `msg` as an attention event of pixi-sync for `order`; returns the event id.
    pub async fn publish(&self, order: &str, msg: &Attention) -> String {
        let event_id = uuid_like();
        let env = NewEvent::new(OrderId::parse(order).unwrap(), "attention", msg, "attention").unwrap().into_envelope(
            &event_id,
            "pixi-sync",
            self.clock.now(),
        );
        self.publish_envelope(&env, &event_id).await;
        event_id
    }

    /// Publishes an envelope under message id `msg_id` (JetStream de-duplicates on it).
    pub async fn publish_envelope(&self, env: &Envelope, msg_id: &str) {
        let subject = self.bus.subject(&env.source, &env.order_id, "attention");
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(async_nats::header::NATS_MESSAGE_ID, msg_id);
        self.bus
            .jetstream()
            .publish_with_headers(subject, headers, env.encode_to_vec().into())
            .await
            .unwrap()
            .await
            .unwrap();
    }

    /// Every event of `event_type` the bridge published on the bus, with its subject.
    pub async fn events(&self, event_type: &str) -> Vec<(String, Envelope)> {
        let stream = self.bus.jetstream().get_stream(&self.bus.config().stream).await.unwrap();
        let filter = format!("{}.ticketing-bridge.*.{event_type}", self.bus.config().prefix);
        let consumer = stream
            .create_consumer(pull::Config {
                filter_subject: filter,
                deliver_policy: DeliverPolicy::All,
                ..Default::default()
            })
            .await
            .unwrap();
        let mut out = Vec::new();
        loop {
            let batch: Vec<_> = consumer
                .fetch()
                .max_messages(100)
                .expires(Duration::from_millis(300))
                .messages()
                .await
                .unwrap()
                .collect()
                .await;
            if batch.is_empty() {
                return out;
            }
            for m in batch {
                let m = m.unwrap();
                out.push((m.subject.to_string(), Envelope::decode(m.payload.as_ref()).unwrap()));
                m.ack().await.unwrap();
            }
        }
    }

    /// Every ticket in the sandbox's Freshdesk.
    pub async fn tickets(&self) -> Vec<FreshdeskTicketView> {
        self.admin.freshdesk_tickets().await.unwrap().tickets
    }

    /// The sandbox's tickets carrying `reference`.
    pub async fn tickets_with(&self, reference: &str) -> Vec<FreshdeskTicketView> {
        self.admin.freshdesk_tickets_by_ref(reference).await.unwrap().tickets
    }

    /// Moves the bridge's clock and the sandbox's together (Freshdesk indexes new tickets for
    /// search after the sandbox's indexing delay, in its own time).
    pub fn advance(&self, secs: u64) {
        self.clock.advance(Duration::from_secs(secs));
        self.sandbox.shared.0.clock.advance_ms(secs as i64 * 1000);
    }

    /// Milliseconds from now (the app's clock) until the work item is due.
    pub async fn due_in_ms(&self, id: &str) -> i64 {
        let at: chrono::DateTime<chrono::Utc> =
            sqlx::query_scalar("SELECT next_attempt_at FROM work WHERE event_id = $1 OR request_id = $1")
                .bind(id)
                .fetch_one(&self.pool)
                .await
                .unwrap();
        (at - self.clock.now()).num_milliseconds()
    }
}

fn owned(vars: &[(&str, &str)]) -> Vec<(String, String)> {
    vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

/// The bridge's configuration for this test: the database and stream, Freshdesk at the
/// sandbox with [`KEY`] and the tests' limits ([`Config::for_tests`]), and `extra`.
fn config(env: &TestEnv, sandbox: &Sandbox, extra: &[(String, String)]) -> Config {
    let mut e = env.service_env("ticketing_bridge");
    for (k, v) in extra {
        e.set(k.clone(), v.clone());
    }
    Config::for_tests(e, &sandbox.url(System::Freshdesk), KEY).unwrap()
}

/// Builds and starts one bridge `App` (`run_workers = false`), its consumer, worker and
/// resolver taken out for the test to drive.
async fn start(env: &TestEnv, sandbox: &Sandbox, clock: &ManualClock, extra: &[(String, String)]) -> Instance {
    let mut app = App::build(config(env, sandbox, extra), clock.shared()).await.unwrap();
    app.run_workers = false;
    let consumer = app.consumer.take().unwrap();
    let dispatcher = app.dispatcher.take().unwrap();
    let resolver = app.resolver.take().unwrap();
    let relay = app.platform.relay();
    let faults = app.platform.faults.clone();
    let pool = app.platform.pool.clone();
    let executor = app.executor.clone();
    let grpc_url = format!("http://{}", app.grpc_addr());
    let admin_url = format!("http://{}", app.admin_addr());
    let (tx, rx) = oneshot::channel();
    let task = tokio::spawn(app.run_until(async move {
        let _ = rx.await;
    }));
    Instance {
        grpc_url,
        admin_url,
        relay,
        consumer,
        dispatcher,
        resolver,
        executor,
        faults,
        pool,
        stop: Some(tx),
        task: Some(task),
    }
}

impl Instance {
    pub async fn client(&self) -> TicketingServiceClient<TracedChannel> {
        TicketingServiceClient::new(testkit::grpc_channel(&self.grpc_url))
    }

    /// Takes in every event, works on every due item, publishes every event; returns the
    /// number of work items that ended.
    pub async fn drain(&self) -> usize {
        self.consumer.drain().await.unwrap();
        let n = self.dispatcher.tick().await.unwrap();
        self.relay.drain().await.unwrap();
        n
    }

    /// A work row's column as text (status, attempts, …).
    pub async fn work(&self, column: &str, event_or_request: &str) -> String {
        sqlx::query_scalar(&format!("SELECT {column}::text FROM work WHERE event_id = $1 OR request_id = $1"))
            .bind(event_or_request)
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }

    /// The admin port's `/metrics`.
    pub async fn metrics(&self) -> String {
        reqwest_get(&format!("{}/metrics", self.admin_url)).await
    }

    /// Sends the shutdown signal and waits for a clean exit.
    pub async fn stop(mut self) {
        self.shutdown().await;
    }

    async fn shutdown(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.unwrap().unwrap();
        }
    }

    /// Dies as a killed process would: its server stops where it stands, nothing is shut down
    /// gracefully, and its database connections are closed.
    pub async fn kill(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
            let _ = t.await;
        }
        self.stop.take();
        self.pool.close().await;
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
}

/// A B2C ticket as hotline-api sends it (HL-14).
pub fn b2c(request_id: &str, order: &str) -> CreateTicketRequest {
    CreateTicketRequest {
        request_id: request_id.into(),
        order_id: order.into(),
        subject: "Waschküche – Code abgelaufen (b1234)".into(),
        description: "Kontakt Mobilfunknummer: +41 79 123 45 67\nMobilnummer Zahlung: –\nTWINT-Ref: –\n\nPGW-Ergebnis: abgelaufen"
            .into(),
        requester: Some(Requester { contact: Some(requester::Contact::Email("anna@example.ch".into())), name: String::new() }),
        r#type: "Waschküche".into(),
        priority: 3,
        group: String::new(),
        tags: vec!["profioffice".into(), "b2c".into(), "expired".into()],
    }
}

fn uuid_like() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..4).map(|_| format!("{:08x}", rng.random::<u32>())).collect::<Vec<_>>().join("-")
}

async fn reqwest_get(url: &str) -> String {
    reqwest::get(url).await.unwrap().text().await.unwrap()
}
