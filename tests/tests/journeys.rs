//! End-to-end journeys: all five services as real processes (`stack::platform`), the
//! in-process sandbox as the outside world, the flows of `ARCHITECTURE.md`.
//! Each journey starts its own platform on its own database and stream; the services follow
//! the sandbox clock, so moving it moves their time. Assertions read the sandbox's records
//! (tickets, charges) and the services' read APIs, polling with a deadline.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

#[path = "journeys/hotline.rs"]
mod hotline;
#[path = "journeys/manual.rs"]
mod manual;
#[path = "journeys/pixi.rs"]
mod pixi;
#[path = "journeys/swissbilling.rs"]
mod swissbilling;
#[path = "journeys/terminal.rs"]
mod terminal;
#[path = "journeys/world.rs"]
mod world;

use stack::platform::Service;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

use world::World;

#[tokio::test]
async fn the_platform_starts_every_service_ready_seeded_and_a_killed_service_restarts_on_its_ports() {
    let mut w = World::new().await;
    let http = reqwest::Client::new();
    for s in Service::ALL {
        let urls = w.platform.urls(s).clone();
        let ready = http.get(format!("{}/readyz", urls.admin)).send().await.unwrap();
        assert!(ready.status().is_success(), "{s:?} ready");
        let mut health = HealthClient::new(w.connect(s).await);
        let status = health.check(HealthCheckRequest { service: String::new() }).await.unwrap().into_inner().status;
        assert_eq!(status, 1, "{s:?} SERVING");
    }
    assert!(!w.seed.pixi.tenant_id.is_empty());
    assert_eq!(w.seed.pixi.payment_configs.len(), 5);

    let before = w.platform.process(Service::PixiSync).pid();
    w.platform.kill(Service::PixiSync).await.unwrap();
    let gone = http.get(format!("{}/readyz", w.platform.urls(Service::PixiSync).admin)).send().await;
    assert!(gone.is_err(), "nothing answers after SIGKILL");
    w.platform.restart(Service::PixiSync).await.unwrap();
    assert_ne!(w.platform.process(Service::PixiSync).pid(), before, "a new process");
    let mut health = HealthClient::new(w.connect(Service::PixiSync).await);
    assert_eq!(health.check(HealthCheckRequest { service: String::new() }).await.unwrap().into_inner().status, 1);

    let unclean = w.platform.stop_all().await;
    assert!(unclean.is_empty(), "every service exits 0 on SIGTERM: {unclean:?}");
}
