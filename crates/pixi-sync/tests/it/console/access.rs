//! CN-01: the console's own port, in German, behind a login whose roles carry the gRPC
//! permission names, bound to the user's tenant, CSRF-protected, no inline code, every screen
//! at a stable address — including the order link hotline-api shows (HL-41).

use proto::payops::pixi_sync::v1 as pb;
use sandbox::unzer::{PayKind, SeedOutcome};

use super::{ADMIN, VIEWER, WORKER, at, browser, console_app, fetch, login, path, shop, shot};
use crate::helpers::Tenant;

#[tokio::test]
async fn cn_01_every_screen_has_a_stable_address_that_leads_there_after_the_login_and_hotline_links_land_on_the_order()
{
    let app = console_app(&[]).await;
    let t = shop(&app).await;
    let (nr, _) = t.order(&app, "UNZERCC", PayKind::Card, &[1000], SeedOutcome::Authorized).await;
    app.settle(3).await;
    let (_driver, s) = browser().await;

    // A filtered dashboard address opened without a session: the login, then that very screen.
    let deep = format!("{}?problem=none&method=UNZERCC", at(&app, &t, "dashboard"));
    s.goto(&deep).await;
    s.wait_displayed("[data-testid=login-username]").await;
    shot(&s, "cn01-anmeldung").await;
    s.fill("[data-testid=login-username]", ADMIN.0).await;
    s.fill("[data-testid=login-password]", "falsch-falsch-falsch").await;
    s.click("[data-testid=login-submit]").await;
    s.wait_text("[data-testid=login-error]", "Benutzername oder Passwort falsch").await;
    shot(&s, "cn01-anmeldung-fehlgeschlagen").await;
    s.fill("[data-testid=login-password]", ADMIN.1).await;
    s.click("[data-testid=login-submit]").await;
    s.wait_text("[data-testid=order-rows]", &nr.to_string()).await;
    assert_eq!(s.value("[data-testid=filter-problem]").await, "none");
    assert!(path(&s).await.ends_with("/dashboard?problem=none&method=UNZERCC"), "{}", path(&s).await);

    // Every screen by its address, with its menu entry marked.
    for (screen, menu) in [
        ("pixi-api", "menu-pixi-api"),
        ("e-mail", "menu-e-mail"),
        ("konfiguration", "menu-konfiguration"),
        ("dashboard", "menu-dashboard"),
        ("abgleich", "menu-abgleich"),
        ("konfigurationsfehler", "menu-konfigurationsfehler"),
        ("betrieb", "menu-betrieb"),
        ("benutzer", "menu-benutzer"),
    ] {
        s.goto(&at(&app, &t, screen)).await;
        s.wait_displayed(&format!("[data-testid=screen-{screen}]")).await;
        assert!(s.attr(&format!("[data-testid={menu}]"), "class").await.contains("active"), "{screen}");
    }
    // hotline-api's order link (PIXI_SYNC_DASHBOARD_URL = <console>/bestellungen/{order_id}).
    s.goto(&format!("{}/bestellungen/{nr}", app.console_url)).await;
    s.wait_text("[data-testid=order-title]", &format!("Bestellung {nr}")).await;
    assert!(path(&s).await.contains(&format!("/o/{}/bestellung/{}/{nr}", t.tenant_id, t.api_id)));
    shot(&s, "cn01-bestellung-aus-dem-hotline-link").await;
    s.goto(&format!("{}/bestellungen/999999", app.console_url)).await;
    s.wait_text("[data-testid=lookup-empty]", "Keine von der App verarbeitete Bestellung 999999").await;
    s.goto(&format!("{}/o/{}/gibt-es-nicht", app.console_url, t.tenant_id)).await;
    s.wait_displayed("[data-testid=screen-unbekannt]").await;

    // Strict CSP, no inline code; API answers not cached.
    let page = reqwest::get(at(&app, &t, "dashboard")).await.unwrap();
    let csp = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
    let html = page.text().await.unwrap();
    assert!(!html.contains("<script>") && html.contains("<script src=\"/console.js\""));
    let api = reqwest::get(format!("{}/api/me", app.console_url)).await.unwrap();
    assert_eq!(api.status(), 401);
    assert_eq!(api.headers()["cache-control"], "no-store");
    // Logins are audited.
    let logins: Vec<(String, String)> =
        sqlx::query_as("SELECT actor, action FROM audit_log WHERE action LIKE 'console_login%' ORDER BY id")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        logins,
        [("anonymous".into(), "console_login_refused".into()), (ADMIN.0.into(), "console_login".into())]
    );
    s.quit().await;
}

#[tokio::test]
async fn cn_01_roles_carry_the_grpc_permission_names_and_a_user_sees_only_its_tenant() {
    let app = console_app(&[]).await;
    let t = shop(&app).await;
    let other = Tenant::setup_named(&app, "Andere GmbH", "andere-api", pb::Mode::Expert, &["UNZERCC"]).await;
    let (nr, _) = t.order(&app, "UNZERCC", PayKind::Card, &[1000], SeedOutcome::Failed).await;
    app.settle(3).await;
    let (_driver, s) = browser().await;

    // Viewer ("Lesen"): reads, changes nothing — hidden in the page and refused by the server.
    login(&s, &at(&app, &t, "e-mail"), VIEWER).await;
    s.wait_displayed("[data-testid=smtp-form]").await;
    let me = s
        .run_async("const done = arguments[arguments.length - 1]; fetch('/api/me').then(r => r.json()).then(done);")
        .await;
    let perms: Vec<&str> = me["user"]["permissions"].as_array().unwrap().iter().map(|p| p.as_str().unwrap()).collect();
    assert_eq!(perms, ["pixi.tenants.read", "pixi.config.read", "pixi.orders.read"]);
    assert!(!s.displayed("[data-testid=smtp-save]").await && !s.displayed("[data-testid=menu-benutzer]").await);
    shot(&s, "cn01-rolle-lesen").await;
    let body = r#"{ host: "evil.example", port: "25", tls_mode: "none", sender: "a@b.ch", recipient: "c@d.ch" }"#;
    assert_eq!(fetch(&s, "POST", &format!("/o/{}/smtp", t.tenant_id), body, true).await, 403);
    assert_eq!(fetch(&s, "POST", &format!("/o/{}/reconcile", t.tenant_id), "{}", true).await, 403);
    assert_eq!(fetch(&s, "GET", &format!("/o/{}/orders", t.tenant_id), "{}", false).await, 200);
    let mut tenants = app.tenants().await;
    let smtp = tenants.get_smtp_config(pb::GetSmtpConfigRequest { tenant_id: t.tenant_id.clone() }).await.unwrap();
    assert_ne!(smtp.into_inner().config.unwrap().host, "evil.example", "nothing changed");
    // Another tenant: not offered, not shown, refused.
    assert_eq!(fetch(&s, "GET", &format!("/o/{}/orders", other.tenant_id), "{}", false).await, 403);
    s.goto(&at(&app, &other, "dashboard")).await;
    s.wait_displayed("[data-testid=screen-unbekannt]").await;
    assert!(!s.text("[data-testid=org-select]").await.contains("Andere GmbH"));
    s.click("[data-testid=logout]").await;
    s.wait_displayed("[data-testid=login-username]").await;

    // Operator ("Bearbeiten"): works on problem orders, does not configure.
    login(&s, &format!("{}/bestellung/{}/{nr}", at(&app, &t, "").trim_end_matches('/'), t.api_id), WORKER).await;
    s.wait_displayed("[data-testid=order-solved]").await;
    assert!(s.displayed("[data-testid=order-retry]").await);
    assert_eq!(fetch(&s, "POST", &format!("/o/{}/smtp/test", t.tenant_id), "{}", true).await, 403);
    assert_eq!(fetch(&s, "GET", &format!("/o/{}/users", t.tenant_id), "{}", false).await, 403);
    s.quit().await;
}

#[tokio::test]
async fn cn_01_writes_need_the_csrf_token_and_sessions_end_when_idle_at_their_absolute_end_and_on_deactivation() {
    let app = console_app(&[("CONSOLE_SESSION_IDLE", "30m"), ("CONSOLE_SESSION_MAX", "2h")]).await;
    let t = shop(&app).await;
    let (_driver, s) = browser().await;
    login(&s, &at(&app, &t, "abgleich"), ADMIN).await;
    let run = format!("/o/{}/reconcile", t.tenant_id);
    assert_eq!(fetch(&s, "POST", &run, "{}", false).await, 403, "no CSRF token");
    assert_eq!(fetch(&s, "POST", &run, "{}", true).await, 200);
    // Idle: 29 minutes apart keeps it alive, 31 minutes ends it.
    for _ in 0..3 {
        app.advance(29 * 60).await;
        assert_eq!(fetch(&s, "GET", "/me", "{}", false).await, 200);
    }
    app.advance(31 * 60).await;
    assert_eq!(fetch(&s, "GET", "/me", "{}", false).await, 401, "idle");
    s.goto(&at(&app, &t, "dashboard")).await;
    s.wait_displayed("[data-testid=login-username]").await;
    // Absolute: used every 20 minutes, it still ends two hours after the login.
    login(&s, &at(&app, &t, "dashboard"), ADMIN).await;
    for _ in 0..5 {
        app.advance(20 * 60).await;
        assert_eq!(fetch(&s, "GET", "/me", "{}", false).await, 200);
    }
    app.advance(21 * 60).await;
    assert_eq!(fetch(&s, "GET", "/me", "{}", false).await, 401, "absolute end");
    // Deactivating a user ends its sessions at once.
    login(&s, &at(&app, &t, "dashboard"), WORKER).await;
    let mut admin = app.console_users().await;
    let users = admin.list_console_users(pb::ListConsoleUsersRequest { tenant_id: t.tenant_id.clone() }).await.unwrap();
    let worker = users.into_inner().users.into_iter().find(|u| u.username == WORKER.0).unwrap();
    app.console_users()
        .await
        .update_console_user(pb::UpdateConsoleUserRequest {
            tenant_id: t.tenant_id.clone(),
            user_id: worker.user_id,
            role: worker.role,
            active: false,
            new_password: String::new(),
        })
        .await
        .unwrap();
    assert_eq!(fetch(&s, "GET", "/me", "{}", false).await, 401, "deactivated");
    // The session cookie is HttpOnly and SameSite=Strict; repeated wrong passwords are throttled.
    let http = reqwest::Client::new();
    let login_url = format!("{}/api/login", app.console_url);
    let ok = http
        .post(&login_url)
        .json(&serde_json::json!({ "username": ADMIN.0, "password": ADMIN.1 }))
        .send()
        .await
        .unwrap();
    let cookie = ok.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    for _ in 0..5 {
        let r =
            http.post(&login_url).json(&serde_json::json!({ "username": ADMIN.0, "password": "nein" })).send().await;
        assert_eq!(r.unwrap().status(), 401);
    }
    let r = http.post(&login_url).json(&serde_json::json!({ "username": ADMIN.0, "password": ADMIN.1 })).send().await;
    assert_eq!(r.unwrap().status(), 429, "throttled, even with the right password");
    s.quit().await;
}
