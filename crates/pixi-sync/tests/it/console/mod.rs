//! The console in a real headless Chromium (CN-01 … CN-07) against a running pixi-sync and the
//! in-process sandbox. Screenshots of every screen go to `target/console-screens/`.

mod access;
mod configuration;
mod dashboard;
mod lists;
mod operations;
mod settings;
mod setup;

use std::path::PathBuf;

use testkit::webdriver::{Driver, Session};

use proto::payops::pixi_sync::v1 as pb;

use crate::helpers::{Instance, METHODS, Tenant, TestApp};

/// The operator `CONSOLE_BOOTSTRAP_ADMIN` creates at start.
pub const OPERATOR: (&str, &str) = ("ops", "operator-passwort-1");

/// The merchant's staff: bound to the tenant, one per role.
pub const ADMIN: (&str, &str) = ("anna@muster.example", "anna-passwort-123");
pub const WORKER: (&str, &str) = ("otto@muster.example", "otto-passwort-123");
pub const VIEWER: (&str, &str) = ("vera@muster.example", "vera-passwort-123");

/// A tenant set up through the gRPC API (pixi, unzer, SMTP to the sandbox) with a console user
/// per role.
pub async fn shop(app: &TestApp) -> Tenant {
    let t = Tenant::setup(app, pb::Mode::Expert, &METHODS).await;
    let addr = app.sandbox.addr(sandbox::System::Smtp);
    app.tenants()
        .await
        .save_smtp_config(pb::SaveSmtpConfigRequest {
            tenant_id: t.tenant_id.clone(),
            host: addr.ip().to_string(),
            port: i32::from(addr.port()),
            tls_mode: pb::SmtpTlsMode::None as i32,
            user: String::new(),
            password: String::new(),
            sender: "app@muster.example".into(),
            recipient: "buchhaltung@muster.example".into(),
        })
        .await
        .unwrap();
    let mut users = app.console_users().await;
    for ((name, password), role) in
        [(ADMIN, pb::ConsoleRole::Admin), (WORKER, pb::ConsoleRole::Operator), (VIEWER, pb::ConsoleRole::Viewer)]
    {
        users
            .create_console_user(pb::CreateConsoleUserRequest {
                tenant_id: t.tenant_id.clone(),
                username: name.into(),
                display_name: name.split('@').next().unwrap().to_owned(),
                role: role as i32,
                password: password.into(),
            })
            .await
            .unwrap();
    }
    t
}

/// The console address of a tenant's screen.
pub fn at(app: &Instance, t: &Tenant, screen: &str) -> String {
    format!("{}/o/{}/{screen}", app.console_url, t.tenant_id)
}

/// A JSON call of the console's API from the page (the session's cookie; `csrf` adds its token).
pub async fn fetch(s: &Session, method: &str, path: &str, body: &str, csrf: bool) -> u16 {
    let script = format!(
        "const done = arguments[arguments.length - 1]; \
         fetch('/api/me').then(r => r.ok ? r.json() : {{}}).then(me => fetch('/api{path}', {{ method: '{method}', \
         headers: Object.assign({{ 'Content-Type': 'application/json' }}, {csrf} ? {{ 'X-CSRF-Token': me.csrf_token }} : {{}}), \
         body: '{method}' === 'GET' ? undefined : JSON.stringify({body}) }})).then(r => done(r.status));"
    );
    s.run_async(&script).await.as_u64().unwrap_or(0) as u16
}

/// Where screenshots go.
pub fn screen(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/console-screens").join(format!("{name}.png"))
}

/// A screenshot of the page as it stands, without the toasts of earlier steps.
pub async fn shot(s: &Session, name: &str) {
    s.run("document.getElementById('toasts').replaceChildren(); window.scrollTo(0, 0);").await;
    s.screenshot(&screen(name)).await;
}

/// pixi-sync with the console's bootstrap operator and `extra`.
pub async fn console_app(extra: &[(&str, &str)]) -> TestApp {
    let mut vars = vec![("CONSOLE_BOOTSTRAP_ADMIN", OPERATOR.0), ("CONSOLE_BOOTSTRAP_ADMIN_PASSWORD", OPERATOR.1)];
    vars.extend_from_slice(extra);
    TestApp::spawn_with(&vars).await
}

/// A headless Chromium.
pub async fn browser() -> (Driver, Session) {
    let driver = Driver::start().await;
    let s = driver.session().await;
    (driver, s)
}

/// Logs in at `url` (any console address) as `who`; waits for the console.
pub async fn login(s: &Session, url: &str, who: (&str, &str)) {
    s.goto(url).await;
    s.wait_displayed("[data-testid=login-username]").await;
    s.fill("[data-testid=login-username]", who.0).await;
    s.fill("[data-testid=login-password]", who.1).await;
    s.click("[data-testid=login-submit]").await;
    s.wait_displayed("[data-testid=logout]").await;
}

/// The text of a table body's rows (one string per row, cells joined by " | ").
pub async fn rows(s: &Session, css: &str) -> Vec<String> {
    let v = s
        .run(&format!(
            "return [...document.querySelectorAll('{css} tr')].map(r => [...r.cells].map(c => c.textContent.trim()).join(' | '));"
        ))
        .await;
    v.as_array().map(|a| a.iter().map(|x| x.as_str().unwrap_or("").to_owned()).collect()).unwrap_or_default()
}

/// Selects `value` in the `<select>` matching `css` and tells the page (as a user's choice would).
pub async fn select(s: &Session, css: &str, value: &str) {
    s.find(css).await;
    s.run(&format!(
        "const e = document.querySelector('{css}'); e.value = '{value}'; e.dispatchEvent(new Event('change', {{ bubbles: true }}));"
    ))
    .await;
}

/// Waits until the `<select>` matching `css` offers `value`.
pub async fn wait_option(s: &Session, css: &str, value: &str) {
    for _ in 0..200 {
        let v = s
            .run(&format!("return [...document.querySelectorAll('{css} option')].some(o => o.value === '{value}');"))
            .await;
        if v.as_bool() == Some(true) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{css} never offered {value}");
}

/// The path of the page's address.
pub async fn path(s: &Session) -> String {
    s.run("return location.pathname + location.search;").await.as_str().unwrap_or("").to_owned()
}

/// Waits until the form field matching `css` holds `want` (forms fill after their data loads).
pub async fn wait_value(s: &Session, css: &str, want: &str) {
    for _ in 0..200 {
        if s.value(css).await == want {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{css} never held {want:?} (holds {:?})", s.value(css).await);
}

/// Waits until the table body matching `css` has `n` rows.
pub async fn wait_rows(s: &Session, css: &str, n: usize) {
    for _ in 0..300 {
        if rows(s, css).await.len() == n {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{css} never had {n} rows: {:?}", rows(s, css).await);
}
