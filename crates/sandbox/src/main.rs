//! `payops-sandbox`: starts every simulator with demo data and prints where each listens.
//! `payops-sandbox contracts [--write]` prints (and writes) the contract-case table instead.
//! `SANDBOX_HOST` (default 127.0.0.1), `SANDBOX_BASE_PORT` (default 7000: admin; systems on
//! 7001…7008), `SANDBOX_SEED` (default 42), `SANDBOX_DEMO` (default 1).

/// mimalloc, as in every payops binary: glibc malloc spent a fifth of the timeline bench's CPU
/// in malloc/free and their arena locks (docs/benchmarks.md).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::net::IpAddr;

use anyhow::Context;
use sandbox::{Sandbox, SandboxConfig, System};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    if std::env::args().nth(1).as_deref() == Some("contracts") {
        return contracts(std::env::args().nth(2).as_deref() == Some("--write"));
    }
    tracing_subscriber::fmt().with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into())).init();
    let host: IpAddr = env_or("SANDBOX_HOST", "127.0.0.1").parse().context("SANDBOX_HOST: expected an IP address")?;
    let base: u16 = env_or("SANDBOX_BASE_PORT", "7000").parse().context("SANDBOX_BASE_PORT: expected a port")?;
    let seed: u64 = env_or("SANDBOX_SEED", "42").parse().context("SANDBOX_SEED: expected an integer")?;
    let demo = env_or("SANDBOX_DEMO", "1") != "0";
    let mut config = SandboxConfig::standalone(host, base, seed);
    config.demo = demo;
    let sandbox = Sandbox::start(config).await.context("cannot bind the sandbox ports")?;
    println!("payops-sandbox (seed {seed}, demo data {})", if demo { "loaded" } else { "off" });
    println!("  {:<13} {}", "admin", sandbox.admin_url());
    for s in System::ALL {
        println!("  {:<13} {}", s.name(), sandbox.url(s));
    }
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate() => {}
    }
    sandbox.stop().await;
    Ok(())
}

/// `make contracts` (CT-08): prints the table of cases per partner; `--write` also rewrites
/// `crates/sandbox/contracts/README.md`.
fn contracts(write: bool) -> anyhow::Result<()> {
    use sandbox::contracts::{PARTNERS, load_all, report};
    let cases = load_all().context("contract cases")?;
    println!("{}", report::table(&cases, &PARTNERS));
    for c in cases.iter().filter(|c| !c.verified()) {
        println!("unverified {}: {}", c.id(), c.case.unverified.as_deref().unwrap_or("no source"));
    }
    if write {
        let path = sandbox::contracts::case::contracts_dir().join("README.md");
        std::fs::write(&path, report::readme(&cases, &PARTNERS)).with_context(|| path.display().to_string())?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| default.to_owned())
}

async fn terminate() {
    #[cfg(unix)]
    if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        s.recv().await;
        return;
    }
    std::future::pending::<()>().await;
}
