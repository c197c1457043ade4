//! Manual payments as the merchant's requirements describe them: a customer's payment a manager confirms is
//! "Разрешен" (approved) while one the manager recorded becomes "Завершен" (completed); only
//! offers paid through a manual-payment merchant are offered; the customer card lists the
//! customer's orders; the e-mail and phone a manager entered are readable by managers; a payment
//! cannot be dated in the future; one unreadable payment does not stop the 30-day expiry.

use std::time::Duration;

use proto::payops::invoice_checks::v1 as pb;
use proto::payops::invoice_checks::v1::ManualPaymentState as S;
use tonic::Code;

use crate::helpers::{MANAGER_TOKEN, SERVICE_TOKEN, TestApp};
use crate::manual::{approve, configured, get, pay};

async fn record(
    app: &TestApp,
    request_id: &str,
    customer: &str,
    date: &str,
) -> Result<pb::ManualPayment, tonic::Status> {
    app.mp_client(Some(MANAGER_TOKEN))
        .await
        .record_manual_payment(pb::RecordManualPaymentRequest {
            request_id: request_id.into(),
            offer_id: "course-42".into(),
            customer_id: customer.into(),
            currency: "CHF".into(),
            payment_date: date.into(),
            comment: "am Schalter".into(),
            email: "anna.muster@example.ch".into(),
            phone: "+41 79 123 45 67".into(),
        })
        .await
        .map(|r| r.into_inner().payment.unwrap())
}

#[tokio::test]
async fn mp_04_a_customer_payment_confirmed_by_a_manager_is_approved_and_one_the_manager_recorded_is_completed() {
    let app = TestApp::spawn().await;
    configured(&app).await;
    let p = pay(&app, "pay-1", "CHF").await;
    let a = approve(&app, &p.order_id, None).await.unwrap();
    assert_eq!(a.state(), S::Approved, "Разрешен: a state of its own");
    assert!(a.fees.is_some(), "the net amount is booked at approval");
    let to: Vec<i32> = a.history.iter().map(|h| h.to_state).collect();
    assert_eq!(to, [S::Open as i32, S::Approved as i32]);
    assert_eq!(app.events(&p.order_id).await, ["manual_payment_opened", "manual_payment_approved"]);
    // Recorded by the manager on the customer's card and confirmed: "Завершен".
    let r = record(&app, "rec-1", "c-8", "").await.unwrap();
    let done = approve(&app, &r.order_id, None).await.unwrap();
    assert_eq!(done.state(), S::Completed);
    app.stop().await;
}

#[tokio::test]
async fn mp_02_only_offers_paid_through_a_manual_payment_merchant_are_listed() {
    let app = TestApp::spawn().await;
    configured(&app).await; // course-42 through the cash desk, course-43 through unzer
    let r = app
        .mp_client(Some(MANAGER_TOKEN))
        .await
        .list_offers(pb::ListOffersRequest { page: None })
        .await
        .unwrap()
        .into_inner();
    let ids: Vec<&str> = r.offers.iter().map(|o| o.offer_id.as_str()).collect();
    assert_eq!(ids, ["course-42"]);
    app.stop().await;
}

#[tokio::test]
async fn mp_07_the_customer_card_lists_that_customers_payments_only() {
    let app = TestApp::spawn().await;
    configured(&app).await;
    let mine = [pay(&app, "pay-1", "CHF").await.order_id, record(&app, "rec-1", "c-7", "").await.unwrap().order_id];
    let other = record(&app, "rec-2", "c-8", "").await.unwrap().order_id;
    let r = app
        .mp_client(Some(MANAGER_TOKEN))
        .await
        .list_payments(pb::ListPaymentsRequest { customer_id: "c-7".into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    let mut got: Vec<String> = r.payments.iter().map(|p| p.order_id.clone()).collect();
    got.sort();
    let mut want = mine.to_vec();
    want.sort();
    assert_eq!(got, want, "not {other}");
    app.stop().await;
}

#[tokio::test]
async fn mp_07_the_email_and_phone_a_manager_entered_are_readable_by_managers_only() {
    let app = TestApp::spawn().await;
    configured(&app).await;
    let r = record(&app, "rec-1", "c-7", "").await.unwrap();
    let read = |token: &'static str| {
        let app = &app;
        let id = r.order_id.clone();
        async move {
            app.mp_client(Some(token))
                .await
                .get_payment(pb::GetPaymentRequest { order_id: id })
                .await
                .unwrap()
                .into_inner()
                .payment
                .unwrap()
        }
    };
    let manager = read(MANAGER_TOKEN).await;
    let contact = manager.contact.expect("a manager reads the contact");
    assert_eq!((contact.email.as_str(), contact.phone.as_str()), ("anna.muster@example.ch", "+41 79 123 45 67"));
    assert_eq!(read(SERVICE_TOKEN).await.contact, None, "other callers do not");
    let listed = app
        .mp_client(Some(MANAGER_TOKEN))
        .await
        .list_payments(pb::ListPaymentsRequest { customer_id: "c-7".into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.payments[0].contact.as_ref().map(|c| c.phone.as_str()), Some("+41 79 123 45 67"));
    // Never in the events.
    for e in app.envelopes(&r.order_id, "manual_payment_opened").await {
        assert!(!format!("{e:?}").contains("anna.muster"), "{e:?}");
    }
    app.stop().await;
}

#[tokio::test]
async fn mp_03_a_payment_dated_in_the_future_is_refused() {
    let app = TestApp::spawn().await;
    configured(&app).await;
    let tomorrow = app.mp.today().succ_opt().unwrap().to_string();
    let err = app
        .mp_client(Some(SERVICE_TOKEN))
        .await
        .pay_manually(pb::PayManuallyRequest {
            request_id: "pay-1".into(),
            offer_id: "course-42".into(),
            customer_id: "c-7".into(),
            currency: "CHF".into(),
            payment_date: tomorrow.clone(),
            comment: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(kit::grpc::status::field_violations(&err)[0].0, "payment_date");
    let err = record(&app, "rec-1", "c-7", &tomorrow).await.unwrap_err();
    assert_eq!(kit::grpc::status::field_violations(&err)[0].0, "payment_date");
    // Today is fine; a manager cannot move it into the future either.
    let p = pay(&app, "pay-2", "CHF").await;
    let adjust = pb::Adjustments { payment_date: tomorrow, ..Default::default() };
    let err = approve(&app, &p.order_id, Some(adjust)).await.unwrap_err();
    assert_eq!(kit::grpc::status::field_violations(&err)[0].0, "adjustments.payment_date");
    assert_eq!(get(&app, &p.order_id).await.state(), S::Open, "nothing changed");
    app.stop().await;
}

#[tokio::test]
async fn mp_05_one_unreadable_payment_does_not_stop_the_expiry_of_the_others() {
    let app = TestApp::spawn().await;
    configured(&app).await;
    let bad = pay(&app, "pay-1", "CHF").await.order_id;
    let good = pay(&app, "pay-2", "CHF").await.order_id;
    // A row the service cannot read (a currency it does not know, written by hand or by an
    // older version).
    sqlx::query("UPDATE mp_payments SET currency = 'XXX' WHERE order_id = $1")
        .bind(&bad)
        .execute(&app.pool)
        .await
        .unwrap();
    app.clock.advance(Duration::from_secs(31 * 24 * 3600));
    assert_eq!(app.mp.expire_once().await.unwrap(), 1, "the readable one is rejected");
    assert_eq!(get(&app, &good).await.state(), S::Rejected);
    let state: String = sqlx::query_scalar("SELECT state FROM mp_payments WHERE order_id = $1")
        .bind(&bad)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(state, "open", "the unreadable one is left for a person, not guessed");
    app.stop().await;
}
