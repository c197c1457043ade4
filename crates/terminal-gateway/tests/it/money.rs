//! Terminal money defects (issue 15, Build 2): a stalled purchase connection, a timed-out
//! payment whose terminal may still run it, the supervisor under a Nets outage, one request id
//! used for two different payments, and a terminal that keeps failing.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use proto::payops::common::v1::Money;
use proto::payops::terminal_gateway::v1 as pb;
use sandbox::nets::{CustomerAction, TxOutcome};
use sandbox::{FailMode, FaultSpec, System};
use sqlx::Row;

use crate::helpers::{TENANT, TestApp, reason, state};

/// POSTs of purchases the sandbox received for `terminal`.
async fn purchases_sent(app: &TestApp, terminal: &str) -> usize {
    let path = format!("/v1/terminal/{terminal}/transaction");
    app.nets_requests().await.into_iter().filter(|(m, p)| m == "POST" && p.starts_with(&path)).count()
}

#[tokio::test]
async fn tg_22_a_stalled_purchase_is_let_go_at_timeout_plus_grace_and_never_touches_the_next_sale() {
    let app = TestApp::spawn().await;
    app.terminal("T-1").await;
    // An earlier sale is the terminal's last transaction.
    let earlier = app.start("req-0", "E-1", "T-1", 5_00).await.unwrap();
    app.customer("T-1", CustomerAction::Approve).await;
    while state(&app.get(&earlier.payment_id).await) == pb::PaymentState::Waiting {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The purchase never reaches the terminal and its connection stays open for ten minutes.
    let mut stall = FaultSpec::fail_times(System::Nets, "start", FailMode::Hang, 1);
    stall.hang_ms = 600_000;
    app.nets.add_fault(&stall).await.unwrap();
    let a = app.start("req-a", "A-1", "T-1", 10_00).await.unwrap();
    app.clock.advance(Duration::from_secs(150));
    app.supervise().await;
    app.supervise().await;
    let closed = app.get(&a.payment_id).await;
    assert_eq!(state(&closed), pb::PaymentState::TimedOut, "{:?}", closed.outcome);
    let limit = Instant::now() + Duration::from_secs(10);
    while app.engine.purchases_in_flight() > 0 && Instant::now() < limit {
        app.supervise().await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(app.engine.purchases_in_flight(), 0, "the stalled purchase call is let go, not held for 300 s");
    // The next sale on that terminal runs undisturbed: nothing of A's is sent to the terminal
    // while B waits there.
    let b = loop {
        match app.start("req-b", "B-1", "T-1", 20_00).await {
            Ok(b) => break b,
            Err(e) if kit::grpc::status::error_reason(&e).as_deref() == Some("TERMINAL_BUSY") => {
                assert!(Instant::now() < limit + Duration::from_secs(10), "the terminal is never released");
                app.supervise().await;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("{e}"),
        }
    };
    while app.nets.nets_terminal("T-1").await.unwrap().current.is_none() {
        tokio::task::yield_now().await;
    }
    let before = app.nets_requests().await.len();
    app.refresh(&a.payment_id).await;
    for _ in 0..3 {
        app.supervise().await;
    }
    let touching: Vec<(String, String)> = app
        .nets_requests()
        .await
        .into_iter()
        .skip(before)
        .filter(|(m, p)| p != "/v1/login" && (m != "GET" || p.ends_with("/transaction")))
        .collect();
    assert!(touching.is_empty(), "A's handling sent {touching:?} while B waited on the terminal");
    app.customer("T-1", CustomerAction::Approve).await;
    let limit = Instant::now() + Duration::from_secs(10);
    while state(&app.get(&b.payment_id).await) == pb::PaymentState::Waiting && Instant::now() < limit {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(state(&app.get(&b.payment_id).await), pb::PaymentState::Approved);
    assert_eq!(
        app.history("T-1").await,
        vec![TxOutcome::Approved, TxOutcome::Approved],
        "B was never aborted or cancelled"
    );
}

#[tokio::test]
async fn tg_30_a_timed_out_payment_keeps_its_terminal_until_nets_confirms_the_outcome() {
    let app = TestApp::spawn().await;
    app.terminal("T-1").await;
    // The cancel never reaches the terminal: A may still be charged after the gateway gave up.
    app.nets.add_fault(&FaultSpec::fail_times(System::Nets, "cancel", FailMode::Error, 100)).await.unwrap();
    let a = app.start("req-a", "A-1", "T-1", 10_00).await.unwrap();
    app.clock.advance(Duration::from_secs(150));
    app.supervise().await;
    app.supervise().await;
    let closed = app.get(&a.payment_id).await;
    assert_eq!((state(&closed), reason(&closed).as_str()), (pb::PaymentState::TimedOut, "OUTCOME_UNCONFIRMED"));
    // A new sale must not be posted to a terminal that may still run A.
    let err = app.start("req-b", "B-1", "T-1", 20_00).await.unwrap_err();
    assert_eq!(kit::grpc::status::error_reason(&err).as_deref(), Some("TERMINAL_BUSY"), "{err:?}");
    assert!(err.message().contains(&a.payment_id), "names the payment that holds the terminal: {}", err.message());
    assert_eq!(purchases_sent(&app, "T-1").await, 1, "nothing was posted while A may run");
    // A refresh of A while it may run never looks up (a lookup aborts what runs).
    app.refresh(&a.payment_id).await;
    assert_eq!(app.history("T-1").await, vec![TxOutcome::InProgress]);
}

#[tokio::test]
async fn tg_32_under_a_nets_outage_the_supervisor_works_through_waiting_payments_concurrently() {
    let app = TestApp::spawn_with(&[("NETS_REQUEST_TIMEOUT", "1s"), ("NETS_LOOKUP_TIMEOUT", "1s")]).await;
    let n = 12;
    let mut ids = Vec::new();
    for i in 0..n {
        let t = format!("T-{i}");
        app.terminal(&t).await;
        ids.push(app.start(&format!("req-{i}"), &format!("O-{i}"), &t, 10_00).await.unwrap().payment_id);
    }
    // Nets stops answering: every status, lookup and cancel call hangs until the client gives up.
    for op in ["status", "last_result", "cancel", "void", "login"] {
        let mut f = FaultSpec::fail_times(System::Nets, op, FailMode::Hang, 10_000);
        f.hang_ms = 20_000;
        app.nets.add_fault(&f).await.unwrap();
    }
    app.clock.advance(Duration::from_secs(150));
    let started = Instant::now();
    let pass = tokio::time::timeout(Duration::from_secs(25), async {
        app.supervise().await;
        app.supervise().await;
    })
    .await;
    assert!(pass.is_ok(), "two supervisor passes over {n} payments took more than 25 s (one after another)");
    for id in &ids {
        assert_eq!(state(&app.get(id).await), pb::PaymentState::TimedOut, "{id} past timeout + grace");
    }
    println!("two passes over {n} payments during the outage: {:?}", started.elapsed());
}

#[tokio::test]
async fn tg_31_two_manual_payments_racing_on_one_request_id_never_return_each_other() {
    let app = TestApp::spawn().await;
    let req = |request: &str, order: &str, minor: i64| pb::RecordManualPaymentRequest {
        tenant_id: TENANT.into(),
        request_id: request.into(),
        order_id: order.into(),
        amount: Some(Money { amount_minor: minor, currency: "CHF".into() }),
        card_brand: "VISA".into(),
        card_last4: "4242".into(),
        reference: String::new(),
        workstation_id: String::new(),
    };
    for i in 0..30 {
        let id = format!("race-{i}");
        let (mut c1, mut c2) = (app.payments().await, app.payments().await);
        let (x, y) = tokio::join!(
            c1.record_manual_payment(req(&id, &format!("M-{i}"), 10_00)),
            c2.record_manual_payment(req(&id, &format!("N-{i}"), 99_00))
        );
        for (got, order, minor) in [(x, format!("M-{i}"), 10_00), (y, format!("N-{i}"), 99_00)] {
            match got {
                Ok(r) => {
                    let p = r.into_inner().payment.unwrap();
                    assert_eq!(
                        (p.order_id.as_str(), p.amount.unwrap().amount_minor),
                        (order.as_str(), minor),
                        "{id}: a caller got another request's payment"
                    );
                }
                Err(e) => {
                    assert_eq!(kit::grpc::status::error_reason(&e).as_deref(), Some("REQUEST_ID_REUSED"), "{e:?}")
                }
            }
        }
    }
}

#[tokio::test]
async fn tg_24_a_terminal_that_stays_offline_opens_one_incident_not_one_per_three_failures() {
    let app = TestApp::spawn().await;
    app.terminal("T-1").await;
    app.nets.nets_set_connected("T-1", false).await.unwrap();
    for i in 0..9 {
        let _ = app.start(&format!("req-{i}"), &format!("O-{i}"), "T-1", 10_00).await;
        let limit = Instant::now() + Duration::from_secs(10);
        // A start that reached Nets ends on its own; wait for it before the next one.
        while sqlx::query("SELECT 1 FROM payments WHERE state = 'waiting'")
            .fetch_optional(&app.pool)
            .await
            .unwrap()
            .is_some()
            && Instant::now() < limit
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let rows =
        sqlx::query("SELECT order_id FROM outbox WHERE event_type = 'attention'").fetch_all(&app.pool).await.unwrap();
    assert_eq!(rows.len(), 3, "attention at 3, 6 and 9 failures in a row");
    let keys: BTreeSet<String> = rows.iter().map(|r| r.get::<String, _>("order_id")).collect();
    assert_eq!(keys.len(), 1, "one incident key for the terminal, not one per order: {keys:?}");
}
