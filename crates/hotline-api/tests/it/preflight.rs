//! Preflight (CT-06) against the sandbox's PGW and smallinvoice: over gRPC (admins only) and
//! as the binary's `preflight` sub-command. It passes as configured, lists what PGW's operator
//! must confirm as WARN, and fails naming the field when PGW or smallinvoice stops sending one
//! the hotline reads.

use chrono::Duration;
use hotline_api::preflight::PGW_TO_CONFIRM;
use proto::payops::common::v1::{PreflightReport, PreflightVerdict};
use proto::payops::hotline::v1::PreflightRequest;
use sandbox::System;
use sandbox::pgw::Behaviour;
use tonic::Code;

use crate::helpers::{ADMIN, AGENT, PGW_KEY, SI_CLIENT, SI_SECRET, TestApp, authed};

async fn report(app: &TestApp) -> PreflightReport {
    let token = app.token(ADMIN).await;
    let mut c = app.hotline_client().await;
    c.preflight(authed(&token, PreflightRequest {})).await.unwrap().into_inner().report.unwrap()
}

fn verdict(r: &PreflightReport, check: &str) -> (PreflightVerdict, String) {
    let c = r.checks.iter().find(|c| c.check == check).unwrap_or_else(|| panic!("no check {check}: {r:#?}"));
    (PreflightVerdict::try_from(c.verdict).unwrap(), c.detail.clone())
}

/// A management with an invoice and a payment today, so every field is seen.
async fn seeded() -> TestApp {
    let app = TestApp::spawn().await;
    let m = crate::b2b::contact(&app, "Wohnbau Zürich AG", "verwaltung@wohnbau-zh.ch").await;
    crate::b2b::invoice(&app, m, 3, 32_550, 0, "S").await;
    app.device("b10234", "DEV-0017", 72).await;
    app.payment("b10234", "+41791234567", earlier_today(app.now()), 350).await;
    app
}

/// Five minutes before `now`, or the start of the Zurich day when that would be yesterday (the
/// preflight reads today's PGW payments: in the first minutes after local midnight the payment
/// fell on the day before and the test failed).
fn earlier_today(now: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
    let zurich = |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&chrono_tz::Europe::Zurich).date_naive();
    let at = now - Duration::minutes(5);
    if zurich(at) == zurich(now) {
        return at;
    }
    zurich(now)
        .and_hms_opt(0, 0, 0)
        .and_then(|midnight| midnight.and_local_timezone(chrono_tz::Europe::Zurich).earliest())
        .map_or(now, |start| start.with_timezone(&chrono::Utc))
}

#[tokio::test]
async fn ct_06_hotline_preflight_passes_against_the_sandbox_and_warns_what_pgws_operator_must_confirm() {
    let app = seeded().await;
    let r = report(&app).await;
    assert!(r.ok, "{r:#?}");
    for check in [
        "PGW API key",
        "PGW answer fields",
        "PGW environment",
        "smallinvoice token",
        "smallinvoice contacts",
        "smallinvoice invoices",
        "smallinvoice rate limit",
    ] {
        assert_eq!(verdict(&r, check).0, PreflightVerdict::Ok, "{check}: {r:#?}");
    }
    for (check, _, _) in PGW_TO_CONFIRM {
        let (v, detail) = verdict(&r, check);
        assert_eq!(v, PreflightVerdict::Warn, "{check}");
        assert!(detail.starts_with("unconfirmed: "), "{detail}");
    }
    assert!(verdict(&r, "PGW: recovery reads the current code").1.contains("GET /transactions/{id}"));
    let text = format!("{r:?}");
    assert!(!text.contains(PGW_KEY) && !text.contains(SI_SECRET), "no secret in the report");

    let agent = app.token(AGENT).await;
    let err = app.hotline_client().await.preflight(authed(&agent, PreflightRequest {})).await.unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied, "admins only");
    app.stop().await;
}

#[tokio::test]
async fn ct_06_hotline_preflight_fails_naming_a_field_pgw_or_smallinvoice_stopped_sending() {
    let app = seeded().await;
    let b = Behaviour { omit_fields: vec!["total".into()], ..Default::default() };
    app.sandbox().pgw_behaviour(&b).await.unwrap();
    app.sandbox().smallinvoice_omit_fields(&["total_paid"]).await.unwrap();
    let r = report(&app).await;
    assert!(!r.ok);
    let (v, detail) = verdict(&r, "PGW answer fields");
    assert_eq!(v, PreflightVerdict::Fail);
    assert!(detail.contains("total is missing"), "{detail}");
    assert_eq!(verdict(&r, "PGW API key").0, PreflightVerdict::Ok, "the key itself is fine");
    let (v, detail) = verdict(&r, "smallinvoice invoices");
    assert_eq!(v, PreflightVerdict::Fail);
    assert!(detail.contains("total_paid is missing"), "{detail}");
    app.stop().await;
}

/// Runs `payops-hotline-api preflight` against the app's sandbox.
async fn subcommand(app: &TestApp, pgw_key: &str) -> (Option<i32>, String) {
    let vars = [
        ("DATABASE_URL", app.env.database_url.clone()),
        ("NATS_URL", app.env.nats_url.clone()),
        ("CALLERS", testkit::CALLERS.to_owned()),
        ("PGW_BASE_URL", format!("{}/api/v1", app.sandbox.url(System::Pgw))),
        ("PGW_API_KEY", pgw_key.to_owned()),
        ("SMALLINVOICE_BASE_URL", format!("{}/v2", app.sandbox.url(System::Smallinvoice))),
        ("SMALLINVOICE_CLIENT_ID", SI_CLIENT.to_owned()),
        ("SMALLINVOICE_CLIENT_SECRET", SI_SECRET.to_owned()),
        ("TICKETING_URL", "http://127.0.0.1:9".to_owned()),
    ];
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_payops-hotline-api"))
        .arg("preflight")
        .env_clear()
        .envs(vars)
        .output()
        .await
        .unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[tokio::test]
async fn ct_06_hotline_preflight_subcommand_prints_the_table_and_exits_1_when_a_check_fails() {
    let app = seeded().await;
    let (code, out) = subcommand(&app, PGW_KEY).await;
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("preflight passed") && out.contains("PGW: Idempotency-Key on code generation"), "{out}");
    assert!(!out.contains(PGW_KEY) && !out.contains(SI_SECRET), "no secret printed: {out}");

    let (code, out) = subcommand(&app, "a-key-pgw-does-not-know").await;
    assert_eq!(code, Some(1), "{out}");
    let line = out.lines().find(|l| l.starts_with("PGW API key")).unwrap_or_default();
    assert!(line.contains("FAIL") && line.contains("401 invalid_api_key"), "{out}");
    assert!(out.contains("fix: set PGW_API_KEY"), "{out}");
    app.stop().await;
}
