//! Freshdesk's rate limit (TK-05): a 429 burst pauses the whole bridge for Retry-After and
//! delays work, but loses nothing and is not counted as a failure.

use proto::payops::ticketing::v1::ListDeadLettersRequest;
use sandbox::{FaultSpec, System};
use tonic::Code;

use crate::helpers::{TestApp, b2c};

#[tokio::test]
async fn tk_05_a_429_burst_delays_but_loses_nothing() {
    let app = TestApp::spawn().await;
    let burst = FaultSpec { burst_429: 4, retry_after_secs: 7, ..FaultSpec::new(System::Freshdesk, "create_ticket") };
    app.admin.add_fault(&burst).await.unwrap();
    let mut ids = Vec::new();
    for order in ["4711", "4712", "4713"] {
        ids.push(app.attention(order, "cap-1", "Capture refused", "x").await);
    }
    app.drain().await;
    assert!(app.tickets().await.is_empty());
    let paused = app.executor.limiter().paused_until(kit::clock::Clock::now(&app.clock));
    assert!(paused.is_some(), "a 429 pauses every call");
    assert_eq!(app.drain().await, 0, "nothing starts while paused");

    let mut rounds = 0;
    while app.tickets().await.len() < 3 {
        rounds += 1;
        assert!(rounds < 10, "the burst ends");
        app.advance(7);
        app.drain().await;
    }
    assert_eq!(app.admin.freshdesk_tickets().await.unwrap().duplicates.len(), 0);
    let rate_limited: i64 =
        sqlx::query_scalar("SELECT sum(rate_limited) FROM work").fetch_one(&app.pool).await.unwrap();
    let failed: i64 = sqlx::query_scalar("SELECT sum(attempts) FROM work").fetch_one(&app.pool).await.unwrap();
    assert!(rate_limited >= 4, "every 429 (and every call refused during the pause) delayed work: {rate_limited}");
    assert_eq!(failed, 0, "429s are not failures");
    let fired = app.admin.fired_faults().await.unwrap();
    assert_eq!(fired.iter().filter(|f| f.kind == "burst_429").count(), 4);
    let dead = app.client().await.list_dead_letters(ListDeadLettersRequest::default()).await.unwrap();
    assert!(dead.into_inner().dead_letters.is_empty());
    assert!(app.metrics().await.contains("payops_freshdesk_rate_limited_total"));
    app.stop().await;
}

#[tokio::test]
async fn tk_05_a_rate_limited_create_ticket_answers_unavailable_with_retry_info_and_stays_queued() {
    let app = TestApp::spawn().await;
    let burst = FaultSpec { burst_429: 1, retry_after_secs: 30, ..FaultSpec::new(System::Freshdesk, "create_ticket") };
    app.admin.add_fault(&burst).await.unwrap();
    let err = app.client().await.create_ticket(b2c("req-429", "4711")).await.unwrap_err();
    assert_eq!(err.code(), Code::Unavailable);
    let retry = tonic_types::StatusExt::get_details_retry_info(&err).and_then(|r| r.retry_delay).unwrap();
    assert_eq!(retry.as_secs(), 30, "Retry-After passed on");
    // Asking again within the pause costs Freshdesk nothing.
    let err = app.client().await.create_ticket(b2c("req-429", "4711")).await.unwrap_err();
    assert_eq!(err.code(), Code::Unavailable);
    assert_eq!(app.admin.requests(Some(System::Freshdesk)).await.unwrap().len(), 1);

    app.advance(30);
    let r = app.client().await.create_ticket(b2c("req-429", "4711")).await.unwrap().into_inner();
    assert_eq!(app.tickets().await.len(), 1);
    assert_eq!(r.ticket.unwrap().request_id, "req-429");
    app.stop().await;
}
