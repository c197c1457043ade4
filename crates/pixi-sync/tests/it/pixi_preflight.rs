//! The preflight (CT-06) against the sandbox, over gRPC and as the `preflight` sub-command: a
//! configured tenant passes (the table is printed); with a column the adapter reads removed
//! from the sandbox's answers, or a call uninstalled, it fails and names it.

use kit::preflight::Verdict;
use proto::payops::common::v1::{PreflightReport, PreflightVerdict};
use proto::payops::pixi_sync::v1 as pb;
use sandbox::System;
use sandbox::pixi::{ColumnRef, Switches};
use sandbox::unzer::{PayKind, SeedOutcome};

use crate::helpers::{Instance, METHODS, PIXI_USER, SECRET_KEY, Tenant, TestApp};

async fn preflight(app: &Instance, t: &Tenant) -> PreflightReport {
    let mut c = app.tenants().await;
    c.preflight(pb::PreflightRequest { tenant_id: t.tenant_id.clone() }).await.unwrap().into_inner().report.unwrap()
}

fn table(r: &PreflightReport) -> String {
    let report = kit::preflight::Report {
        target: r.target.clone(),
        checks: r
            .checks
            .iter()
            .map(|c| kit::preflight::Check {
                check: c.check.clone(),
                verdict: match PreflightVerdict::try_from(c.verdict) {
                    Ok(PreflightVerdict::Ok) => Verdict::Ok,
                    Ok(PreflightVerdict::Warn) => Verdict::Warn,
                    _ => Verdict::Fail,
                },
                detail: c.detail.clone(),
                fix: c.fix.clone(),
            })
            .collect(),
    };
    report.table()
}

fn failed(r: &PreflightReport) -> Vec<String> {
    r.checks
        .iter()
        .filter(|c| c.verdict == PreflightVerdict::Fail as i32)
        .map(|c| format!("{} | {} | {}", c.check, c.detail, c.fix))
        .collect()
}

async fn setup() -> (TestApp, Tenant) {
    let app = TestApp::spawn().await;
    let t = Tenant::setup(&app, pb::Mode::Expert, &METHODS).await;
    t.order(&app, "UNZERCC", PayKind::Card, &[6000], SeedOutcome::Authorized).await;
    (app, t)
}

#[tokio::test]
async fn ct_06_pixi_preflight_passes_against_the_sandbox_and_fails_naming_a_removed_column() {
    let (app, t) = setup().await;
    let r = preflight(&app, &t).await;
    println!("{}", table(&r));
    assert!(r.ok, "{}", table(&r));
    for check in
        ["credentials", "API revision", "calls installed", "columns read", "payment method UNZERCC", "clock offset"]
    {
        let c =
            r.checks.iter().find(|c| c.check.contains(check)).unwrap_or_else(|| panic!("no {check}: {}", table(&r)));
        assert_eq!(c.verdict, PreflightVerdict::Ok as i32, "{check}: {}", table(&r));
    }
    let warned: Vec<&str> =
        r.checks.iter().filter(|c| c.verdict == PreflightVerdict::Warn as i32).map(|c| c.check.as_str()).collect();
    assert!(warned.iter().any(|c| c.contains("not like credit cards")), "{warned:?}");
    assert!(warned.iter().any(|c| c.contains("without a bank refund")), "{warned:?}");
    assert!(r.checks.iter().any(|c| c.check.contains("unzer private key accepted")), "the unzer checks are in");
    assert!(!table(&r).contains(&t.private_key) && !table(&r).contains(crate::helpers::PIXI_PASS), "no secret shows");

    let drop = Switches {
        drop_columns: vec![ColumnRef { call: "pixiGetOrderHeader".into(), column: "Mandant".into() }],
        uninstall: vec!["pixiCreateOrderComment".into()],
        ..Switches::default()
    };
    app.admin.pixi_switches(PIXI_USER, &drop).await.unwrap();
    let r = preflight(&app, &t).await;
    println!("{}", table(&r));
    assert!(!r.ok);
    let f = failed(&r);
    assert!(f.iter().any(|l| l.contains("pixiGetOrderHeader columns") && l.contains("Mandant")), "{f:#?}");
    assert!(f.iter().any(|l| l.contains("pixiCreateOrderComment is not installed")), "{f:#?}");
}

#[tokio::test]
async fn ct_06_pixi_preflight_names_refused_credentials_and_a_method_not_imported_on_hold() {
    let (app, t) = setup().await;
    let m = sandbox::pixi::PaymentMethod {
        code: "UNZERPP".into(),
        text: "unzer PayPal".into(),
        xml_tag: "TAGUNZERPP".into(),
        direct_charge: false,
        auto_paid: false,
        ini_status: "ANG".into(),
    };
    app.admin.pixi_add_payment_method(PIXI_USER, &m).await.unwrap();
    let f = failed(&preflight(&app, &t).await);
    assert!(f.iter().any(|l| l.contains("payment method UNZERPP") && l.contains("ANG")), "{f:#?}");
    let pw = sandbox::pixi::UserOptions { password: Some("changed".into()), ..Default::default() };
    app.admin.pixi_update_user(PIXI_USER, &pw).await.unwrap();
    let f = failed(&preflight(&app, &t).await);
    assert!(f.iter().any(|l| l.contains("credentials") && l.contains("refused")), "{f:#?}");
}

/// Runs `payops-pixi-sync preflight <tenant>` with the instance's environment, on the
/// sandbox's clock.
async fn subcommand(app: &TestApp, t: &Tenant) -> (Option<i32>, String) {
    let vars = [
        ("DATABASE_URL", app.env.database_url.clone()),
        ("DB_SCHEMA", "pixi_sync".to_owned()),
        ("NATS_URL", app.env.nats_url.clone()),
        ("CALLERS", testkit::CALLERS.to_owned()),
        ("PIXI_SYNC_SECRET_KEY", SECRET_KEY.to_owned()),
        ("UNZER_SANDBOX_BASE_URL", app.sandbox.url(System::Unzer)),
        ("UNZER_PRODUCTION_BASE_URL", app.sandbox.url(System::Unzer)),
        ("PUBLIC_BASE_URL", app.public_url.clone()),
        ("CLOCK_SOURCE", format!("sandbox:{}", app.sandbox.admin_url())),
        ("CLOCK_SOURCE_ALLOW_TEST", "true".to_owned()),
    ];
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_payops-pixi-sync"))
        .args(["preflight", t.tenant_id.as_str()])
        .env_clear()
        .envs(vars)
        .output()
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    (out.status.code(), format!("{text}{}", String::from_utf8_lossy(&out.stderr)))
}

#[tokio::test]
async fn ct_06_pixi_preflight_subcommand_prints_the_table_and_exits_1_when_a_check_fails() {
    let (app, t) = setup().await;
    let (code, out) = subcommand(&app, &t).await;
    println!("{out}");
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("preflight passed") && out.contains("pixi live: calls installed"), "{out}");
    let drop = Switches {
        drop_columns: vec![ColumnRef { call: "pixiGetOrderHeader".into(), column: "OrderTotal".into() }],
        ..Switches::default()
    };
    app.admin.pixi_switches(PIXI_USER, &drop).await.unwrap();
    let (code, out) = subcommand(&app, &t).await;
    println!("{out}");
    assert_eq!(code, Some(1), "{out}");
    let line = out.lines().find(|l| l.starts_with("pixi live: pixiGetOrderHeader columns")).unwrap_or_default();
    assert!(line.contains("FAIL") && line.contains("OrderTotal"), "{out}");
}
