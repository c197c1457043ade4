//! The whole platform as processes. [`IsolatedPostgres`] and [`IsolatedNats`] run private
//! instances (own data dir, own port) that a chaos run may restart or kill without touching the
//! machine's shared servers; [`process`] starts, stops, kills and restarts service binaries
//! (output in log files); [`platform`] starts all five services wired to each other and to a
//! sandbox, and seeds them.

pub mod nats;
pub mod platform;
pub mod postgres;
pub mod process;

pub use nats::IsolatedNats;
pub use platform::{Platform, PlatformConfig, Service};
pub use postgres::IsolatedPostgres;
pub use process::{ServiceProcess, binary};
/// The sandbox crate, so users of [`platform`] name the same types (endpoints, admin client).
pub use sandbox;
pub use testkit::free_port;

/// A fresh directory under the system temp dir.
pub fn temp_dir(prefix: &str) -> anyhow::Result<std::path::PathBuf> {
    use rand::Rng;
    let suffix: u64 = rand::rng().random();
    let dir = std::env::temp_dir().join(format!("{prefix}-{suffix:x}"));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Waits until a TCP port accepts connections.
pub(crate) async fn wait_port(port: u16, limit: std::time::Duration) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    while started.elapsed() < limit {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    anyhow::bail!("port {port} did not open within {limit:?}")
}
