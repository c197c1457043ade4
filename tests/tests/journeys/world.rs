//! `World`: one journey's outside world and platform — its own database and stream
//! (`TestEnv`), an in-process sandbox, and all five services as real processes following the
//! sandbox clock, seeded through their gRPC APIs. Plus polling with a deadline.

use std::time::Duration;
pub use testkit::eventually;

use stack::platform::{DemoSeed, Platform, PlatformConfig, SandboxEndpoints, Service, seed_demo};
use stack::sandbox::freshdesk::FreshdeskTicketView;
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
    /// Kept alive for the journey; dropped last.
    _sandbox: Sandbox,
    _env: TestEnv,
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
        World { platform, seed, admin, _sandbox: sandbox, _env: env }
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

impl World {
    /// (source, type) of every event on the order's timeline in hotline-api (GetOrderTimeline,
    /// read with the platform's service token).
    pub async fn timeline(&self, order_id: &str) -> Result<Vec<(String, String)>, String> {
        use proto::payops::hotline::v1::GetOrderTimelineRequest;
        use proto::payops::hotline::v1::timeline_service_client::TimelineServiceClient;
        let mut c = TimelineServiceClient::new(self.connect(Service::HotlineApi).await);
        let r = c
            .get_order_timeline(GetOrderTimelineRequest { order_id: order_id.into() })
            .await
            .map_err(|e| e.to_string())?
            .into_inner();
        Ok(r.events.into_iter().map(|e| (e.source, e.r#type)).collect())
    }

    /// Waits until the order's timeline holds an event `ty` from `source`; returns the timeline.
    pub async fn timeline_with(&self, order_id: &str, source: &str, ty: &str) -> Vec<(String, String)> {
        eventually(&format!("{source} {ty} on the timeline of {order_id}"), LIMIT, || async {
            let t = self.timeline(order_id).await?;
            if t.iter().any(|(s, y)| s == source && y == ty) { Ok(t) } else { Err(format!("{t:?}")) }
        })
        .await
    }

    /// The Freshdesk tickets in the sandbox whose order field is `order_id`.
    pub async fn tickets_for(&self, order_id: &str) -> Vec<FreshdeskTicketView> {
        let all = self.admin.freshdesk_tickets().await.expect("sandbox tickets").tickets;
        all.into_iter()
            .filter(|t| t.custom_fields.get("cf_order_id").and_then(serde_json::Value::as_str) == Some(order_id))
            .collect()
    }

    /// Waits until the sandbox holds at least one ticket for `order_id`; returns them all.
    pub async fn ticket_for(&self, order_id: &str) -> Vec<FreshdeskTicketView> {
        eventually(&format!("a Freshdesk ticket for {order_id}"), LIMIT, || async {
            let t = self.tickets_for(order_id).await;
            if t.is_empty() {
                let all = self.admin.freshdesk_tickets().await.map_err(|e| e.to_string())?.tickets;
                Err(format!("tickets: {:?}", all.iter().map(|t| (&t.subject, &t.custom_fields)).collect::<Vec<_>>()))
            } else {
                Ok(t)
            }
        })
        .await
    }
}

/// How long a journey waits for one outcome (processes, polls and the bus on 2 busy cores;
/// most outcomes arrive within a few seconds).
pub const LIMIT: Duration = Duration::from_secs(60);
