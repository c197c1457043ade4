//! `TestApp::spawn()`: the real gateway `App` on random ports with its own database and stream,
//! the in-process Nets sandbox (with the tenant's API user) and a ManualClock started at the
//! sandbox's time; the relay and the supervisor are driven step by step. More gateway processes
//! on the same database, stream, sandbox and clock come from the app: `app.replica(id)` for
//! another replica, `app.restart(id)` for the process killed and a fresh one started (each
//! with its own `INSTANCE_ID`, the owner of its payment leases). The tenant's Nets credentials
//! are stored through every process at its start.

use std::time::Duration;

use kit::bus::Relay;
use kit::clock::ManualClock;
use kit::fault::FaultPoints;
use kit::grpc::client::TracedChannel;
use proto::payops::common::v1::Money;
use proto::payops::terminal_gateway::v1 as pb;
use proto::payops::terminal_gateway::v1::terminal_payment_service_client::TerminalPaymentServiceClient;
use proto::payops::terminal_gateway::v1::terminal_service_client::TerminalServiceClient;
use sandbox::nets::{CustomerAction, NetsTerminalSeed};
use sandbox::{Sandbox, SandboxClient, SandboxConfig, System};
use sqlx::Row;
use terminal_gateway::app::App;
use terminal_gateway::config::Config;
use terminal_gateway::service::{Engine, SweepReport};
use testkit::TestEnv;
use tokio::sync::oneshot;

pub const TENANT: &str = "hotel";
pub const USER: &str = "hotel-user";
pub const PASSWORD: &str = "hotel-secret-pw";
pub const KEY: &str = "4242424242424242424242424242424242424242424242424242424242424242";

/// The instance id of the app's own gateway process (replicas and restarts name theirs).
pub const FIRST: &str = "gw-1";

/// One test's gateway with its outside world: the Nets sandbox (with the tenant's API user), a
/// test database and stream, and a ManualClock started at the sandbox's time. It dereferences to
/// its running gateway process ([`Instance`]). Field order is drop order: the process goes
/// before its world.
pub struct TestApp {
    pub run: Instance,
    pub env: TestEnv,
    pub sandbox: Sandbox,
    pub nets: SandboxClient,
    pub clock: ManualClock,
    /// The variables [`TestApp::spawn_with`] added; replicas and restarts start with them too.
    extra: Vec<(String, String)>,
}

impl std::ops::Deref for TestApp {
    type Target = Instance;
    fn deref(&self) -> &Instance {
        &self.run
    }
}

/// One running gateway process (the real `App`, `run_workers = false`: the relay and the
/// supervisor are driven by the test), with the tenant's Nets credentials stored.
pub struct Instance {
    pub grpc_url: String,
    pub relay: Relay,
    pub faults: FaultPoints,
    pub engine: Engine,
    pub pool: sqlx::PgPool,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), kit::platform::PlatformError>>>,
}

impl TestApp {
    /// A fresh sandbox (with the tenant's Nets API user), database and stream, the clock at the
    /// sandbox's time, and a gateway (`INSTANCE_ID` [`FIRST`]) running on them.
    pub async fn spawn() -> TestApp {
        Self::spawn_with(&[]).await
    }

    /// Like [`TestApp::spawn`] with `extra` added to the gateway's environment.
    pub async fn spawn_with(extra: &[(&str, &str)]) -> TestApp {
        let sandbox = Sandbox::start(SandboxConfig::ephemeral()).await.unwrap();
        let nets = sandbox.client();
        nets.nets_add_account(USER, PASSWORD).await.unwrap();
        // The gateway's clock starts at the sandbox's time, so terminal timestamps line up.
        let clock = ManualClock::new(nets.now().await.unwrap());
        let env = TestEnv::new().await.unwrap();
        let extra: Vec<(String, String)> = extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let run = start(&env, &sandbox, &clock, FIRST, &extra).await;
        TestApp { env, sandbox, nets, clock, extra, run }
    }

    /// Another gateway process named `instance` (its `INSTANCE_ID`, the owner of its payment
    /// leases) on this app's database, stream, sandbox and clock, with the app's environment:
    /// a replica.
    pub async fn replica(&self, instance: &str) -> Instance {
        start(&self.env, &self.sandbox, &self.clock, instance, &self.extra).await
    }

    /// The app's process dies ([`Instance::kill`]: nothing shut down gracefully, no lease
    /// released) and a fresh one named `instance` starts on the same database, stream, sandbox
    /// and clock. Arm fault points first to lose in-flight answers.
    pub async fn restart(&mut self, instance: &str) {
        self.run.kill().await;
        self.run = start(&self.env, &self.sandbox, &self.clock, instance, &self.extra).await;
    }

    /// A connected, manually driven terminal at Nets, registered and active in the gateway.
    pub async fn terminal(&self, id: &str) {
        self.nets.nets_add_terminal(&NetsTerminalSeed::new(id, USER)).await.unwrap();
        self.register(id, "", true).await;
    }

    pub async fn customer(&self, terminal: &str, action: CustomerAction) {
        self.nets.nets_customer(terminal, action).await.unwrap();
    }

    /// Outcomes of every transaction the terminal started, oldest first.
    pub async fn history(&self, terminal: &str) -> Vec<sandbox::nets::TxOutcome> {
        self.nets.nets_terminal(terminal).await.unwrap().history.into_iter().map(|t| t.outcome).collect()
    }

    /// Requests the sandbox received for Nets, as (method, path).
    pub async fn nets_requests(&self) -> Vec<(String, String)> {
        self.nets.requests(Some(System::Nets)).await.unwrap().into_iter().map(|r| (r.method, r.path)).collect()
    }
}

/// The gateway's environment for this test: the database and stream, Nets at the sandbox, the
/// credentials key, `INSTANCE_ID` = `instance`, and `extra`.
fn config(env: &TestEnv, sandbox: &Sandbox, instance: &str, extra: &[(String, String)]) -> Config {
    let mut e = env.service_env("terminal_gateway");
    e.set("NETS_BASE_URL", sandbox.url(System::Nets));
    e.set("CREDENTIALS_KEY", KEY);
    e.set("INSTANCE_ID", instance);
    e.set("NETS_REQUEST_TIMEOUT", "3s");
    for (k, v) in extra {
        e.set(k.clone(), v.clone());
    }
    Config::from_env(&e).unwrap()
}

/// Builds and starts one gateway `App` (`run_workers = false`) and stores the tenant's Nets
/// credentials through it.
async fn start(
    env: &TestEnv,
    sandbox: &Sandbox,
    clock: &ManualClock,
    instance: &str,
    extra: &[(String, String)],
) -> Instance {
    let mut app = App::build(config(env, sandbox, instance, extra), clock.shared()).await.unwrap();
    app.run_workers = false;
    let relay = app.platform.relay();
    let faults = app.platform.faults.clone();
    let engine = app.engine.clone();
    let pool = app.platform.pool.clone();
    let grpc_url = format!("http://{}", app.grpc_addr());
    let (tx, rx) = oneshot::channel();
    let task = tokio::spawn(app.run_until(async move {
        let _ = rx.await;
    }));
    let run = Instance { grpc_url, relay, faults, engine, pool, stop: Some(tx), task: Some(task) };
    let mut c = run.terminals().await;
    c.set_nets_credentials(pb::SetNetsCredentialsRequest {
        tenant_id: TENANT.into(),
        username: USER.into(),
        password: PASSWORD.into(),
        verify: false,
    })
    .await
    .unwrap();
    run
}

impl Instance {
    pub async fn payments(&self) -> TerminalPaymentServiceClient<TracedChannel> {
        TerminalPaymentServiceClient::new(testkit::grpc_channel(&self.grpc_url))
    }

    pub async fn terminals(&self) -> TerminalServiceClient<TracedChannel> {
        TerminalServiceClient::new(testkit::grpc_channel(&self.grpc_url))
    }

    /// Registers an active terminal with its currency and time zone.
    pub async fn register_in(&self, id: &str, currency: &str, time_zone: &str) {
        let req = pb::RegisterTerminalRequest {
            tenant_id: TENANT.into(),
            terminal_id: id.into(),
            display_name: format!("Terminal {id}"),
            pos: String::new(),
            active: true,
            currency: currency.into(),
            time_zone: time_zone.into(),
        };
        self.terminals().await.register_terminal(req).await.unwrap();
    }

    pub async fn register(&self, id: &str, pos: &str, active: bool) {
        let req = pb::RegisterTerminalRequest {
            tenant_id: TENANT.into(),
            terminal_id: id.into(),
            display_name: format!("Terminal {id}"),
            pos: pos.into(),
            active,
            currency: "CHF".into(),
            time_zone: "Europe/Zurich".into(),
        };
        self.terminals().await.register_terminal(req).await.unwrap();
    }

    pub async fn start(
        &self,
        request: &str,
        order: &str,
        terminal: &str,
        minor: i64,
    ) -> Result<pb::Payment, tonic::Status> {
        self.start_in(request, order, terminal, minor, "CHF").await
    }

    /// A start in another currency.
    pub async fn start_in(
        &self,
        request: &str,
        order: &str,
        terminal: &str,
        minor: i64,
        currency: &str,
    ) -> Result<pb::Payment, tonic::Status> {
        let req = pb::StartPaymentRequest {
            tenant_id: TENANT.into(),
            request_id: request.into(),
            order_id: order.into(),
            amount: Some(Money { amount_minor: minor, currency: currency.into() }),
            terminal_id: terminal.into(),
            workstation_id: String::new(),
        };
        self.payments().await.start_payment(req).await.map(|r| r.into_inner().payment.unwrap())
    }

    pub async fn get(&self, id: &str) -> pb::Payment {
        let req = pb::GetPaymentRequest { tenant_id: TENANT.into(), payment_id: id.into() };
        self.payments().await.get_payment(req).await.unwrap().into_inner().payment.unwrap()
    }

    pub async fn watch(&self, id: &str) -> tonic::Streaming<pb::WatchPaymentResponse> {
        let req = pb::WatchPaymentRequest { tenant_id: TENANT.into(), payment_id: id.into() };
        self.payments().await.watch_payment(req).await.unwrap().into_inner()
    }

    pub async fn refresh(&self, id: &str) -> (pb::Payment, pb::RefreshResult) {
        let req = pb::RefreshPaymentRequest { tenant_id: TENANT.into(), payment_id: id.into() };
        let r = self.payments().await.refresh_payment(req).await.unwrap().into_inner();
        (r.payment.unwrap(), pb::RefreshResult::try_from(r.result).unwrap())
    }

    pub async fn supervise(&self) -> SweepReport {
        self.engine.supervise_once().await.unwrap()
    }

    /// Event types in the outbox for `order`, oldest first.
    pub async fn events(&self, order: &str) -> Vec<String> {
        sqlx::query("SELECT event_type FROM outbox WHERE order_id = $1 ORDER BY seq")
            .bind(order)
            .fetch_all(&self.pool)
            .await
            .unwrap()
            .iter()
            .map(|r| r.get::<String, _>("event_type"))
            .collect()
    }

    /// The decoded payment changes in the outbox for `order`.
    pub async fn changes(&self, order: &str) -> Vec<(String, pb::TerminalPaymentChanged)> {
        let rows = sqlx::query("SELECT event_type, envelope FROM outbox WHERE order_id = $1 ORDER BY seq")
            .bind(order)
            .fetch_all(&self.pool)
            .await
            .unwrap();
        rows.iter()
            .filter_map(|r| {
                let env = kit::bus::event::decode_envelope(&r.get::<Vec<u8>, _>("envelope")).unwrap();
                let changed = kit::bus::event::unpack::<pb::TerminalPaymentChanged>(&env).ok()?;
                Some((r.get::<String, _>("event_type"), changed))
            })
            .collect()
    }

    /// Sends the shutdown signal and waits for a clean exit: watch streams end, held terminal
    /// calls are let go and this process's leases released.
    pub async fn stop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.unwrap().unwrap();
        }
    }

    /// Dies as a killed process would: its server stops where it stands, nothing is shut down
    /// gracefully (no lease is released), and its database connections are closed. Arm fault
    /// points first to lose in-flight answers.
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

/// Next message of a watch stream, bounded so a broken feed fails the test instead of hanging.
pub async fn next(stream: &mut tonic::Streaming<pb::WatchPaymentResponse>) -> pb::Payment {
    tokio::time::timeout(Duration::from_secs(20), stream.message())
        .await
        .expect("watch delivered nothing within 20 s")
        .unwrap()
        .expect("stream ended")
        .payment
        .unwrap()
}

pub fn state(p: &pb::Payment) -> pb::PaymentState {
    pb::PaymentState::try_from(p.state).unwrap()
}

pub fn reason(p: &pb::Payment) -> String {
    p.outcome.as_ref().map(|o| o.reason.clone()).unwrap_or_default()
}
