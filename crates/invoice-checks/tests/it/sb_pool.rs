//! The overlays' pool budget (`DB_MAX_CONNECTIONS=5` in `k8s/overlays/prod`) against slow
//! PostFinance calls: no database connection is held while DirectLink answers, so as many
//! concurrent maintenance calls as the pool has connections all finish.

use proto::payops::invoice_checks::v1 as pb;
use proto::payops::invoice_checks::v1::MaintenanceOperation as Op;
use sandbox::{FaultSpec, System};

use crate::flow::{authorised, maintain};
use crate::helpers::{TEST_SHOP, TestApp};

#[tokio::test]
async fn ic_10_five_concurrent_maintenance_calls_with_the_overlay_pool_finish_without_a_pool_timeout() {
    // The pool waits at most 2 s for a connection; every DirectLink answer takes 3 s.
    let app = TestApp::spawn_with(&[
        ("DB_MAX_CONNECTIONS", "5"),
        ("DB_ACQUIRE_TIMEOUT", "2s"),
        ("POSTFINANCE_TIMEOUT", "10s"),
    ])
    .await;
    let orders: Vec<String> = (0..5).map(|i| format!("SB-POOL-{i}")).collect();
    for o in &orders {
        authorised(&app, &TEST_SHOP, o).await;
    }
    let slow = FaultSpec {
        system: System::Postfinance,
        operation: "maintenance".into(),
        latency_ms: 3_000,
        ..FaultSpec::default()
    };
    app.sandbox.client().add_fault(&slow).await.unwrap();
    let calls = orders.iter().map(|o| maintain(&app, o, "capture-1", Op::CaptureLast, None));
    let results = futures::future::join_all(calls).await;
    for (o, r) in orders.iter().zip(results) {
        let r = r.unwrap_or_else(|s| panic!("{o}: {} {}", s.code(), s.message()));
        assert_eq!(r.outcome(), pb::MaintenanceOutcome::Accepted, "{o}");
    }
    assert_eq!(app.maintenance_requests().await.len(), 5);
    app.stop().await;
}
