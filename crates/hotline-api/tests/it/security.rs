//! HL-42, HL-43: personal data masked in logs, nothing about customers in the browser console,
//! and the read audit that admins can list.

use std::io::Write;
use std::sync::{Arc, Mutex};

use chrono::Duration;
use proto::payops::hotline::v1::{ListAuditEntriesRequest, LookupCodeRequest};
use tonic::Code;

use crate::helpers::{ADMIN, AGENT, TestApp, authed};

#[derive(Clone, Default)]
pub(crate) struct Captured(pub(crate) Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn hl_42_mobile_numbers_and_emails_are_masked_in_captured_logs() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_env_filter("debug,h2=info,hyper=info,tower=info,sqlx=info,async_nats=info,rustls=info")
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let app = TestApp::spawn().await;
    app.device("b10234", "DEV-0017", 72).await;
    let at = app.now() - Duration::minutes(10);
    app.payment("b10234", "+41791234567", at, 350).await;
    let token = app.token(AGENT).await;
    let mut c = app.hotline_client().await;
    let req = LookupCodeRequest {
        device_b_code: "b10234".into(),
        payment_mobile: "079 123 45 67".into(),
        payment_date: TestApp::local_date(at),
        contact_email: "maria.muster@example.ch".into(),
        contact_mobile: "076 445 56 67".into(),
        ..Default::default()
    };
    c.lookup_code(authed(&token, req.clone())).await.unwrap();
    // And the failing path, which logs the error.
    app.sandbox()
        .add_fault(&sandbox::FaultSpec::fail_times(sandbox::System::Pgw, "search", sandbox::FailMode::Error, 2))
        .await
        .unwrap();
    assert_eq!(c.lookup_code(authed(&token, req)).await.unwrap_err().code(), Code::Unavailable);
    app.stop().await;
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("code lookup"), "the lookup was logged: {}", &logs[..logs.len().min(2000)]);
    assert!(logs.contains("+41***67"), "masked form is logged");
    for raw in ["791234567", "79 123 45 67", "764455667", "maria.muster"] {
        assert!(!logs.contains(raw), "{raw} appears in the logs");
    }
}

#[test]
fn hl_42_the_page_never_writes_to_the_browser_console_and_never_injects_html() {
    let js = include_str!("../../src/web/assets/app.js");
    assert!(!js.contains("console."), "no console logging in the page");
    assert!(!js.contains("innerHTML") && !js.contains("outerHTML") && !js.contains("insertAdjacentHTML"));
    let html = include_str!("../../src/web/assets/index.html");
    assert!(!html.contains("<script>"), "no inline scripts (the CSP forbids them)");
}

#[tokio::test]
async fn hl_43_reads_and_writes_are_in_the_audit_log_that_only_admins_can_list() {
    let app = TestApp::spawn().await;
    let web = app.web(AGENT).await;
    let lookup = serde_json::json!({ "device_b_code": "b10234", "payment_mobile": "0791234567", "payment_date": TestApp::local_date(app.now()), "contact_email": "a@b.ch" });
    assert_eq!(web.post("/b2c/lookup", lookup).await.0, 200);
    assert_eq!(web.get("/b2b/customers?q=Wohnbau").await.0, 200);
    assert_eq!(web.get("/overview").await.0, 200);
    assert_eq!(web.get("/audit").await.0, 403);
    let token = app.token(ADMIN).await;
    let mut a = app.agents_client().await;
    let entries =
        a.list_audit_entries(authed(&token, ListAuditEntriesRequest::default())).await.unwrap().into_inner().entries;
    let actions: Vec<(&str, &str, &str)> =
        entries.iter().map(|e| (e.actor.as_str(), e.action.as_str(), e.outcome.as_str())).collect();
    for want in [
        ("anna", "code_lookup", "ok"),
        ("anna", "customer_search", "ok"),
        ("anna", "daily_overview", "ok"),
        ("anna", "refused", "refused"),
    ] {
        assert!(actions.contains(&want), "{want:?} missing in {actions:?}");
    }
    let lookup = entries.iter().find(|e| e.action == "code_lookup").unwrap();
    assert_eq!(lookup.target, "device:b10234");
    assert_eq!(lookup.details["mobile"], "+41***67", "masked in the audit too");
    assert!(entries.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    // Paging by the last id.
    let first = a
        .list_audit_entries(authed(
            &token,
            ListAuditEntriesRequest {
                page: Some(proto::payops::common::v1::PageRequest { page_size: 2, page_token: String::new() }),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.entries.len(), 2);
    let next = first.page.unwrap().next_page_token;
    let second = a
        .list_audit_entries(authed(
            &token,
            ListAuditEntriesRequest {
                page: Some(proto::payops::common::v1::PageRequest { page_size: 2, page_token: next }),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(second.entries[0].id < first.entries[1].id);
    app.stop().await;
}

#[tokio::test]
async fn hl_43_listing_a_managements_invoices_and_reading_the_audit_log_are_recorded_too() {
    let app = TestApp::spawn().await;
    let wohnbau = crate::b2b::contact(&app, "Wohnbau Zürich AG", "verwaltung@wohnbau-zh.ch").await;
    crate::b2b::invoice(&app, wohnbau, 3, 32_550, 0, "S").await;
    let web = app.web(AGENT).await;
    let (status, r) = web.get(&format!("/b2b/customers/{wohnbau}/invoices")).await;
    assert_eq!((status, r["items"].as_array().map(Vec::len)), (200, Some(1)), "{r}");
    let admin = app.web(ADMIN).await;
    assert_eq!(admin.get("/audit?action=invoices_listed").await.0, 200);
    let token = app.token(ADMIN).await;
    let mut a = app.agents_client().await;
    let entries =
        a.list_audit_entries(authed(&token, ListAuditEntriesRequest::default())).await.unwrap().into_inner().entries;
    let listed = entries.iter().find(|e| e.action == "invoices_listed").expect("the invoice listing is recorded");
    assert_eq!((listed.actor.as_str(), listed.target.clone()), ("anna", format!("customer:{wohnbau}")));
    let read = entries.iter().find(|e| e.action == "audit_read").expect("reading the audit log is recorded");
    assert_eq!((read.actor.as_str(), read.target.as_str(), read.outcome.as_str()), ("admin", "audit_log", "ok"));
    assert_eq!(read.details["action"], "invoices_listed", "with what was looked for");
    app.stop().await;
}
