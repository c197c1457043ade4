//! Preflight (CT-06) against the sandbox's Freshdesk: over gRPC and as the binary's
//! `preflight` sub-command; it passes as configured and fails naming the check when the
//! reference field is removed from the account or the key is refused.

use proto::payops::common::v1::{PreflightReport, PreflightVerdict};
use proto::payops::ticketing::v1::PreflightRequest;
use sandbox::System;
use sandbox::freshdesk::FreshdeskConfigPatch;

use crate::helpers::{KEY, TestApp};

async fn report(app: &TestApp) -> PreflightReport {
    app.client().await.preflight(PreflightRequest {}).await.unwrap().into_inner().report.unwrap()
}

fn verdict(r: &PreflightReport, check: &str) -> PreflightVerdict {
    let c = r.checks.iter().find(|c| c.check == check).unwrap_or_else(|| panic!("no check {check}: {r:?}"));
    PreflightVerdict::try_from(c.verdict).unwrap()
}

/// The sandbox account without the `cf_payops_ref` field (the order field keeps the admin
/// listing's external reference).
async fn remove_reference_field(app: &TestApp) {
    let cfg = app.admin.freshdesk_config().await.unwrap();
    let patch = FreshdeskConfigPatch {
        custom_fields: Some(cfg.custom_fields.into_iter().filter(|f| f.name != "cf_payops_ref").collect()),
        external_ref_field: Some("cf_order_id".into()),
        ..Default::default()
    };
    app.admin.freshdesk_configure(&patch).await.unwrap();
}

#[tokio::test]
async fn ct_06_freshdesk_preflight_passes_against_the_sandbox_and_fails_naming_a_removed_reference_field() {
    let app = TestApp::spawn().await;
    let r = report(&app).await;
    assert!(r.ok, "{r:#?}");
    for check in ["API key", "reference field cf_payops_ref", "order field cf_order_id", "ticket types", "groups"] {
        assert_eq!(verdict(&r, check), PreflightVerdict::Ok, "{check}: {r:#?}");
    }
    assert_eq!(verdict(&r, "rate-limit headers"), PreflightVerdict::Ok);
    assert_eq!(verdict(&r, "search by reference"), PreflightVerdict::Ok);
    // The tests' limiter allows far more than the sandbox's Growth plan (200/min).
    assert_eq!(verdict(&r, "configured rate"), PreflightVerdict::Warn);

    remove_reference_field(&app).await;
    let r = report(&app).await;
    assert!(!r.ok);
    assert_eq!(verdict(&r, "reference field cf_payops_ref"), PreflightVerdict::Fail);
    assert_eq!(verdict(&r, "search by reference"), PreflightVerdict::Fail, "search refuses the unknown field");
    assert_eq!(verdict(&r, "order field cf_order_id"), PreflightVerdict::Ok);
    app.stop().await;
}

#[tokio::test]
async fn ct_06_freshdesk_preflight_names_missing_ticket_types_and_groups_and_a_refused_key() {
    let app = TestApp::spawn().await;
    let patch = FreshdeskConfigPatch {
        ticket_types: Some(vec!["Question".into(), "Incident".into(), "Problem".into()]),
        groups: Some(vec![sandbox::freshdesk::FreshdeskGroup { id: 43_000_000_001, name: "hotline".into() }]),
        ..Default::default()
    };
    app.admin.freshdesk_configure(&patch).await.unwrap();
    let r = report(&app).await;
    assert!(!r.ok);
    let detail = |check: &str| r.checks.iter().find(|c| c.check == check).unwrap().detail.clone();
    assert_eq!(verdict(&r, "ticket types"), PreflightVerdict::Fail);
    assert!(detail("ticket types").contains("Waschküche"), "{}", detail("ticket types"));
    assert_eq!(verdict(&r, "groups"), PreflightVerdict::Fail);
    assert!(detail("groups").contains("payments:43000000002"), "{}", detail("groups"));

    app.admin
        .freshdesk_configure(&FreshdeskConfigPatch { api_keys: Some(vec![]), ..Default::default() })
        .await
        .unwrap();
    let r = report(&app).await;
    assert_eq!(verdict(&r, "API key"), PreflightVerdict::Fail);
    assert_eq!(r.checks.len(), 1, "nothing else can be checked without the key");
    app.stop().await;
}

/// Runs `payops-ticketing-bridge preflight` on the app's database, stream and sandbox.
async fn subcommand(app: &TestApp) -> (Option<i32>, String) {
    let vars = [
        ("DATABASE_URL", app.env.database_url.clone()),
        ("NATS_URL", app.env.nats_url.clone()),
        ("CALLERS", testkit::CALLERS.to_owned()),
        ("FRESHDESK_URL", app.sandbox.url(System::Freshdesk)),
        ("FRESHDESK_API_KEY", KEY.to_owned()),
        ("FRESHDESK_GROUPS", "hotline:43000000001,payments:43000000002,billing:43000000003".to_owned()),
    ];
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_payops-ticketing-bridge"))
        .arg("preflight")
        .env_clear()
        .envs(vars)
        .output()
        .await
        .unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[tokio::test]
async fn ct_06_freshdesk_preflight_subcommand_prints_the_table_and_exits_1_when_a_check_fails() {
    let app = TestApp::spawn().await;
    let (code, out) = subcommand(&app).await;
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("preflight passed") && out.contains("reference field cf_payops_ref"), "{out}");
    assert!(!out.contains(KEY), "the key never shows: {out}");

    remove_reference_field(&app).await;
    let (code, out) = subcommand(&app).await;
    assert_eq!(code, Some(1), "{out}");
    let line = out.lines().find(|l| l.starts_with("reference field cf_payops_ref")).unwrap_or_default();
    assert!(line.contains("FAIL"), "{out}");
    assert!(out.contains("fix: create a single-line text custom field"), "{out}");
}
