//! Replicas: two gateways racing for one terminal, a watcher on another replica, and a
//! gateway killed while a payment waits, then started again on the same database.

use std::time::Duration;

use proto::payops::terminal_gateway::v1 as pb;
use sandbox::nets::{CustomerAction, TxOutcome};
use terminal_gateway::service::AFTER_PURCHASE;

use crate::helpers::{FIRST, TestApp, next, reason, state};

#[tokio::test]
async fn tg_30_two_gateway_instances_racing_for_one_terminal_start_one_payment() {
    let a = TestApp::spawn().await;
    let b = a.replica("gw-b").await;
    for i in 0..5 {
        let terminal = format!("T-{i}");
        a.terminal(&terminal).await;
        let (ra, oa, rb, ob) = (format!("a-{i}"), format!("A{i}"), format!("b-{i}"), format!("B{i}"));
        let (x, y) = tokio::join!(a.start(&ra, &oa, &terminal, 10_00), b.start(&rb, &ob, &terminal, 20_00));
        let ok = [x.is_ok(), y.is_ok()].iter().filter(|o| **o).count();
        assert_eq!(ok, 1, "exactly one start wins on {terminal}: {x:?} {y:?}");
        let err = x.err().or(y.err()).unwrap();
        assert_eq!(kit::grpc::status::error_reason(&err).as_deref(), Some("TERMINAL_BUSY"));
        assert_eq!(a.history(&terminal).await.len(), 1, "one transaction at the terminal");
    }
}

#[tokio::test]
async fn tg_11_a_watcher_on_another_replica_sees_the_approval() {
    let a = TestApp::spawn().await;
    let b = a.replica("gw-b").await;
    a.terminal("T-1").await;
    let p = a.start("req-1", "T-88", "T-1", 10_00).await.unwrap();
    let mut watch = b.watch(&p.payment_id).await;
    assert_eq!(state(&next(&mut watch).await), pb::PaymentState::Waiting);
    a.customer("T-1", CustomerAction::Approve).await;
    // Replica A records the approval; its relay publishes it; B's feed delivers it.
    let mut published = 0;
    while published < 2 {
        published += a.relay.drain().await.unwrap();
        tokio::task::yield_now().await;
    }
    let done = next(&mut watch).await;
    assert_eq!(state(&done), pb::PaymentState::Approved);
}

#[tokio::test]
async fn tg_32_a_gateway_killed_while_a_payment_waits_is_resumed_by_a_fresh_instance() {
    let mut app = TestApp::spawn().await;
    app.terminal("T-1").await;
    let p = app.start("req-1", "T-88", "T-1", 10_00).await.unwrap();
    // Killed: the purchase answer that arrives later is never recorded by this instance.
    app.faults.arm(AFTER_PURCHASE);
    app.restart("gw-2").await;

    assert_eq!(app.supervise().await.claimed, 0, "the dead instance's lease still runs");
    app.clock.advance(Duration::from_secs(31));
    let report = app.supervise().await;
    assert_eq!(report.claimed, 1, "taken over after the lease expired");
    assert_eq!(state(&app.get(&p.payment_id).await), pb::PaymentState::Waiting, "still at the terminal");
    assert_eq!(app.history("T-1").await, vec![TxOutcome::InProgress], "resuming never aborts the terminal");

    app.customer("T-1", CustomerAction::Approve).await;
    assert_eq!(app.supervise().await.resolved, 1);
    let done = app.get(&p.payment_id).await;
    assert_eq!((state(&done), reason(&done).as_str()), (pb::PaymentState::Approved, "APPROVED"));
    assert_eq!(app.events("T-88").await, ["terminal_payment_started", "terminal_payment_approved"], "recorded once");
    assert_eq!(app.history("T-1").await, vec![TxOutcome::Approved], "never started again");
}

#[tokio::test]
async fn tg_32_no_payment_stays_waiting_past_timeout_plus_grace_after_a_restart() {
    let mut app = TestApp::spawn().await;
    app.terminal("T-1").await;
    app.terminal("T-2").await;
    let p1 = app.start("req-1", "T-88", "T-1", 10_00).await.unwrap();
    let p2 = app.start("req-2", "T-89", "T-2", 10_00).await.unwrap();
    app.faults.arm_times(AFTER_PURCHASE, 2);
    // Nets cannot be reached when the restarted gateway looks (T-2 went offline; the purchase
    // held at Nets stays open), so one of them can only be closed by the grace rule.
    app.nets.nets_set_connected("T-2", false).await.unwrap();
    app.restart("gw-2").await;

    app.clock.advance(Duration::from_secs(120 + 30));
    app.supervise().await;
    app.supervise().await;
    for p in [&p1, &p2] {
        let now = app.get(&p.payment_id).await;
        assert_eq!(state(&now), pb::PaymentState::TimedOut, "{}: {:?}", p.order_id, now.outcome);
    }
    assert_eq!(reason(&app.get(&p1.payment_id).await), "PAYMENT_TIMED_OUT");
    assert_eq!(reason(&app.get(&p2.payment_id).await), "OUTCOME_UNCONFIRMED");
    assert_eq!(app.history("T-1").await, vec![TxOutcome::CancelledByOperator]);
}

#[tokio::test]
async fn graceful_stop_hands_waiting_payments_to_another_replica_at_once() {
    let mut app = TestApp::spawn().await;
    app.terminal("T-1").await;
    let p = app.start("req-1", "T-88", "T-1", 10_00).await.unwrap();
    // The app's process stops gracefully; a replica is left.
    app.run.stop().await;
    let second = app.replica("gw-2").await;
    assert_eq!(second.supervise().await.claimed, 1, "the lease was released at shutdown");
    app.customer("T-1", CustomerAction::Approve).await;
    second.supervise().await;
    assert_eq!(state(&second.get(&p.payment_id).await), pb::PaymentState::Approved);
}

#[tokio::test]
async fn lease_renewal_skips_a_payment_being_recorded_instead_of_waiting_for_it() {
    // A renewal that waited for one payment's row lock kept every payment it had locked by then
    // until it ended: the recordings of their answers queued behind it.
    use terminal_gateway::store::payments;
    let app = TestApp::spawn().await;
    app.terminal("T-1").await;
    app.terminal("T-2").await;
    let id = |p: pb::Payment| uuid::Uuid::parse_str(&p.payment_id).unwrap();
    let busy = id(app.start("req-1", "O-1", "T-1", 10_00).await.unwrap());
    let free = id(app.start("req-2", "O-2", "T-2", 10_00).await.unwrap());
    let lease = |id: uuid::Uuid| {
        sqlx::query_scalar::<_, chrono::DateTime<chrono::Utc>>("SELECT lease_until FROM payments WHERE id = $1")
            .bind(id)
            .fetch_one(&app.pool)
    };
    let before = lease(busy).await.unwrap();
    let until = before + chrono::Duration::hours(1);

    // An answer being recorded holds its payment's row (`Engine::apply` locks it first).
    let mut recording = app.pool.begin().await.unwrap();
    sqlx::query("SELECT id FROM payments WHERE id = $1 FOR UPDATE").bind(busy).execute(&mut *recording).await.unwrap();
    let renewed = tokio::time::timeout(Duration::from_secs(10), payments::renew_leases(&app.pool, FIRST, until))
        .await
        .expect("the renewal waited for the payment being recorded")
        .unwrap();
    assert_eq!(renewed, 1, "the other waiting payment is renewed");
    assert_eq!(lease(free).await.unwrap(), until);
    assert_eq!(lease(busy).await.unwrap(), before, "the payment being recorded is left for the next round");

    recording.rollback().await.unwrap();
    assert_eq!(payments::renew_leases(&app.pool, FIRST, until).await.unwrap(), 2);
    assert_eq!(lease(busy).await.unwrap(), until);
}
