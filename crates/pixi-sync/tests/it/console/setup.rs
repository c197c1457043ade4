//! CN-07: someone who never read the code sets up a tenant from nothing — organisation, pixi
//! API, e-mail, one payment configuration — and sees the first synced order, using only the
//! console (the shop's order import and the service's own work are the world around it).

use sandbox::System;
use sandbox::pixi::OrderStatus;
use sandbox::unzer::{NewMerchant, PayKind, SeedOutcome, SeedPayment};

use super::{OPERATOR, browser, console_app, login, path, rows, select, shot, wait_option};
use crate::helpers::{PIXI_PASS, PIXI_USER, seed};

#[tokio::test]
async fn cn_07_an_operator_sets_up_a_tenant_from_nothing_to_the_first_synced_order_using_only_the_console() {
    let app = console_app(&[]).await;
    // What the merchant got from pixi support and from unzer Insights.
    app.admin.pixi_user(PIXI_USER, PIXI_PASS).await.unwrap();
    let merchant = app.admin.unzer_create_merchant(&NewMerchant::default()).await.unwrap();
    let smtp = app.sandbox.addr(System::Smtp);
    let (_driver, s) = browser().await;

    login(&s, &app.console_url, OPERATOR).await;
    s.wait_displayed("[data-testid=screen-organisationen]").await;
    shot(&s, "cn07-setup-01-organisationen-leer").await;
    s.fill("[data-testid=org-new-name]", "Muster Shop GmbH").await;
    s.click("[data-testid=org-create]").await;
    let link = s.wait_text("[data-testid=org-created-link]", "/errors/").await;
    assert!(link.contains("/errors/"), "{link}");
    shot(&s, "cn07-setup-02-organisation-angelegt").await;
    s.click("[data-testid=org-created-open]").await;

    // pixi API: the credentials are tested when saved.
    s.wait_displayed("[data-testid=screen-pixi-api]").await;
    s.click("[data-testid=pixi-new]").await;
    s.fill("[data-testid=pixi-name]", "Live").await;
    s.fill("[data-testid=pixi-endpoint]", &format!("{}/soap/{PIXI_USER}/", app.sandbox.url(System::Pixi))).await;
    s.fill("[data-testid=pixi-user]", PIXI_USER).await;
    s.fill("[data-testid=pixi-password]", PIXI_PASS).await;
    s.click("[data-testid=pixi-save]").await;
    s.wait_text("[data-testid=pixi-rows]", "Live").await;
    assert!(rows(&s, "[data-testid=pixi-rows]").await[0].contains("Aktiv"));
    shot(&s, "cn07-setup-03-pixi-api").await;

    // E-Mail, and the test mail arrives.
    s.click("[data-testid=menu-e-mail]").await;
    s.wait_displayed("[data-testid=smtp-form]").await;
    s.wait_state("[data-testid=smtp-form]", "ready").await;
    s.fill("[data-testid=smtp-host]", &smtp.ip().to_string()).await;
    s.fill("[data-testid=smtp-port]", &smtp.port().to_string()).await;
    select(&s, "[data-testid=smtp-tls]", "none").await;
    s.fill("[data-testid=smtp-sender]", "unzer-app@muster.example").await;
    s.fill("[data-testid=smtp-recipient]", "buchhaltung@muster.example").await;
    s.click("[data-testid=smtp-save]").await;
    s.wait_text("[data-testid=toasts]", "E-Mail Konfiguration gespeichert").await;
    s.click("[data-testid=smtp-test]").await;
    s.wait_text("[data-testid=smtp-test-result]", "Test-E-Mail an buchhaltung@muster.example gesendet").await;
    shot(&s, "cn07-setup-04-e-mail-test").await;
    let mails = app.admin.smtp_messages().await.unwrap();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].recipients, ["buchhaltung@muster.example"]);

    // Konfigurations-Center in the seed's order: pixi API → Mandant → Zahlart → fields.
    s.click("[data-testid=menu-konfiguration]").await;
    s.wait_displayed("[data-testid=cfg-new]").await;
    s.click("[data-testid=cfg-new]").await;
    let api_id = s.run("return document.querySelector('[data-testid=cfg-new-api] option:nth-child(2)').value;").await;
    select(&s, "[data-testid=cfg-new-api]", api_id.as_str().unwrap()).await;
    s.fill("[data-testid=cfg-new-mandant]", "DEM").await;
    wait_option(&s, "[data-testid=cfg-new-method]", "UNZERCC").await;
    select(&s, "[data-testid=cfg-new-method]", "UNZERCC").await;
    shot(&s, "cn07-setup-05-konfiguration-neu").await;
    s.click("[data-testid=cfg-new-next]").await;
    s.wait_displayed("[data-testid=cfg-form]").await;
    s.fill("[data-testid=cfg-invoice-event]", "UZE").await;
    s.fill("[data-testid=cfg-return-event]", "UZR").await;
    s.fill("[data-testid=cfg-xml-tag]", "UNZERCC").await;
    s.fill("[data-testid=cfg-tolerance]", "2").await;
    s.fill("[data-testid=cfg-public-key]", &merchant.public_key).await;
    s.fill("[data-testid=cfg-private-key]", &merchant.private_key).await;
    select(&s, "[data-testid=cfg-mode]", "expert").await;
    shot(&s, "cn07-setup-06-konfiguration-felder").await;
    s.click("[data-testid=cfg-save]").await;
    let saved = s.wait_text("[data-testid=cfg-saved]", "Gespeichert").await;
    assert!(saved.contains("aktiv"), "{saved}");
    assert!(path(&s).await.contains("/konfiguration/"), "the configuration has its own address");

    // The shop imports an order into pixi; the service does its work.
    let pay = app
        .admin
        .unzer_seed_payment(&SeedPayment {
            private_key: merchant.private_key.clone(),
            kind: PayKind::Card,
            amount_minor: 4990,
            currency: "EUR".into(),
            order_id: String::new(),
            invoice_id: String::new(),
            payment_reference: String::new(),
            outcome: SeedOutcome::Authorized,
            charged_minor: None,
            at: None,
        })
        .await
        .unwrap();
    let order = app.admin.pixi_seed_order(PIXI_USER, &seed("UNZERCC", Some(pay.id), &[4990], 0)).await.unwrap();
    app.settle(3).await;
    assert_eq!(app.admin.pixi_order(PIXI_USER, order.order_nr).await.unwrap().status, OrderStatus::Open);

    // The first synced order on the dashboard, and its detail.
    s.click("[data-testid=menu-dashboard]").await;
    let first = s.wait_text("[data-testid=order-rows]", &order.order_nr.to_string()).await;
    assert!(first.contains("Freigegeben"), "{first}");
    shot(&s, "cn07-setup-07-dashboard-erste-bestellung").await;
    s.click("[data-testid=order-link]").await;
    s.wait_text("[data-testid=order-title]", &order.order_nr.to_string()).await;
    let history = s.text("[data-testid=order-history]").await;
    assert!(!history.is_empty());
    shot(&s, "cn07-setup-08-bestellung").await;
    s.quit().await;
}
