//! CN-06: the reconciliation's mismatches (PX-44) and the configuration problems found in pixi
//! (PX-26) as lists of their own, each entry linking to its order or configuration.

use sandbox::System;
use sandbox::pixi::PaymentMethod;
use sandbox::unzer::{PayKind, SeedOutcome};

use super::{WORKER, at, browser, console_app, login, path, rows, shop, shot};
use crate::capture::ship;
use crate::helpers::{PIXI_PASS, PIXI_USER, TestApp};

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
async fn cn_06_mismatches_and_configuration_problems_are_listed_and_lead_to_their_order_and_configuration() {
    let app = console_app(&[]).await;
    let t = shop(&app).await;
    let (nr, _) = t.order(&app, "UNZERCC", PayKind::Card, &[3000], SeedOutcome::Authorized).await;
    app.settle(3).await;
    ship(&app, nr, &[]).await;
    app.advance(5).await;
    app.settle(3).await;
    let invoice = t.pixi(&app, nr).await.documents[0].nr.clone();
    reset_capture(&app, &invoice).await;
    // pixi imports PayPal orders not on HOLD: a configuration problem (PX-26).
    let m = PaymentMethod {
        code: "UNZERPP".into(),
        text: "unzer PayPal".into(),
        xml_tag: "TAGUNZERPP".into(),
        direct_charge: false,
        auto_paid: false,
        ini_status: "ANG".into(),
    };
    app.admin.pixi_add_payment_method(PIXI_USER, &m).await.unwrap();
    app.advance(3601).await;
    app.settle(2).await;
    let (_driver, s) = browser().await;

    login(&s, &at(&app, &t, "abgleich"), WORKER).await;
    s.wait_text("[data-testid=runs]", "Noch kein Abgleich").await;
    s.click("[data-testid=reconcile-run]").await;
    s.wait_text("[data-testid=runs]", "nicht gebucht").await;
    let found = rows(&s, "[data-testid=mismatch-rows]").await;
    assert!(
        found.iter().any(|r| r.starts_with(&nr.to_string()) && r.contains(&invoice) && r.contains("30,00 EUR")),
        "{found:?}"
    );
    shot(&s, "cn06-abgleich").await;
    s.click("[data-testid=mismatch-order]").await;
    s.wait_text("[data-testid=order-title]", &nr.to_string()).await;
    assert!(s.text("[data-testid=order-incidents]").await.contains("RCN-"), "the mismatch is the order's incident");

    s.click("[data-testid=menu-konfigurationsfehler]").await;
    s.wait_text("[data-testid=problem-rows]", "UNZERPP").await;
    assert!(
        rows(&s, "[data-testid=problem-rows]").await.iter().any(|r| r.contains("INITIAL_STATUS") && r.contains("HAL"))
    );
    shot(&s, "cn06-konfigurationsfehler").await;
    s.click("[data-testid=problem-config]").await;
    s.wait_displayed("[data-testid=cfg-form]").await;
    let pp = t.configs.iter().find(|c| c.payment_method == "UNZERPP").unwrap();
    assert!(path(&s).await.ends_with(&format!("/konfiguration/{}", pp.payment_config_id)));
    assert!(s.text("[data-testid=cfg-key]").await.contains("UNZERPP"));
    s.quit().await;
}
