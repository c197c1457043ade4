//! `Harness`: the Nets sandbox, a test database and stream, and a ManualClock shared by every
//! gateway instance of the test; `TestApp`: one gateway instance (the real `App`) with the
//! relay and the supervisor driven step by step.

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

pub struct Harness {
    pub sandbox: Sandbox,
    pub nets: SandboxClient,
    pub env: TestEnv,
    pub clock: ManualClock,
}

impl Harness {
    pub async fn new() -> Harness {
        let sandbox = Sandbox::start(SandboxConfig::ephemeral()).await.unwrap();
        let nets = sandbox.client();
        nets.nets_add_account(USER, PASSWORD).await.unwrap();
        // The gateway's clock starts at the sandbox's time, so terminal timestamps line up.
        let clock = ManualClock::new(nets.now().await.unwrap());
        let env = TestEnv::new().await.unwrap();
        Harness { sandbox, nets, env, clock }
    }

    pub fn config(&self, instance: &str, extra: &[(&str, &str)]) -> Config {
        let mut env = self.env.service_env("terminal_gateway");
        env.set("NETS_BASE_URL", self.sandbox.url(System::Nets));
        env.set("CREDENTIALS_KEY", KEY);
        env.set("INSTANCE_ID", instance);
        env.set("NETS_REQUEST_TIMEOUT", "3s");
        for (k, v) in extra {
            env.set(*k, *v);
        }
        Config::from_env(&env).unwrap()
    }

    /// A gateway instance with credentials stored for the tenant.
    pub async fn spawn(&self, instance: &str) -> TestApp {
        self.spawn_with(instance, &[]).await
    }

    pub async fn spawn_with(&self, instance: &str, extra: &[(&str, &str)]) -> TestApp {
        let mut app = App::build(self.config(instance, extra), self.clock.shared()).await.unwrap();
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
        let t = TestApp { grpc_url, relay, faults, engine, pool, stop: Some(tx), task: Some(task) };
        let mut c = t.terminals().await;
        c.set_nets_credentials(pb::SetNetsCredentialsRequest {
            tenant_id: TENANT.into(),
            username: USER.into(),
            password: PASSWORD.into(),
            verify: false,
        })
        .await
        .unwrap();
        t
    }

    /// A connected, manually driven terminal at Nets, registered and active in the gateway.
    pub async fn terminal(&self, app: &TestApp, id: &str) {
        self.nets.nets_add_terminal(&NetsTerminalSeed::new(id, USER)).await.unwrap();
        app.register(id, "", true).await;
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

pub struct TestApp {
    pub grpc_url: String,
    pub relay: Relay,
    pub faults: FaultPoints,
    pub engine: Engine,
    pub pool: sqlx::PgPool,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), kit::platform::PlatformError>>>,
}

impl TestApp {
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

    /// Sends the shutdown signal and waits for a clean exit.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.unwrap().unwrap();
        }
    }

    /// "Kills" the instance: its server stops at once, nothing is shut down gracefully (no
    /// lease is released). Arm fault points first to lose in-flight answers.
    pub fn kill(mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
        self.stop.take();
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
