//! The three-way reconciliation (PX-44): pixi documents ↔ unzer charges and refunds ↔ pixi
//! bookings, scheduled and on demand; mismatches on the dashboard, as attention events and in
//! a metric.

use kit::bus::event::unpack;
use proto::payops::events::v1::Attention;
use proto::payops::pixi_sync::v1 as pb;
use sandbox::System;
use sandbox::pixi::CreditNoteRequest;
use sandbox::unzer::{ChargebackReq, PayKind, SeedOutcome};

use crate::capture::ship;
use crate::helpers::{METHODS, PIXI_PASS, PIXI_USER, Tenant, TestApp};

/// Resets an invoice's payment in pixi through SOAP (as a pixi user might by mistake).
async fn reset_capture(app: &TestApp, invoice: &str) {
    let body = format!(
        r#"<?xml version="1.0"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns1="https://apigateway.descartes.com/tms/pixi/"><SOAP-ENV:Body><ns1:pixiPaySetInvoiceCapture><PayID>x</PayID><PayCode>CC</PayCode><InvoiceNr>{invoice}</InvoiceNr><CaptureSum>0</CaptureSum><Success>0</Success><Message>reset by hand</Message><SetRemainingOrdersToHAL>0</SetRemainingOrdersToHAL></ns1:pixiPaySetInvoiceCapture></SOAP-ENV:Body></SOAP-ENV:Envelope>"#
    );
    let r = reqwest::Client::new()
        .post(format!("{}/soap/{PIXI_USER}/", app.sandbox.url(System::Pixi)))
        .basic_auth(PIXI_USER, Some(PIXI_PASS))
        .header("content-type", "text/xml; charset=utf-8")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn px_44_reconciliation_lists_every_mismatch_on_the_dashboard_as_attention_and_in_a_metric() {
    let app = TestApp::spawn_with(&[("RECONCILE_INTERVAL", "1h")]).await;
    let t = Tenant::setup(&app, pb::Mode::Expert, &METHODS).await;
    let (clean, _) = t.order(&app, "UNZERCC", PayKind::Card, &[6000, 4000], SeedOutcome::Authorized).await;
    let (reset, _) = t.order(&app, "UNZERCC", PayKind::Card, &[3000], SeedOutcome::Authorized).await;
    let (charged_back, cb_pay) = t.order(&app, "UNZERPP", PayKind::Paypal, &[2000], SeedOutcome::Authorized).await;
    app.settle(3).await;
    for nr in [clean, reset, charged_back] {
        ship(&app, nr, &[]).await;
    }
    app.advance(5).await;
    app.settle(3).await;
    let o = t.pixi(&app, clean).await;
    app.admin
        .pixi_credit_note(PIXI_USER, clean, &CreditNoteRequest { lines: vec![o.lines[1].key], ..Default::default() })
        .await
        .unwrap();
    app.advance(5).await;
    app.settle(3).await;

    let mut d = app.dashboard().await;
    let req = pb::RunReconciliationRequest { tenant_id: t.tenant_id.clone(), pixi_api_config_id: String::new() };
    let ok = d.run_reconciliation(req.clone()).await.unwrap().into_inner();
    assert_eq!(ok.runs.len(), 1);
    assert_eq!((ok.runs[0].orders_checked, ok.runs[0].mismatches), (3, 0), "{:?}", ok.mismatches);

    // Someone resets an invoice's payment in pixi; the buyer's bank charges back at unzer.
    let reset_inv = t.pixi(&app, reset).await.documents[0].nr.clone();
    reset_capture(&app, &reset_inv).await;
    app.admin.unzer_chargeback(&cb_pay, &ChargebackReq::default()).await.unwrap();
    let found = d.run_reconciliation(req).await.unwrap().into_inner();
    let mut codes: Vec<(i64, String, String)> =
        found.mismatches.iter().map(|m| (m.order_nr, m.document_nr.clone(), m.code.clone())).collect();
    codes.sort();
    assert_eq!(
        codes,
        [(reset, reset_inv.clone(), "NOT_BOOKED".to_owned()), (charged_back, String::new(), "NET_DIFFERS".to_owned())]
    );
    let nb = found.mismatches.iter().find(|m| m.code == "NOT_BOOKED").unwrap();
    assert_eq!(nb.pixi_amount.as_ref().unwrap().amount_minor, 3000);
    assert_eq!(nb.booked_amount.as_ref().unwrap().amount_minor, 0);
    let nd = found.mismatches.iter().find(|m| m.code == "NET_DIFFERS").unwrap();
    assert_eq!(
        (nd.pixi_amount.as_ref().unwrap().amount_minor, nd.unzer_amount.as_ref().unwrap().amount_minor),
        (2000, 0)
    );

    // On the dashboard (as incidents), as attention events, in the metric.
    let listed = d
        .list_mismatches(pb::ListMismatchesRequest {
            tenant_id: t.tenant_id.clone(),
            pixi_api_config_id: t.api_id.clone(),
            run_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.mismatches.len(), 2);
    let incident = t.dashboard_order(&app, reset).await;
    assert_eq!(incident.order.unwrap().problem, pb::Problem::Error as i32);
    assert!(incident.incidents.iter().any(|i| i.incident_id == nb.incident_id && i.code == "RECONCILE_NOT_BOOKED"));
    let attention: Vec<Attention> =
        app.events().await.iter().filter(|(_, e)| e.r#type == "attention").map(|(_, e)| unpack(e).unwrap()).collect();
    assert!(attention.iter().any(|a| a.incident_id == nb.incident_id));
    assert!(attention.iter().any(|a| a.incident_id == nd.incident_id));
    let metrics = reqwest::get(format!("{}/metrics", app.admin_url)).await.unwrap().text().await.unwrap();
    assert!(metrics.contains("payops_pixi_sync_reconciliation_mismatches"), "{metrics}");

    // Scheduled: the next run comes by itself once the interval passed.
    app.pass().await;
    app.advance(2 * 3600).await;
    app.pass().await;
    let scheduled: i64 = sqlx::query_scalar("SELECT count(*) FROM reconciliation_runs WHERE trigger = 'scheduled'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(scheduled, 1);
}

#[tokio::test]
async fn px_44_a_prepayment_paid_by_transfers_and_partly_returned_reconciles_without_a_mismatch() {
    // unzer keeps the initial charge pending and books each transfer as a charge of its own: the
    // net at unzer is what the buyer owes less what went back, not the initial plus the receipts.
    let app = TestApp::spawn_with(&[("RECONCILE_INTERVAL", "1h")]).await;
    let t = Tenant::setup(&app, pb::Mode::Expert, &METHODS).await;
    let (nr, pay) = t.order(&app, "VORKASSE", PayKind::Prepayment, &[6000, 4000], SeedOutcome::Natural).await;
    app.settle(3).await;
    app.admin.unzer_receive_transfer(&pay, Some(6000)).await.unwrap();
    app.admin.unzer_receive_transfer(&pay, Some(4000)).await.unwrap();
    app.advance(700).await;
    app.settle(3).await;
    ship(&app, nr, &[]).await;
    app.advance(5).await;
    app.settle(3).await;
    let o = t.pixi(&app, nr).await;
    app.admin
        .pixi_credit_note(PIXI_USER, nr, &CreditNoteRequest { lines: vec![o.lines[1].key], ..Default::default() })
        .await
        .unwrap();
    app.advance(5).await;
    app.settle(3).await;
    assert!(t.dashboard_order(&app, nr).await.order.unwrap().state == pb::SyncState::Completed as i32);
    let mut d = app.dashboard().await;
    let req = pb::RunReconciliationRequest { tenant_id: t.tenant_id.clone(), pixi_api_config_id: String::new() };
    let r = d.run_reconciliation(req).await.unwrap().into_inner();
    assert_eq!((r.runs[0].orders_checked, r.runs[0].mismatches), (1, 0), "{:?}", r.mismatches);
}
