//! Browser tests in headless Chromium (HL-01, HL-11, HL-13, HL-20 … HL-23, HL-30, HL-40,
//! HL-42): an agent on a phone call uses the real page against the real service, the
//! sandbox's PGW and smallinvoice, and the ticketing contract. Screenshots of every main
//! screen go to `target/hotline-screens/`.

use std::path::PathBuf;

use chrono::Duration;
use kit::clock::ManualClock;
use sandbox::pgw::Env;
use sandbox::smallinvoice::{SiAddress, SiContact, SiInvoice};

use crate::helpers::{ADMIN, AGENT, TestApp};
use crate::webdriver::{Driver, Session};

pub(crate) fn screen(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/hotline-screens").join(format!("{name}.png"))
}

/// Records every console call of the page (HL-42: nothing about customers goes there).
const CONSOLE_SPY: &str = "window.__console = []; ['log','info','warn','error','debug'].forEach(k => { \
    const o = console[k]; console[k] = (...a) => { window.__console.push(k + ': ' + a.map(String).join(' ')); o.apply(console, a); }; });";

pub(crate) async fn login(s: &Session, app: &TestApp, who: (&str, &str)) {
    s.goto(&app.web_url).await;
    s.wait_displayed("[data-testid=login-username]").await;
    s.run(CONSOLE_SPY).await;
    s.fill("[data-testid=login-username]", who.0).await;
    s.fill("[data-testid=login-password]", who.1).await;
    s.click("[data-testid=login-submit]").await;
    s.wait_displayed("[data-testid=tab-b2c]").await;
}

pub(crate) async fn b2c_search(s: &Session, device: &str, mobile: &str, date: &str) {
    s.click("[data-testid=tab-b2c]").await;
    s.fill("[data-testid=b2c-device]", device).await;
    s.fill("[data-testid=b2c-mobile]", mobile).await;
    // Date inputs take the digits in the browser's locale order; set the value directly.
    s.run(&format!("document.querySelector('[data-testid=b2c-date]').value = '{date}';")).await;
    s.fill("[data-testid=b2c-email]", "mieterin@example.ch").await;
    s.click("[data-testid=b2c-search]").await;
}

pub(crate) fn console_calls(v: &serde_json::Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().map(|x| x.as_str().unwrap_or("").to_owned()).collect()).unwrap_or_default()
}

#[tokio::test]
async fn browser_hl_11_standard_agent_finds_a_code_sees_expired_without_the_admin_button_and_the_api_refuses_403() {
    let app = TestApp::spawn().await;
    app.device("b10234", "DEV-0017", 72).await;
    let fresh_at = app.now() - Duration::minutes(20);
    let fresh = app.payment("b10234", "+41791234567", fresh_at, 350).await;
    let old_at = app.now() - Duration::hours(90);
    let old = app.payment("b10234", "+41764455667", old_at, 500).await;
    let driver = Driver::start().await;
    let s = driver.session().await;
    s.goto(&app.web_url).await;
    s.wait_displayed("[data-testid=login-username]").await;
    s.screenshot(&screen("01-login")).await;
    login(&s, &app, AGENT).await;
    assert_eq!(s.text("[data-testid=role-badge]").await, "🔵 Standard");
    s.screenshot(&screen("02-b2c-idle")).await;

    // Found: the code is shown.
    b2c_search(&s, "b10234", "079 123 45 67", &TestApp::local_date(fresh_at)).await;
    s.wait_state("[data-testid=b2c-result]", "found").await;
    assert_eq!(s.text("[data-testid=found-code]").await, fresh.code.as_ref().unwrap().code);
    assert!(s.text("[data-testid=b2c-result]").await.contains("Code direkt dem Mieter mitteilen"));
    s.screenshot(&screen("03-b2c-found")).await;

    // Ticket for it: the number is shown at once.
    s.click("[data-testid=b2c-ticket]").await;
    let done = s.wait_text("[data-testid=b2c-ticket-done]", "erstellt").await;
    assert!(done.contains('#'), "{done}");

    // Expired: no admin button for a standard agent, the lock note instead.
    b2c_search(&s, "b10234", "+41764455667", &TestApp::local_date(old_at)).await;
    s.wait_state("[data-testid=b2c-result]", "expired").await;
    assert!(!s.displayed("[data-testid=generate-open]").await, "no button for standard agents");
    assert!(s.displayed("[data-testid=generate-locked]").await);
    s.screenshot(&screen("04-b2c-expired-standard")).await;

    // A direct API call from this session is refused by the server.
    let status = s
        .run_async(&format!(
            "const done = arguments[arguments.length - 1]; \
             fetch('/api/me').then(r => r.json()).then(me => fetch('/api/b2c/generate', {{ method: 'POST', \
             headers: {{ 'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf_token }}, \
             body: JSON.stringify({{ transaction_id: {}, password: '{}' }}) }})).then(r => done(r.status));",
            old.id, AGENT.1
        ))
        .await;
    assert_eq!(status, 403);
    assert!(app.sandbox().pgw_generations(Env::Prod).await.unwrap().is_empty());

    // Not found: the checklist; a PGW failure: a plain error, not "not found".
    b2c_search(&s, "b10234", "+41770000000", &TestApp::local_date(app.now())).await;
    s.wait_state("[data-testid=b2c-result]", "notfound").await;
    assert!(s.text("[data-testid=checklist]").await.contains("War es tatsächlich ein smarpay-Gerät?"));
    s.screenshot(&screen("05-b2c-notfound")).await;
    app.sandbox()
        .add_fault(&sandbox::FaultSpec::fail_times(sandbox::System::Pgw, "search", sandbox::FailMode::Error, 2))
        .await
        .unwrap();
    s.click("[data-testid=b2c-search]").await;
    s.wait_state("[data-testid=b2c-result]", "error").await;
    s.wait_text("[data-testid=toasts]", "PGW").await;
    s.screenshot(&screen("06-b2c-error")).await;

    // Missing fields are marked at once.
    s.fill("[data-testid=b2c-device]", "").await;
    s.fill("[data-testid=b2c-mobile]", "").await;
    s.click("[data-testid=b2c-search]").await;
    s.wait_text("[data-error=device_b_code]", "Pflichtfeld").await;
    assert!(s.displayed("[data-error=payment_mobile]").await);

    // A phone-sized screen.
    s.size(390, 844).await;
    s.screenshot(&screen("07-b2c-phone")).await;
    let calls = console_calls(&s.run("return window.__console").await);
    assert!(
        calls.iter().all(|c| !c.contains("764455667") && !c.contains("791234567") && !c.contains("mieterin")),
        "{calls:?}"
    );
    assert!(calls.is_empty(), "the page writes nothing to the console: {calls:?}");
    s.quit().await;
    app.stop().await;
}

#[tokio::test]
async fn browser_hl_13_admin_generates_a_new_code_after_re_entering_the_password() {
    let app = TestApp::spawn().await;
    app.device("b10551", "DEV-0042", 24).await;
    let at = app.now() - Duration::hours(30);
    app.payment("b10551", "+41771112233", at, 300).await;
    let driver = Driver::start().await;
    let s = driver.session().await;
    login(&s, &app, ADMIN).await;
    assert_eq!(s.text("[data-testid=role-badge]").await, "🔴 Admin");
    b2c_search(&s, "b10551", "+41 77 111 22 33", &TestApp::local_date(at)).await;
    s.wait_state("[data-testid=b2c-result]", "expired").await;
    s.click("[data-testid=generate-open]").await;
    s.wait_displayed("[data-testid=generate-modal]").await;
    assert_eq!(s.text("[data-testid=gen-device]").await, "b10551");
    assert_eq!(s.text("[data-testid=gen-internal]").await, "DEV-0042");
    assert_eq!(s.text("[data-testid=gen-amount]").await, "3.00");
    assert!(s.text("[data-testid=generate-modal]").await.contains("direkt im Produktionssystem"));
    s.screenshot(&screen("08-generate-confirm")).await;
    s.fill("[data-testid=gen-password]", "falsches-passwort").await;
    s.click("[data-testid=gen-confirm]").await;
    s.wait_text("[data-testid=toasts]", "Admin-Passwort falsch").await;
    assert!(s.displayed("[data-testid=generate-modal]").await, "the dialog stays open for another try");
    assert!(app.sandbox().pgw_generations(Env::Prod).await.unwrap().is_empty());
    s.fill("[data-testid=gen-password]", ADMIN.1).await;
    s.click("[data-testid=gen-confirm]").await;
    s.wait_displayed("[data-testid=new-code]").await;
    let generations = app.sandbox().pgw_generations(Env::Prod).await.unwrap();
    assert_eq!(generations.len(), 1);
    assert_eq!(s.text("[data-testid=new-code-value]").await, generations[0].code);
    s.screenshot(&screen("09-generate-done")).await;
    s.click("[data-testid=tab-audit]").await;
    s.wait_text("[data-testid=audit-table]", "code_generated").await;
    s.screenshot(&screen("10-audit")).await;
    s.quit().await;
    app.stop().await;
}

#[tokio::test]
async fn browser_hl_20_b2b_search_invoices_ticket_then_daily_overview_and_order_timeline() {
    let app = TestApp::spawn().await;
    let c = app
        .sandbox()
        .smallinvoice_add_contact(&SiContact {
            id: None,
            number: Some("1002".into()),
            name: "Wohnbau Zürich AG".into(),
            kind: None,
            name_addition: String::new(),
            email: "verwaltung@wohnbau-zh.ch".into(),
            phone: "044 555 10 20".into(),
            language: None,
            currency: None,
            created: None,
            address: SiAddress {
                street: "Hardstrasse".into(),
                street_no: "12".into(),
                street2: String::new(),
                postcode: "8005".into(),
                city: "Zürich".into(),
                country: None,
            },
        })
        .await
        .unwrap();
    let contact_id = c["item"]["id"].as_u64().or_else(|| c["id"].as_u64()).unwrap();
    for (day, total) in [(3, 32_550), (20, 125_000)] {
        let date = chrono::NaiveDate::from_ymd_opt(2025, 11, day).unwrap();
        app.sandbox()
            .smallinvoice_add_invoice(&SiInvoice {
                id: None,
                number: None,
                contact_id,
                date,
                due: date + Duration::days(30),
                total_rappen: total,
                total_paid_rappen: 0,
                status: Some("S".into()),
                paid_date: None,
                currency: None,
                language: None,
                positions: Vec::new(),
            })
            .await
            .unwrap();
    }
    app.device("b10234", "DEV-0017", 72).await;
    let today = app.now();
    let mut expected = 0;
    for (mins, rappen) in [(5, 350), (15, 200), (25, 405)] {
        app.payment("b10234", "+41791234567", today - Duration::minutes(mins), rappen).await;
        if TestApp::local_date(today - Duration::minutes(mins)) == TestApp::local_date(today) {
            expected += rappen;
        }
    }
    let clock = ManualClock::new(app.now() - Duration::hours(1));
    crate::timeline::publish(&app, "pixi-sync", &clock, &[("4711", "order_released", "Auftrag 4711 freigegeben")])
        .await;
    crate::timeline::publish(
        &app,
        "terminal-gateway",
        &clock,
        &[("4711", "terminal_payment_approved", "Terminalzahlung genehmigt")],
    )
    .await;
    app.drain().await;

    let driver = Driver::start().await;
    let s = driver.session().await;
    login(&s, &app, AGENT).await;
    s.click("[data-testid=tab-b2b]").await;
    s.fill("[data-testid=b2b-search]", "Wo").await;
    s.wait_text("[data-testid=b2b-customers]", "Wohnbau Zürich AG").await;
    s.click("[data-testid=b2b-customer]").await;
    let invoices = s.wait_text("[data-testid=b2b-invoices]", "CHF 1250.00").await;
    assert!(invoices.contains("CHF 325.50"), "{invoices}");
    // Submitting with fields missing lists them all at once.
    s.click("[data-testid=b2b-submit]").await;
    let errors = s.wait_text("[data-testid=b2b-errors]", "Adresse Gebäude").await;
    for label in ["Datum Zahlung", "Betrag (CHF)", "Email oder Mobilnummer Mieter", "Problemtyp"] {
        assert!(errors.contains(label), "{label} missing in {errors}");
    }
    s.fill("[data-testid=b2b-address]", "Hardstrasse 12, 8005 Zürich").await;
    s.run("document.querySelector('[data-testid=b2b-date]').value = '2025-12-01';").await;
    s.fill("[data-testid=b2b-amount]", "3.50").await;
    s.fill("[data-testid=b2b-tenant-mobile]", "079 123 45 67").await;
    s.run("const sel = document.querySelector('[data-testid=b2b-problem]'); sel.value = 'Abrechnung / Rechnung'; sel.dispatchEvent(new Event('change'));").await;
    s.screenshot(&screen("11-b2b-form")).await;
    s.click("[data-testid=b2b-submit]").await;
    let done = s.wait_text("[data-testid=b2b-ticket-done]", "erstellt").await;
    let tickets = app.freshdesk_tickets().await;
    assert_eq!(tickets.len(), 1);
    assert_eq!(tickets[0].subject, "B2B – Wohnbau Zürich AG – Abrechnung / Rechnung");
    assert!(done.contains(&format!("#{}", tickets[0].id)), "the ticket number is shown: {done}");
    s.screenshot(&screen("12-b2b-ticket")).await;

    // Tagesübersicht: the total matches the sandbox's transactions of the day.
    s.click("[data-testid=tab-overview]").await;
    let total = s.wait_text("[data-testid=overview-total]", "CHF").await;
    let sandbox_total: i64 = app
        .sandbox()
        .pgw_transactions(Env::Prod)
        .await
        .unwrap()
        .iter()
        .filter(|t| t.date == TestApp::local_date(today))
        .map(|t| kit::money::Money::parse(&t.amount, kit::money::Currency::CHF).unwrap().minor())
        .sum();
    assert_eq!(sandbox_total, expected);
    assert_eq!(total, format!("CHF {}", kit::money::Money::new(sandbox_total, kit::money::Currency::CHF).amount_str()));
    s.screenshot(&screen("13-overview")).await;

    // Auftrag: events of two services.
    s.click("[data-testid=tab-order]").await;
    s.fill("[data-testid=order-id]", "4711").await;
    s.click("[data-testid=order-load]").await;
    let timeline = s.wait_text("[data-testid=timeline]", "terminal-gateway").await;
    assert!(timeline.contains("pixi-sync") && timeline.contains("Auftrag 4711 freigegeben"), "{timeline}");
    assert_eq!(s.find_all("[data-testid=timeline] li").await.len(), 2);
    assert_eq!(s.attr("[data-testid=order-dashboard]", "href").await, "http://pixi-sync.local:8151/bestellungen/4711");
    s.screenshot(&screen("14-order-timeline")).await;
    let calls = console_calls(&s.run("return window.__console").await);
    assert!(calls.is_empty(), "{calls:?}");
    s.quit().await;
    app.stop().await;
}
