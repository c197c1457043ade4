//! HL-02, HL-13: code generation by admins after the step-up password, exactly once per expired
//! code — also when PGW acts and the answer is lost, when the process dies between PGW's
//! answer and our record, and when two admins click at once — with its audit entry and event.

use chrono::Duration;
use proto::payops::hotline::v1::lookup_code_response::Outcome;
use proto::payops::hotline::v1::{
    GenerateCodeRequest, GetOrderTimelineRequest, ListAuditEntriesRequest, LookupCodeRequest,
};
use sandbox::pgw::Env;
use sandbox::{FailMode, FaultSpec, System};
use tonic::Code;

use crate::helpers::{ADMIN, AGENT, TestApp, authed};

async fn expired(app: &TestApp) -> sandbox::pgw::TransactionView {
    app.device("b10551", "DEV-0042", 24).await;
    app.payment("b10551", "+41771112233", app.now() - Duration::hours(30), 300).await
}

fn request_for(tx: u64, password: &str) -> GenerateCodeRequest {
    GenerateCodeRequest { transaction_id: tx as i64, password: password.into() }
}

async fn audit_count(app: &TestApp, action: &str) -> usize {
    let token = app.token(ADMIN).await;
    let mut a = app.agents_client().await;
    a.list_audit_entries(authed(&token, ListAuditEntriesRequest { action: action.into(), ..Default::default() }))
        .await
        .unwrap()
        .into_inner()
        .entries
        .len()
}

#[tokio::test]
async fn hl_13_admin_generates_a_new_code_after_re_entering_the_password_and_it_is_audited_and_published() {
    let app = TestApp::spawn().await;
    let tx = expired(&app).await;
    let token = app.token(ADMIN).await;
    let mut c = app.hotline_client().await;
    // HL-02: the wrong password is refused before PGW is asked, and audited.
    let err = c.generate_code(authed(&token, request_for(tx.id, "wrong-password"))).await.unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    assert_eq!(kit::grpc::status::error_reason(&err).as_deref(), Some("STEP_UP_FAILED"));
    assert!(app.sandbox().pgw_generations(Env::Prod).await.unwrap().is_empty());

    let r = c.generate_code(authed(&token, request_for(tx.id, ADMIN.1))).await.unwrap().into_inner();
    let g = r.generation.unwrap();
    assert!(!r.replayed);
    assert_eq!((g.device_b_code.as_str(), g.device_internal_id.as_str()), ("b10551", "DEV-0042"));
    assert_eq!(g.amount.unwrap().amount_minor, 300);
    let generations = app.sandbox().pgw_generations(Env::Prod).await.unwrap();
    assert_eq!(generations.len(), 1);
    assert_eq!(generations[0].code, g.code);
    assert_eq!(generations[0].requested_by.as_deref(), Some("admin"));
    let sent = app.sandbox().requests(Some(System::Pgw)).await.unwrap();
    let post = sent.iter().find(|r| r.method == "POST").unwrap();
    assert_eq!(post.headers["x-api-key"], crate::helpers::PGW_KEY);
    assert!(post.headers["idempotency-key"].starts_with(&format!("code:{}:", tx.id)));

    // The tenant's code is valid again; a second click does not make another one.
    let agent = app.token(AGENT).await;
    let lookup = LookupCodeRequest {
        device_b_code: "b10551".into(),
        payment_mobile: "+41771112233".into(),
        payment_date: TestApp::local_date(app.now() - Duration::hours(30)),
        contact_email: "a@b.ch".into(),
        ..Default::default()
    };
    let found = c.lookup_code(authed(&agent, lookup)).await.unwrap().into_inner();
    let Some(Outcome::Found(f)) = found.outcome else { panic!("{found:?}") };
    assert_eq!(f.payment.unwrap().code.unwrap().code, g.code);
    let err = c.generate_code(authed(&token, request_for(tx.id, ADMIN.1))).await.unwrap_err();
    assert_eq!(kit::grpc::status::error_reason(&err).as_deref(), Some("CODE_STILL_VALID"));
    assert_eq!(app.sandbox().pgw_generations(Env::Prod).await.unwrap().len(), 1);

    // Audit: who, when, device, amount, transaction; the refused step-up too.
    let admin = app.token(ADMIN).await;
    let mut a = app.agents_client().await;
    let entries = a
        .list_audit_entries(authed(
            &admin,
            ListAuditEntriesRequest { action: "code_generated".into(), ..Default::default() },
        ))
        .await
        .unwrap()
        .into_inner()
        .entries;
    assert_eq!(entries.len(), 1);
    let e = &entries[0];
    assert_eq!((e.actor.as_str(), e.target.clone()), ("admin", format!("transaction:{}", tx.id)));
    assert_eq!(e.details["device"], "b10551");
    assert_eq!(e.details["amount"], "CHF 3.00");
    assert!(e.at.is_some());
    assert_eq!(audit_count(&app, "code_generation").await, 1, "the refused step-up");

    // The event reaches the order timeline, keyed by the transaction.
    app.drain().await;
    let mut t = app.timeline_client().await;
    let events = t
        .get_order_timeline(authed(&admin, GetOrderTimelineRequest { order_id: tx.id.to_string() }))
        .await
        .unwrap()
        .into_inner()
        .events;
    assert_eq!(events.len(), 1);
    assert_eq!((events[0].source.as_str(), events[0].r#type.as_str()), ("hotline-api", "code_generated"));
    assert!(!events[0].summary.contains(&g.code), "the code is not in the event");
    app.stop().await;
}

#[tokio::test]
async fn hl_13_pgw_acts_and_the_answer_is_lost_then_the_retry_finds_the_code_without_making_a_second() {
    let app = TestApp::spawn().await;
    let tx = expired(&app).await;
    let token = app.token(ADMIN).await;
    let mut c = app.hotline_client().await;
    app.sandbox()
        .add_fault(&FaultSpec::act_then_fail_once(System::Pgw, "generate_code", FailMode::Error))
        .await
        .unwrap();
    let err = c.generate_code(authed(&token, request_for(tx.id, ADMIN.1))).await.unwrap_err();
    assert_eq!(err.code(), Code::Aborted);
    assert_eq!(kit::grpc::status::error_reason(&err).as_deref(), Some("OUTCOME_UNKNOWN"));
    assert_eq!(app.sandbox().pgw_generations(Env::Prod).await.unwrap().len(), 1, "PGW did it");
    let r = c.generate_code(authed(&token, request_for(tx.id, ADMIN.1))).await.unwrap().into_inner();
    assert!(r.replayed);
    let generations = app.sandbox().pgw_generations(Env::Prod).await.unwrap();
    assert_eq!(generations.len(), 1, "no second code");
    assert_eq!(r.generation.unwrap().code, generations[0].code);
    assert_eq!(audit_count(&app, "code_generated").await, 1);
    assert_eq!(app.drain().await, 1, "one event");
    app.stop().await;
}

#[tokio::test]
async fn hl_13_a_crash_between_pgws_answer_and_our_record_is_finished_exactly_once() {
    let app = TestApp::spawn().await;
    let tx = expired(&app).await;
    let token = app.token(ADMIN).await;
    let mut c = app.hotline_client().await;
    app.faults.arm(kit::journal::AFTER_CALL);
    let err = c.generate_code(authed(&token, request_for(tx.id, ADMIN.1))).await.unwrap_err();
    assert_eq!(err.code(), Code::Internal);
    assert_eq!(app.sandbox().pgw_generations(Env::Prod).await.unwrap().len(), 1);
    // Nobody retries: the resolver reads the transaction (its new code) and the settle pass records it.
    sqlx::query("UPDATE journal SET updated_at = now() - interval '2 minutes'")
        .execute(&app.hotline.pool)
        .await
        .unwrap();
    assert_eq!(app.tick().await, 1);
    assert_eq!(app.tick().await, 0, "recorded once");
    assert_eq!(app.sandbox().pgw_generations(Env::Prod).await.unwrap().len(), 1);
    assert_eq!(audit_count(&app, "code_generated").await, 1);
    assert_eq!(app.drain().await, 1);
    app.stop().await;
}

#[tokio::test]
async fn hl_13_two_admins_replacing_the_same_expired_code_at_once_make_one_code() {
    let app = TestApp::spawn().await;
    let tx = expired(&app).await;
    let token = app.token(ADMIN).await;
    let (mut c1, mut c2) = (app.hotline_client().await, app.hotline_client().await);
    let (a, b) = tokio::join!(
        c1.generate_code(authed(&token, request_for(tx.id, ADMIN.1))),
        c2.generate_code(authed(&token, request_for(tx.id, ADMIN.1)))
    );
    let generations = app.sandbox().pgw_generations(Env::Prod).await.unwrap();
    assert_eq!(generations.len(), 1);
    for r in [a, b] {
        match r {
            Ok(r) => assert_eq!(r.into_inner().generation.unwrap().code, generations[0].code),
            Err(e) => assert_eq!(kit::grpc::status::error_reason(&e).as_deref(), Some("CODE_STILL_VALID")),
        }
    }
    assert_eq!(audit_count(&app, "code_generated").await, 1);
    app.stop().await;
}

#[tokio::test]
async fn hl_13_a_still_valid_code_or_an_unknown_transaction_is_not_replaced() {
    let app = TestApp::spawn().await;
    app.device("b10234", "DEV-0017", 72).await;
    let tx = app.payment("b10234", "+41791234567", app.now() - Duration::hours(1), 350).await;
    let token = app.token(ADMIN).await;
    let mut c = app.hotline_client().await;
    let err = c.generate_code(authed(&token, request_for(tx.id, ADMIN.1))).await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    let err = c.generate_code(authed(&token, request_for(999_999, ADMIN.1))).await.unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    assert!(app.sandbox().pgw_generations(Env::Prod).await.unwrap().is_empty());
    app.stop().await;
}

#[tokio::test]
async fn hl_02_generating_needs_the_admin_password_again_refusals_are_throttled_and_everything_is_audited() {
    let app = TestApp::spawn().await;
    let tx = expired(&app).await;
    let token = app.token(ADMIN).await;
    let mut c = app.hotline_client().await;
    // A stolen session alone is not enough: the password is asked again at the moment of the action.
    let err = c.generate_code(authed(&token, request_for(tx.id, ""))).await.unwrap_err();
    assert_eq!(kit::grpc::status::error_reason(&err).as_deref(), Some("STEP_UP_FAILED"));
    for _ in 0..4 {
        let err = c.generate_code(authed(&token, request_for(tx.id, "guess-guess"))).await.unwrap_err();
        assert_eq!(err.code(), Code::PermissionDenied);
    }
    // Five wrong passwords lock the step-up like a login.
    let err = c.generate_code(authed(&token, request_for(tx.id, ADMIN.1))).await.unwrap_err();
    assert_eq!(err.code(), Code::ResourceExhausted);
    assert!(app.sandbox().pgw_generations(Env::Prod).await.unwrap().is_empty());
    // The lock covers the admin's logins too (same throttle key).
    let refused: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'code_generation' AND outcome = 'refused'")
            .fetch_one(&app.hotline.pool)
            .await
            .unwrap();
    assert_eq!(refused, 6, "every refused attempt is audited");
    app.clock.advance(std::time::Duration::from_secs(16 * 60));
    let token = app.token(ADMIN).await;
    let g =
        c.generate_code(authed(&token, request_for(tx.id, ADMIN.1))).await.unwrap().into_inner().generation.unwrap();
    let admin = app.token(ADMIN).await;
    let mut a = app.agents_client().await;
    let entries = a
        .list_audit_entries(authed(
            &admin,
            ListAuditEntriesRequest { action: "code_generated".into(), ..Default::default() },
        ))
        .await
        .unwrap()
        .into_inner()
        .entries;
    assert_eq!(entries.len(), 1);
    let e = &entries[0];
    // Who, when, device, amount, transaction.
    assert_eq!(e.actor, "admin");
    assert_eq!(e.at.as_ref().unwrap().seconds, app.now().timestamp());
    assert_eq!(e.details["device"], "b10551");
    assert_eq!(e.details["amount"], "CHF 3.00");
    assert_eq!(e.target, format!("transaction:{}", tx.id));
    assert_eq!(e.details["generation_id"], g.generation_id.to_string());
    app.stop().await;
}
