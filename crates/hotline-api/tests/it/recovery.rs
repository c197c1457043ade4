//! HL-13 without trusting PGW's `Idempotency-Key` (unconfirmed: PGW publishes nothing): a
//! generation whose answer was lost is settled by reading the transaction, so even a gateway
//! that ignores the key makes one code; one that did not happen is sent again only on an
//! admin's next click, never by the resolver. HL-14: the B2C ticket written after a new code
//! reports that code, not the expired one its lookup saw.

use chrono::Duration;
use proto::payops::hotline::v1::lookup_code_response::Outcome;
use proto::payops::hotline::v1::{CreateB2cTicketRequest, GenerateCodeRequest, LookupCodeRequest};
use sandbox::pgw::{Behaviour, Env};
use sandbox::{FailMode, FaultSpec, System};
use tonic::Code;

use crate::helpers::{ADMIN, TestApp, authed, ticket_text};

fn generate(tx: u64) -> GenerateCodeRequest {
    GenerateCodeRequest { transaction_id: tx as i64, password: ADMIN.1.into() }
}

async fn ignoring_keys(app: &TestApp) {
    let b = Behaviour { ignore_idempotency_key: true, ..Default::default() };
    app.sandbox().pgw_behaviour(&b).await.unwrap();
}

/// Makes the journal's entries look older than the resolver's staleness limit.
async fn age_journal(app: &TestApp) {
    sqlx::query("UPDATE journal SET updated_at = now() - interval '2 minutes', next_check_at = now()")
        .execute(&app.hotline.pool)
        .await
        .unwrap();
}

#[tokio::test]
async fn hl_13_a_gateway_ignoring_idempotency_keys_still_makes_one_code_when_the_answer_is_lost() {
    let app = TestApp::spawn().await;
    app.device("b10551", "DEV-0042", 24).await;
    let first = app.payment("b10551", "+41771112233", app.now() - Duration::hours(30), 300).await;
    let second = app.payment("b10551", "+41771112233", app.now() - Duration::hours(29), 300).await;
    ignoring_keys(&app).await;
    let token = app.token(ADMIN).await;
    let mut c = app.hotline_client().await;

    // PGW makes the code and the answer is lost; the admin clicks again.
    let lost = FaultSpec::act_then_fail_once(System::Pgw, "generate_code", FailMode::Error);
    app.sandbox().add_fault(&lost).await.unwrap();
    let err = c.generate_code(authed(&token, generate(first.id))).await.unwrap_err();
    assert_eq!(kit::grpc::status::error_reason(&err).as_deref(), Some("OUTCOME_UNKNOWN"));
    let r = c.generate_code(authed(&token, generate(first.id))).await.unwrap().into_inner();
    let made = app.sandbox().pgw_generations(Env::Prod).await.unwrap();
    assert_eq!(made.len(), 1, "the retry read the transaction instead of generating again: {made:?}");
    assert_eq!(r.generation.unwrap().code, made[0].code);

    // The same with nobody clicking again: the resolver settles it by reading PGW.
    app.sandbox().add_fault(&lost).await.unwrap();
    c.generate_code(authed(&token, generate(second.id))).await.unwrap_err();
    age_journal(&app).await;
    assert_eq!(app.tick().await, 1, "settled and recorded");
    let made = app.sandbox().pgw_generations(Env::Prod).await.unwrap();
    assert_eq!(made.iter().filter(|g| g.transaction_id == Some(second.id)).count(), 1, "{made:?}");
    assert_eq!(app.drain().await, 2, "one code_generated event per payment");
    app.stop().await;
}

#[tokio::test]
async fn hl_13_a_generation_that_did_not_happen_is_sent_again_only_on_the_admins_next_click() {
    let app = TestApp::spawn().await;
    app.device("b10551", "DEV-0042", 24).await;
    let tx = app.payment("b10551", "+41771112233", app.now() - Duration::hours(30), 300).await;
    let token = app.token(ADMIN).await;
    let mut c = app.hotline_client().await;
    // PGW fails before doing anything (a 503): outcome unknown for us.
    let down = FaultSpec { status: 503, ..FaultSpec::fail_times(System::Pgw, "generate_code", FailMode::Error, 1) };
    app.sandbox().add_fault(&down).await.unwrap();
    let err = c.generate_code(authed(&token, generate(tx.id))).await.unwrap_err();
    assert_eq!(err.code(), Code::Aborted);
    age_journal(&app).await;
    assert_eq!(app.tick().await, 0);
    assert!(app.sandbox().pgw_generations(Env::Prod).await.unwrap().is_empty(), "the resolver never generates");
    let status: String = sqlx::query_scalar("SELECT status FROM journal").fetch_one(&app.hotline.pool).await.unwrap();
    assert_eq!(status, "not_done", "PGW still shows the expired code");
    let r = c.generate_code(authed(&token, generate(tx.id))).await.unwrap().into_inner();
    assert_eq!(app.sandbox().pgw_generations(Env::Prod).await.unwrap().len(), 1);
    assert!(!r.replayed);
    app.stop().await;
}

#[tokio::test]
async fn hl_14_the_b2c_ticket_after_a_new_code_reports_the_new_code_not_the_expired_one() {
    let app = TestApp::spawn().await;
    app.device("b10551", "DEV-0042", 24).await;
    let at = app.now() - Duration::hours(30);
    let tx = app.payment("b10551", "+41771112233", at, 300).await;
    let old = tx.code.clone().unwrap().code;
    let token = app.token(ADMIN).await;
    let mut c = app.hotline_client().await;
    let lookup = LookupCodeRequest {
        device_b_code: "b10551".into(),
        payment_mobile: "077 111 22 33".into(),
        payment_date: TestApp::local_date(at),
        contact_email: "mieterin@example.ch".into(),
        ..Default::default()
    };
    let r = c.lookup_code(authed(&token, lookup)).await.unwrap().into_inner();
    assert!(matches!(r.outcome, Some(Outcome::Expired(_))), "{r:?}");
    let new = c.generate_code(authed(&token, generate(tx.id))).await.unwrap().into_inner().generation.unwrap();
    let ticket = CreateB2cTicketRequest { request_id: "req-new-code".into(), lookup_id: r.lookup_id };
    c.create_b2c_ticket(authed(&token, ticket)).await.unwrap();
    let tickets = app.freshdesk_tickets().await;
    let text = ticket_text(&tickets[0].description);
    assert!(text.contains(&format!("Code: {} (gültig bis ", new.code)), "the new code is reported:\n{text}");
    assert!(
        !text.contains(&format!("Code: {old} (gültig bis")),
        "not as if the expired code were the tenant's:\n{text}"
    );
    assert!(text.contains(&format!("Abgelaufener Code: {old} (abgelaufen am ")), "{text}");
    assert!(text.contains("PGW-Ergebnis: Code abgelaufen – neuer Code generiert"), "{text}");
    assert_eq!(tickets[0].subject, "Waschküche · Code-Problem – b10551 – Code abgelaufen – neuer Code generiert");
    app.stop().await;
}
