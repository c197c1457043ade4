//! The whole platform as processes: all five service binaries started as child processes,
//! wired to each other (hotline-api → ticketing-bridge), to one sandbox (the outside world),
//! to one database (a schema per service) and to one event stream.
//!
//! ```ignore
//! # async fn demo(sb: &sandbox::Sandbox, env: &testkit_like::Env) -> anyhow::Result<()> {
//! use stack::platform::{Platform, PlatformConfig, SandboxEndpoints, Service};
//! let config = PlatformConfig::new(SandboxEndpoints::of(sb), &env.db, &env.nats, "p.events", "P_EVENTS");
//! let mut p = Platform::start(config).await?;       // every service ready
//! let seeded = stack::platform::seed_demo(&p).await?; // tenants, terminals, merchants
//! p.kill(Service::PixiSync).await?;                   // SIGKILL
//! p.restart(Service::PixiSync).await?;                // same env and ports, waits until ready
//! let unclean = p.stop().await;                       // SIGTERM all, SIGKILL what lingers
//! # Ok(()) }
//! ```
//!
//! [`Platform::start`] first registers the configured partner accounts in the sandbox
//! ([`SandboxAccounts`]), then starts ticketing-bridge, invoice-checks, terminal-gateway,
//! pixi-sync and hotline-api (each waits for `/readyz`). Logs go to `<log_dir>/<binary>.out.log`
//! and `.err.log`. Calls to the services carry `authorization: Bearer <tokens.platform>`
//! ([`Platform::connect`]).

mod config;
mod env;
mod replica;
mod seed;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

pub use config::{
    ClockMode, PlatformConfig, PortPlan, PostFinanceAccount, Profile, SandboxAccounts, SandboxEndpoints, Tokens,
};
pub use env::{CREDENTIALS_KEY, PIXI_SYNC_SECRET_KEY};
pub use seed::{DemoSeed, PixiTenant, SeedOptions, seed_demo, seed_with};

use crate::process::ServiceProcess;

/// One of the five services.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Service {
    /// payops-pixi-sync.
    PixiSync,
    /// payops-terminal-gateway.
    TerminalGateway,
    /// payops-hotline-api.
    HotlineApi,
    /// payops-ticketing-bridge.
    TicketingBridge,
    /// payops-invoice-checks.
    InvoiceChecks,
}

impl Service {
    /// Every service, in start order (ticketing-bridge before hotline-api, which calls it).
    pub const ALL: [Service; 5] = [
        Service::TicketingBridge,
        Service::InvoiceChecks,
        Service::TerminalGateway,
        Service::PixiSync,
        Service::HotlineApi,
    ];

    /// Cargo package, e.g. `pixi-sync`.
    pub fn package(self) -> &'static str {
        match self {
            Service::PixiSync => "pixi-sync",
            Service::TerminalGateway => "terminal-gateway",
            Service::HotlineApi => "hotline-api",
            Service::TicketingBridge => "ticketing-bridge",
            Service::InvoiceChecks => "invoice-checks",
        }
    }

    /// Binary name, e.g. `payops-pixi-sync`.
    pub fn binary(self) -> String {
        format!("payops-{}", self.package())
    }

    /// Number of the documented ports (gRPC 5005n, admin 905n).
    pub fn number(self) -> u16 {
        match self {
            Service::PixiSync => 1,
            Service::TerminalGateway => 2,
            Service::HotlineApi => 3,
            Service::TicketingBridge => 4,
            Service::InvoiceChecks => 5,
        }
    }
}

/// Where one service answers.
#[derive(Debug, Clone)]
pub struct ServiceUrls {
    /// gRPC, e.g. `http://127.0.0.1:50051`.
    pub grpc: String,
    /// Admin (`/livez`, `/readyz`, `/metrics`).
    pub admin: String,
    /// pixi-sync's public HTTP (webhooks, error pages) or hotline-api's portal; `None` else.
    pub web: Option<String>,
    /// pixi-sync's console; `None` else.
    pub console: Option<String>,
}

/// A running platform. Dropping it SIGKILLs every process; [`Platform::stop`] stops them
/// gracefully.
pub struct Platform {
    /// What it was started with (tokens, accounts, sandbox endpoints).
    pub config: PlatformConfig,
    log_dir: PathBuf,
    urls: BTreeMap<Service, ServiceUrls>,
    processes: BTreeMap<Service, ServiceProcess>,
    /// The log directory is a temp directory of ours: removed on drop unless a test panics.
    owns_log_dir: bool,
}

impl Drop for Platform {
    fn drop(&mut self) {
        // The processes are SIGKILLed as their handles drop (kill_on_drop).
        if self.owns_log_dir && !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.log_dir);
        }
    }
}

fn urls_of(p: config::Ports) -> ServiceUrls {
    ServiceUrls {
        grpc: format!("http://127.0.0.1:{}", p.grpc),
        admin: format!("http://127.0.0.1:{}", p.admin),
        web: p.web.map(|w| format!("http://127.0.0.1:{w}")),
        console: p.console.map(|c| format!("http://127.0.0.1:{c}")),
    }
}

fn port_taken(e: &anyhow::Error) -> bool {
    let text = format!("{e:#}");
    text.contains("Address already in use") || text.contains("address already in use")
}

impl Platform {
    /// Registers the partner accounts in the sandbox, then starts every service and waits until
    /// each is ready.
    pub async fn start(config: PlatformConfig) -> anyhow::Result<Platform> {
        provision_sandbox(&config).await.context("registering the partner accounts in the sandbox")?;
        let owns_log_dir = config.log_dir.is_none();
        let log_dir = match &config.log_dir {
            Some(d) => d.clone(),
            None => crate::temp_dir("payops-platform")?,
        };
        let mut ports = BTreeMap::new();
        for s in Service::ALL {
            ports.insert(s, config::ports(config.ports, s)?);
        }
        if let Some(web) = ports.get(&Service::InvoiceChecks).and_then(|p| p.web) {
            point_postsale(&config, web)
                .await
                .context("pointing PostFinance's post-sale requests at invoice-checks")?;
        }
        let mut platform =
            Platform { config, log_dir, urls: BTreeMap::new(), processes: BTreeMap::new(), owns_log_dir };
        for s in Service::ALL {
            platform.urls.insert(s, urls_of(ports[&s]));
        }
        for s in Service::ALL {
            let mut attempt = 1;
            let process = loop {
                // hotline-api's environment names ticketing-bridge's port: build it now.
                let vars = env::service_env(&platform.config, s, &ports);
                match platform.launch(s, &vars, ports[&s]).await {
                    Ok(p) => break p,
                    // Another process took a port between the pick and the bind: pick again.
                    Err(e) if attempt < 4 && platform.config.ports == PortPlan::Free && port_taken(&e) => {
                        attempt += 1;
                        ports.insert(s, config::ports(PortPlan::Free, s)?);
                        platform.urls.insert(s, urls_of(ports[&s]));
                        if let (Service::InvoiceChecks, Some(web)) = (s, ports[&s].web) {
                            point_postsale(&platform.config, web).await?;
                        }
                    }
                    Err(e) => {
                        platform.owns_log_dir = false; // keep the logs the error points to
                        return Err(e);
                    }
                }
            };
            platform.processes.insert(s, process);
        }
        Ok(platform)
    }

    async fn launch(&self, s: Service, vars: &[(String, String)], p: config::Ports) -> anyhow::Result<ServiceProcess> {
        let mut process =
            ServiceProcess::start_with(s.package(), &s.binary(), vars, p.grpc, p.admin, &self.log_dir).await?;
        process.wait_ready(self.config.ready_timeout).await?;
        Ok(process)
    }

    /// Where `service` answers.
    pub fn urls(&self, service: Service) -> &ServiceUrls {
        &self.urls[&service]
    }

    /// The gRPC URL of `service`.
    pub fn grpc_url(&self, service: Service) -> &str {
        &self.urls[&service].grpc
    }

    /// The tokens the services were configured with.
    pub fn tokens(&self) -> &Tokens {
        &self.config.tokens
    }

    /// The directory holding every service's log files.
    pub fn log_dir(&self) -> &Path {
        &self.log_dir
    }

    /// The process of `service` (logs, pid, signals).
    pub fn process(&self, service: Service) -> &ServiceProcess {
        &self.processes[&service]
    }

    /// A gRPC channel to `service` that sends the platform's service token; wrap it in any
    /// generated client: `TenantServiceClient::new(p.connect(Service::PixiSync).await?)`.
    pub async fn connect(&self, service: Service) -> anyhow::Result<InterceptedService<Channel, Bearer>> {
        self.connect_as(service, &self.config.tokens.platform).await
    }

    /// Like [`Platform::connect`] with another bearer token (a manager, an agent session).
    pub async fn connect_as(
        &self,
        service: Service,
        token: &str,
    ) -> anyhow::Result<InterceptedService<Channel, Bearer>> {
        let channel = Channel::from_shared(self.grpc_url(service).to_owned())?
            .connect_timeout(Duration::from_secs(5))
            .connect()
            .await
            .with_context(|| format!("connecting to {}", service.binary()))?;
        Ok(InterceptedService::new(channel, Bearer::new(token)))
    }

    /// SIGKILLs `service` and waits until the process is gone.
    pub async fn kill(&mut self, service: Service) -> anyhow::Result<()> {
        let p = self.processes.get_mut(&service).context("unknown service")?;
        if p.is_running() {
            p.kill()?;
        }
        p.wait_exit().await?;
        Ok(())
    }

    /// Starts `service` again with the same environment and ports (SIGKILLing it first if it
    /// still runs) and waits until it is ready.
    pub async fn restart(&mut self, service: Service) -> anyhow::Result<()> {
        let limit = self.config.ready_timeout;
        let p = self.processes.get_mut(&service).context("unknown service")?;
        p.restart().await?;
        p.wait_ready(limit).await
    }

    /// SIGTERMs every service, waits up to 30 s for them to exit, SIGKILLs what is left.
    /// Returns the services that did not exit cleanly (code 0).
    pub async fn stop(mut self) -> Vec<Service> {
        self.stop_all().await
    }

    /// Like [`Platform::stop`] without giving the handle up (a killed service counts as
    /// unclean; [`Platform::restart`] starts any of them again).
    pub async fn stop_all(&mut self) -> Vec<Service> {
        let mut unclean = Vec::new();
        for p in self.processes.values_mut() {
            if p.is_running() {
                let _ = p.terminate();
            }
        }
        for (s, p) in &mut self.processes {
            match tokio::time::timeout(Duration::from_secs(30), p.wait_exit()).await {
                Ok(Ok(status)) if status.success() => {}
                Ok(_) => unclean.push(*s),
                Err(_) => {
                    let _ = p.kill();
                    let _ = p.wait_exit().await;
                    unclean.push(*s);
                }
            }
        }
        unclean
    }
}

/// Sends `authorization: Bearer <token>` with every call.
#[derive(Debug, Clone)]
pub struct Bearer(Option<tonic::metadata::MetadataValue<tonic::metadata::Ascii>>);

impl Bearer {
    /// A bearer interceptor; an empty or unusable token sends nothing.
    pub fn new(token: &str) -> Self {
        Bearer(if token.is_empty() { None } else { format!("Bearer {token}").parse().ok() })
    }
}

impl Interceptor for Bearer {
    fn call(&mut self, mut request: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(v) = &self.0 {
            request.metadata_mut().insert("authorization", v.clone());
        }
        Ok(request)
    }
}

/// Points every PostFinance account's post-sale request at invoice-checks' public port.
async fn point_postsale(config: &PlatformConfig, port: u16) -> anyhow::Result<()> {
    for pf in &config.accounts.postfinance {
        let url = format!("http://127.0.0.1:{port}/postfinance/{}/feedback", pf.tenant);
        config.sandbox.client().postfinance_add_merchant(&merchant(pf, Some(url))).await?;
    }
    Ok(())
}

/// Registers the accounts the services' environment names (idempotent).
async fn provision_sandbox(config: &PlatformConfig) -> anyhow::Result<()> {
    let sb = config.sandbox.client();
    let a = &config.accounts;
    sb.pgw_add_api_key(sandbox::pgw::Env::Prod, &a.pgw_api_key).await?;
    sb.smallinvoice_add_client(&sandbox::smallinvoice::SiClient {
        client_id: a.smallinvoice_client.0.clone(),
        client_secret: a.smallinvoice_client.1.clone(),
        scopes: vec!["contact".into(), "invoice".into()],
    })
    .await?;
    sb.freshdesk_add_api_key(&a.freshdesk_api_key).await?;
    for pf in &a.postfinance {
        sb.postfinance_add_merchant(&merchant(pf, None)).await?;
    }
    Ok(())
}

/// The sandbox account of `pf`: the same users and settle delay as the demo accounts, so
/// registering a demo account again changes nothing.
fn merchant(pf: &PostFinanceAccount, postsale_url: Option<String>) -> sandbox::postfinance::Merchant {
    sandbox::postfinance::Merchant {
        env: pf.env,
        pspid: pf.pspid.clone(),
        users: vec![
            sandbox::postfinance::User { userid: pf.user.0.clone(), pswd: pf.user.1.clone(), api: true },
            sandbox::postfinance::User { userid: "backoffice".into(), pswd: "Backoffice-Pass1".into(), api: false },
        ],
        sha_algorithm: sandbox::postfinance::ShaAlgorithm::Sha256,
        directlink_sha_in: pf.sha.0.clone(),
        ecom_sha_in: pf.sha.1.clone(),
        ecom_sha_out: pf.sha.2.clone(),
        allowed_ips: vec!["*".into()],
        partial_maintenance: true,
        multiple_maintenance: true,
        refunds_enabled: true,
        settle_delay_secs: Some(300),
        auth_validity_days: 7,
        postsale_url,
        postsale_retry_ms: 10_000,
    }
}
