//! The nightly quiet window (PX-22): nothing goes to pixi between 00:00 and 04:00 local time
//! of the installation; work waits and resumes at 04:00.

use chrono::DateTime;
use kit::grpc::status::error_reason;
use proto::payops::pixi_sync::v1 as pb;
use sandbox::System;
use sandbox::pixi::{OrderStatus, UserOptions};
use sandbox::unzer::{PayKind, SeedOutcome};

use crate::helpers::{METHODS, PIXI_USER, Tenant, TestApp};

#[tokio::test]
async fn px_22_no_request_reaches_pixi_between_midnight_and_four_and_work_resumes_at_four() {
    let app = TestApp::spawn().await;
    let t = Tenant::setup(&app, pb::Mode::Expert, &METHODS).await;
    let opts = UserOptions { enforce_quiet_window: Some(true), ..Default::default() };
    app.admin.pixi_update_user(PIXI_USER, &opts).await.unwrap();
    // 00:30 in Berlin (winter: UTC+1).
    app.set_time(DateTime::parse_from_rfc3339("2026-01-05T23:30:00Z").unwrap().to_utc()).await;
    let (nr, pay) = t.order(&app, "UNZERPP", PayKind::Paypal, &[1000], SeedOutcome::Pending).await;
    let before = app.admin.requests(Some(System::Pixi)).await.unwrap().len();
    let report = app.pass().await;
    assert_eq!(report.quiet, 1);
    // A webhook in the window makes the order due, still nothing goes to pixi.
    app.admin.unzer_finish_redirect(&pay, true).await.unwrap();
    app.admin.unzer_run_deliveries().await.unwrap();
    for _ in 0..3 {
        app.advance(1800).await; // 01:00, 01:30, 02:00 local
        app.pass().await;
    }
    let err = app
        .tenants()
        .await
        .list_pixi_payment_methods(pb::ListPixiPaymentMethodsRequest {
            tenant_id: t.tenant_id.clone(),
            pixi_api_config_id: t.api_id.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(error_reason(&err).as_deref(), Some("QUIET_WINDOW"));
    assert_eq!(app.admin.requests(Some(System::Pixi)).await.unwrap().len(), before, "no pixi request in the window");
    assert!(app.admin.pixi_quiet_window_calls(PIXI_USER).await.unwrap().is_empty());
    assert_eq!(t.pixi(&app, nr).await.status, OrderStatus::Hold);

    // 03:59 local: still quiet; 04:00: the work resumes by itself.
    app.set_time(DateTime::parse_from_rfc3339("2026-01-06T02:59:00Z").unwrap().to_utc()).await;
    assert_eq!(app.pass().await.quiet, 1);
    app.set_time(DateTime::parse_from_rfc3339("2026-01-06T03:00:00Z").unwrap().to_utc()).await;
    app.settle(3).await;
    assert_eq!(t.pixi(&app, nr).await.status, OrderStatus::Open);
    assert!(app.admin.pixi_quiet_window_calls(PIXI_USER).await.unwrap().is_empty());
}
