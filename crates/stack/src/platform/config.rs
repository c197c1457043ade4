//! What a platform is started with: where the sandbox, Postgres and NATS are, the accounts the
//! services use at the sandbox's simulated partners, the bearer tokens wired between the
//! services, and the environment each service binary gets from that.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use sandbox::{SandboxClient, System};

use super::Service;

/// Base URLs of a running sandbox (in-process or the standalone `payops-sandbox`).
#[derive(Debug, Clone)]
pub struct SandboxEndpoints {
    /// Admin API, e.g. `http://127.0.0.1:7000`.
    pub admin_url: String,
    /// Base URL per simulated system (`smtp://host:port` for the SMTP sink).
    pub urls: BTreeMap<System, String>,
}

impl SandboxEndpoints {
    /// The endpoints of an in-process sandbox.
    pub fn of(sandbox: &sandbox::Sandbox) -> Self {
        let urls = System::ALL.into_iter().map(|s| (s, sandbox.url(s))).collect();
        SandboxEndpoints { admin_url: sandbox.admin_url(), urls }
    }

    /// Asks a running sandbox for its system URLs (`GET /admin/urls`).
    pub async fn discover(admin_url: &str) -> anyhow::Result<Self> {
        let urls = SandboxClient::new(admin_url).urls().await?;
        Ok(SandboxEndpoints { admin_url: admin_url.trim_end_matches('/').to_owned(), urls })
    }

    /// The base URL of `system`.
    pub fn url(&self, system: System) -> String {
        self.urls.get(&system).cloned().unwrap_or_default()
    }

    /// The typed admin client.
    pub fn client(&self) -> SandboxClient {
        SandboxClient::new(&self.admin_url)
    }
}

/// The accounts at the simulated partners that the services are configured with through
/// their environment. [`super::Platform::start`] registers them in the sandbox first (adding
/// an account that exists already changes nothing). The defaults are the sandbox demo
/// accounts, so a platform on a sandbox with demo data sees the demo records.
#[derive(Debug, Clone)]
pub struct SandboxAccounts {
    /// PGW PROD `X-API-Key` (hotline-api).
    pub pgw_api_key: String,
    /// smallinvoice OAuth client (hotline-api).
    pub smallinvoice_client: (String, String),
    /// Freshdesk API key (ticketing-bridge).
    pub freshdesk_api_key: String,
    /// PostFinance accounts, one SwissBilling tenant each (invoice-checks).
    pub postfinance: Vec<PostFinanceAccount>,
}

/// A PostFinance account as invoice-checks' `SWISSBILLING_<TENANT>_*` variables describe it.
#[derive(Debug, Clone)]
pub struct PostFinanceAccount {
    /// Tenant name in invoice-checks (`SWISSBILLING_TENANTS`), e.g. `smarpay-test`.
    pub tenant: String,
    /// PostFinance environment.
    pub env: sandbox::postfinance::Env,
    /// `PSPID`.
    pub pspid: String,
    /// API user and password.
    pub user: (String, String),
    /// DirectLink SHA-IN, e-Commerce SHA-IN and SHA-OUT passphrases (SHA-256).
    pub sha: (String, String, String),
}

impl Default for SandboxAccounts {
    fn default() -> Self {
        let postfinance = sandbox::postfinance::demo::ACCOUNTS
            .iter()
            .map(|(env, pspid, user, pswd, dl, ecom_in, ecom_out)| PostFinanceAccount {
                tenant: if *env == sandbox::postfinance::Env::Test { "smarpay-test" } else { "smarpay" }.to_owned(),
                env: *env,
                pspid: (*pspid).to_owned(),
                user: ((*user).to_owned(), (*pswd).to_owned()),
                sha: ((*dl).to_owned(), (*ecom_in).to_owned(), (*ecom_out).to_owned()),
            })
            .collect();
        SandboxAccounts {
            pgw_api_key: sandbox::pgw::demo::PROD_KEY.to_owned(),
            smallinvoice_client: (
                sandbox::smallinvoice::demo::CLIENT_ID.to_owned(),
                sandbox::smallinvoice::demo::CLIENT_SECRET.to_owned(),
            ),
            freshdesk_api_key: sandbox::freshdesk::DEMO_API_KEY.to_owned(),
            postfinance,
        }
    }
}

/// Bearer tokens and logins the platform configures. Every service accepts `platform` (tests,
/// seeding, tools) as a service caller; ticketing-bridge also accepts `hotline`, the token
/// hotline-api calls it with; invoice-checks accepts `manager` as a manager; hotline-api
/// creates `admin` at start-up.
#[derive(Debug, Clone)]
pub struct Tokens {
    /// Service token every service accepts (caller name `platform`).
    pub platform: String,
    /// hotline-api's token at ticketing-bridge (caller name `hotline-api`).
    pub hotline: String,
    /// invoice-checks manager token (manager name `manager`).
    pub manager: String,
    /// A credential every service knows that holds no permission (caller `outsider`).
    pub outsider: String,
    /// A credential with every permission for a tenant that does not exist (caller `elsewhere`).
    pub elsewhere: String,
    /// hotline-api bootstrap admin (user name, password).
    pub admin: (String, String),
}

impl Tokens {
    /// Fresh random tokens.
    pub fn generate() -> Self {
        Tokens {
            platform: random_token("platform"),
            hotline: random_token("hotline"),
            manager: random_token("manager"),
            outsider: random_token("outsider"),
            elsewhere: random_token("elsewhere"),
            admin: ("admin".to_owned(), random_token("admin")),
        }
    }
}

fn random_token(prefix: &str) -> String {
    use rand::Rng;
    let n: u128 = rand::rng().random();
    format!("{prefix}-{n:032x}")
}

/// How the service processes tell time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockMode {
    /// The machine's clock.
    System,
    /// The sandbox's simulated time (SB-06), so moving the sandbox clock moves every service's
    /// clock (`CLOCK_SOURCE=sandbox:<admin url>`, test-only; see `kit::clock`).
    FollowSandbox,
}

/// Which ports the services listen on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortPlan {
    /// Free ports picked at start (tests; several platforms side by side).
    Free,
    /// The documented defaults: gRPC 50051…50055, admin 9051…9055, pixi-sync public 8051 and
    /// console 8151, hotline-api web 8053 (`make up`).
    Standard,
}

/// Intervals and timeouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// Short polls, leases and escalation times so flows complete within seconds; small pools
    /// so several platforms share one Postgres.
    Test,
    /// The services' own defaults (`make up`, `make demo`).
    Standard,
}

/// Everything [`super::Platform::start`] needs.
#[derive(Debug, Clone)]
pub struct PlatformConfig {
    /// The outside world.
    pub sandbox: SandboxEndpoints,
    /// One database for all services (each uses its own schema).
    pub database_url: String,
    /// NATS.
    pub nats_url: String,
    /// Subject prefix shared by every service, e.g. `payops.events`.
    pub events_prefix: String,
    /// Stream shared by every service, e.g. `PAYOPS_EVENTS`.
    pub events_stream: String,
    /// Where the services' logs go (`None`: a fresh temp directory).
    pub log_dir: Option<PathBuf>,
    /// Clock of the services.
    pub clock: ClockMode,
    /// Ports.
    pub ports: PortPlan,
    /// Intervals.
    pub profile: Profile,
    /// Accounts at the partners.
    pub accounts: SandboxAccounts,
    /// Tokens wired between the services.
    pub tokens: Tokens,
    /// Extra variables per service; they win over the platform's own.
    pub extra_env: Vec<(Service, String, String)>,
    /// How long each service may take to report ready.
    pub ready_timeout: Duration,
}

impl PlatformConfig {
    /// Test profile, free ports, the system clock, fresh tokens, the demo accounts.
    pub fn new(sandbox: SandboxEndpoints, database_url: &str, nats_url: &str, prefix: &str, stream: &str) -> Self {
        PlatformConfig {
            sandbox,
            database_url: database_url.to_owned(),
            nats_url: nats_url.to_owned(),
            events_prefix: prefix.to_owned(),
            events_stream: stream.to_owned(),
            log_dir: None,
            clock: ClockMode::System,
            ports: PortPlan::Free,
            profile: Profile::Test,
            accounts: SandboxAccounts::default(),
            tokens: Tokens::generate(),
            extra_env: Vec::new(),
            ready_timeout: Duration::from_secs(90),
        }
    }

    /// Sets an extra variable of one service (wins over the platform's own).
    pub fn with_env(mut self, service: Service, name: &str, value: &str) -> Self {
        self.extra_env.push((service, name.to_owned(), value.to_owned()));
        self
    }

    /// Sets an extra variable of every service (e.g. `OTEL_EXPORTER_OTLP_ENDPOINT`, `RUST_LOG`);
    /// like [`PlatformConfig::with_env`] for each of [`Service::ALL`].
    pub fn with_env_all(self, name: &str, value: &str) -> Self {
        Service::ALL.into_iter().fold(self, |config, service| config.with_env(service, name, value))
    }

    /// The services follow the sandbox clock.
    pub fn follow_sandbox_clock(mut self) -> Self {
        self.clock = ClockMode::FollowSandbox;
        self
    }
}

/// The ports of one service.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ports {
    pub grpc: u16,
    pub admin: u16,
    /// pixi-sync's and invoice-checks' public HTTP port or hotline-api's web port.
    pub web: Option<u16>,
    /// pixi-sync's console.
    pub console: Option<u16>,
}

pub(crate) fn ports(plan: PortPlan, service: Service) -> anyhow::Result<Ports> {
    let has_web = matches!(service, Service::PixiSync | Service::HotlineApi | Service::InvoiceChecks);
    Ok(match plan {
        PortPlan::Free => Ports {
            grpc: crate::free_port()?,
            admin: crate::free_port()?,
            web: if has_web { Some(crate::free_port()?) } else { None },
            console: if service == Service::PixiSync { Some(crate::free_port()?) } else { None },
        },
        PortPlan::Standard => {
            let n = service.number();
            let console = (service == Service::PixiSync).then_some(8151);
            Ports { grpc: 50050 + n, admin: 9050 + n, web: has_web.then_some(8050 + n), console }
        }
    })
}
