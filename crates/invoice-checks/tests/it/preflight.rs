//! Preflight of the PostFinance accounts (CT-06), as a gRPC method per tenant and as the
//! `preflight` sub-command of the binary: it passes against the sandbox and names what is wrong
//! when a field the adapter reads is missing or a credential does not match.

use proto::payops::common::v1::{PreflightReport, PreflightVerdict};
use proto::payops::invoice_checks::v1 as pb;
use sandbox::postfinance::PfAnswers;

use crate::helpers::{PROD_SHOP, TEST_SHOP, TestApp};

async fn preflight(app: &TestApp, tenant: &str) -> PreflightReport {
    let r = app.sb_client().await.preflight(pb::PreflightRequest { tenant: tenant.into() }).await.unwrap();
    r.into_inner().report.unwrap()
}

fn failed(r: &PreflightReport) -> Vec<String> {
    r.checks.iter().filter(|c| c.verdict == PreflightVerdict::Fail as i32).map(|c| c.check.clone()).collect()
}

#[tokio::test]
async fn ct_06_postfinance_preflight_passes_against_the_sandbox_for_each_tenant() {
    let app = TestApp::spawn().await;
    for t in [TEST_SHOP, PROD_SHOP] {
        let r = preflight(&app, t.name).await;
        assert!(r.ok, "{r:?}");
        assert!(r.checks.iter().any(|c| c.check.contains("DirectLink SHA-IN passphrase")), "{r:?}");
    }
    assert!(app.maintenance_requests().await.is_empty(), "nothing that moves money was sent");
    app.stop().await;
}

#[tokio::test]
async fn ct_06_postfinance_preflight_fails_naming_an_answer_field_the_adapter_needs() {
    let app = TestApp::spawn().await;
    let drop = PfAnswers { drop_query_attributes: vec!["NCERROR".into()], ..PfAnswers::default() };
    app.sandbox.client().postfinance_answers(&drop).await.unwrap();
    let r = preflight(&app, TEST_SHOP.name).await;
    assert!(!r.ok);
    assert_eq!(failed(&r), ["answer field NCERROR"], "{r:?}");
    app.stop().await;
}

#[tokio::test]
async fn ct_06_postfinance_preflight_names_a_wrong_directlink_passphrase_and_password() {
    let app = TestApp::spawn_with(&[
        ("SWISSBILLING_SHOP_TEST_SHA_IN_DIRECTLINK", "not-the-passphrase"),
        ("SWISSBILLING_SHOP_PROD_PSWD", "wrong"),
    ])
    .await;
    let r = preflight(&app, TEST_SHOP.name).await;
    assert_eq!(failed(&r), ["DirectLink SHA-IN passphrase"], "{r:?}");
    let r = preflight(&app, PROD_SHOP.name).await;
    assert_eq!(failed(&r), ["DirectLink user and password"], "{r:?}");
    let fix = &r.checks.iter().find(|c| c.verdict == PreflightVerdict::Fail as i32).unwrap().fix;
    assert!(fix.contains("SWISSBILLING_<T>_USERID"), "{fix}");
    app.stop().await;
}

#[tokio::test]
async fn ct_06_postfinance_preflight_sub_command_prints_the_table_and_exits_non_zero_on_a_failure() {
    let app = TestApp::spawn().await;
    let env = crate::helpers::service_env_for(&app);
    // The sandbox answers on this test's runtime: the binary runs on a blocking thread.
    let run = |env: Vec<(String, String)>| async move {
        tokio::task::spawn_blocking(move || {
            let out = std::process::Command::new(env!("CARGO_BIN_EXE_payops-invoice-checks"))
                .arg("preflight")
                .env_clear()
                .envs(env)
                .output()
                .unwrap();
            (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
        })
        .await
        .unwrap()
    };
    let (code, out) = run(env.clone()).await;
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("shop-test") && out.contains("shop-prod") && out.contains("preflight passed"), "{out}");
    let drop = PfAnswers { drop_query_attributes: vec!["NCERROR".into()], ..PfAnswers::default() };
    app.sandbox.client().postfinance_answers(&drop).await.unwrap();
    let (code, out) = run(env).await;
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("answer field NCERROR") && out.contains("FAIL"), "{out}");
    app.stop().await;
}
