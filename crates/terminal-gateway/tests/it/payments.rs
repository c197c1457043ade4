//! The payment journeys of the seed: the customer pays, declines or cancels on the terminal;
//! the gateway cancels; busy and inactive terminals; idempotent starts; manual payments;
//! events keyed by the order id.

use proto::payops::common::v1::Money;
use proto::payops::terminal_gateway::v1 as pb;
use sandbox::nets::{CustomerAction, TxOutcome};
use tonic::Code;

use crate::helpers::{TENANT, TestApp, next, reason, state};

#[tokio::test]
async fn tg_10_customer_pays_and_the_watcher_sees_waiting_then_approved() {
    let app = TestApp::spawn().await;
    app.terminal("T-1001").await;
    let p = app.start("req-1", "T-88", "T-1001", 12_50).await.unwrap();
    assert_eq!(state(&p), pb::PaymentState::Waiting);
    let current = app.nets.nets_terminal("T-1001").await.unwrap().current.unwrap();
    assert_eq!(
        (current.amount, current.order_id.as_deref()),
        (1250, Some(p.nets_order_ref.as_str())),
        "the terminal shows the amount"
    );

    let mut watch = app.watch(&p.payment_id).await;
    assert_eq!(state(&next(&mut watch).await), pb::PaymentState::Waiting);
    app.customer("T-1001", CustomerAction::Approve).await;
    let approved = next(&mut watch).await;
    assert_eq!(state(&approved), pb::PaymentState::Approved);
    assert_eq!(reason(&approved), "APPROVED");
    let card = approved.card.unwrap();
    assert!(card.masked_pan.starts_with("************") && card.masked_pan.len() == 16, "{}", card.masked_pan);
    assert!(!card.acquirer_reference.is_empty());
    assert!(watch.message().await.unwrap().is_none(), "the stream ends after the final state");
    assert_eq!(app.history("T-1001").await, vec![TxOutcome::Approved]);
}

#[tokio::test]
async fn tg_33_every_state_change_is_an_event_keyed_by_the_order_and_approvals_carry_card_data() {
    let app = TestApp::spawn().await;
    app.terminal("T-1").await;
    let p = app.start("req-1", "T-88", "T-1", 45_90).await.unwrap();
    let mut watch = app.watch(&p.payment_id).await;
    next(&mut watch).await;
    app.customer("T-1", CustomerAction::Approve).await;
    next(&mut watch).await;
    let changes = app.changes("T-88").await;
    let types: Vec<&str> = changes.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(types, ["terminal_payment_started", "terminal_payment_approved"]);
    let approved = changes[1].1.payment.clone().unwrap();
    assert_eq!(approved.amount, Some(Money { amount_minor: 45_90, currency: "CHF".into() }));
    let card = approved.card.unwrap();
    assert!(card.masked_pan.starts_with("****") && !card.acquirer_reference.is_empty());
    assert_eq!(changes[1].1.previous_state, pb::PaymentState::Waiting as i32);
    assert_eq!(app.relay.drain().await.unwrap(), 2, "both reach JetStream under the order's subject");
}

#[tokio::test]
async fn tg_10_the_issuer_declines() {
    let app = TestApp::spawn().await;
    app.terminal("T-1").await;
    let p = app.start("req-1", "T-89", "T-1", 80_00).await.unwrap();
    let mut watch = app.watch(&p.payment_id).await;
    next(&mut watch).await;
    app.customer("T-1", CustomerAction::Decline).await;
    let done = next(&mut watch).await;
    assert_eq!((state(&done), reason(&done).as_str()), (pb::PaymentState::Declined, "DECLINED"));
    assert!(done.card.is_none());
    assert_eq!(app.events("T-89").await.last().map(String::as_str), Some("terminal_payment_declined"));
}

#[tokio::test]
async fn tg_21_customer_cancels_on_the_terminal() {
    let app = TestApp::spawn().await;
    app.terminal("T-1").await;
    let p = app.start("req-1", "T-90", "T-1", 9_00).await.unwrap();
    let mut watch = app.watch(&p.payment_id).await;
    next(&mut watch).await;
    app.customer("T-1", CustomerAction::Cancel).await;
    let done = next(&mut watch).await;
    assert_eq!((state(&done), reason(&done).as_str()), (pb::PaymentState::Cancelled, "CANCELLED_AT_TERMINAL"));
    assert_eq!(app.events("T-90").await.last().map(String::as_str), Some("terminal_payment_cancelled"));
}

#[tokio::test]
async fn tg_12_cancel_from_the_gateway_tells_the_terminal() {
    let app = TestApp::spawn().await;
    app.terminal("T-1").await;
    let p = app.start("req-1", "T-91", "T-1", 10_00).await.unwrap();
    let req = pb::CancelPaymentRequest { tenant_id: TENANT.into(), payment_id: p.payment_id.clone() };
    let done = app.payments().await.cancel_payment(req.clone()).await.unwrap().into_inner().payment.unwrap();
    assert_eq!((state(&done), reason(&done).as_str()), (pb::PaymentState::Cancelled, "CANCELLED_BY_GATEWAY"));
    assert_eq!(app.history("T-1").await, vec![TxOutcome::CancelledByOperator], "the terminal shows the cancellation");
    assert_eq!(
        app.events("T-91").await,
        ["terminal_payment_started", "terminal_payment_cancel_requested", "terminal_payment_cancelled"]
    );
    let again = app.payments().await.cancel_payment(req).await.unwrap_err();
    assert_eq!(
        (again.code(), kit::grpc::status::error_reason(&again).as_deref()),
        (Code::FailedPrecondition, Some("PAYMENT_FINISHED"))
    );
}

#[tokio::test]
async fn tg_12_cancel_after_card_authorisation_loses_the_race_and_the_payment_is_approved() {
    let app = TestApp::spawn().await;
    app.terminal("T-1").await;
    let p = app.start("req-1", "T-92", "T-1", 10_00).await.unwrap();
    app.customer("T-1", CustomerAction::Authorise).await;
    let req = pb::CancelPaymentRequest { tenant_id: TENANT.into(), payment_id: p.payment_id.clone() };
    let done = app.payments().await.cancel_payment(req).await.unwrap().into_inner().payment.unwrap();
    assert_eq!(state(&done), pb::PaymentState::Approved, "money taken is never reported as cancelled");
    assert!(done.card.is_some());
}

#[tokio::test]
async fn tg_20_a_second_payment_on_a_busy_terminal_is_refused_as_terminal_busy() {
    let app = TestApp::spawn().await;
    app.terminal("T-1").await;
    let first = app.start("req-1", "T-93", "T-1", 10_00).await.unwrap();
    let err = app.start("req-2", "T-94", "T-1", 20_00).await.unwrap_err();
    assert_eq!(
        (err.code(), kit::grpc::status::error_reason(&err).as_deref()),
        (Code::FailedPrecondition, Some("TERMINAL_BUSY"))
    );
    assert!(err.message().contains(&first.payment_id), "names the payment in progress: {}", err.message());
    assert!(app.events("T-94").await.is_empty(), "nothing recorded for the refused start");
    assert_eq!(app.history("T-1").await.len(), 1, "the terminal was not asked twice");
}

#[tokio::test]
async fn tg_20_a_terminal_busy_at_nets_with_another_pos_is_refused_as_terminal_busy() {
    let app = TestApp::spawn().await;
    app.terminal("T-1").await;
    // Another POS on the same account starts a purchase directly at Nets.
    let http = reqwest::Client::new();
    let base = app.sandbox.url(sandbox::System::Nets);
    let token: serde_json::Value = http
        .post(format!("{base}/v1/login"))
        .json(&serde_json::json!({"username": crate::helpers::USER, "password": crate::helpers::PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["token"].as_str().unwrap().to_owned();
    let other = tokio::spawn(
        http.post(format!("{base}/v1/terminal/T-1/transaction"))
            .bearer_auth(token)
            .json(&serde_json::json!({"transactionType": "purchase", "amount": 500, "orderId": "other-pos"}))
            .send(),
    );
    while app.nets.nets_terminal("T-1").await.unwrap().current.is_none() {
        tokio::task::yield_now().await;
    }
    let err = app.start("req-1", "T-95", "T-1", 10_00).await.unwrap_err();
    assert_eq!(kit::grpc::status::error_reason(&err).as_deref(), Some("TERMINAL_BUSY"));
    app.customer("T-1", CustomerAction::Approve).await;
    other.await.unwrap().unwrap();
}

#[tokio::test]
async fn tg_23_an_inactive_terminal_cannot_start_a_payment() {
    let app = TestApp::spawn().await;
    app.terminal("T-1").await;
    let req = pb::DeactivateTerminalRequest { tenant_id: TENANT.into(), terminal_id: "T-1".into() };
    app.terminals().await.deactivate_terminal(req).await.unwrap();
    let err = app.start("req-1", "T-96", "T-1", 10_00).await.unwrap_err();
    assert_eq!(
        (err.code(), kit::grpc::status::error_reason(&err).as_deref()),
        (Code::FailedPrecondition, Some("TERMINAL_INACTIVE"))
    );
    assert!(err.message().contains("inactive"), "names the terminal's state: {}", err.message());
    assert!(app.history("T-1").await.is_empty(), "the terminal was not asked");
    let req = pb::ActivateTerminalRequest { tenant_id: TENANT.into(), terminal_id: "T-1".into() };
    app.terminals().await.activate_terminal(req).await.unwrap();
    app.start("req-2", "T-96", "T-1", 10_00).await.unwrap();
}

#[tokio::test]
async fn tg_31_a_retried_start_returns_the_same_payment_and_never_starts_a_second() {
    let app = TestApp::spawn().await;
    app.terminal("T-1").await;
    let (a, b) = tokio::join!(app.start("req-1", "T-97", "T-1", 10_00), app.start("req-1", "T-97", "T-1", 10_00));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.payment_id, b.payment_id);
    let c = app.start("req-1", "T-97", "T-1", 10_00).await.unwrap();
    assert_eq!(c.payment_id, a.payment_id);
    assert_eq!(app.history("T-1").await.len(), 1, "one purchase at the terminal");
    assert_eq!(app.events("T-97").await, ["terminal_payment_started"]);
    let err = app.start("req-1", "T-97", "T-1", 99_00).await.unwrap_err();
    assert_eq!(
        (err.code(), kit::grpc::status::error_reason(&err).as_deref()),
        (Code::AlreadyExists, Some("REQUEST_ID_REUSED"))
    );
}

#[tokio::test]
async fn tg_05_a_manual_card_payment_is_stored_and_emitted_like_any_other() {
    let app = TestApp::spawn().await;
    let req = pb::RecordManualPaymentRequest {
        tenant_id: TENANT.into(),
        request_id: "man-1".into(),
        order_id: "M-1".into(),
        amount: Some(Money { amount_minor: 33_00, currency: "EUR".into() }),
        card_brand: "VISA".into(),
        card_last4: "4242".into(),
        reference: "slip-77".into(),
        workstation_id: String::new(),
    };
    let r = app.payments().await.record_manual_payment(req.clone()).await.unwrap().into_inner();
    let p = r.payment.unwrap();
    assert!(r.created);
    assert_eq!((state(&p), p.method), (pb::PaymentState::Approved, pb::PaymentMethod::Manual as i32));
    assert_eq!(p.card.as_ref().unwrap().masked_pan, "************4242");
    let again = app.payments().await.record_manual_payment(req.clone()).await.unwrap().into_inner();
    assert_eq!((again.payment.unwrap().payment_id, again.created), (p.payment_id, false));
    assert_eq!(app.events("M-1").await, ["manual_card_payment_recorded"]);
    let bad =
        pb::RecordManualPaymentRequest { card_last4: "42424".into(), amount: None, request_id: "x".into(), ..req };
    let err = app.payments().await.record_manual_payment(bad).await.unwrap_err();
    let fields: Vec<String> = kit::grpc::status::field_violations(&err).into_iter().map(|(f, _)| f).collect();
    assert_eq!(fields, ["amount", "card_last4"]);
}

#[tokio::test]
async fn tg_06_a_workstation_remembers_its_terminal() {
    let app = TestApp::spawn().await;
    app.terminal("T-1").await;
    let mut req = pb::StartPaymentRequest {
        tenant_id: TENANT.into(),
        request_id: "req-1".into(),
        order_id: "W-1".into(),
        amount: Some(Money { amount_minor: 100, currency: "CHF".into() }),
        terminal_id: "T-1".into(),
        workstation_id: "till-3".into(),
    };
    app.payments().await.start_payment(req.clone()).await.unwrap();
    app.customer("T-1", CustomerAction::Approve).await;
    let ws = pb::GetWorkstationTerminalRequest { tenant_id: TENANT.into(), workstation_id: "till-3".into() };
    assert_eq!(app.terminals().await.get_workstation_terminal(ws).await.unwrap().into_inner().terminal_id, "T-1");
    // The cashier does not pick a terminal again: the workstation's is used.
    req.request_id = "req-2".into();
    req.terminal_id = String::new();
    loop {
        match app.payments().await.start_payment(req.clone()).await {
            Ok(r) => {
                assert_eq!(r.into_inner().payment.unwrap().terminal_id, "T-1");
                break;
            }
            // The first payment's approval is being recorded right now.
            Err(e) if kit::grpc::status::error_reason(&e).as_deref() == Some("TERMINAL_BUSY") => {
                tokio::task::yield_now().await
            }
            Err(e) => panic!("{e}"),
        }
    }
    req.workstation_id = "till-unknown".into();
    req.request_id = "req-3".into();
    let err = app.payments().await.start_payment(req).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
}

#[tokio::test]
async fn bad_start_input_names_every_field_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let req = pb::StartPaymentRequest {
        tenant_id: "hotel".into(),
        request_id: String::new(),
        order_id: "T 88".into(),
        amount: Some(Money { amount_minor: -5, currency: "CHF".into() }),
        terminal_id: "T/1".into(),
        workstation_id: String::new(),
    };
    let err = app.payments().await.start_payment(req).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let fields: Vec<String> = kit::grpc::status::field_violations(&err).into_iter().map(|(f, _)| f).collect();
    assert_eq!(fields, ["request_id", "order_id", "amount.amount_minor", "terminal_id"]);
    assert_eq!(app.relay.backlog().await.unwrap(), 0);
}

#[tokio::test]
async fn tg_11_an_approval_reaches_the_watcher_while_every_connection_of_the_main_pool_is_busy() {
    // What a terminal answered is recorded on the record lane (a pool of its own): new payments
    // and reads holding every connection of the main pool do not delay it.
    let app = TestApp::spawn_with(&[("DB_MAX_CONNECTIONS", "2"), ("DB_ACQUIRE_TIMEOUT", "60s")]).await;
    app.terminal("T-1").await;
    let p = app.start("req-1", "T-88", "T-1", 12_50).await.unwrap();
    let mut watch = app.watch(&p.payment_id).await;
    assert_eq!(state(&next(&mut watch).await), pb::PaymentState::Waiting);
    let busy = [app.pool.acquire().await.unwrap(), app.pool.acquire().await.unwrap()];
    assert_eq!(app.pool.num_idle(), 0, "the main pool is exhausted");
    app.customer("T-1", CustomerAction::Approve).await;
    let approved = next(&mut watch).await;
    assert_eq!(state(&approved), pb::PaymentState::Approved);
    drop(busy);
    assert_eq!(state(&app.get(&p.payment_id).await), pb::PaymentState::Approved);
}
