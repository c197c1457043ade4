//! Test harness shared by every crate's integration tests.
//!
//! [`TestEnv`] gives each test its own Postgres database and its own NATS stream and subject
//! prefix, so tests run in parallel without touching each other. It uses `DATABASE_URL` and
//! `NATS_URL` when set (CI and this machine: local Postgres and NATS); otherwise, with the
//! `containers` feature, it starts Postgres and NATS with testcontainers where a Docker engine
//! exists. [`TcpProxy`] sits between a service and Postgres or NATS so a test can cut the
//! connection and restore it (outages without stopping the shared servers). [`webdriver`]
//! drives headless Chromium for the browser tests of the web pages.

mod env;
mod ports;
pub mod procstat;
mod proxy;
mod wait;
pub mod webdriver;

pub use env::{CALLER_TOKEN, CALLERS, ELSEWHERE_TOKEN, OUTSIDER_TOKEN, TestEnv, grpc_channel, grpc_channel_as};
pub use ports::free_port;
pub use proxy::TcpProxy;
pub use wait::{Ready, eventually};

/// Installs a test log subscriber once (honours `RUST_LOG`; silent by default).
pub fn init_logs() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()))
        .with_test_writer()
        .try_init();
}
