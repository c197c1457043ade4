//! Fault tests of DirectLink maintenance: answers lost after PostFinance acted, errors before it
//! acted, a crash between the call and its record, a probe that cannot reach PostFinance. Each
//! ends with exactly one capture at PostFinance and the right state here.

use proto::payops::invoice_checks::v1 as pb;
use proto::payops::invoice_checks::v1::MaintenanceOperation as Op;
use sandbox::{FailMode, FaultSpec, System};
use tonic::Code;

use crate::flow::settle;
use crate::flow::{authorised, history, maintain, reason, transaction};
use crate::helpers::{TEST_SHOP, TenantSpec, TestApp};

async fn captures(app: &TestApp, payid: i64) -> usize {
    history(app, &TEST_SHOP, payid).await.iter().filter(|h| h.0 == "capture").count()
}

#[tokio::test]
async fn fault_act_then_fail_on_sas_ends_in_one_capture_and_the_right_state() {
    let app = TestApp::spawn().await;
    let payid = authorised(&app, &TEST_SHOP, "SB-40").await;
    app.sandbox
        .client()
        .add_fault(&FaultSpec::act_then_fail_once(System::Postfinance, "maintenance", FailMode::Error))
        .await
        .unwrap();
    let r = maintain(&app, "SB-40", "capture-1", Op::CaptureLast, None).await.unwrap();
    assert_eq!(r.outcome(), pb::MaintenanceOutcome::Unknown);
    let tx = r.transaction.unwrap();
    assert_eq!(tx.in_flight.unwrap().amount_minor, 14_900, "the amount stays reserved");
    assert_eq!(tx.attempts[0].phase, "unknown");
    assert_eq!(captures(&app, payid).await, 1, "PostFinance did capture");
    // The caller repeats the request: the journal asks PostFinance first and finds the capture.
    let again = maintain(&app, "SB-40", "capture-1", Op::CaptureLast, None).await.unwrap();
    assert_eq!(again.outcome(), pb::MaintenanceOutcome::AlreadyApplied);
    assert_eq!((again.payidsub, again.status_code), (1, 91));
    let tx = again.transaction.unwrap();
    assert_eq!((tx.captured.unwrap().amount_minor, tx.in_flight.unwrap().amount_minor), (14_900, 0));
    assert_eq!(captures(&app, payid).await, 1);
    assert_eq!(app.maintenance_requests().await.len(), 1, "never sent twice");
    let events = app.events("SB-40").await;
    assert_eq!(events.iter().filter(|e| *e == "swissbilling_capture_requested").count(), 1, "{events:?}");
    app.stop().await;
}

#[tokio::test]
async fn fault_answer_lost_to_a_timeout_is_found_by_the_resolver_probe() {
    let app = TestApp::spawn_with(&[("POSTFINANCE_TIMEOUT", "500ms")]).await;
    let payid = authorised(&app, &TEST_SHOP, "SB-41").await;
    let hang = FaultSpec {
        hang_ms: 3_000,
        ..FaultSpec::act_then_fail_once(System::Postfinance, "maintenance", FailMode::Hang)
    };
    app.sandbox.client().add_fault(&hang).await.unwrap();
    let r = maintain(&app, "SB-41", "capture-1", Op::CaptureLast, None).await.unwrap();
    assert_eq!(r.outcome(), pb::MaintenanceOutcome::Unknown);
    assert_eq!(app.sb.resolve_once().await.unwrap(), 1);
    let tx = transaction(&app, "SB-41").await;
    assert_eq!((tx.status_code, tx.attempts[0].phase.as_str()), (91, "already_applied"));
    assert_eq!(captures(&app, payid).await, 1);
    app.stop().await;
}

#[tokio::test]
async fn fault_a_crash_between_the_partner_call_and_its_record_is_finished_once_by_a_fresh_app() {
    let mut app = TestApp::spawn().await;
    let payid = authorised(&app, &TEST_SHOP, "SB-42").await;
    app.faults.arm(kit::journal::AFTER_CALL);
    let err = maintain(&app, "SB-42", "capture-1", Op::CaptureLast, None).await.unwrap_err();
    assert_eq!(err.code(), Code::Internal, "the process 'died' after PostFinance answered");
    assert_eq!(captures(&app, payid).await, 1);
    app.replace().await;
    assert_eq!(app.sb.resolve_once().await.unwrap(), 1);
    let tx = transaction(&app, "SB-42").await;
    assert_eq!((tx.levels.len(), tx.status_code, tx.in_flight.unwrap().amount_minor), (2, 91, 0));
    assert_eq!(captures(&app, payid).await, 1);
    assert_eq!(app.maintenance_requests().await.len(), 1);
    assert_eq!(app.sb.resolve_once().await.unwrap(), 0, "nothing left to resolve");
    app.stop().await;
}

#[tokio::test]
async fn fault_an_error_before_postfinance_acted_is_probed_and_sent_again_once() {
    let app = TestApp::spawn().await;
    let payid = authorised(&app, &TEST_SHOP, "SB-43").await;
    app.sandbox
        .client()
        .add_fault(&FaultSpec::fail_times(System::Postfinance, "maintenance", FailMode::Error, 1))
        .await
        .unwrap();
    let r = maintain(&app, "SB-43", "capture-1", Op::CaptureLast, None).await.unwrap();
    assert_eq!(r.outcome(), pb::MaintenanceOutcome::Unknown);
    assert_eq!(captures(&app, payid).await, 0);
    assert_eq!(app.sb.resolve_once().await.unwrap(), 1);
    let tx = transaction(&app, "SB-43").await;
    assert_eq!((tx.status_code, tx.attempts[0].phase.as_str()), (91, "accepted"));
    assert_eq!(captures(&app, payid).await, 1);
    assert_eq!(app.maintenance_requests().await.len(), 2, "sent again only after the probe found nothing");
    app.stop().await;
}

#[tokio::test]
async fn fault_while_postfinance_cannot_be_asked_nothing_is_sent_again_and_new_requests_wait() {
    let app = TestApp::spawn().await;
    let payid = authorised(&app, &TEST_SHOP, "SB-44").await;
    let c = app.sandbox.client();
    c.add_fault(&FaultSpec::act_then_fail_once(System::Postfinance, "maintenance", FailMode::Reset)).await.unwrap();
    // Two failed reads: the resolver's probe and the settling of the earlier request (an HTTP 500
    // is not retried by the transport; the journal asks again on its next pass).
    c.add_fault(&FaultSpec::fail_times(System::Postfinance, "query", FailMode::Error, 2)).await.unwrap();
    let r = maintain(&app, "SB-44", "capture-1", Op::CaptureLast, None).await.unwrap();
    assert_eq!(r.outcome(), pb::MaintenanceOutcome::Unknown);
    assert_eq!(app.sb.resolve_once().await.unwrap(), 0, "the probe could not reach PostFinance");
    let err = maintain(&app, "SB-44", "delete-1", Op::DeleteLast, None).await.unwrap_err();
    assert_eq!(reason(&err), "IN_FLIGHT");
    assert_eq!(app.maintenance_requests().await.len(), 1);
    // PostFinance answers again: the probe finds the capture.
    assert_eq!(app.sb.resolve_once().await.unwrap(), 1);
    assert_eq!(transaction(&app, "SB-44").await.status_code, 91);
    assert_eq!(captures(&app, payid).await, 1);
    let err = maintain(&app, "SB-44", "delete-1", Op::DeleteLast, None).await.unwrap_err();
    assert_eq!(reason(&err), "CAPTURE_CLOSED");
    app.stop().await;
}

#[tokio::test]
async fn fault_an_earlier_unknown_request_is_settled_first_and_its_refusal_stays_its_own() {
    // The account refuses refunds although the service is configured to make them.
    let shop = TenantSpec { sandbox_refunds: false, ..TEST_SHOP };
    let app = TestApp::with(vec![shop], vec![]).await;
    let payid = authorised(&app, &shop, "SB-45").await;
    maintain(&app, "SB-45", "c1", Op::CaptureLast, None).await.unwrap();
    settle(&app, &shop, payid, false).await;
    app.sb.refresh_once().await.unwrap();
    app.sandbox
        .client()
        .add_fault(&FaultSpec::fail_times(System::Postfinance, "maintenance", FailMode::Error, 1))
        .await
        .unwrap();
    let r = maintain(&app, "SB-45", "refund-1", Op::RefundLast, None).await.unwrap();
    assert_eq!(r.outcome(), pb::MaintenanceOutcome::Unknown);
    // A new request first settles the earlier one (probe: not done → sent again → refused).
    let err = maintain(&app, "SB-45", "refund-2", Op::RefundPartial, Some(100)).await.unwrap_err();
    assert_eq!(reason(&err), "POSTFINANCE_REFUSED");
    assert!(err.message().contains("refused RFD"), "the new request's own answer: {}", err.message());
    let phases: Vec<(String, String)> =
        transaction(&app, "SB-45").await.attempts.into_iter().map(|a| (a.request_id, a.phase)).collect();
    assert_eq!(
        phases,
        [
            ("c1".into(), "accepted".into()),
            ("refund-1".into(), "refused".into()),
            ("refund-2".into(), "refused".into())
        ]
    );
    assert_eq!(app.envelopes("SB-45", "attention").await.len(), 2);
    app.stop().await;
}
