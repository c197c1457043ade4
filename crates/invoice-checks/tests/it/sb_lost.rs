//! Lost answers between PostFinance and us: the customer's browser return that never arrives
//! (the order is found by ORDERID and captured), and a capture whose answer was lost while the
//! query leaves PAYIDSUB empty (the levels are read one by one; nothing is sent twice).

use proto::payops::invoice_checks::v1 as pb;
use proto::payops::invoice_checks::v1::MaintenanceOperation as Op;
use sandbox::postfinance::{Action, PfAnswers};
use sandbox::{FailMode, FaultSpec, System};

use crate::flow::{authorised, history, maintain, pay, transaction};
use crate::helpers::{TEST_SHOP, TestApp};

/// PostFinance requests of `page` (`querydirect.asp`, …) that reached the sandbox.
async fn requests(app: &TestApp, page: &str) -> usize {
    let log = app.sandbox.client().requests(Some(System::Postfinance)).await.unwrap();
    log.iter().filter(|r| r.path.ends_with(page)).count()
}

#[tokio::test]
async fn ic_08_a_swissbilling_order_whose_browser_return_is_lost_is_recorded_through_the_notification_and_captured() {
    let app = TestApp::spawn().await;
    // The customer accepts at SwissBilling; the browser never comes back to the shop.
    let _lost = pay(&app, &TEST_SHOP, "SB-L3", Action::Accept).await;
    // PostFinance's post-sale request arrives on its own (deferred, in the background).
    let mut recorded = false;
    for _ in 0..100 {
        let c = app.sb_client().await.get_transaction(pb::GetTransactionRequest { order_id: "SB-L3".into() }).await;
        if c.is_ok() {
            recorded = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(recorded, "the post-sale request recorded the transaction");
    let r = maintain(&app, "SB-L3", "capture-1", Op::CaptureLast, None).await.unwrap();
    assert_eq!(r.outcome(), pb::MaintenanceOutcome::Accepted);
    assert_eq!(requests(&app, "querydirect.asp").await, 0, "nothing had to be asked by ORDERID");
    app.stop().await;
}

#[tokio::test]
async fn ic_08_an_order_whose_browser_return_and_notification_are_lost_is_found_by_orderid_and_captured() {
    let app = TestApp::spawn().await;
    app.lose_postsale().await;
    // The customer accepts at SwissBilling; neither the redirect nor a post-sale request
    // reaches invoice-checks.
    let _lost = pay(&app, &TEST_SHOP, "SB-L1", Action::Accept).await;
    let r = maintain(&app, "SB-L1", "capture-1", Op::CaptureLast, None)
        .await
        .unwrap_or_else(|s| panic!("{} {}", s.code(), s.message()));
    assert_eq!(r.outcome(), pb::MaintenanceOutcome::Accepted);
    let tx = transaction(&app, "SB-L1").await;
    assert_eq!((tx.levels[0].status_code, tx.levels[1].operation.as_str()), (5, "SAS"));
    assert_eq!(history(&app, &TEST_SHOP, tx.payid).await.iter().filter(|h| h.0 == "capture").count(), 1);
    app.stop().await;
}

#[tokio::test]
async fn ic_08_the_discovery_pass_records_an_order_whose_feedback_never_came_and_leaves_unpaid_ones_alone() {
    let app = TestApp::spawn().await;
    app.lose_postsale().await;
    let _lost = pay(&app, &TEST_SHOP, "SB-L4", Action::Accept).await;
    // Prepared, but the customer never paid: PostFinance knows no such order.
    let mut c = app.sb_client().await;
    c.prepare_payment_page(pb::PreparePaymentPageRequest {
        order: Some(crate::flow::order(&TEST_SHOP, "SB-L5")),
        urls: Some(crate::flow::urls()),
    })
    .await
    .unwrap();
    assert_eq!(app.sb.discover_once().await.unwrap(), 0, "too early: the feedback may still come");
    assert_eq!(requests(&app, "querydirect.asp").await, 0);
    app.clock.advance(std::time::Duration::from_secs(16 * 60));
    assert_eq!(app.sb.discover_once().await.unwrap(), 1);
    let tx = transaction(&app, "SB-L4").await;
    assert_eq!(tx.status_code, 5);
    let asked = requests(&app, "querydirect.asp").await;
    assert_eq!(asked, 2, "one look-up per order without feedback");
    // The unpaid order is asked again only after a longer interval.
    assert_eq!(app.sb.discover_once().await.unwrap(), 0);
    assert_eq!(requests(&app, "querydirect.asp").await, asked);
    app.stop().await;
}

#[tokio::test]
async fn ic_14_a_lost_capture_answer_is_found_level_by_level_when_the_query_leaves_payidsub_empty() {
    let app = TestApp::spawn().await;
    let payid = authorised(&app, &TEST_SHOP, "SB-L2").await;
    let sb = app.sandbox.client();
    sb.postfinance_answers(&PfAnswers { latest_without_payidsub: true, ..PfAnswers::default() }).await.unwrap();
    sb.add_fault(&FaultSpec::act_then_fail_once(System::Postfinance, "maintenance", FailMode::Error)).await.unwrap();
    let r = maintain(&app, "SB-L2", "capture-1", Op::CaptureLast, None).await.unwrap();
    assert_eq!(r.outcome(), pb::MaintenanceOutcome::Unknown);
    app.sb.resolve_once().await.unwrap();
    let tx = transaction(&app, "SB-L2").await;
    assert_eq!(tx.attempts[0].phase, "already_applied", "{:?}", tx.attempts);
    assert_eq!(history(&app, &TEST_SHOP, payid).await.iter().filter(|h| h.0 == "capture").count(), 1);
    assert_eq!(app.maintenance_requests().await.len(), 1, "the capture is never sent again");
    let events = app.events("SB-L2").await;
    assert!(!events.iter().any(|e| e.contains("attention") || e.contains("refused")), "{events:?}");
    app.stop().await;
}

#[tokio::test]
async fn ic_14_a_maintenance_outcome_that_stays_unknown_goes_to_a_person_once_and_is_not_sent_again() {
    let app = TestApp::spawn().await;
    authorised(&app, &TEST_SHOP, "SB-L6").await;
    let sb = app.sandbox.client();
    sb.add_fault(&FaultSpec::act_then_fail_once(System::Postfinance, "maintenance", FailMode::Error)).await.unwrap();
    let r = maintain(&app, "SB-L6", "capture-1", Op::CaptureLast, None).await.unwrap();
    assert_eq!(r.outcome(), pb::MaintenanceOutcome::Unknown);
    // PostFinance cannot be asked: every query fails.
    let down = FaultSpec { fail_before_per_mille: 1000, ..FaultSpec::new(System::Postfinance, "query") };
    sb.add_fault(&down).await.unwrap();
    assert_eq!(app.sb.resolve_once().await.unwrap(), 0);
    assert!(app.envelopes("SB-L6", "attention").await.is_empty(), "not yet: the resolver keeps asking");
    app.clock.advance(std::time::Duration::from_secs(3601));
    for _ in 0..3 {
        assert_eq!(app.sb.resolve_once().await.unwrap(), 0);
    }
    let attention = app.envelopes("SB-L6", "attention").await;
    assert_eq!(attention.len(), 1, "one attention event for the unknown capture");
    assert!(attention[0].summary.contains("outcome unknown"), "{:?}", attention[0].summary);
    assert_eq!(app.maintenance_requests().await.len(), 1, "nothing sent again while the outcome is unknown");
    assert_eq!(transaction(&app, "SB-L6").await.attempts[0].phase, "unknown");
    app.stop().await;
}
