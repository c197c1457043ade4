//! CN-07 beyond the setup: the dashboard's filters with the keyboard alone; the Betrieb screen
//! with a tenant incident, pixi calls per minute and the banner without PUBLIC_BASE_URL; the
//! error page (Fehler-Seite) in the console's look; the user administration.

use sandbox::pixi::Switches;
use sandbox::unzer::{PayKind, SeedOutcome};
use testkit::webdriver::{DOWN, ENTER, TAB};

use super::{ADMIN, at, browser, console_app, login, path, rows, screen, shop, shot, wait_rows};
use crate::helpers::PIXI_USER;

#[tokio::test]
async fn cn_07_the_dashboard_filters_work_with_the_keyboard_alone() {
    let app = console_app(&[]).await;
    let t = shop(&app).await;
    let (ok, _) = t.order(&app, "UNZERCC", PayKind::Card, &[1000], SeedOutcome::Authorized).await;
    let (bad, _) = t.order(&app, "UNZERCC", PayKind::Card, &[2000], SeedOutcome::Failed).await;
    app.settle(3).await;
    let (_driver, s) = browser().await;
    login(&s, &at(&app, &t, "dashboard"), ADMIN).await;
    s.wait_text("[data-testid=order-rows]", &ok.to_string()).await;
    // From the page's start, Tab reaches the filters in reading order.
    s.run("document.activeElement.blur(); window.scrollTo(0, 0);").await;
    let mut seen = Vec::new();
    for _ in 0..40 {
        s.keys(TAB).await;
        let f = s.focused().await;
        if f == "filter-problem" {
            break;
        }
        seen.push(f);
    }
    assert_eq!(s.focused().await, "filter-problem", "reached by Tab after {seen:?}");
    // "Nur Problembestellungen", then "Nur Fehler": arrow keys on the list, Enter in a text field.
    s.keys(&format!("{DOWN}{DOWN}")).await;
    // On through the payment method and the date fields (each date has several parts).
    for _ in 0..15 {
        if s.focused().await == "filter-nr" {
            break;
        }
        s.keys(TAB).await;
    }
    assert_eq!(s.focused().await, "filter-nr");
    s.keys(ENTER).await;
    wait_rows(&s, "[data-testid=order-rows]", 1).await;
    assert!(path(&s).await.contains("problem=error"), "{}", path(&s).await);
    assert!(rows(&s, "[data-testid=order-rows]").await[0].contains(&bad.to_string()));
    shot(&s, "cn07-tastatur-filter").await;
    // And on to the order with the keyboard.
    s.run("document.querySelector('[data-testid=order-link]').focus();").await;
    s.keys(ENTER).await;
    s.wait_text("[data-testid=order-title]", &bad.to_string()).await;
    s.quit().await;
}

#[tokio::test]
async fn cn_07_betrieb_shows_a_tenant_incident_pixi_calls_per_minute_and_the_missing_public_base_url() {
    let app = console_app(&[("PUBLIC_BASE_URL", "")]).await;
    let t = shop(&app).await;
    let uninstall = Switches { uninstall: vec!["pixiPayGetOrdersToAuthorize".into()], ..Switches::default() };
    app.admin.pixi_switches(PIXI_USER, &uninstall).await.unwrap();
    t.order(&app, "UNZERCC", PayKind::Card, &[1000], SeedOutcome::Authorized).await;
    app.settle(3).await;
    let (_driver, s) = browser().await;
    login(&s, &at(&app, &t, "betrieb"), ADMIN).await;
    s.wait_text("[data-testid=ops-incidents]", "pixiPayGetOrdersToAuthorize").await;
    s.wait_text("[data-testid=banner-incident]", "pixiPayGetOrdersToAuthorize").await;
    s.wait_text("[data-testid=banner-public-url]", "PUBLIC_BASE_URL").await;
    let calls: i64 = s.text("[data-testid=calls-hour]").await.parse().unwrap();
    assert!(calls > 0, "pixi calls of the last hour");
    shot(&s, "cn07-betrieb").await;
    // The banner stays on every screen of the tenant.
    s.click("[data-testid=menu-dashboard]").await;
    s.wait_text("[data-testid=banner-incident]", "pixiPayGetOrdersToAuthorize").await;
    // The error page, without login, says the same.
    // Without PUBLIC_BASE_URL the link is relative to the public port.
    s.goto(&format!("{}{}", app.public_url, t.error_page_url)).await;
    let page = s.text("body").await;
    assert!(page.contains("Störungen") && page.contains("pixiPayGetOrdersToAuthorize"), "{page}");
    s.screenshot(&screen("cn07-fehler-seite")).await;
    s.quit().await;
}

#[tokio::test]
async fn cn_07_an_admin_creates_a_user_changes_its_role_and_deactivates_it() {
    let app = console_app(&[]).await;
    let t = shop(&app).await;
    let (_driver, s) = browser().await;
    login(&s, &at(&app, &t, "benutzer"), ADMIN).await;
    s.wait_text("[data-testid=user-rows]", "vera@muster.example").await;
    s.fill("[data-testid=user-new-username]", "lea").await;
    s.fill("[data-testid=user-new-name]", "Lea Lager").await;
    s.fill("[data-testid=user-new-password]", "kurz").await;
    s.click("[data-testid=user-create]").await;
    s.wait_text("#user-form [data-error=password]", "Mindestens 12 Zeichen").await;
    s.fill("[data-testid=user-new-password]", "lea-passwort-12").await;
    s.click("[data-testid=user-create]").await;
    s.wait_text("[data-testid=user-rows]", "Lea Lager").await;
    shot(&s, "cn07-benutzer").await;
    s.run("const r = document.querySelector('[data-username=lea]'); r.querySelector('select').value = 'operator'; r.querySelector('input[type=checkbox]').checked = false;").await;
    s.click("[data-username=lea] [data-testid=user-save]").await;
    s.wait_text("[data-testid=toasts]", "Benutzer lea gespeichert").await;
    let (role, active): (String, bool) =
        sqlx::query_as("SELECT role, active FROM console_users WHERE username = 'lea'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!((role.as_str(), active), ("operator", false));
    let audit: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action LIKE 'console_user_%' AND actor = $1")
            .bind(ADMIN.0)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(audit, 2, "created and changed, audited");
    s.quit().await;
}
