//! Time and lost answers: the 120 s timeout without waiting 120 s, refresh in its three cases,
//! Result 99, an approval after the gateway gave up, token expiry.

use std::time::Duration;

use proto::payops::terminal_gateway::v1 as pb;
use sandbox::nets::{CustomerAction, NetsConfig, TxOutcome};
use sandbox::{FailMode, FaultSpec, System};
use terminal_gateway::service::AFTER_PURCHASE;

use crate::helpers::{TestApp, next, reason, state};

#[tokio::test]
async fn tg_22_no_completion_in_120_seconds_cancels_on_the_terminal_and_times_out() {
    let app = TestApp::spawn().await;
    app.terminal("T-1").await;
    let p = app.start("req-1", "T-88", "T-1", 10_00).await.unwrap();
    let mut watch = app.watch(&p.payment_id).await;
    next(&mut watch).await;
    app.clock.advance(Duration::from_secs(119));
    assert_eq!(app.supervise().await.timeouts, 0, "not before 120 s");
    assert_eq!(state(&app.get(&p.payment_id).await), pb::PaymentState::Waiting);
    app.clock.advance(Duration::from_secs(1));
    assert_eq!(app.supervise().await.timeouts, 1);
    let mut last = next(&mut watch).await;
    while state(&last) == pb::PaymentState::Waiting {
        assert!(last.cancel_requested, "the cancel request is a visible change");
        last = next(&mut watch).await;
    }
    assert_eq!((state(&last), reason(&last).as_str()), (pb::PaymentState::TimedOut, "PAYMENT_TIMED_OUT"));
    assert_eq!(app.history("T-1").await, vec![TxOutcome::CancelledByOperator], "cancelled on the terminal");
    assert_eq!(app.events("T-88").await.last().map(String::as_str), Some("terminal_payment_timed_out"));
}

#[tokio::test]
async fn tg_13_refresh_while_in_progress_changes_nothing_and_never_aborts_the_terminal() {
    let app = TestApp::spawn().await;
    app.terminal("T-1").await;
    let p = app.start("req-1", "T-88", "T-1", 10_00).await.unwrap();
    let (after, result) = app.refresh(&p.payment_id).await;
    assert_eq!(result, pb::RefreshResult::InProgress);
    assert_eq!((state(&after), after.version), (pb::PaymentState::Waiting, p.version));
    assert_eq!(app.history("T-1").await, vec![TxOutcome::InProgress], "the transaction still runs");
    let lookups =
        app.nets_requests().await.into_iter().filter(|(m, path)| m == "GET" && path.ends_with("/transaction")).count();
    assert_eq!(lookups, 0, "no last-result lookup while the terminal is busy");
}

#[tokio::test]
async fn tg_13_refresh_finds_a_completed_payment_whose_answer_was_lost() {
    let app = TestApp::spawn().await;
    app.terminal("T-1").await;
    let p = app.start("req-1", "T-88", "T-1", 10_00).await.unwrap();
    app.faults.arm(AFTER_PURCHASE);
    app.customer("T-1", CustomerAction::Approve).await;
    let (after, result) = app.refresh(&p.payment_id).await;
    assert_eq!(result, pb::RefreshResult::Updated);
    assert_eq!((state(&after), reason(&after).as_str()), (pb::PaymentState::Approved, "APPROVED"));
    assert!(after.card.is_some());
    assert_eq!(app.refresh(&p.payment_id).await.1, pb::RefreshResult::AlreadyFinal);
    assert_eq!(app.history("T-1").await, vec![TxOutcome::Approved]);
}

#[tokio::test]
async fn tg_13_refresh_finds_a_cancelled_payment_whose_answer_was_lost() {
    let app = TestApp::spawn().await;
    app.terminal("T-1").await;
    let p = app.start("req-1", "T-88", "T-1", 10_00).await.unwrap();
    app.faults.arm(AFTER_PURCHASE);
    app.customer("T-1", CustomerAction::Cancel).await;
    let (after, result) = app.refresh(&p.payment_id).await;
    assert_eq!(result, pb::RefreshResult::Updated);
    assert_eq!((state(&after), reason(&after).as_str()), (pb::PaymentState::Cancelled, "CANCELLED_AT_TERMINAL"));
}

#[tokio::test]
async fn tg_13_an_unknown_result_is_never_a_decline_the_lookup_tells_the_truth() {
    let app = TestApp::spawn().await;
    app.terminal("T-1").await;
    let p = app.start("req-1", "T-88", "T-1", 10_00).await.unwrap();
    let mut watch = app.watch(&p.payment_id).await;
    next(&mut watch).await;
    app.customer("T-1", CustomerAction::ApproveUnknown).await;
    let done = next(&mut watch).await;
    assert_eq!(state(&done), pb::PaymentState::Approved, "Result 99 resolved by lookup, not declined");
}

#[tokio::test]
async fn tg_13_a_lost_purchase_answer_is_resolved_by_lookup_not_by_starting_again() {
    let app = TestApp::spawn().await;
    app.terminal("T-1").await;
    app.nets.add_fault(&FaultSpec::act_then_fail_once(System::Nets, "start", FailMode::Error)).await.unwrap();
    let p = app.start("req-1", "T-88", "T-1", 10_00).await.unwrap();
    let mut watch = app.watch(&p.payment_id).await;
    next(&mut watch).await;
    app.customer("T-1", CustomerAction::Approve).await;
    let done = next(&mut watch).await;
    assert_eq!(state(&done), pb::PaymentState::Approved);
    let starts =
        app.nets_requests().await.into_iter().filter(|(m, path)| m == "POST" && path.ends_with("/transaction")).count();
    assert_eq!(starts, 1, "the purchase is never sent twice");
}

#[tokio::test]
async fn tg_22_an_approval_after_the_gateway_gave_up_is_recorded_not_reopened() {
    let app = TestApp::spawn().await;
    app.terminal("T-1").await;
    // The cancel never reaches the terminal, so the terminal keeps waiting for the card.
    app.nets.add_fault(&FaultSpec::fail_times(System::Nets, "cancel", FailMode::Error, 100)).await.unwrap();
    let p = app.start("req-1", "T-88", "T-1", 10_00).await.unwrap();
    app.clock.advance(Duration::from_secs(120));
    app.supervise().await;
    assert_eq!(state(&app.get(&p.payment_id).await), pb::PaymentState::Waiting, "waiting for the cancel's answer");
    app.clock.advance(Duration::from_secs(30));
    assert_eq!(app.supervise().await.given_up, 1);
    let closed = app.get(&p.payment_id).await;
    assert_eq!((state(&closed), reason(&closed).as_str()), (pb::PaymentState::TimedOut, "OUTCOME_UNCONFIRMED"));

    let id = uuid::Uuid::parse_str(&p.payment_id).unwrap();
    let mut sub = app.engine.hub().subscribe(id);
    app.customer("T-1", CustomerAction::Approve).await;
    // The supervisor revisits the payment (paced on the clock) until Nets says how it ended.
    app.clock.advance(Duration::from_secs(10));
    app.supervise().await;
    let late = tokio::time::timeout(Duration::from_secs(20), sub.recv()).await.unwrap().unwrap();
    assert_eq!(late.state, pb::PaymentState::TimedOut as i32, "states only move forward");
    assert!(late.late_approval.is_some());
    let done = app.get(&p.payment_id).await;
    assert_eq!((done.void_state.as_str(), done.holds_terminal), ("voided", false), "voided at once, terminal free");
    assert_eq!(
        app.events("T-88").await,
        [
            "terminal_payment_started",
            "terminal_payment_cancel_requested",
            "terminal_payment_timed_out",
            "terminal_payment_approved_after_timeout",
            "terminal_payment_voided",
            "attention"
        ]
    );
    let history = app.nets.nets_terminal("T-1").await.unwrap().history;
    assert!(history[0].voided && history[1].transaction_type == "reversal", "reversed on the terminal");
}

#[tokio::test]
async fn tg_01_an_expired_nets_token_is_renewed_by_logging_in_again() {
    let app = TestApp::spawn().await;
    app.nets.nets_set_config(&NetsConfig { token_lifetime_secs: 60, ..NetsConfig::default() }).await.unwrap();
    app.terminal("T-1").await;
    let p = app.start("req-1", "T-88", "T-1", 10_00).await.unwrap();
    app.customer("T-1", CustomerAction::Approve).await;
    let mut watch = app.watch(&p.payment_id).await;
    while state(&next(&mut watch).await) == pb::PaymentState::Waiting {}
    app.nets.advance_clock(120).await.unwrap();
    app.start("req-2", "T-89", "T-1", 10_00).await.unwrap();
    let logins = app.nets_requests().await.into_iter().filter(|(_, path)| path == "/v1/login").count();
    assert_eq!(logins, 2, "one login, then one more after the 401");
}

#[tokio::test]
async fn nets_adapter_voids_the_last_approved_transaction_once() {
    let app = TestApp::spawn().await;
    app.terminal("T-1").await;
    let p = app.start("req-1", "T-88", "T-1", 10_00).await.unwrap();
    let mut watch = app.watch(&p.payment_id).await;
    next(&mut watch).await;
    app.customer("T-1", CustomerAction::Approve).await;
    assert_eq!(state(&next(&mut watch).await), pb::PaymentState::Approved);
    let login = terminal_gateway::nets::NetsLogin {
        tenant: terminal_gateway::domain::TenantId::parse(crate::helpers::TENANT).unwrap(),
        username: crate::helpers::USER.into(),
        password: secrecy::SecretString::from(crate::helpers::PASSWORD),
    };
    let nets = app.engine.nets();
    use terminal_gateway::domain::payment::VoidState;
    assert_eq!(nets.void(&login, "T-1", 999).await.unwrap(), VoidState::Refused, "another amount is refused");
    assert_eq!(nets.void(&login, "T-1", 10_00).await.unwrap(), VoidState::Voided);
    let history = app.nets.nets_terminal("T-1").await.unwrap().history;
    assert_eq!(history.iter().map(|t| t.transaction_type.as_str()).collect::<Vec<_>>(), ["purchase", "reversal"]);
    assert_eq!(nets.void(&login, "T-1", 10_00).await.unwrap(), VoidState::Unknown, "nothing left: never a success");
}
