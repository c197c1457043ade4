//! `TestApp::spawn()`: the real `App` on random ports with its own database and stream, the
//! in-process sandbox as PostFinance (a TEST and a PROD merchant), a manual Clock, and the
//! workers driven step by step (`resolve`, `refresh`, `expire`, `drain`).

use std::str::FromStr;

use kit::bus::Relay;
use kit::clock::ManualClock;
use kit::fault::FaultPoints;
use proto::payops::events::v1::Envelope;
use proto::payops::invoice_checks::v1 as pb;
use proto::payops::invoice_checks::v1::manual_payment_service_client::ManualPaymentServiceClient;
use proto::payops::invoice_checks::v1::swiss_billing_service_client::SwissBillingServiceClient;
use sandbox::postfinance::{Env as PfEnv, Merchant, ShaAlgorithm, User};
use sandbox::{Sandbox, SandboxConfig, System};
use sqlx::PgPool;
use testkit::TestEnv;
use tokio::sync::oneshot;
use tonic::metadata::MetadataValue;
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use invoice_checks::app::App;
use invoice_checks::config::Config;
use invoice_checks::service::manual::ManualPayments;
use invoice_checks::service::swissbilling::SwissBilling;

pub const SERVICE_TOKEN: &str = "service-token-0123456789";
pub const MANAGER_TOKEN: &str = "manager-token-0123456789";
pub const OTHER_MANAGER_TOKEN: &str = "manager-token-9876543210";
/// A manager bound to the manual-payment merchant `cash-desk` only (SE-03).
pub const DESK_TOKEN: &str = "desk-token-0123456789abcdef";
/// A manager bound to the manual-payment merchant `other-desk` only (SE-03).
pub const RIVAL_TOKEN: &str = "rival-token-0123456789abcdef";

/// A tenant as configured in the service and seeded in the sandbox.
#[derive(Clone, Copy)]
pub struct TenantSpec {
    pub name: &'static str,
    pub env: PfEnv,
    pub pspid: &'static str,
    pub algorithm: ShaAlgorithm,
    /// Account options as configured in the service.
    pub partial: bool,
    pub multiple: bool,
    pub refunds: bool,
    /// Refunds as the PostFinance account really has them.
    pub sandbox_refunds: bool,
}

pub const TEST_SHOP: TenantSpec = TenantSpec {
    name: "shop-test",
    env: PfEnv::Test,
    pspid: "smarpayTEST",
    algorithm: ShaAlgorithm::Sha256,
    partial: true,
    multiple: true,
    refunds: true,
    sandbox_refunds: true,
};

pub const PROD_SHOP: TenantSpec = TenantSpec {
    name: "shop-prod",
    env: PfEnv::Prod,
    pspid: "smarpay",
    algorithm: ShaAlgorithm::Sha512,
    partial: true,
    multiple: true,
    refunds: true,
    sandbox_refunds: true,
};

fn var(name: &str) -> String {
    name.to_ascii_uppercase().replace('-', "_")
}

pub fn passphrases(t: &TenantSpec) -> (String, String, String) {
    (format!("DL-{}!", t.pspid), format!("In-{}!", t.pspid), format!("Out-{}!", t.pspid))
}

/// The sandbox account of `t`, posting its post-sale requests to `postsale` (retried after
/// 200 ms in tests instead of 10 minutes).
pub fn merchant(t: &TenantSpec, postsale: Option<String>) -> Merchant {
    let (dl, ecom_in, ecom_out) = passphrases(t);
    Merchant {
        env: t.env,
        pspid: t.pspid.into(),
        users: vec![User { userid: "payops-api".into(), pswd: "Api-Pass-1".into(), api: true }],
        sha_algorithm: t.algorithm,
        directlink_sha_in: dl,
        ecom_sha_in: ecom_in,
        ecom_sha_out: ecom_out,
        allowed_ips: vec!["127.0.0.1".into(), "::1".into()],
        partial_maintenance: true,
        multiple_maintenance: true,
        refunds_enabled: t.sandbox_refunds,
        // Pending maintenance becomes final only when a test settles it.
        settle_delay_secs: None,
        auth_validity_days: 7,
        postsale_url: postsale,
        postsale_retry_ms: 200,
    }
}

/// The parts of one running `App`.
pub struct Running {
    pub grpc_url: String,
    pub admin_url: String,
    /// The public HTTP port (PostFinance's post-sale requests).
    pub public_url: String,
    pub relay: Relay,
    pub pool: PgPool,
    pub faults: FaultPoints,
    pub sb: SwissBilling,
    pub mp: ManualPayments,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), kit::platform::PlatformError>>>,
}

pub struct TestApp {
    pub env: TestEnv,
    pub sandbox: Sandbox,
    pub clock: ManualClock,
    pub tenants: Vec<TenantSpec>,
    extra: Vec<(String, String)>,
    workers: bool,
    pub run: Running,
}

impl std::ops::Deref for TestApp {
    type Target = Running;
    fn deref(&self) -> &Running {
        &self.run
    }
}

/// The PostFinance accounts of `tenants` as the service reads them (`SWISSBILLING_*`).
fn tenant_vars(tenants: &[TenantSpec]) -> Vec<(String, String)> {
    let mut out =
        vec![("SWISSBILLING_TENANTS".to_owned(), tenants.iter().map(|t| t.name).collect::<Vec<_>>().join(","))];
    for t in tenants {
        let p = format!("SWISSBILLING_{}", var(t.name));
        let (dl, ecom_in, ecom_out) = passphrases(t);
        let alg = match t.algorithm {
            ShaAlgorithm::Sha1 => "SHA-1",
            ShaAlgorithm::Sha256 => "SHA-256",
            ShaAlgorithm::Sha512 => "SHA-512",
        };
        for (k, v) in [
            ("ENV", if t.env == PfEnv::Test { "test" } else { "prod" }.to_owned()),
            ("PSPID", t.pspid.to_owned()),
            ("USERID", "payops-api".to_owned()),
            ("PSWD", "Api-Pass-1".to_owned()),
            ("SHA_IN_DIRECTLINK", dl),
            ("SHA_IN_ECOM", ecom_in),
            ("SHA_OUT", ecom_out),
            ("SHA_ALGORITHM", alg.to_owned()),
            ("PARTIAL_MAINTENANCE", t.partial.to_string()),
            ("MULTIPLE_MAINTENANCE", t.multiple.to_string()),
            ("REFUNDS", t.refunds.to_string()),
        ] {
            out.push((format!("{p}_{k}"), v));
        }
    }
    out
}

/// The variables the `preflight` sub-command needs for `app`'s tenants and sandbox.
pub fn service_env_for(app: &TestApp) -> Vec<(String, String)> {
    let pf = app.sandbox.url(System::Postfinance);
    let mut v: Vec<(String, String)> = ["DATABASE_URL", "NATS_URL"]
        .into_iter()
        .filter_map(|k| std::env::var(k).ok().map(|val| (k.to_owned(), val)))
        .collect();
    v.push(("CALLERS".into(), testkit::CALLERS.into()));
    v.push(("POSTFINANCE_TEST_URL".into(), format!("{pf}/ncol/test/")));
    v.push(("POSTFINANCE_PROD_URL".into(), format!("{pf}/ncol/prod/")));
    v.extend(tenant_vars(&app.tenants));
    v
}

/// The service's environment variables for this test.
fn service_env(
    env: &TestEnv,
    sandbox: &Sandbox,
    tenants: &[TenantSpec],
    extra: &[(String, String)],
) -> kit::config::Env {
    let mut e = env.service_env("invoice_checks");
    let pf = sandbox.url(System::Postfinance);
    e.set("POSTFINANCE_TEST_URL", format!("{pf}/ncol/test/"));
    e.set("POSTFINANCE_PROD_URL", format!("{pf}/ncol/prod/"));
    e.set("POSTFINANCE_TIMEOUT", "5s");
    e.set("SWISSBILLING_RESOLVE_AFTER", "0s");
    e.set("PUBLIC_ADDR", "127.0.0.1:0");
    for (k, v) in tenant_vars(tenants) {
        e.set(k, v);
    }
    // The shop checks, pays and maintains SwissBilling orders and offers manual payment; the
    // managers maria and peter work on manual payments; desk and rival are managers bound to
    // one manual-payment merchant each.
    let shop = "swissbilling.*,manual.merchants.read,manual.offers.read,manual.payments.pay,manual.payments.read";
    e.set(
        "CALLERS",
        format!(
            "{}\nshop:{SERVICE_TOKEN}:{shop}:*\nmaria:{MANAGER_TOKEN}:manual.*:*\npeter:{OTHER_MANAGER_TOKEN}:manual.*:*\n\
             desk:{DESK_TOKEN}:manual.*:cash-desk\nrival:{RIVAL_TOKEN}:manual.*:other-desk",
            testkit::CALLERS
        ),
    );
    for (k, v) in extra {
        e.set(k.clone(), v.clone());
    }
    e
}

/// Builds and starts an `App`, with its workers and relay only when `workers`.
async fn start(env: kit::config::Env, clock: &ManualClock, workers: bool) -> Running {
    let config = Config::from_env(&env).unwrap();
    let mut app = App::build(config, clock.shared()).await.unwrap();
    app.run_workers = workers;
    let (tx, rx) = oneshot::channel();
    let mut run = Running {
        grpc_url: format!("http://{}", app.grpc_addr()),
        admin_url: format!("http://{}", app.admin_addr()),
        public_url: format!("http://{}", app.public_addr()),
        relay: app.platform.relay(),
        pool: app.platform.pool.clone(),
        faults: app.platform.faults.clone(),
        sb: app.swissbilling.clone(),
        mp: app.manual.clone(),
        stop: Some(tx),
        task: None,
    };
    run.task = Some(tokio::spawn(app.run_until(async move {
        let _ = rx.await;
    })));
    run
}

impl Running {
    async fn shutdown(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.unwrap().unwrap();
        }
    }
}

impl TestApp {
    /// A fresh sandbox, database and stream with the TEST and the PROD shop, and the service
    /// running on them (its workers driven by the test).
    pub async fn spawn() -> TestApp {
        Self::spawn_with(&[]).await
    }

    /// Like [`TestApp::spawn`] with `extra` added to the service's environment.
    pub async fn spawn_with(extra: &[(&str, &str)]) -> TestApp {
        Self::with(vec![TEST_SHOP, PROD_SHOP], extra.to_vec()).await
    }

    /// Like [`TestApp::spawn_with`] with other tenants than the TEST and the PROD shop.
    pub async fn with(tenants: Vec<TenantSpec>, extra: Vec<(&str, &str)>) -> TestApp {
        Self::with_workers(tenants, extra, false).await
    }

    /// Like [`TestApp::with`]; `workers` runs the relay and the workers as in production.
    pub async fn with_workers(tenants: Vec<TenantSpec>, extra: Vec<(&str, &str)>, workers: bool) -> TestApp {
        let env = TestEnv::new().await.unwrap();
        let sandbox = Sandbox::start(SandboxConfig::ephemeral()).await.unwrap();
        for t in &tenants {
            sandbox.client().postfinance_add_merchant(&merchant(t, None)).await.unwrap();
        }
        let extra: Vec<(String, String)> = extra.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
        let clock = ManualClock::at_default();
        let run = start(service_env(&env, &sandbox, &tenants, &extra), &clock, workers).await;
        let app = TestApp { env, sandbox, clock, tenants, extra, workers, run };
        app.point_postsale().await;
        app
    }

    /// Configures each account's post-sale URL (the back office's "Direct HTTP server-to-server
    /// request") to this app's public port.
    pub async fn point_postsale(&self) {
        for t in &self.tenants {
            let url = format!("{}/postfinance/{}/feedback", self.public_url, t.name);
            self.sandbox.client().postfinance_add_merchant(&merchant(t, Some(url))).await.unwrap();
        }
    }

    /// Starts a fresh `App` on the same database while the old one is left as it is (the old
    /// process "died": its in-flight work is abandoned).
    pub async fn replace(&mut self) {
        let fresh =
            start(service_env(&self.env, &self.sandbox, &self.tenants, &self.extra), &self.clock, self.workers).await;
        let mut old = std::mem::replace(&mut self.run, fresh);
        old.shutdown().await;
        self.point_postsale().await;
    }

    pub async fn stop(mut self) {
        self.run.shutdown().await;
    }

    async fn channel(&self) -> Channel {
        Channel::from_shared(self.grpc_url.clone()).unwrap().connect().await.unwrap()
    }

    pub async fn sb_client(&self) -> SwissBillingServiceClient<InterceptedService<Channel, Bearer>> {
        SwissBillingServiceClient::with_interceptor(self.channel().await, Bearer::new(Some(SERVICE_TOKEN)))
    }

    pub async fn mp_client(
        &self,
        token: Option<&str>,
    ) -> ManualPaymentServiceClient<InterceptedService<Channel, Bearer>> {
        ManualPaymentServiceClient::with_interceptor(self.channel().await, Bearer::new(token))
    }

    /// Every post-sale request of the sandbox is lost on its way from now on (tests of the
    /// browser return alone, and of an order whose feedback never arrives).
    pub async fn lose_postsale(&self) {
        let lost = sandbox::FaultSpec {
            fail_before_per_mille: 1000,
            ..sandbox::FaultSpec::new(System::Postfinance, "postsale")
        };
        self.sandbox.client().add_fault(&lost).await.unwrap();
    }

    /// Event types of `order_id` in the outbox, oldest first.
    pub async fn events(&self, order_id: &str) -> Vec<String> {
        sqlx::query_scalar("SELECT event_type FROM outbox WHERE order_id = $1 ORDER BY seq")
            .bind(order_id)
            .fetch_all(&self.pool)
            .await
            .unwrap()
    }

    /// Envelopes of `order_id` of `event_type`, oldest first.
    pub async fn envelopes(&self, order_id: &str, event_type: &str) -> Vec<Envelope> {
        let rows: Vec<Vec<u8>> =
            sqlx::query_scalar("SELECT envelope FROM outbox WHERE order_id = $1 AND event_type = $2 ORDER BY seq")
                .bind(order_id)
                .bind(event_type)
                .fetch_all(&self.pool)
                .await
                .unwrap();
        rows.iter().map(|b| kit::bus::event::decode_envelope(b).unwrap()).collect()
    }

    /// Every maintenance request that reached the sandbox, as (path, form body).
    pub async fn maintenance_requests(&self) -> Vec<(String, String)> {
        self.sandbox
            .client()
            .requests(Some(System::Postfinance))
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.path.ends_with("maintenancedirect.asp"))
            .map(|r| (r.path, r.body))
            .collect()
    }
}

/// Adds the bearer token.
#[derive(Clone)]
pub struct Bearer(Option<MetadataValue<tonic::metadata::Ascii>>);

impl Bearer {
    pub fn new(token: Option<&str>) -> Self {
        Bearer(token.map(|t| MetadataValue::from_str(&format!("Bearer {t}")).unwrap()))
    }
}

impl Interceptor for Bearer {
    fn call(&mut self, mut req: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(v) = &self.0 {
            req.metadata_mut().insert("authorization", v.clone());
        }
        Ok(req)
    }
}

/// A pb::Money in CHF.
pub fn chf(minor: i64) -> proto::payops::common::v1::Money {
    proto::payops::common::v1::Money { amount_minor: minor, currency: "CHF".into() }
}

#[allow(dead_code, reason = "kept next to the other builders")]
pub fn money(minor: i64, currency: &str) -> proto::payops::common::v1::Money {
    proto::payops::common::v1::Money { amount_minor: minor, currency: currency.into() }
}

#[allow(dead_code, reason = "shared by test modules")]
pub fn state(s: pb::ManualPaymentState) -> i32 {
    s as i32
}
