//! `TestApp::spawn()`: the real `App` on random ports with its own database and stream, the
//! in-process sandbox (PGW, smallinvoice) and the ticketing contract; the relay and the
//! timeline consumer are driven step by step with `drain()`.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Europe::Zurich;
use hotline_api::app::App;
use hotline_api::bus::TimelineProjector;
use hotline_api::config::Config;
use hotline_api::domain::agent::Role;
use hotline_api::service::Hotline;
use kit::bus::{Consumer, Relay};
use kit::clock::ManualClock;
use proto::payops::hotline::v1::LoginRequest;
use proto::payops::hotline::v1::agent_service_client::AgentServiceClient;
use proto::payops::hotline::v1::hotline_service_client::HotlineServiceClient;
use proto::payops::hotline::v1::timeline_service_client::TimelineServiceClient;
use sandbox::freshdesk::FreshdeskTicketView;
use sandbox::pgw::{Env as PgwEnv, PgwDevice, PgwTransaction, TransactionView};
use sandbox::smallinvoice::SiClient;
use sandbox::{Sandbox, SandboxClient, SandboxConfig, System};
use serde_json::Value;
use testkit::TestEnv;
use tokio::sync::oneshot;
use tonic::transport::Channel;

pub const PGW_KEY: &str = "pgw-prod-key-for-hotline-tests";
pub const SI_CLIENT: &str = "hotline-tests";
pub const SI_SECRET: &str = "hotline-tests-secret";
pub const ADMIN: (&str, &str) = ("admin", "admin-password-1234");
pub const AGENT: (&str, &str) = ("anna", "anna-password-1234");
pub const FRESHDESK_KEY: &str = "fd-hotline-tests";
/// pixi-sync's token at hotline-api.
pub const SERVICE_TOKEN: &str = "service-token-0123456789";
/// The service callers: pixi-sync with an agent's standard permissions.
pub const CALLERS: &str = "pixi-sync:service-token-0123456789:hotline.session,hotline.codes.lookup,hotline.tickets.create,hotline.customers.read,hotline.overview.read,hotline.timeline.read:*";

pub struct TestApp {
    pub env: TestEnv,
    pub sandbox: Sandbox,
    pub clock: ManualClock,
    pub hotline: Arc<Hotline>,
    pub grpc_url: String,
    pub web_url: String,
    pub admin_url: String,
    pub relay: Relay,
    pub consumer: Consumer<TimelineProjector>,
    /// The real ticketing-bridge's outbox (its `ticket_created` events reach the timeline).
    pub bridge_relay: Relay,
    pub faults: kit::fault::FaultPoints,
    stop: Option<oneshot::Sender<()>>,
    bridge_stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), kit::platform::PlatformError>>>,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(&[]).await
    }

    pub async fn spawn_with(extra: &[(&str, &str)]) -> TestApp {
        let env = TestEnv::new().await.unwrap();
        let sandbox = Sandbox::start(SandboxConfig::ephemeral()).await.unwrap();
        let admin = sandbox.client();
        admin.pgw_add_api_key(PgwEnv::Prod, PGW_KEY).await.unwrap();
        admin.pgw_add_api_key(PgwEnv::Test, "pgw-test-key-for-hotline-tests").await.unwrap();
        admin
            .smallinvoice_add_client(&SiClient {
                client_id: SI_CLIENT.into(),
                client_secret: SI_SECRET.into(),
                scopes: vec!["contact".into(), "invoice".into()],
            })
            .await
            .unwrap();
        admin.freshdesk_add_api_key(FRESHDESK_KEY).await.unwrap();
        let clock = ManualClock::new(admin.now().await.unwrap());
        let (ticketing_url, bridge_relay, bridge_stop) = start_bridge(&env, &sandbox, &clock).await;
        let pgw_url = format!("{}/api/v1", sandbox.url(System::Pgw));
        let si_url = format!("{}/v2", sandbox.url(System::Smallinvoice));
        let mut vars = env.service_env("hotline_api");
        let callers = format!("{}\n{CALLERS}", testkit::CALLERS);
        for (k, v) in [
            ("WEB_ADDR", "127.0.0.1:0"),
            ("PGW_BASE_URL", pgw_url.as_str()),
            ("PGW_API_KEY", PGW_KEY),
            ("PGW_TIMEOUT", "2s"),
            ("PGW_GENERATION_GRACE", "0s"),
            ("SMALLINVOICE_BASE_URL", si_url.as_str()),
            ("SMALLINVOICE_CLIENT_ID", SI_CLIENT),
            ("SMALLINVOICE_CLIENT_SECRET", SI_SECRET),
            ("TICKETING_URL", ticketing_url.as_str()),
            ("PASSWORD_HASH_MEMORY_KIB", "256"),
            ("PASSWORD_HASH_ITERATIONS", "1"),
            ("CALLERS", &callers),
            ("TICKETING_TOKEN", testkit::CALLER_TOKEN),
            ("PIXI_SYNC_DASHBOARD_URL", "http://pixi-sync.local:8151/bestellungen/{order_id}"),
            ("PIXI_SYNC_ERRORS_URL", "http://pixi-sync.local/errors/t-8f3a"),
        ] {
            vars.set(k, v);
        }
        for (k, v) in extra {
            vars.set(*k, *v);
        }
        let config = Config::from_env(&vars).unwrap();
        let mut app = App::build(config, clock.shared()).await.unwrap();
        app.run_workers = false;
        let consumer = app.consumer.take().unwrap();
        let relay = app.platform.relay();
        let faults = app.platform.faults.clone();
        let hotline = app.hotline.clone();
        hotline.auth.create_agent(ADMIN.0, "Ada Admin", Role::Admin, ADMIN.1).await.unwrap();
        hotline.auth.create_agent(AGENT.0, "Anna Agentin", Role::Standard, AGENT.1).await.unwrap();
        let grpc_url = format!("http://{}", app.grpc_addr());
        let web_url = format!("http://{}", app.web_addr());
        let admin_url = format!("http://{}", app.admin_addr());
        let (tx, rx) = oneshot::channel();
        let task = tokio::spawn(app.run_until(async move {
            let _ = rx.await;
        }));
        TestApp {
            env,
            sandbox,
            clock,
            hotline,
            grpc_url,
            web_url,
            admin_url,
            relay,
            consumer,
            bridge_relay,
            bridge_stop: Some(bridge_stop),
            faults,
            stop: Some(tx),
            task: Some(task),
        }
    }

    pub fn sandbox(&self) -> SandboxClient {
        self.sandbox.client()
    }

    pub async fn channel(&self) -> Channel {
        Channel::from_shared(self.grpc_url.clone()).unwrap().connect().await.unwrap()
    }

    /// A bearer token of `who` from AgentService.Login.
    pub async fn token(&self, who: (&str, &str)) -> String {
        let mut c = AgentServiceClient::new(self.channel().await);
        c.login(LoginRequest { username: who.0.into(), password: who.1.into() }).await.unwrap().into_inner().token
    }

    pub async fn hotline_client(&self) -> HotlineServiceClient<Channel> {
        HotlineServiceClient::new(self.channel().await)
    }

    pub async fn timeline_client(&self) -> TimelineServiceClient<Channel> {
        TimelineServiceClient::new(self.channel().await)
    }

    pub async fn agents_client(&self) -> AgentServiceClient<Channel> {
        AgentServiceClient::new(self.channel().await)
    }

    /// Publishes this service's and the bridge's outboxes and runs the timeline consumer
    /// until idle.
    pub async fn drain(&self) -> usize {
        self.relay.drain().await.unwrap();
        self.bridge_relay.drain().await.unwrap();
        self.consumer.drain().await.unwrap()
    }

    /// Every ticket the sandbox's Freshdesk holds.
    pub async fn freshdesk_tickets(&self) -> Vec<FreshdeskTicketView> {
        self.sandbox().freshdesk_tickets().await.unwrap().tickets
    }

    /// Seeds a device in PGW PROD.
    pub async fn device(&self, b_code: &str, internal_id: &str, hours: u32) {
        self.sandbox()
            .pgw_add_device(&PgwDevice {
                env: PgwEnv::Prod,
                b_code: b_code.into(),
                internal_id: internal_id.into(),
                sub_merchant: "Wohnbau Zürich AG".into(),
                location: "Hardstrasse 12, 8005 Zürich".into(),
                code_validity_hours: Some(hours),
            })
            .await
            .unwrap();
    }

    /// Seeds a completed payment in PGW PROD at `at`.
    pub async fn payment(&self, device: &str, mobile: &str, at: DateTime<Utc>, rappen: i64) -> TransactionView {
        self.sandbox()
            .pgw_add_transaction(&PgwTransaction {
                env: PgwEnv::Prod,
                id: None,
                twint_ref: None,
                device: device.into(),
                mobile: mobile.into(),
                at,
                amount_rappen: rappen,
                payment_method: None,
                status: None,
                code: None,
                valid_until: None,
            })
            .await
            .unwrap()
    }

    pub fn now(&self) -> DateTime<Utc> {
        use kit::clock::Clock;
        self.clock.now()
    }

    /// The local (Zurich) date of `t` as YYYY-MM-DD.
    pub fn local_date(t: DateTime<Utc>) -> String {
        t.with_timezone(&Zurich).format("%Y-%m-%d").to_string()
    }

    /// One maintenance pass (resolver, settling, pruning).
    pub async fn tick(&self) -> usize {
        let resolver = hotline_api::service::codes::resolver(
            self.hotline.journal.clone(),
            self.hotline.pgw.clone(),
            self.hotline.settings.generation_grace,
        );
        resolver.resolve_once().await.unwrap();
        self.hotline.settle_generations().await.unwrap()
    }

    /// A logged-in web session of `who`.
    pub async fn web(&self, who: (&str, &str)) -> Web {
        let http = reqwest::Client::new();
        let r = http
            .post(format!("{}/api/login", self.web_url))
            .json(&serde_json::json!({ "username": who.0, "password": who.1 }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "login of {}", who.0);
        let cookie = r.headers().get("set-cookie").unwrap().to_str().unwrap().to_owned();
        let body: Value = r.json().await.unwrap();
        let pair = cookie.split(';').next().unwrap().to_owned();
        Web {
            http,
            base: self.web_url.clone(),
            cookie: pair,
            set_cookie: cookie,
            csrf: body["csrf_token"].as_str().unwrap().to_owned(),
        }
    }

    /// Sends the shutdown signal and waits for a clean exit.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(tx) = self.bridge_stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.unwrap().unwrap();
        }
    }
}

/// A browser-like client of the page's API: session cookie plus CSRF header.
pub struct Web {
    pub http: reqwest::Client,
    pub base: String,
    pub cookie: String,
    pub set_cookie: String,
    pub csrf: String,
}

impl Web {
    pub async fn get(&self, path: &str) -> (u16, Value) {
        let r = self.http.get(format!("{}/api{path}", self.base)).header("cookie", &self.cookie).send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}/api{path}", self.base))
            .header("cookie", &self.cookie)
            .header("x-csrf-token", &self.csrf)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }
}

/// Field names of an INVALID_ARGUMENT status.
pub fn fields(status: &tonic::Status) -> Vec<String> {
    kit::grpc::status::field_violations(status).into_iter().map(|(f, _)| f).collect()
}

/// A request with a bearer token.
pub fn authed<T>(token: &str, message: T) -> tonic::Request<T> {
    let mut r = tonic::Request::new(message);
    r.metadata_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    r
}

/// Starts the real ticketing-bridge in-process against the sandbox's Freshdesk, on this test's
/// database (its own schema) and stream, with the same clock; returns its gRPC URL, its relay
/// and its stop switch. Its workers are not run: a ticket that could not be created at once
/// stays queued until a CreateTicket with the same request id finds it due.
async fn start_bridge(env: &TestEnv, sandbox: &Sandbox, clock: &ManualClock) -> (String, Relay, oneshot::Sender<()>) {
    let vars = env.service_env("ticketing_bridge");
    let config =
        ticketing_bridge::config::Config::for_tests(vars, &sandbox.url(System::Freshdesk), FRESHDESK_KEY).unwrap();
    let mut bridge = ticketing_bridge::app::App::build(config, clock.shared()).await.unwrap();
    bridge.run_workers = false;
    let relay = bridge.platform.relay();
    let url = format!("http://{}", bridge.grpc_addr());
    let (tx, rx) = oneshot::channel();
    tokio::spawn(bridge.run_until(async move {
        let _ = rx.await;
    }));
    (url, relay, tx)
}

/// A Freshdesk description (HTML paragraphs from the bridge) as plain text lines.
pub fn ticket_text(html: &str) -> String {
    html.replace("</p><p>", "\n\n")
        .replace("<br>", "\n")
        .replace("<p>", "")
        .replace("</p>", "")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}
