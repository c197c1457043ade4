//! CN-04: the Konfigurations-Center — a new configuration in the seed's order (pixi API →
//! Mandant → Zahlart from pixi → fields), the seed's explanations as help texts, editing with the
//! warning about processed orders, a copy to another Mandant that is a draft until saved.

use proto::payops::pixi_sync::v1 as pb;
use sandbox::unzer::{PayKind, SeedOutcome};

use super::{ADMIN, at, browser, console_app, login, path, select, shop, shot, wait_option};

async fn configs(app: &crate::helpers::Instance, t: &crate::helpers::Tenant) -> Vec<pb::PaymentConfig> {
    let req = pb::ListPaymentConfigsRequest { tenant_id: t.tenant_id.clone(), pixi_api_config_id: String::new() };
    app.configs().await.list_payment_configs(req).await.unwrap().into_inner().configs
}

#[tokio::test]
async fn cn_04_configurations_are_created_in_the_seeds_order_edited_with_the_warning_and_copied_as_a_draft_that_must_be_saved()
 {
    let app = console_app(&[]).await;
    let t = shop(&app).await;
    t.order(&app, "UNZERCC", PayKind::Card, &[1000], SeedOutcome::Authorized).await;
    app.settle(3).await;
    let cc = t.configs.iter().find(|c| c.payment_method == "UNZERCC").unwrap().payment_config_id.clone();
    let (_driver, s) = browser().await;
    login(&s, &at(&app, &t, "konfiguration"), ADMIN).await;

    // New: pixi API first, then the Mandant, then the Zahlarten pixi lists.
    s.click("[data-testid=cfg-new]").await;
    select(&s, "[data-testid=cfg-new-api]", &t.api_id).await;
    wait_option(&s, "[data-testid=cfg-new-method]", "VORKASSE").await;
    let offered = s.text("[data-testid=cfg-new-method]").await;
    for m in ["UNZERCC", "UNZERPP", "VORKASSE", "UNZERINV", "UNZERDD"] {
        assert!(offered.contains(m), "pixi's methods are offered: {offered}");
    }
    s.click("[data-testid=cfg-new-next]").await;
    s.wait_text("#cfg-new-form [data-error=mandant]", "Pflichtfeld").await;
    shot(&s, "cn04-neu-reihenfolge").await;

    // The seed's explanations as help texts; the mode's information changes with the mode.
    s.goto(&format!("{}/{cc}", at(&app, &t, "konfiguration"))).await;
    s.wait_displayed("[data-testid=cfg-form]").await;
    let help = s.run("return [...document.querySelectorAll('#cfg-form .help')].map(h => h.getAttribute('aria-label')).join(' | ');").await;
    let help = help.as_str().unwrap().to_owned();
    for text in [
        "Wenn die pixi API Konfiguration deaktiviert ist, bleibt auch die Konfiguration deaktiviert",
        "Eventkürzel des angelegten Events in pixi für Rechnungen",
        "Eventkürzel des angelegten Events in pixi für Retouren",
        "Bitte nur den Namen ohne Sonderzeichen eintragen",
        "Maximale Differenz in der kleinsten Einheit",
        "Dein Public Key von unzer",
        "Dein Private Key von unzer",
        "Bei Rechnungskauf-Zahlungsarten wie z. B. unzer Paylater Invoice hat diese Einstellung keine Auswirkung",
    ] {
        assert!(help.contains(text), "help text {text:?} in {help}");
    }
    s.run("document.querySelector('#cfg-form [data-testid=cfg-xml-tag]').closest('label').querySelector('.help').focus();").await;
    shot(&s, "cn04-hilfetext").await;
    select(&s, "[data-testid=cfg-mode]", "standard").await;
    assert!(s.text("[data-testid=mode-info]").await.starts_with("Standard"));
    select(&s, "[data-testid=cfg-mode]", "expert").await;
    assert!(s.text("[data-testid=mode-info]").await.starts_with("Experte"));

    // Edit: the seed's warning, with how many orders it concerns.
    let warning = s.text("[data-testid=cfg-edit-warning]").await;
    assert!(warning.contains("bereits 1 Bestellungen") && warning.contains("Vorsicht"), "{warning}");
    assert!(s.displayed("#cfg-key-stored").await, "the private key is stored, not shown");
    assert_eq!(s.value("[data-testid=cfg-private-key]").await, "");
    shot(&s, "cn04-bearbeiten-warnung").await;
    s.fill("[data-testid=cfg-xml-tag]", "UNZER-CC").await;
    s.click("[data-testid=cfg-save]").await;
    s.wait_text("#cfg-form [data-error=xml_tag]", "Nur Buchstaben und Ziffern").await;
    shot(&s, "cn04-feldfehler").await;
    s.fill("[data-testid=cfg-xml-tag]", "UNZERCC").await;
    s.fill("[data-testid=cfg-tolerance]", "5").await;
    s.click("[data-testid=cfg-save]").await;
    let saved = s.wait_text("[data-testid=cfg-saved]", "Gespeichert").await;
    assert!(saved.contains("Fehler hervorrufen"), "the save's warning (PX-05): {saved}");
    assert_eq!(configs(&app, &t).await.iter().find(|c| c.payment_config_id == cc).unwrap().rounding_tolerance_minor, 5);

    // Copy to another Mandant: a draft until saved ("Das Speichern … ist notwendig!").
    s.click("[data-testid=cfg-copy]").await;
    select(&s, "[data-testid=cfg-copy-source]", &cc).await;
    select(&s, "[data-testid=cfg-copy-api]", &t.api_id).await;
    s.fill("[data-testid=cfg-copy-mandant]", "NRD").await;
    wait_option(&s, "[data-testid=cfg-copy-method]", "UNZERCC").await;
    select(&s, "[data-testid=cfg-copy-method]", "UNZERCC").await;
    s.click("[data-testid=cfg-copy-make]").await;
    s.wait_text("[data-testid=cfg-draft]", "Das Speichern der Konfigurations-Felder ist notwendig!").await;
    assert!(s.text("[data-testid=cfg-key]").await.contains("Mandant NRD · UNZERCC"));
    assert_eq!(s.value("[data-testid=cfg-xml-tag]").await, "UNZERCC", "the fields come from the source");
    shot(&s, "cn04-kopie-entwurf").await;
    assert_eq!(configs(&app, &t).await.len(), 5, "a draft is not saved");
    s.click("[data-testid=cfg-save]").await;
    s.wait_text("[data-testid=cfg-saved]", "Mandant NRD").await;
    let all = configs(&app, &t).await;
    let copy = all.iter().find(|c| c.mandant == "NRD").expect("saved");
    assert!(copy.has_private_key && copy.copied_from_payment_config_id == cc, "{copy:?}");
    assert!(path(&s).await.ends_with(&format!("/konfiguration/{}", copy.payment_config_id)));
    s.quit().await;
}
