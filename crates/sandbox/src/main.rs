//! `payops-sandbox`: starts every simulator with demo data and prints where each listens.
//! `SANDBOX_HOST` (default 127.0.0.1), `SANDBOX_BASE_PORT` (default 7000: admin; systems on
//! 7001…7008), `SANDBOX_SEED` (default 42), `SANDBOX_DEMO` (default 1).

use std::net::IpAddr;

use anyhow::Context;
use sandbox::{Sandbox, SandboxConfig, System};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
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
