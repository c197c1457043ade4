//! The service shell: admin port (health, readiness, metrics) and graceful stop.

use proto::payops::pixi_sync::v1 as pb;
use sandbox::unzer::{PayKind, SeedOutcome};

use crate::helpers::{METHODS, Tenant, TestApp};

#[tokio::test]
async fn admin_port_reports_health_and_domain_metrics_and_the_service_stops_gracefully() {
    let app = TestApp::spawn().await;
    let t = Tenant::setup(&app, pb::Mode::Standard, &METHODS).await;
    t.order(&app, "UNZERCC", PayKind::Card, &[1000], SeedOutcome::Authorized).await;
    app.settle(3).await;
    let http = reqwest::Client::new();
    assert_eq!(http.get(format!("{}/livez", app.admin_url)).send().await.unwrap().status(), 200);
    assert_eq!(http.get(format!("{}/readyz", app.admin_url)).send().await.unwrap().status(), 200);
    let metrics = http.get(format!("{}/metrics", app.admin_url)).send().await.unwrap().text().await.unwrap();
    for name in [
        "payops_pixi_sync_orders_synced_total",
        "payops_pixi_sync_actions_total",
        "payops_pixi_sync_money_moved_minor_total",
        "payops_external_requests_total{system=\"pixi\"",
        "payops_external_requests_total{system=\"unzer\"",
        "grpc_server_handled_total",
    ] {
        assert!(metrics.contains(name), "{name} missing");
    }
    app.stop().await;
}
