//! `TestApp::spawn()`: the real pixi-sync `App` on random ports with its own database and
//! stream, the in-process sandbox (pixi SOAP, unzer, SMTP sink) and a manual Clock that moves
//! the sandbox clock with it; the worker is driven pass by pass. More processes on the same
//! database, stream, sandbox and clock — replicas, or the process after a crash — come from the
//! app: `app.replica()` and `app.restart()`. Plus a tenant set up through the gRPC API with a
//! pixi installation and an unzer merchant in the sandbox.

use std::time::Duration;

use chrono::{DateTime, Utc};
use kit::bus::{Relay, event::decode_envelope};
use kit::clock::ManualClock;
use kit::fault::FaultPoints;
use kit::grpc::client::TracedChannel;
use pixi_sync::app::App;
use pixi_sync::config::Config;
use pixi_sync::service::{PassReport, Worker};
use proto::payops::events::v1::Envelope;
use proto::payops::pixi_sync::v1 as pb;
use proto::payops::pixi_sync::v1::console_user_service_client::ConsoleUserServiceClient;
use proto::payops::pixi_sync::v1::dashboard_service_client::DashboardServiceClient;
use proto::payops::pixi_sync::v1::payment_config_service_client::PaymentConfigServiceClient;
use proto::payops::pixi_sync::v1::tenant_service_client::TenantServiceClient;
use sandbox::pixi::{Address, OrderView, SeedLine, SeedOrder};
use sandbox::unzer::{NewMerchant, PayKind, PaymentView, SeedOutcome, SeedPayment};
use sandbox::{Sandbox, SandboxClient, SandboxConfig, System};
use sqlx::PgPool;
use testkit::TestEnv;
use tokio::sync::oneshot;

pub const SECRET_KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
pub const PIXI_USER: &str = "shop-api";
pub const PIXI_PASS: &str = "s3cret-pass";

/// One test's pixi-sync with its outside world. It dereferences to its running process
/// ([`Instance`]).
pub struct TestApp {
    pub env: TestEnv,
    pub sandbox: Sandbox,
    pub admin: SandboxClient,
    pub clock: ManualClock,
    /// The variables [`TestApp::spawn_with`] added; [`TestApp::restart`] starts with them again.
    extra: Vec<(String, String)>,
    pub run: Instance,
}

impl std::ops::Deref for TestApp {
    type Target = Instance;
    fn deref(&self) -> &Instance {
        &self.run
    }
}

/// One running pixi-sync process (the real `App`, `run_workers = false`: passes are driven by
/// the test).
pub struct Instance {
    pub worker: Worker,
    pub pool: PgPool,
    pub faults: FaultPoints,
    pub relay: Relay,
    pub grpc_url: String,
    pub public_url: String,
    pub admin_url: String,
    pub console_url: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), kit::platform::PlatformError>>>,
}

impl TestApp {
    /// A fresh sandbox, database and stream, both clocks at 2026-01-05 10:00 UTC (11:00
    /// Berlin), and pixi-sync running on them.
    pub async fn spawn() -> TestApp {
        Self::spawn_with(&[]).await
    }

    /// Like [`TestApp::spawn`] with `extra` added to pixi-sync's environment.
    pub async fn spawn_with(extra: &[(&str, &str)]) -> TestApp {
        let env = TestEnv::new().await.unwrap();
        let sandbox = Sandbox::start(SandboxConfig::ephemeral()).await.unwrap();
        let admin = sandbox.client();
        let clock = ManualClock::at_default();
        sync_sandbox_clock(&admin, &clock).await;
        let extra: Vec<(String, String)> = extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let run = start(&env, &sandbox, &clock, &extra).await;
        TestApp { env, sandbox, admin, clock, extra, run }
    }

    /// Another pixi-sync process on this app's database, stream, sandbox and clock, with the
    /// app's environment (a replica).
    pub async fn replica(&self) -> Instance {
        start(&self.env, &self.sandbox, &self.clock, &self.extra).await
    }

    /// The app's process dies — its work abandoned wherever it is, its database connections
    /// closed and with them its locks — and a fresh one starts on the same database, stream,
    /// sandbox and clock.
    pub async fn restart(&mut self) {
        self.run.die().await;
        self.run = start(&self.env, &self.sandbox, &self.clock, &self.extra).await;
    }

    /// Moves both clocks.
    pub async fn advance(&self, secs: u64) {
        self.clock.advance(Duration::from_secs(secs));
        self.sync_sandbox_clock().await;
    }

    /// Sets both clocks.
    pub async fn set_time(&self, at: DateTime<Utc>) {
        self.clock.set(at);
        self.sync_sandbox_clock().await;
    }

    /// Sets the sandbox clock to the app's clock.
    pub async fn sync_sandbox_clock(&self) {
        sync_sandbox_clock(&self.admin, &self.clock).await;
    }

    /// Like [`Instance::settle`], then out of any outage backoff: on a loaded machine a pixi call
    /// of these passes may time out (the tests' `PIXI_TIMEOUT` is 3 s) and back the configuration
    /// off, and a test that counts on "the next poll" would then find the pass skipped. The clock
    /// moves only past the backoff (seconds), never near the next full scan.
    pub async fn settle_clean(&self, api_id: &str, n: usize) -> PassReport {
        use kit::clock::Clock;
        let api = uuid::Uuid::parse_str(api_id).unwrap();
        let mut last = self.settle(n).await;
        for _ in 0..10 {
            let state = pixi_sync::store::sync_state::get(&self.pool, api).await.unwrap();
            let Some(until) = state.backoff_until.filter(|b| *b > self.clock.now()) else { break };
            let wait = (until - self.clock.now()).num_seconds().max(0) as u64 + 1;
            self.advance(wait).await;
            last = self.settle(n).await;
        }
        last
    }

    /// Every event published on this app's stream, oldest first.
    pub async fn events(&self) -> Vec<(String, Envelope)> {
        self.relay.drain().await.unwrap();
        let client = async_nats::connect(self.env.nats_url.as_str()).await.unwrap();
        let js = async_nats::jetstream::new(client);
        let mut stream = js.get_stream(&self.env.stream).await.unwrap();
        let last = stream.info().await.unwrap().state.last_sequence;
        let mut out = Vec::new();
        for seq in 1..=last {
            if let Ok(m) = stream.get_raw_message(seq).await {
                out.push((m.subject.to_string(), decode_envelope(&m.payload).unwrap()));
            }
        }
        out
    }

    /// Stops the app's process gracefully.
    pub async fn stop(mut self) {
        self.run.shutdown().await;
    }
}

async fn sync_sandbox_clock(admin: &SandboxClient, clock: &ManualClock) {
    let at = serde_json::json!({ "at": kit::Clock::now(clock) });
    admin.post::<_, serde_json::Value>("/admin/clock/set", &at).await.unwrap();
}

/// pixi-sync's environment for this test: the database and stream, unzer at the sandbox, and
/// `extra`.
fn service_env(env: &TestEnv, sandbox: &Sandbox, extra: &[(String, String)]) -> kit::config::Env {
    let mut e = env.service_env("pixi_sync");
    e.set("PIXI_SYNC_SECRET_KEY", SECRET_KEY);
    e.set("UNZER_SANDBOX_BASE_URL", sandbox.url(System::Unzer));
    e.set("UNZER_PRODUCTION_BASE_URL", sandbox.url(System::Unzer));
    // Generous: on a loaded 2-core CI machine a sandbox answer can take seconds, and a
    // timed-out discovery call backs the configuration off (tests then see skipped passes).
    e.set("UNZER_TIMEOUT", "10s");
    e.set("PIXI_TIMEOUT", "10s");
    e.set("SMTP_TIMEOUT", "3s");
    e.set("CONSOLE_ADDR", "127.0.0.1:0");
    e.set("PASSWORD_HASH_MEMORY_KIB", "256");
    e.set("PASSWORD_HASH_ITERATIONS", "1");
    for (k, v) in extra {
        e.set(k.clone(), v.clone());
    }
    e
}

/// Builds and starts one pixi-sync `App` (`run_workers = false`).
async fn start(env: &TestEnv, sandbox: &Sandbox, clock: &ManualClock, extra: &[(String, String)]) -> Instance {
    // The public port must be known before the app is built (webhook URLs): pick a free
    // one and retry when another test took it meanwhile.
    let mut attempt = 0;
    let mut app = loop {
        let port = testkit::free_port().unwrap();
        let public = format!("127.0.0.1:{port}");
        let mut vars = vec![
            ("PUBLIC_ADDR".to_owned(), public.clone()),
            ("PUBLIC_BASE_URL".to_owned(), format!("http://{public}")),
        ];
        vars.extend_from_slice(extra);
        let config = Config::from_env(&service_env(env, sandbox, &vars)).unwrap();
        match App::build(config, clock.shared()).await {
            Ok(app) => break app,
            Err(e) if attempt < 5 && e.to_string().contains("PUBLIC_ADDR") => attempt += 1,
            Err(e) => panic!("{e}"),
        }
    };
    app.run_workers = false;
    let worker = app.worker.clone();
    let pool = app.platform.pool.clone();
    let faults = app.platform.faults.clone();
    let relay = app.platform.relay();
    let grpc_url = format!("http://{}", app.grpc_addr());
    let public_url = format!("http://{}", app.public_addr());
    let admin_url = format!("http://{}", app.admin_addr());
    let console_url = format!("http://{}", app.console_addr());
    let (tx, rx) = oneshot::channel();
    let task = tokio::spawn(app.run_until(async move {
        let _ = rx.await;
    }));
    Instance {
        worker,
        pool,
        faults,
        relay,
        grpc_url,
        public_url,
        admin_url,
        console_url,
        stop: Some(tx),
        task: Some(task),
    }
}

impl Instance {
    pub async fn pass(&self) -> PassReport {
        self.worker.pass().await
    }

    /// Passes until one syncs no order (at most `n`).
    pub async fn settle(&self, n: usize) -> PassReport {
        let mut last = PassReport::default();
        for _ in 0..n {
            last = self.pass().await;
            if last.orders == 0 {
                break;
            }
        }
        last
    }

    pub async fn tenants(&self) -> TenantServiceClient<TracedChannel> {
        TenantServiceClient::new(testkit::grpc_channel(&self.grpc_url))
    }

    pub async fn configs(&self) -> PaymentConfigServiceClient<TracedChannel> {
        PaymentConfigServiceClient::new(testkit::grpc_channel(&self.grpc_url))
    }

    pub async fn console_users(&self) -> ConsoleUserServiceClient<TracedChannel> {
        ConsoleUserServiceClient::new(testkit::grpc_channel(&self.grpc_url))
    }

    pub async fn dashboard(&self) -> DashboardServiceClient<TracedChannel> {
        DashboardServiceClient::new(testkit::grpc_channel(&self.grpc_url))
    }

    /// Stops gracefully.
    async fn shutdown(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.unwrap().unwrap();
        }
    }

    /// Dies as a killed process would: the task is aborted where it stands and the database
    /// connections are closed.
    async fn die(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
            let _ = t.await;
        }
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

/// A tenant with one pixi API configuration and payment configurations.
pub struct Tenant {
    pub tenant_id: String,
    pub api_id: String,
    pub private_key: String,
    pub public_key: String,
    pub error_page_url: String,
    pub configs: Vec<pb::PaymentConfig>,
}

/// Default payment methods of the sandbox installation.
pub const METHODS: [&str; 5] = ["UNZERCC", "UNZERPP", "VORKASSE", "UNZERINV", "UNZERDD"];

pub fn payment_request(
    t_id: &str,
    api_id: &str,
    method: &str,
    mode: pb::Mode,
    public: &str,
    private: &str,
) -> pb::SavePaymentConfigRequest {
    pb::SavePaymentConfigRequest {
        payment_config_id: String::new(),
        tenant_id: t_id.into(),
        pixi_api_config_id: api_id.into(),
        mandant: "DEM".into(),
        payment_method: method.into(),
        active: true,
        invoice_booking_event: "UZE".into(),
        return_booking_event: "UZR".into(),
        xml_tag: format!("TAG{method}"),
        rounding_tolerance_minor: 2,
        unzer_public_key: public.into(),
        unzer_private_key: private.into(),
        mode: mode as i32,
        copy_from_payment_config_id: String::new(),
    }
}

impl Tenant {
    /// Creates the tenant, the pixi installation (user), the pixi API configuration, the unzer
    /// merchant and a payment configuration per method in `mode`.
    pub async fn setup(app: &TestApp, mode: pb::Mode, methods: &[&str]) -> Tenant {
        Self::setup_named(app, "Muster AG", PIXI_USER, mode, methods).await
    }

    pub async fn setup_named(app: &TestApp, name: &str, user: &str, mode: pb::Mode, methods: &[&str]) -> Tenant {
        app.admin.pixi_user(user, PIXI_PASS).await.unwrap();
        let merchant = app.admin.unzer_create_merchant(&NewMerchant::default()).await.unwrap();
        let mut tenants = app.tenants().await;
        let created = tenants.create_tenant(pb::CreateTenantRequest { name: name.into() }).await.unwrap().into_inner();
        let tenant_id = created.tenant.unwrap().tenant_id;
        let api = tenants
            .save_pixi_api_config(pb::SavePixiApiConfigRequest {
                tenant_id: tenant_id.clone(),
                pixi_api_config_id: String::new(),
                name: "live".into(),
                endpoint: format!("{}/soap/{user}/", app.sandbox.url(System::Pixi)),
                user: user.into(),
                password: PIXI_PASS.into(),
                active: true,
                timezone: String::new(),
            })
            .await
            .unwrap()
            .into_inner()
            .config
            .unwrap();
        let mut configs = Vec::new();
        let mut cfg = app.configs().await;
        for m in methods {
            let req = payment_request(
                &tenant_id,
                &api.pixi_api_config_id,
                m,
                mode,
                &merchant.public_key,
                &merchant.private_key,
            );
            configs.push(cfg.save_payment_config(req).await.unwrap().into_inner().config.unwrap());
        }
        Tenant {
            tenant_id,
            api_id: api.pixi_api_config_id,
            private_key: merchant.private_key,
            public_key: merchant.public_key,
            error_page_url: created.error_page_url,
            configs,
        }
    }

    /// A checkout at unzer only.
    pub async fn payment(
        &self,
        app: &TestApp,
        kind: PayKind,
        amount: i64,
        outcome: SeedOutcome,
        charged: Option<i64>,
    ) -> String {
        app.admin
            .unzer_seed_payment(&SeedPayment {
                private_key: self.private_key.clone(),
                kind,
                amount_minor: amount,
                currency: "EUR".into(),
                order_id: String::new(),
                invoice_id: String::new(),
                payment_reference: String::new(),
                outcome,
                charged_minor: charged,
                at: None,
            })
            .await
            .unwrap()
            .id
    }

    /// A checkout at unzer and the order import into pixi (HOLD, KK-ID set).
    pub async fn order(
        &self,
        app: &TestApp,
        method: &str,
        kind: PayKind,
        lines: &[i64],
        outcome: SeedOutcome,
    ) -> (i64, String) {
        self.order_with(app, method, kind, lines, 0, outcome, None).await
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn order_with(
        &self,
        app: &TestApp,
        method: &str,
        kind: PayKind,
        lines: &[i64],
        ship_cost: i64,
        outcome: SeedOutcome,
        charged: Option<i64>,
    ) -> (i64, String) {
        let total: i64 = lines.iter().sum::<i64>() + ship_cost;
        let pay = app
            .admin
            .unzer_seed_payment(&SeedPayment {
                private_key: self.private_key.clone(),
                kind,
                amount_minor: total,
                currency: "EUR".into(),
                order_id: String::new(),
                invoice_id: String::new(),
                payment_reference: String::new(),
                outcome,
                charged_minor: charged,
                at: None,
            })
            .await
            .unwrap();
        let order =
            app.admin.pixi_seed_order(PIXI_USER, &seed(method, Some(pay.id.clone()), lines, ship_cost)).await.unwrap();
        (order.order_nr, pay.id)
    }

    pub async fn pixi(&self, app: &TestApp, nr: i64) -> OrderView {
        app.admin.pixi_order(PIXI_USER, nr).await.unwrap()
    }

    pub async fn unzer(&self, app: &TestApp, id: &str) -> PaymentView {
        app.admin.unzer_payment(id).await.unwrap()
    }

    pub async fn dashboard_order(&self, app: &Instance, nr: i64) -> pb::GetOrderResponse {
        let mut d = app.dashboard().await;
        d.get_order(pb::GetOrderRequest {
            tenant_id: self.tenant_id.clone(),
            pixi_api_config_id: self.api_id.clone(),
            order_nr: nr,
        })
        .await
        .unwrap()
        .into_inner()
    }
}

/// An order as a shop imports it.
pub fn seed(method: &str, kk_id: Option<String>, lines: &[i64], ship_cost: i64) -> SeedOrder {
    SeedOrder {
        payment_code: method.into(),
        kk_id,
        lines: lines
            .iter()
            .enumerate()
            .map(|(i, p)| SeedLine {
                item_nr: format!("ITEM-{i}-{p}"),
                name: format!("Artikel {i}"),
                qty: 1,
                price_minor: *p,
                ean: None,
            })
            .collect(),
        ship_cost_minor: ship_cost,
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
    }
}

/// Transactions of a kind at unzer.
pub fn txns(p: &PaymentView, kind: sandbox::unzer::TxnType) -> Vec<&sandbox::unzer::TxnView> {
    p.transactions.iter().filter(|t| t.kind == kind).collect()
}

/// Event types of an order, in order.
pub fn types_of(events: &[(String, Envelope)], order_nr: i64) -> Vec<String> {
    events.iter().filter(|(_, e)| e.order_id == order_nr.to_string()).map(|(_, e)| e.r#type.clone()).collect()
}
