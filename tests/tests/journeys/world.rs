//! `World`: one journey's outside world and platform — its own database and stream
//! (`TestEnv`), an in-process sandbox, and all five services as real processes following the
//! sandbox clock, seeded through their gRPC APIs. Plus polling with a deadline.

use std::future::Future;
use std::time::{Duration, Instant};

use stack::platform::{DemoSeed, Platform, PlatformConfig, SandboxEndpoints, Service, seed_demo};
use stack::sandbox::{Sandbox, SandboxClient, SandboxConfig};
use testkit::TestEnv;

/// Monday 2026-01-05 10:00 UTC (11:00 in Berlin and Zurich): far from pixi's quiet window.
pub const START: &str = "2026-01-05T10:00:00Z";

/// One journey's world. Field order is drop order: the processes stop before the sandbox and
/// the database go.
pub struct World {
    pub platform: Platform,
    pub seed: DemoSeed,
    pub admin: SandboxClient,
    pub sandbox: Sandbox,
    pub env: TestEnv,
}

impl World {
    /// A fresh world with the default seed.
    pub async fn new() -> World {
        Self::with(|c| c).await
    }

    /// A fresh world whose platform configuration `tune` may change.
    pub async fn with(tune: impl FnOnce(PlatformConfig) -> PlatformConfig) -> World {
        let env = TestEnv::new().await.expect("test environment");
        let sandbox = Sandbox::start(SandboxConfig::ephemeral()).await.expect("sandbox");
        let admin = sandbox.client();
        let at = serde_json::json!({ "at": START });
        admin.post::<_, serde_json::Value>("/admin/clock/set", &at).await.expect("set the sandbox clock");
        let config = PlatformConfig::new(
            SandboxEndpoints::of(&sandbox),
            &env.database_url,
            &env.nats_url,
            &env.prefix,
            &env.stream,
        )
        .follow_sandbox_clock();
        let platform = Platform::start(tune(config)).await.expect("platform starts");
        let seed = seed_demo(&platform).await.expect("seed");
        World { platform, seed, admin, sandbox, env }
    }

    /// A channel to `service` carrying the platform's service token.
    pub async fn connect(
        &self,
        service: Service,
    ) -> tonic::service::interceptor::InterceptedService<tonic::transport::Channel, stack::platform::Bearer> {
        self.platform.connect(service).await.expect("connect")
    }

    /// Moves the sandbox clock, which every service follows.
    pub async fn advance(&self, seconds: i64) {
        self.admin.advance_clock(seconds).await.expect("advance the sandbox clock");
    }
}

/// Polls `probe` until it returns `Some`, or panics after `limit` naming `what` and the last
/// value seen.
pub async fn eventually<T, F, Fut>(what: &str, limit: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let started = Instant::now();
    loop {
        match probe().await {
            Ok(v) => return v,
            Err(last) if started.elapsed() > limit => panic!("{what}: not within {limit:?}; last: {last}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}
