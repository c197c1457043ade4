//! Operations defects of issue 18, each proven by a test that failed before its fix: switching a
//! tenant off while pixi is down (PX-01), hints shown and not mailed (PX-32), incidents from
//! before the SMTP configuration mailed once it exists, mail retries that back off (PX-32).

use chrono::{DateTime, Utc};
use proto::payops::pixi_sync::v1 as pb;
use sandbox::pixi::Merge;
use sandbox::unzer::{PayKind, SeedOutcome};
use sandbox::{FailMode, FaultSpec, System};

use crate::helpers::{Instance, METHODS, PIXI_USER, Tenant, TestApp};

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

fn save(t: &Tenant, app: &TestApp, active: bool) -> pb::SavePixiApiConfigRequest {
    pb::SavePixiApiConfigRequest {
        tenant_id: t.tenant_id.clone(),
        pixi_api_config_id: t.api_id.clone(),
        name: "live".into(),
        endpoint: format!("{}/soap/{PIXI_USER}/", app.sandbox.url(System::Pixi)),
        user: PIXI_USER.into(),
        password: String::new(),
        active,
        timezone: String::new(),
    }
}

#[tokio::test]
async fn px_01_a_pixi_api_configuration_is_deactivated_while_pixi_is_down_and_reactivated_only_after_a_test_call() {
    let app = TestApp::spawn().await;
    let t = Tenant::setup(&app, pb::Mode::Expert, &METHODS).await;
    app.admin.add_fault(&FaultSpec::fail_times(System::Pixi, "*", FailMode::Error, 0)).await.unwrap();
    let mut tenants = app.tenants().await;
    let off = tenants.save_pixi_api_config(save(&t, &app, false)).await.expect("deactivating needs no pixi");
    assert!(!off.into_inner().config.unwrap().active);
    let cfg = app
        .configs()
        .await
        .get_payment_config(pb::GetPaymentConfigRequest {
            tenant_id: t.tenant_id.clone(),
            payment_config_id: t.configs[0].payment_config_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!cfg.config.unwrap().effectively_active, "PX-04");
    // Switching it on again proves the credentials first: not while pixi is down.
    let on = tenants.save_pixi_api_config(save(&t, &app, true)).await.unwrap_err();
    assert_eq!(on.code(), tonic::Code::Unavailable, "{on:?}");
    app.admin.clear_faults().await.unwrap();
    assert!(tenants.save_pixi_api_config(save(&t, &app, true)).await.unwrap().into_inner().config.unwrap().active);
}

#[tokio::test]
async fn px_32_errors_are_mailed_and_hints_only_shown() {
    let app = TestApp::spawn().await;
    let t = Tenant::setup(&app, pb::Mode::Expert, &METHODS).await;
    smtp(&app, &t).await;
    let (refused, _) = t.order(&app, "UNZERCC", PayKind::Card, &[1000], SeedOutcome::Failed).await;
    let (merged, _) = t.order(&app, "UNZERCC", PayKind::Card, &[2000], SeedOutcome::Authorized).await;
    app.admin.pixi_merge(PIXI_USER, merged, &Merge { with: None }).await.unwrap();
    app.settle(3).await;
    app.advance(120).await;
    app.settle(3).await;
    let hint = t.dashboard_order(&app, merged).await;
    assert_eq!(hint.order.unwrap().problem, pb::Problem::Hint as i32, "the hint is shown");
    assert!(hint.incidents[0].mailed_at.is_none());
    let error = t.dashboard_order(&app, refused).await;
    let mails = app.admin.smtp_messages().await.unwrap();
    assert_eq!(mails.len(), 1, "only the error is mailed: {:?}", mails.iter().map(|m| &m.subject).collect::<Vec<_>>());
    assert!(mails[0].subject.as_deref().unwrap_or_default().contains(&error.incidents[0].incident_id));
}

#[tokio::test]
async fn px_32_incidents_raised_before_smtp_is_configured_are_mailed_once_it_is() {
    let app = TestApp::spawn().await;
    let t = Tenant::setup(&app, pb::Mode::Expert, &METHODS).await;
    let (nr, _) = t.order(&app, "UNZERCC", PayKind::Card, &[1000], SeedOutcome::Failed).await;
    app.settle(3).await;
    assert!(app.admin.smtp_messages().await.unwrap().is_empty());
    smtp(&app, &t).await;
    app.settle(2).await;
    app.advance(600).await;
    app.settle(2).await;
    let mails = app.admin.smtp_messages().await.unwrap();
    let d = t.dashboard_order(&app, nr).await;
    assert_eq!(mails.len(), 1, "mailed once the configuration exists, once");
    assert!(mails[0].subject.as_deref().unwrap_or_default().contains(&d.incidents[0].incident_id));
    assert!(d.incidents[0].mailed_at.is_some());
}

async fn next_mail(app: &Instance, nr: i64) -> (i32, DateTime<Utc>) {
    sqlx::query_as("SELECT mail_attempts, mail_next_at FROM incidents WHERE order_nr = $1")
        .bind(nr)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn px_32_a_failing_mail_is_retried_with_growing_waits() {
    let app = TestApp::spawn().await;
    let t = Tenant::setup(&app, pb::Mode::Expert, &METHODS).await;
    smtp(&app, &t).await;
    app.admin.add_fault(&FaultSpec::fail_times(System::Smtp, "send", FailMode::Error, 0)).await.unwrap();
    let (nr, _) = t.order(&app, "UNZERCC", PayKind::Card, &[1000], SeedOutcome::Failed).await;
    app.settle(3).await;
    let mut waits = Vec::new();
    for _ in 0..4 {
        let (_, at) = next_mail(&app, nr).await;
        let now = kit::Clock::now(&app.clock);
        waits.push((at - now).num_seconds());
        app.set_time(at).await;
        app.pass().await;
    }
    assert!(waits.windows(2).all(|p| p[1] > p[0]), "each wait longer than the last: {waits:?}");
    let (attempts, _) = next_mail(&app, nr).await;
    assert!(attempts >= 4);
    app.admin.clear_faults().await.unwrap();
    let (_, at) = next_mail(&app, nr).await;
    app.set_time(at + chrono::Duration::seconds(1)).await;
    app.pass().await;
    assert_eq!(app.admin.smtp_messages().await.unwrap().len(), 1, "sent once SMTP answers");
}

#[tokio::test]
async fn ct_06_without_public_base_url_the_preflight_says_unzer_cannot_reach_pixi_sync_before_any_payment_configuration()
 {
    let app = TestApp::spawn_with(&[("PUBLIC_BASE_URL", "")]).await;
    let t = Tenant::setup(&app, pb::Mode::Expert, &[]).await;
    let report = app
        .tenants()
        .await
        .preflight(pb::PreflightRequest { tenant_id: t.tenant_id.clone() })
        .await
        .unwrap()
        .into_inner()
        .report
        .unwrap();
    let check = report.checks.iter().find(|c| c.check.contains("PUBLIC_BASE_URL"));
    let check = check.unwrap_or_else(|| panic!("no PUBLIC_BASE_URL check: {:?}", report.checks));
    assert_eq!(check.verdict, proto::payops::common::v1::PreflightVerdict::Warn as i32);
    assert!(check.detail.contains("10 Minuten") || check.detail.contains("10 minutes"), "{}", check.detail);
}
