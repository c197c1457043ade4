//! Test helpers: an in-process sandbox on random ports and a plain HTTP client.

use sandbox::{Sandbox, SandboxConfig};

/// Starts a sandbox on random ports without demo data.
#[allow(dead_code, reason = "used by some test modules only")]
pub async fn start() -> Sandbox {
    Sandbox::start(SandboxConfig::ephemeral()).await.expect("sandbox starts")
}

/// Starts a sandbox on random ports with the demo data.
#[allow(dead_code, reason = "used by some test modules only")]
pub async fn start_with_demo() -> Sandbox {
    let mut c = SandboxConfig::ephemeral();
    c.demo = true;
    Sandbox::start(c).await.expect("sandbox starts")
}

/// A plain HTTP client, as a partner's real client would be (no payops adapter code).
#[allow(dead_code, reason = "used by some test modules only")]
pub fn http() -> reqwest::Client {
    reqwest::Client::builder().timeout(std::time::Duration::from_secs(10)).build().expect("client")
}
