//! Fault tests (TK-03, TK-05): Freshdesk acts and the answer is lost; the bridge dies between
//! Freshdesk's answer and its own commit; 5xx and timeouts back off; work that keeps failing is
//! dead-lettered and replayed. Every one ends with exactly one ticket — with the sandbox's
//! search lagging creation by its indexing delay (120 s) as Freshdesk's does, and the bridge
//! trusting "not found" only after `FRESHDESK_INDEX_DELAY` (150 s in tests).

use kit::grpc::status::error_reason;
use proto::payops::ticketing::v1::{ListDeadLettersRequest, ReplayDeadLetterRequest};
use sandbox::{FailMode, FaultSpec, System};
use tonic::Code;

use crate::helpers::{TestApp, b2c};

#[tokio::test]
async fn tk_03_act_then_fail_on_create_ends_with_exactly_one_ticket() {
    let app = TestApp::spawn().await;
    app.admin
        .add_fault(&FaultSpec::act_then_fail_once(System::Freshdesk, "create_ticket", FailMode::Error))
        .await
        .unwrap();

    // Freshdesk created the ticket, the bridge saw a 500: queued, answered at once.
    let err = app.client().await.create_ticket(b2c("req-lost", "4711")).await.unwrap_err();
    assert_eq!(err.code(), Code::Unavailable);
    assert_eq!(error_reason(&err).as_deref(), Some("TICKET_QUEUED"));
    assert_eq!(app.tickets_with("req:req-lost").await.len(), 1, "it exists in Freshdesk");

    // The retry probes (search by reference). Freshdesk has not indexed the ticket yet, so
    // "not found" proves nothing: the work waits instead of creating a second ticket.
    assert_eq!(app.dispatcher.tick().await.unwrap(), 0, "not due before the backoff");
    app.advance(2);
    assert_eq!(app.dispatcher.tick().await.unwrap(), 0, "search cannot see it yet");
    assert_eq!(app.tickets_with("req:req-lost").await.len(), 1, "no second ticket while search lags");
    assert!(app.work("last_error", "req-lost").await.contains("cannot tell yet"));
    assert_eq!(app.work("attempts", "req-lost").await, "1", "waiting for the index is not a failure");
    let wait = app.due_in_ms("req-lost").await;
    assert!((140_000..=150_000).contains(&wait), "looks again once the attempt is older than the delay: {wait} ms");

    // Once the attempt is older than the indexing delay, search finds it.
    app.advance(150);
    assert_eq!(app.dispatcher.tick().await.unwrap(), 1);
    let r = app.client().await.create_ticket(b2c("req-lost", "4711")).await.unwrap().into_inner();
    assert!(!r.created);
    let fd = app.tickets_with("req:req-lost").await;
    assert_eq!(fd.len(), 1, "exactly one ticket");
    assert_eq!(r.ticket.unwrap().ticket_id, fd[0].id as i64);
    let probes: i32 = sqlx::query_scalar("SELECT probes FROM journal WHERE key = 'fd.create:req:req-lost'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(probes, 2);
    app.stop().await;
}

#[tokio::test]
async fn tk_03_a_create_cut_off_mid_answer_for_an_event_ends_with_exactly_one_ticket() {
    let app = TestApp::spawn().await;
    app.admin
        .add_fault(&FaultSpec::act_then_fail_once(System::Freshdesk, "create_ticket", FailMode::Reset))
        .await
        .unwrap();
    let id = app.attention("4711", "cap-1", "Capture refused", "x").await;
    assert_eq!(app.drain().await, 0);
    assert_eq!(app.work("status", &id).await, "queued");
    app.advance(2);
    assert_eq!(app.drain().await, 0, "search lags the creation: wait");
    app.advance(150);
    assert_eq!(app.drain().await, 1);
    assert_eq!(app.tickets_with("inc:4711:cap-1").await.len(), 1);
    assert_eq!(app.events("ticket_created").await.len(), 1, "one event for one ticket");
    app.stop().await;
}

#[tokio::test]
async fn tk_03_killed_after_freshdesk_answered_and_before_recording_ends_with_one_ticket_after_restart() {
    let mut app = TestApp::spawn().await;
    app.faults.arm(kit::journal::AFTER_CALL);
    let err = app.client().await.create_ticket(b2c("req-crash", "4711")).await.unwrap_err();
    assert_eq!(err.code(), Code::Internal, "the process 'died' after Freshdesk's answer");
    assert_eq!(app.tickets_with("req:req-crash").await.len(), 1);

    // The process is killed and a fresh App starts on the same database, at once: the caller
    // retries with the same request id. Search cannot see the ticket yet, so the bridge answers
    // "queued" rather than create again.
    app.restart().await;
    let err = app.client().await.create_ticket(b2c("req-crash", "4711")).await.unwrap_err();
    assert_eq!(error_reason(&err).as_deref(), Some("TICKET_QUEUED"));
    assert_eq!(app.tickets_with("req:req-crash").await.len(), 1);
    app.advance(150);
    let r = app.client().await.create_ticket(b2c("req-crash", "4711")).await.unwrap().into_inner();
    let fd = app.tickets_with("req:req-crash").await;
    assert_eq!(fd.len(), 1, "exactly one ticket after the restart");
    assert_eq!(r.ticket.unwrap().ticket_id, fd[0].id as i64);
    app.stop().await;
}

#[tokio::test]
async fn tk_03_killed_mid_event_the_next_worker_finishes_with_one_ticket() {
    let mut app = TestApp::spawn().await;
    app.attention("4711", "cap-1", "Capture refused", "first").await;
    app.consumer.drain().await.unwrap();
    app.faults.arm(kit::journal::AFTER_CALL);
    assert!(app.dispatcher.tick().await.is_err(), "died after Freshdesk created the ticket");
    app.restart().await;

    app.attention("4711", "cap-1", "Capture refused", "second").await;
    assert_eq!(app.drain().await, 0, "the creation waits until search can see the ticket");
    app.advance(150);
    assert_eq!(app.drain().await, 2);
    let fd = app.tickets_with("inc:4711:cap-1").await;
    assert_eq!(fd.len(), 1);
    assert_eq!(fd[0].notes.len(), 1, "the second event is a note on the one ticket");
    app.stop().await;
}

#[tokio::test]
async fn tk_05_server_errors_back_off_exponentially_with_jitter_then_succeed() {
    let app = TestApp::spawn().await;
    let spec =
        FaultSpec { status: 503, ..FaultSpec::fail_times(System::Freshdesk, "create_ticket", FailMode::Error, 2) };
    app.admin.add_fault(&spec).await.unwrap();
    let id = app.attention("4711", "cap-1", "Capture refused", "x").await;
    app.drain().await;
    let first = app.due_in_ms(&id).await;
    assert!((500..=1000).contains(&first), "first retry after 0.5–1 s: {first} ms");
    // A 503 may have created the ticket: the retry searches first, and search proves nothing
    // until the attempt is older than the indexing delay (not counted as a failure).
    app.advance(1);
    app.drain().await;
    assert_eq!(app.work("attempts", &id).await, "1");
    app.advance(150);
    app.drain().await;
    let second = app.due_in_ms(&id).await;
    assert!((1000..=2000).contains(&second), "second retry after 1–2 s: {second} ms");
    assert_eq!(app.work("attempts", &id).await, "2");
    app.advance(2);
    app.drain().await;
    app.advance(150);
    assert_eq!(app.drain().await, 1);
    assert_eq!(app.tickets().await.len(), 1);
    assert!(app.metrics().await.contains("payops_ticketing_retries_total"));
    app.stop().await;
}

#[tokio::test]
async fn tk_05_a_timeout_is_an_unknown_outcome_settled_by_a_probe() {
    let app = TestApp::spawn_with(&[("FRESHDESK_TIMEOUT", "300ms")]).await;
    let hang = FaultSpec {
        hang_ms: 3_000,
        ..FaultSpec::act_then_fail_once(System::Freshdesk, "create_ticket", FailMode::Hang)
    };
    app.admin.add_fault(&hang).await.unwrap();
    let id = app.attention("4711", "cap-1", "Capture refused", "x").await;
    app.drain().await;
    assert!(app.work("last_error", &id).await.contains("did not answer in time"));
    app.advance(2);
    assert_eq!(app.drain().await, 0);
    app.advance(150);
    assert_eq!(app.drain().await, 1);
    assert_eq!(app.tickets().await.len(), 1, "found by the probe, not created twice");
    app.stop().await;
}

#[tokio::test]
async fn tk_05_work_that_keeps_failing_is_dead_lettered_counted_and_replayable() {
    let app = TestApp::spawn_with(&[("FRESHDESK_MAX_ATTEMPTS", "3")]).await;
    let always =
        FaultSpec { status: 502, ..FaultSpec::fail_times(System::Freshdesk, "create_ticket", FailMode::Error, 0) };
    app.admin.add_fault(&always).await.unwrap();
    let id = app.attention("4711", "cap-1", "Capture refused", "x").await;
    // Each 502 may have created the ticket, so each retry first waits out the indexing delay.
    for _ in 0..3 {
        app.drain().await;
        app.advance(200);
    }
    assert_eq!(app.work("status", &id).await, "dead");
    let mut client = app.client().await;
    let dead = client.list_dead_letters(ListDeadLettersRequest::default()).await.unwrap().into_inner().dead_letters;
    assert_eq!(dead.len(), 1);
    let d = &dead[0];
    assert_eq!(
        (d.kind.as_str(), d.reason.as_str(), d.attempts, d.order_id.as_str()),
        ("event", "exhausted", 3, "4711")
    );
    assert_eq!((d.incident_id.as_str(), d.error.as_str()), ("cap-1", "Freshdesk answered 502"));
    assert!(app.metrics().await.contains("payops_ticketing_dead_lettered_total"));
    assert_eq!(app.events("ticket_work_dead_lettered").await.len(), 1);
    assert!(app.tickets().await.is_empty());

    app.admin.clear_faults().await.unwrap();
    let t = client.replay_dead_letter(ReplayDeadLetterRequest { id: d.id }).await.unwrap().into_inner().ticket.unwrap();
    assert_eq!(t.incident_id, "cap-1");
    assert_eq!(app.tickets().await.len(), 1);
    assert!(
        client.list_dead_letters(ListDeadLettersRequest::default()).await.unwrap().into_inner().dead_letters.is_empty()
    );
    let again = client.replay_dead_letter(ReplayDeadLetterRequest { id: d.id }).await.unwrap_err();
    assert_eq!(error_reason(&again).as_deref(), Some("DEAD_LETTER_NOT_REPLAYABLE"));
    app.stop().await;
}

#[tokio::test]
async fn tk_05_dead_letters_are_listed_in_pages() {
    let app = TestApp::spawn().await;
    for i in 0..5 {
        let bad = proto::payops::events::v1::Attention { incident_id: "bad id".into(), ..Default::default() };
        app.publish(&format!("o{i}"), &bad).await;
    }
    app.drain().await;
    let mut client = app.client().await;
    let page = |size, token: &str| ListDeadLettersRequest {
        page: Some(proto::payops::common::v1::PageRequest { page_size: size, page_token: token.into() }),
    };
    let first = client.list_dead_letters(page(2, "")).await.unwrap().into_inner();
    assert_eq!(first.dead_letters.len(), 2);
    let token = first.page.unwrap().next_page_token;
    let second = client.list_dead_letters(page(10, &token)).await.unwrap().into_inner();
    assert_eq!(second.dead_letters.len(), 3);
    assert!(second.page.unwrap().next_page_token.is_empty());
    let bad = client.list_dead_letters(page(501, "x")).await.unwrap_err();
    let fields: Vec<String> = kit::grpc::status::field_violations(&bad).into_iter().map(|(f, _)| f).collect();
    assert_eq!(fields, ["page.page_size", "page.page_token"]);
    app.stop().await;
}

#[tokio::test]
async fn tk_03_the_resolver_settles_an_unknown_create_by_searching_freshdesk() {
    let app = TestApp::spawn().await;
    app.admin
        .add_fault(&FaultSpec::act_then_fail_once(System::Freshdesk, "create_ticket", FailMode::Error))
        .await
        .unwrap();
    app.attention("4711", "cap-1", "Capture refused", "x").await;
    app.drain().await;
    // The resolver's schedule is the database's clock: make the entry due as if 30 s had passed.
    sqlx::query("UPDATE journal SET next_check_at = now()").execute(&app.pool).await.unwrap();
    let report = app.resolver.resolve_once().await.unwrap();
    assert_eq!(report.unknown, 1, "search cannot see the new ticket yet: still unknown, not 'not done': {report:?}");
    app.advance(150);
    sqlx::query("UPDATE journal SET next_check_at = now()").execute(&app.pool).await.unwrap();
    let report = app.resolver.resolve_once().await.unwrap();
    assert_eq!(report.succeeded, 1, "{report:?}");
    app.advance(2);
    assert_eq!(app.drain().await, 1);
    assert_eq!(app.tickets().await.len(), 1);
    let probes: i32 = sqlx::query_scalar("SELECT probes FROM journal WHERE key = 'fd.create:inc:4711:cap-1'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(probes, 2, "the worker used the resolver's finding instead of asking again");
    app.stop().await;
}
