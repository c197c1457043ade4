//! Tenant-level incidents (issue 18): a discovery call that fails for good (not installed, a
//! changed pixi password) or a payment configuration whose Mandant never matches stops nothing
//! else and is not only a log line — it is an incident of the tenant on the error page (and the
//! console), mailed once, counted in a metric an alert watches; it closes when the cause is gone.

use proto::payops::pixi_sync::v1 as pb;
use sandbox::System;
use sandbox::pixi::{OrderStatus, Switches, UserOptions};
use sandbox::unzer::{PayKind, SeedOutcome};

use crate::helpers::{Instance, METHODS, PIXI_USER, Tenant, TestApp, payment_request};

async fn smtp(app: &TestApp, t: &Tenant) {
    let addr = app.sandbox.addr(System::Smtp);
    app.tenants()
        .await
        .save_smtp_config(pb::SaveSmtpConfigRequest {
            tenant_id: t.tenant_id.clone(),
            host: addr.ip().to_string(),
            port: i32::from(addr.port()),
            tls_mode: pb::SmtpTlsMode::None as i32,
            user: String::new(),
            password: String::new(),
            sender: "app@muster.example".into(),
            recipient: "ops@muster.example".into(),
        })
        .await
        .unwrap();
}

async fn error_page(t: &Tenant) -> String {
    reqwest::get(&t.error_page_url).await.unwrap().text().await.unwrap()
}

async fn open_gauge(app: &Instance) -> f64 {
    let text = reqwest::get(format!("{}/metrics", app.admin_url)).await.unwrap().text().await.unwrap();
    text.lines()
        .filter(|l| l.starts_with("payops_pixi_sync_tenant_incidents_open"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[tokio::test]
async fn px_42_an_uninstalled_change_feed_is_a_tenant_incident_and_the_full_scan_still_releases_orders() {
    let app = TestApp::spawn().await;
    let t = Tenant::setup(&app, pb::Mode::Expert, &METHODS).await;
    smtp(&app, &t).await;
    let uninstall = Switches { uninstall: vec!["pixiGetChangedOrders".into()], ..Switches::default() };
    app.admin.pixi_switches(PIXI_USER, &uninstall).await.unwrap();
    let (nr, _) = t.order(&app, "UNZERCC", PayKind::Card, &[1000], SeedOutcome::Authorized).await;
    app.settle(3).await;
    assert_eq!(t.pixi(&app, nr).await.status, OrderStatus::Open, "the other discovery calls go on");
    for _ in 0..3 {
        app.advance(120).await;
        app.settle(2).await;
    }
    let page = error_page(&t).await;
    assert!(page.contains("pixiGetChangedOrders"), "on the error page: {page}");
    let mails = app.admin.smtp_messages().await.unwrap();
    assert_eq!(mails.iter().filter(|m| m.data.contains("pixiGetChangedOrders")).count(), 1, "mailed once");
    assert!(open_gauge(&app).await >= 1.0, "in the metric");
    // pixi support installs the call: the incident closes when the call is next asked (a call
    // that failed for good is asked again every FULL_SCAN_INTERVAL, 5 minutes, not every poll).
    let reinstall = Switches { reinstall: vec!["pixiGetChangedOrders".into()], ..Switches::default() };
    app.admin.pixi_switches(PIXI_USER, &reinstall).await.unwrap();
    app.advance(301).await;
    app.settle(2).await;
    assert!(!error_page(&t).await.contains("pixiGetChangedOrders"));
    assert_eq!(open_gauge(&app).await, 0.0);
}

#[tokio::test]
async fn px_42_a_changed_pixi_password_is_a_tenant_incident_mailed_once() {
    let app = TestApp::spawn().await;
    let t = Tenant::setup(&app, pb::Mode::Expert, &METHODS).await;
    smtp(&app, &t).await;
    let new = UserOptions { password: Some("someone-changed-it".into()), ..UserOptions::default() };
    app.admin.pixi_update_user(PIXI_USER, &new).await.unwrap();
    for _ in 0..4 {
        app.settle(2).await;
        app.advance(600).await;
    }
    let page = error_page(&t).await;
    assert!(page.contains("Zugangsdaten"), "on the error page: {page}");
    let mails = app.admin.smtp_messages().await.unwrap();
    assert_eq!(mails.len(), 1, "one mail, not one per pass");
    assert!(mails[0].data.contains("pixi"), "{}", mails[0].data);
}

#[tokio::test]
async fn px_27_a_mandant_that_never_matches_is_a_tenant_incident_naming_both_mandants() {
    let app = TestApp::spawn().await;
    let t = Tenant::setup(&app, pb::Mode::Expert, &["UNZERPP"]).await;
    let mut typo = payment_request(&t.tenant_id, &t.api_id, "UNZERCC", pb::Mode::Expert, &t.public_key, &t.private_key);
    typo.mandant = "DEN".into();
    app.configs().await.save_payment_config(typo).await.unwrap();
    let (nr, _) = t.order(&app, "UNZERCC", PayKind::Card, &[1000], SeedOutcome::Authorized).await;
    app.settle(3).await;
    assert_eq!(t.pixi(&app, nr).await.status, OrderStatus::Hold, "left alone (PX-27)");
    let page = error_page(&t).await;
    assert!(page.contains("DEN") && page.contains("DEM"), "the typo is visible: {page}");
}
