//! CN-02 (pixi API) and CN-03 (E-Mail) in the browser: list, create, edit, "Verbindung testen"
//! with the preflight's table, at most two configurations, deactivation while pixi is down,
//! refused credentials, field errors at the field; SMTP secrets write-only, the test mail's
//! outcome shown either way.

use sandbox::{FailMode, FaultSpec, System};

use super::{ADMIN, at, browser, console_app, login, rows, shop, shot, wait_value};
use crate::helpers::{PIXI_PASS, PIXI_USER};

#[tokio::test]
async fn cn_02_pixi_api_configurations_are_listed_created_edited_tested_and_deactivated_while_pixi_is_down() {
    let app = console_app(&[]).await;
    let t = shop(&app).await;
    let (_driver, s) = browser().await;
    login(&s, &at(&app, &t, "pixi-api"), ADMIN).await;
    s.wait_text("[data-testid=pixi-rows]", "live").await;
    shot(&s, "cn02-pixi-api-liste").await;

    // "Verbindung testen": the preflight's table.
    s.click("[data-testid=pixi-test]").await;
    s.wait_text("[data-testid=preflight-summary]", "Verbindung in Ordnung").await;
    let checks = rows(&s, "[data-testid=preflight-rows]").await;
    assert!(checks.iter().any(|c| c.contains("calls installed") && c.contains("OK")), "{checks:?}");
    assert!(checks.iter().any(|c| c.contains("unzer private key accepted")), "{checks:?}");
    shot(&s, "cn02-verbindung-testen").await;

    // Field errors at the field, in German; nothing saved.
    s.click("[data-testid=pixi-new]").await;
    s.fill("[data-testid=pixi-name]", "").await;
    s.fill("[data-testid=pixi-endpoint]", "ftp://pixi.example").await;
    s.fill("[data-testid=pixi-user]", "a:b").await;
    s.click("[data-testid=pixi-save]").await;
    s.wait_text("#pixi-form [data-error=endpoint]", "http(s)-Adresse").await;
    assert!(s.text("#pixi-form [data-error=name]").await.contains("Pflichtfeld"));
    assert!(s.text("#pixi-form [data-error=user]").await.contains("Doppelpunkt"));
    assert!(s.attr("[data-testid=pixi-endpoint]", "class").await.contains("invalid"));
    shot(&s, "cn02-feldfehler").await;

    // Wrong credentials: refused by pixi, said so, nothing saved.
    let endpoint = format!("{}/soap/{PIXI_USER}/", app.sandbox.url(System::Pixi));
    s.fill("[data-testid=pixi-name]", "Test").await;
    s.fill("[data-testid=pixi-endpoint]", &endpoint).await;
    s.fill("[data-testid=pixi-user]", PIXI_USER).await;
    s.fill("[data-testid=pixi-password]", "falsches-passwort").await;
    s.click("[data-testid=pixi-save]").await;
    s.wait_text("[data-testid=pixi-form-error]", "Zugangsdaten abgelehnt").await;
    shot(&s, "cn02-zugangsdaten-abgelehnt").await;
    assert_eq!(rows(&s, "[data-testid=pixi-rows]").await.len(), 1);
    // Right: saved; with two the limit is reached (PX-01).
    s.fill("[data-testid=pixi-password]", PIXI_PASS).await;
    s.click("[data-testid=pixi-save]").await;
    s.wait_text("[data-testid=pixi-rows]", "Test").await;
    assert!(s.displayed("[data-testid=pixi-limit]").await);
    assert_eq!(s.attr("[data-testid=pixi-new]", "disabled").await, "true");
    // Edit: the password stays unless typed.
    s.click("[data-testid=pixi-rows] tr:nth-child(2) [data-testid=pixi-edit]").await;
    s.fill("[data-testid=pixi-timezone]", "Europe/Zurich").await;
    s.click("[data-testid=pixi-save]").await;
    s.wait_text("[data-testid=pixi-rows] tr:nth-child(2)", "Europe/Zurich").await;
    shot(&s, "cn02-zwei-konfigurationen").await;

    // pixi is down: deactivating works (no test call), activating does not.
    app.admin.add_fault(&FaultSpec::fail_times(System::Pixi, "*", FailMode::Error, 0)).await.unwrap();
    s.click("[data-testid=pixi-rows] tr:nth-child(2) [data-testid=pixi-toggle]").await;
    s.wait_text("[data-testid=pixi-rows] tr:nth-child(2)", "Inaktiv").await;
    s.click("[data-testid=pixi-rows] tr:nth-child(2) [data-testid=pixi-toggle]").await;
    s.wait_text("[data-testid=toasts]", "pixi ist gerade nicht erreichbar").await;
    shot(&s, "cn02-pixi-nicht-erreichbar").await;
    assert!(rows(&s, "[data-testid=pixi-rows]").await[1].contains("Inaktiv"));
    s.quit().await;
}

#[tokio::test]
async fn cn_03_the_e_mail_settings_keep_the_password_write_only_and_the_test_mail_outcome_is_shown() {
    let app = console_app(&[]).await;
    let t = shop(&app).await;
    let (_driver, s) = browser().await;
    login(&s, &at(&app, &t, "e-mail"), ADMIN).await;
    s.wait_displayed("[data-testid=smtp-form]").await;
    wait_value(&s, "[data-testid=smtp-recipient]", "buchhaltung@muster.example").await;

    // Field errors at the field.
    s.fill("[data-testid=smtp-port]", "fünfhundert").await;
    s.fill("[data-testid=smtp-recipient]", "a@muster.example, b@muster.example").await;
    s.click("[data-testid=smtp-save]").await;
    s.wait_text("#smtp-form [data-error=port]", "ganze Zahl").await;
    s.fill("[data-testid=smtp-port]", &app.sandbox.addr(System::Smtp).port().to_string()).await;
    s.click("[data-testid=smtp-save]").await;
    s.wait_text("#smtp-form [data-error=recipient]", "Weiterleitung").await;
    shot(&s, "cn03-feldfehler").await;

    // A password is stored and never shown again.
    s.fill("[data-testid=smtp-recipient]", "buchhaltung@muster.example").await;
    s.fill("[data-testid=smtp-password]", "geheimes-smtp-passwort").await;
    s.click("[data-testid=smtp-save]").await;
    s.wait_text("[data-testid=toasts]", "E-Mail Konfiguration gespeichert").await;
    s.goto(&at(&app, &t, "e-mail")).await;
    s.wait_displayed("#smtp-password-stored").await;
    assert_eq!(s.value("[data-testid=smtp-password]").await, "");
    let source = s.run("return document.documentElement.outerHTML;").await;
    assert!(!source.as_str().unwrap().contains("geheimes-smtp-passwort"));
    let json = s
        .run_async(&format!(
            "const done = arguments[arguments.length - 1]; fetch('/api/o/{}/smtp').then(r => r.text()).then(done);",
            t.tenant_id
        ))
        .await;
    assert!(!json.as_str().unwrap().contains("geheimes-smtp-passwort"), "write-only");

    // The test mail: refused by the server, then accepted — the outcome is shown.
    app.admin.add_fault(&FaultSpec::fail_times(System::Smtp, "send", FailMode::Error, 1)).await.unwrap();
    s.click("[data-testid=smtp-test]").await;
    s.wait_text("[data-testid=smtp-test-result]", "❌ Die Test-E-Mail wurde nicht angenommen").await;
    shot(&s, "cn03-test-e-mail-fehlgeschlagen").await;
    s.click("[data-testid=smtp-test]").await;
    s.wait_text("[data-testid=smtp-test-result]", "✅ Test-E-Mail an buchhaltung@muster.example gesendet").await;
    shot(&s, "cn03-test-e-mail-gesendet").await;
    assert_eq!(app.admin.smtp_messages().await.unwrap().len(), 1);
    s.quit().await;
}
