//! The five services as real processes, wired together as in production: one database (a
//! schema each), one JetStream stream, hotline-api calling ticketing-bridge over gRPC, and the
//! in-process sandbox as every partner. Used by the metrics scrape (OP-04, OP-12) and the
//! end-to-end trace test (OP-05). Each service's environment is what its `src/config.rs` reads.

use std::collections::BTreeMap;
use std::time::Duration;

use sandbox::pgw::Env as PgwEnv;
use sandbox::postfinance::{Env as PfEnv, Merchant, ShaAlgorithm, User};
use sandbox::smallinvoice::SiClient;
use sandbox::{Sandbox, SandboxClient, SandboxConfig, System};
use stack::{ServiceProcess, free_port};
use testkit::TestEnv;

pub const PIXI_SECRET_KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
pub const CREDENTIALS_KEY: &str = "4242424242424242424242424242424242424242424242424242424242424242";
pub const PGW_KEY: &str = "pgw-prod-key-for-ops-tests";
pub const SI_CLIENT: &str = "ops-tests";
pub const SI_SECRET: &str = "ops-tests-client-secret";
pub const FRESHDESK_KEY: &str = "fd-ops-tests-key";
pub const ADMIN: (&str, &str) = ("admin", "admin-password-for-ops-1234");
pub const NETS_USER: &str = "hotel-user";
pub const NETS_PASSWORD: &str = "hotel-secret-pw";
pub const IC_SERVICE_TOKEN: &str = "ic-service-token-0123456789";
pub const IC_MANAGER_TOKEN: &str = "ic-manager-token-0123456789";
/// The SwissBilling tenant of invoice-checks (PostFinance TEST, SHA-256).
pub const SB_TENANT: &str = "shop-test";
pub const SB_PSPID: &str = "smarpayTEST";
pub const SB_USERID: &str = "payops-api";
pub const SB_PSWD: &str = "Api-Pass-1";
pub const SB_SHA: (&str, &str, &str) = ("DL-smarpayTEST!", "In-smarpayTEST!", "Out-smarpayTEST!");

/// The running platform.
pub struct Stack {
    /// The database and stream.
    pub env: TestEnv,
    pub sandbox: Sandbox,
    pub admin: SandboxClient,
    /// By service name (`pixi-sync`, …).
    pub services: BTreeMap<&'static str, ServiceProcess>,
}

fn pairs(list: &[(&str, String)]) -> Vec<(String, String)> {
    list.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect()
}

/// A quiet window (PX-22) far from now in any European zone, so pixi-sync works during the test.
fn quiet_window_elsewhere() -> String {
    use chrono::Timelike;
    let h = (chrono::Utc::now().hour() + 12) % 24;
    format!("{h:02}:00-{:02}:30", h)
}

impl Stack {
    /// Seeds the sandbox, starts the five services with `extra` added to every environment
    /// (e.g. `OTEL_EXPORTER_OTLP_ENDPOINT`, `RUST_LOG`) and waits until each is ready.
    pub async fn start(extra: &[(&str, &str)]) -> Stack {
        let env = TestEnv::new().await.unwrap();
        let sandbox = Sandbox::start(SandboxConfig::ephemeral()).await.unwrap();
        let admin = sandbox.client();
        seed(&admin).await;

        let mut common = vec![
            ("DATABASE_URL", env.database_url.clone()),
            ("NATS_URL", env.nats_url.clone()),
            ("EVENTS_PREFIX", env.prefix.clone()),
            ("EVENTS_STREAM", env.stream.clone()),
            ("SHUTDOWN_GRACE", "10s".to_owned()),
            ("CALLERS", testkit::CALLERS.to_owned()),
        ];
        common.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
        let with = |own: Vec<(&'static str, String)>| {
            let mut all = common.clone();
            all.extend(own);
            pairs(&all)
        };

        let bridge = ServiceProcess::start(
            "ticketing-bridge",
            "payops-ticketing-bridge",
            &with(vec![
                ("FRESHDESK_URL", sandbox.url(System::Freshdesk)),
                ("FRESHDESK_API_KEY", FRESHDESK_KEY.to_owned()),
                ("FRESHDESK_GROUPS", "hotline:43000000001,payments:43000000002,billing:43000000003".to_owned()),
                ("FRESHDESK_RATE_PER_MINUTE", "6000".to_owned()),
                ("FRESHDESK_CREATE_PER_MINUTE", "6000".to_owned()),
                ("FRESHDESK_BURST", "100".to_owned()),
                ("ATTENTION_GROUP", "payments".to_owned()),
                ("TICKETING_POLL", "100ms".to_owned()),
            ]),
        )
        .await
        .unwrap();
        let public = free_port().unwrap();
        let public_url = format!("http://127.0.0.1:{public}");
        let pixi = ServiceProcess::start(
            "pixi-sync",
            "payops-pixi-sync",
            &with(vec![
                ("PIXI_SYNC_SECRET_KEY", PIXI_SECRET_KEY.to_owned()),
                ("UNZER_SANDBOX_BASE_URL", sandbox.url(System::Unzer)),
                ("UNZER_PRODUCTION_BASE_URL", sandbox.url(System::Unzer)),
                ("PUBLIC_ADDR", format!("127.0.0.1:{public}")),
                ("PUBLIC_BASE_URL", public_url),
                ("CONSOLE_ADDR", "127.0.0.1:0".to_owned()),
                ("POLL_INTERVAL", "200ms".to_owned()),
                // A scheduled reconciliation soon after start (its gauge is on a dashboard).
                ("RECONCILE_INTERVAL", "2s".to_owned()),
                ("PIXI_QUIET_WINDOW", quiet_window_elsewhere()),
                ("PIXI_TIMEOUT", "5s".to_owned()),
                ("UNZER_TIMEOUT", "5s".to_owned()),
                ("SMTP_TIMEOUT", "5s".to_owned()),
            ]),
        )
        .await
        .unwrap();
        let terminal = ServiceProcess::start(
            "terminal-gateway",
            "payops-terminal-gateway",
            &with(vec![
                ("NETS_BASE_URL", sandbox.url(System::Nets)),
                ("CREDENTIALS_KEY", CREDENTIALS_KEY.to_owned()),
                ("SUPERVISOR_INTERVAL", "200ms".to_owned()),
            ]),
        )
        .await
        .unwrap();
        let hotline = ServiceProcess::start(
            "hotline-api",
            "payops-hotline-api",
            &with(vec![
                ("WEB_ADDR", format!("127.0.0.1:{}", free_port().unwrap())),
                ("PGW_BASE_URL", format!("{}/api/v1", sandbox.url(System::Pgw))),
                ("PGW_API_KEY", PGW_KEY.to_owned()),
                ("SMALLINVOICE_BASE_URL", format!("{}/v2", sandbox.url(System::Smallinvoice))),
                ("SMALLINVOICE_CLIENT_ID", SI_CLIENT.to_owned()),
                ("SMALLINVOICE_CLIENT_SECRET", SI_SECRET.to_owned()),
                ("TICKETING_URL", bridge.grpc_url.clone()),
                ("TICKETING_TOKEN", testkit::CALLER_TOKEN.to_owned()),
                ("BOOTSTRAP_ADMIN", ADMIN.0.to_owned()),
                ("BOOTSTRAP_ADMIN_PASSWORD", ADMIN.1.to_owned()),
                ("PASSWORD_HASH_MEMORY_KIB", "256".to_owned()),
                ("PASSWORD_HASH_ITERATIONS", "1".to_owned()),
            ]),
        )
        .await
        .unwrap();
        let pf = sandbox.url(System::Postfinance);
        let sb = "SWISSBILLING_SHOP_TEST";
        let invoice = ServiceProcess::start(
            "invoice-checks",
            "payops-invoice-checks",
            &with(vec![
                ("POSTFINANCE_TEST_URL", format!("{pf}/ncol/test/")),
                ("POSTFINANCE_PROD_URL", format!("{pf}/ncol/prod/")),
                ("PUBLIC_ADDR", format!("127.0.0.1:{}", free_port().unwrap())),
                ("SWISSBILLING_TENANTS", SB_TENANT.to_owned()),
                (leak(format!("{sb}_ENV")), "test".to_owned()),
                (leak(format!("{sb}_PSPID")), SB_PSPID.to_owned()),
                (leak(format!("{sb}_USERID")), SB_USERID.to_owned()),
                (leak(format!("{sb}_PSWD")), SB_PSWD.to_owned()),
                (leak(format!("{sb}_SHA_IN_DIRECTLINK")), SB_SHA.0.to_owned()),
                (leak(format!("{sb}_SHA_IN_ECOM")), SB_SHA.1.to_owned()),
                (leak(format!("{sb}_SHA_OUT")), SB_SHA.2.to_owned()),
                (leak(format!("{sb}_SHA_ALGORITHM")), "SHA-256".to_owned()),
                (leak(format!("{sb}_PARTIAL_MAINTENANCE")), "true".to_owned()),
                (leak(format!("{sb}_MULTIPLE_MAINTENANCE")), "true".to_owned()),
                (leak(format!("{sb}_REFUNDS")), "true".to_owned()),
                (
                    "CALLERS",
                    format!(
                        "{}\nshop:{IC_SERVICE_TOKEN}:swissbilling.*,manual.payments.pay,manual.payments.read:*\nmaria:{IC_MANAGER_TOKEN}:manual.*:*",
                        testkit::CALLERS
                    ),
                ),
            ]),
        )
        .await
        .unwrap();

        let mut services = BTreeMap::new();
        services.insert("ticketing-bridge", bridge);
        services.insert("pixi-sync", pixi);
        services.insert("terminal-gateway", terminal);
        services.insert("hotline-api", hotline);
        services.insert("invoice-checks", invoice);
        for p in services.values_mut() {
            p.wait_ready(Duration::from_secs(90)).await.unwrap();
        }
        Stack { env, sandbox, admin, services }
    }

    /// One service.
    pub fn svc(&self, name: &str) -> &ServiceProcess {
        &self.services[name]
    }

    /// Stops every service with SIGTERM; each must exit cleanly. Returns their stdout logs.
    pub async fn stop(self) -> BTreeMap<&'static str, String> {
        for p in self.services.values() {
            p.terminate().unwrap();
        }
        let mut logs = BTreeMap::new();
        for (name, p) in self.services {
            let (code, out, err) = p.wait().await.unwrap();
            assert_eq!(code, Some(0), "{name} stopped cleanly on SIGTERM; stderr:\n{err}");
            logs.insert(name, out);
        }
        logs
    }
}

/// Variable names built at run time live for the test's duration anyway.
fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// Accounts and keys the services log in with.
async fn seed(admin: &SandboxClient) {
    admin.pgw_add_api_key(PgwEnv::Prod, PGW_KEY).await.unwrap();
    admin
        .smallinvoice_add_client(&SiClient {
            client_id: SI_CLIENT.into(),
            client_secret: SI_SECRET.into(),
            scopes: vec!["contact".into(), "invoice".into()],
        })
        .await
        .unwrap();
    admin.freshdesk_add_api_key(FRESHDESK_KEY).await.unwrap();
    admin.nets_add_account(NETS_USER, NETS_PASSWORD).await.unwrap();
    admin
        .postfinance_add_merchant(&Merchant {
            env: PfEnv::Test,
            pspid: SB_PSPID.into(),
            users: vec![User { userid: SB_USERID.into(), pswd: SB_PSWD.into(), api: true }],
            sha_algorithm: ShaAlgorithm::Sha256,
            directlink_sha_in: SB_SHA.0.into(),
            ecom_sha_in: SB_SHA.1.into(),
            ecom_sha_out: SB_SHA.2.into(),
            allowed_ips: vec!["127.0.0.1".into(), "::1".into()],
            partial_maintenance: true,
            multiple_maintenance: true,
            refunds_enabled: true,
            settle_delay_secs: None,
            auth_validity_days: 7,
            postsale_url: None,
            postsale_retry_ms: 600_000,
        })
        .await
        .unwrap();
}
