//! The TWINT refund box in the real page (HL-12), in headless Chromium: for a TWINT payment it
//! says what the seed's portal says — refunds only for TWINT, by hand in the TWINT portal,
//! smarpay has no access — for a payment made otherwise it says no refund is possible here,
//! and without a payment (not found, PGW error) there is no box.

use chrono::Duration;
use sandbox::pgw::{Env, PgwTransaction};

use crate::browser::{b2c_search, console_calls, login, screen};
use crate::helpers::{AGENT, TestApp};
use crate::webdriver::Driver;

const BOX: &str = "#refund-box";

#[tokio::test]
async fn browser_hl_12_the_twint_refund_box_for_twint_payments_and_the_non_twint_case() {
    let app = TestApp::spawn().await;
    app.device("b10234", "DEV-0017", 72).await;
    let at = app.now() - Duration::minutes(20);
    app.payment("b10234", "+41791234567", at, 350).await;
    let card = PgwTransaction {
        env: Env::Prod,
        id: None,
        twint_ref: None,
        device: "b10234".into(),
        mobile: "+41764455667".into(),
        at,
        amount_rappen: 500,
        payment_method: Some("PostFinance Card".into()),
        status: None,
        code: None,
        valid_until: None,
    };
    app.sandbox().pgw_add_transaction(&card).await.unwrap();
    let date = TestApp::local_date(at);
    let driver = Driver::start().await;
    let s = driver.session().await;
    login(&s, &app, AGENT).await;

    b2c_search(&s, "b10234", "079 123 45 67", &date).await;
    s.wait_state("[data-testid=b2c-result]", "found").await;
    assert!(s.displayed(BOX).await, "a TWINT payment shows the refund box");
    let text = s.text(BOX).await;
    for seed in [
        "💳 TWINT-Rückerstattung",
        "Rückerstattung nur bei TWINT-Zahlung möglich.",
        "Muss manuell im TWINT-Portal durchgeführt werden — smarpay hat keinen direkten Zugang.",
    ] {
        assert!(text.contains(seed), "{seed:?} missing in {text:?}");
    }
    s.screenshot(&screen("15-refund-twint")).await;

    b2c_search(&s, "b10234", "076 445 56 67", &date).await;
    s.wait_state("[data-testid=b2c-result]", "found").await;
    assert!(s.displayed(BOX).await, "the agent is told about a refund for this payment too");
    let text = s.text(BOX).await;
    assert!(text.contains("nicht mit TWINT bezahlt"), "{text:?}");
    assert!(!text.contains("im TWINT-Portal durchgeführt"), "no TWINT-portal instruction for a card payment: {text:?}");
    s.screenshot(&screen("16-refund-not-twint")).await;

    b2c_search(&s, "b10234", "+41770000000", &date).await;
    s.wait_state("[data-testid=b2c-result]", "notfound").await;
    assert!(!s.displayed(BOX).await, "no payment, no refund box");
    let fault = sandbox::FaultSpec::fail_times(sandbox::System::Pgw, "search", sandbox::FailMode::Error, 3);
    app.sandbox().add_fault(&fault).await.unwrap();
    b2c_search(&s, "b10234", "079 123 45 67", &date).await;
    s.wait_state("[data-testid=b2c-result]", "error").await;
    assert!(!s.displayed(BOX).await, "a PGW error shows no refund box of an earlier payment");
    let calls = console_calls(&s.run("return window.__console").await);
    assert!(calls.is_empty(), "{calls:?}");
    s.quit().await;
    app.stop().await;
}
