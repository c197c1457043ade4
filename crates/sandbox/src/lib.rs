//! `payops-sandbox`: stateful, wire-faithful simulators of every external system payops talks
//! to, with faults on demand — what stripe-mock is to Stripe users, but stateful and able to
//! misbehave on purpose (`docs/rules/SB.md`, rules SB-01 … SB-08).
//!
//! One program, one port per system plus an admin port (SB-01). Start it in-process on random
//! ports with [`Sandbox::start`] (SB-07) or standalone with `cargo run -p sandbox`, which
//! listens on base port 7000 (admin) and 7001… (systems) and loads the demo data (SB-08).
//!
//! | system | port offset | module | real documentation it follows |
//! |---|---|---|---|
//! | pixi SOAP | +1 | [`pixi`] | <https://pixi-api-docs.de/api/> (calls not public there: contract in the module docs) |
//! | unzer REST + webhooks | +2 | [`unzer`] | <https://docs.unzer.com/server-side-integration/> |
//! | Nets Connect@Cloud | +3 | [`nets`] | no public spec; integrators' code (NaviPartner `npcore-partners`) |
//! | PGW | +4 | [`pgw`] | ours: `crates/sandbox/openapi/pgw.yaml` |
//! | smallinvoice v2 | +5 | [`smallinvoice`] | <https://api.smallinvoice.com/v2/doc/> |
//! | Freshdesk v2 | +6 | [`freshdesk`] | <https://developers.freshdesk.com/api/> |
//! | PostFinance e-payment + DirectLink | +7 | [`postfinance`] | PostFinance DirectLink guide v4.3.3, e-Commerce guide |
//! | SMTP sink | +8 | [`smtp`] | RFC 5321 (subset, no STARTTLS) |
//!
//! Each system module's docs table every endpoint it simulates with the real documentation
//! link, its fault operation names, its admin routes and the contract chosen where the real one
//! is not public.
//! The admin API is in [`admin`]; [`client::SandboxClient`] is its typed Rust client.

pub mod admin;
pub mod client;
pub mod clock;
pub mod contracts;
pub mod faults;
pub mod log;
pub mod shared;
pub mod system;

pub mod freshdesk;
pub mod nets;
pub mod pgw;
pub mod pixi;
pub mod postfinance;
pub mod smallinvoice;
pub mod smtp;
pub mod unzer;

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::Router;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use client::SandboxClient;
pub use faults::{FailMode, FaultSpec};
pub use shared::Shared;
pub use system::System;

/// Where and how to run.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Interface to bind.
    pub host: IpAddr,
    /// Admin API port (0 = any free port).
    pub admin_port: u16,
    /// Port per system (missing or 0 = any free port).
    pub ports: BTreeMap<System, u16>,
    /// Seed for faults and generated data.
    pub seed: u64,
    /// Load the demo data (SB-08).
    pub demo: bool,
}

impl SandboxConfig {
    /// Random free ports on 127.0.0.1, seed 42, no demo data (tests).
    pub fn ephemeral() -> Self {
        SandboxConfig {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            admin_port: 0,
            ports: BTreeMap::new(),
            seed: 42,
            demo: false,
        }
    }

    /// Fixed ports from `base` (admin) and `base + offset` per system, with demo data.
    pub fn standalone(host: IpAddr, base: u16, seed: u64) -> Self {
        let ports = System::ALL.into_iter().map(|s| (s, base + s.port_offset())).collect();
        SandboxConfig { host, admin_port: base, ports, seed, demo: true }
    }
}

/// A running sandbox. Dropping it stops every listener.
pub struct Sandbox {
    /// The shared state (for in-process inspection).
    pub shared: Shared,
    admin_addr: SocketAddr,
    addrs: BTreeMap<System, SocketAddr>,
    token: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
}

impl Sandbox {
    /// Binds every listener, loads demo data if asked, and starts serving.
    pub async fn start(config: SandboxConfig) -> std::io::Result<Sandbox> {
        let token = CancellationToken::new();
        let shared = Shared::new(config.seed, token.clone());
        let mut listeners = BTreeMap::new();
        for system in System::ALL {
            let port = config.ports.get(&system).copied().unwrap_or(0);
            let l = TcpListener::bind(SocketAddr::new(config.host, port)).await?;
            listeners.insert(system, l);
        }
        let admin_listener = TcpListener::bind(SocketAddr::new(config.host, config.admin_port)).await?;
        let mut addrs = BTreeMap::new();
        for (s, l) in &listeners {
            addrs.insert(*s, l.local_addr()?);
        }
        let urls = addrs
            .iter()
            .map(|(s, a)| (*s, if *s == System::Smtp { format!("smtp://{a}") } else { format!("http://{a}") }))
            .collect();
        let _ = shared.0.urls.set(urls);
        if config.demo {
            load_demo(&shared);
        }

        let mut tasks = Vec::new();
        for (system, listener) in listeners {
            let task = if system == System::Smtp {
                tokio::spawn(smtp::serve(listener, shared.clone()))
            } else {
                let router = system_router(system, shared.clone());
                tokio::spawn(serve_http(listener, router, token.clone()))
            };
            tasks.push(task);
        }
        let admin_addr = admin_listener.local_addr()?;
        tasks.push(tokio::spawn(serve_http(admin_listener, admin::router(shared.clone()), token.clone())));
        unzer::start_webhook_sender(&shared);
        nets::start_terminal_actors(&shared);
        Ok(Sandbox { shared, admin_addr, addrs, token, tasks })
    }

    /// Base URL of a system (`http://…`, or `smtp://host:port` for the sink).
    pub fn url(&self, system: System) -> String {
        self.shared.url(system)
    }

    /// Socket address of a system.
    pub fn addr(&self, system: System) -> SocketAddr {
        self.addrs[&system]
    }

    /// Base URL of the admin API.
    pub fn admin_url(&self) -> String {
        format!("http://{}", self.admin_addr)
    }

    /// A typed admin client.
    pub fn client(&self) -> SandboxClient {
        SandboxClient::new(&self.admin_url())
    }

    /// Stops every listener and waits for them.
    pub async fn stop(mut self) {
        self.token.cancel();
        for t in self.tasks.drain(..) {
            let _ = t.await;
        }
    }

    /// Resolves when the sandbox is stopped from elsewhere.
    pub async fn stopped(&self) {
        self.token.cancelled().await;
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.token.cancel();
    }
}

fn system_router(system: System, shared: Shared) -> Router {
    let router = match system {
        System::Pixi => pixi::router(shared.clone()),
        System::Unzer => unzer::router(shared.clone()),
        System::Nets => nets::router(shared.clone()),
        System::Pgw => pgw::router(shared.clone()),
        System::Smallinvoice => smallinvoice::router(shared.clone()),
        System::Freshdesk => freshdesk::router(shared.clone()),
        System::Postfinance => postfinance::router(shared.clone()),
        System::Smtp => Router::new(),
    };
    router.layer(axum::middleware::from_fn(move |req, next| log::record(shared.clone(), system, req, next)))
}

fn load_demo(shared: &Shared) {
    pixi::demo(shared);
    unzer::demo(shared);
    nets::demo(shared);
    pgw::demo(shared);
    smallinvoice::demo(shared);
    freshdesk::demo(shared);
    postfinance::demo(shared);
}

async fn serve_http(listener: TcpListener, router: Router, token: CancellationToken) {
    // Connect info lets simulators see the caller's address (PostFinance checks allow-listed IPs).
    let service = router.into_make_service_with_connect_info::<SocketAddr>();
    let result = axum::serve(listener, service).with_graceful_shutdown(token.cancelled_owned()).await;
    if let Err(e) = result {
        tracing::error!(error = %e, "sandbox listener failed");
    }
}
