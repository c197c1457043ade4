//! Manual payments over gRPC (MP-01 … MP-10).

use std::time::Duration;

use proto::payops::invoice_checks::v1 as pb;
use proto::payops::invoice_checks::v1::ManualPaymentState as S;
use tonic::Code;

use crate::flow::reason;
use crate::helpers::{MANAGER_TOKEN, OTHER_MANAGER_TOKEN, SERVICE_TOKEN, TestApp, chf, money};

pub(crate) fn merchant() -> pb::ManualMerchant {
    pb::ManualMerchant {
        merchant_id: "cash-desk".into(),
        name: "Barzahlung am Schalter".into(),
        description: "Bar oder Karte-zu-Karte".into(),
        image_url: String::new(),
        commission_percent: "2.5".into(),
        fixed_fee: Some(chf(30)),
        account_currency: "CHF".into(),
        fallback_currency: "CHF".into(),
        supported_currencies: vec!["CHF".into(), "EUR".into()],
        comment_hint: "Bitte Quittungsnummer angeben".into(),
    }
}

/// A merchant and two offers: one paid manually, one through another payment system.
pub(crate) async fn configured(app: &TestApp) {
    let mut m = app.mp_client(Some(MANAGER_TOKEN)).await;
    m.save_merchant(pb::SaveMerchantRequest { merchant: Some(merchant()) }).await.unwrap();
    let offer = |id: &str, system: &str| pb::Offer {
        offer_id: id.into(),
        name: "Kurs".into(),
        payment_system_id: system.into(),
        prices: vec![chf(10_000), money(10_500, "EUR")],
        confirmation_days: 0,
    };
    m.save_offer(pb::SaveOfferRequest { offer: Some(offer("course-42", "cash-desk")) }).await.unwrap();
    m.save_offer(pb::SaveOfferRequest { offer: Some(offer("course-43", "unzer-main")) }).await.unwrap();
}

pub(crate) async fn pay(app: &TestApp, request_id: &str, currency: &str) -> pb::ManualPayment {
    app.mp_client(Some(SERVICE_TOKEN))
        .await
        .pay_manually(pb::PayManuallyRequest {
            request_id: request_id.into(),
            offer_id: "course-42".into(),
            customer_id: "c-7".into(),
            currency: currency.into(),
            payment_date: String::new(),
            comment: "bar am Schalter bezahlt".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .payment
        .unwrap()
}

pub(crate) async fn approve(
    app: &TestApp,
    order_id: &str,
    adjustments: Option<pb::Adjustments>,
) -> Result<pb::ManualPayment, tonic::Status> {
    app.mp_client(Some(MANAGER_TOKEN))
        .await
        .approve_payment(pb::ApprovePaymentRequest { order_id: order_id.into(), adjustments })
        .await
        .map(|r| r.into_inner().payment.unwrap())
}

pub(crate) async fn get(app: &TestApp, order_id: &str) -> pb::ManualPayment {
    app.mp_client(Some(SERVICE_TOKEN))
        .await
        .get_payment(pb::GetPaymentRequest { order_id: order_id.into() })
        .await
        .unwrap()
        .into_inner()
        .payment
        .unwrap()
}

#[tokio::test]
async fn mp_01_a_merchant_is_configured_with_validated_currencies_and_read_back() {
    let app = TestApp::spawn().await;
    let mut m = app.mp_client(Some(MANAGER_TOKEN)).await;
    let saved = m.save_merchant(pb::SaveMerchantRequest { merchant: Some(merchant()) }).await.unwrap().into_inner();
    assert_eq!(saved.merchant.unwrap(), merchant());
    let read = m.get_merchant(pb::GetMerchantRequest { merchant_id: "cash-desk".into() }).await.unwrap().into_inner();
    assert_eq!(read.merchant.unwrap().commission_percent, "2.5");
    let bad = pb::ManualMerchant {
        name: String::new(),
        commission_percent: "2,5".into(),
        account_currency: "USD".into(),
        fallback_currency: "GBP".into(),
        ..merchant()
    };
    let err = m.save_merchant(pb::SaveMerchantRequest { merchant: Some(bad) }).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let fields: Vec<String> = kit::grpc::status::field_violations(&err).into_iter().map(|(f, _)| f).collect();
    assert_eq!(
        fields,
        [
            "merchant.name",
            "merchant.commission_percent",
            "merchant.supported_currencies",
            "merchant.supported_currencies"
        ]
    );
    // The fallback currency is used when the customer's is not supported.
    configured(&app).await;
    let p = pay(&app, "pay-usd", "USD").await;
    assert_eq!(p.price.unwrap(), chf(10_000));
    let p = pay(&app, "pay-eur", "EUR").await;
    assert_eq!(p.price.unwrap(), money(10_500, "EUR"));
    app.stop().await;
}

#[tokio::test]
async fn mp_02_an_offer_is_paid_manually_only_through_a_manual_payment_merchant() {
    let app = TestApp::spawn().await;
    configured(&app).await;
    let err = app
        .mp_client(Some(SERVICE_TOKEN))
        .await
        .pay_manually(pb::PayManuallyRequest {
            request_id: "p1".into(),
            offer_id: "course-43".into(),
            customer_id: "c-7".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!((err.code(), reason(&err).as_str()), (Code::FailedPrecondition, "NOT_A_MANUAL_MERCHANT"));
    app.stop().await;
}

#[tokio::test]
async fn mp_03_the_customer_pays_with_a_date_defaulting_to_today_and_a_comment_and_the_order_is_open() {
    let app = TestApp::spawn().await;
    configured(&app).await;
    let p = pay(&app, "pay-1", "CHF").await;
    assert_eq!(p.state(), S::Open);
    assert_eq!(p.payment_date, "2026-01-05", "today in Europe/Zurich on the service's Clock");
    assert_eq!((p.customer_comment.as_str(), p.created_by.as_str()), ("bar am Schalter bezahlt", "customer"));
    assert!(p.order_id.starts_with("mp-"));
    // The same request again opens nothing new.
    assert_eq!(pay(&app, "pay-1", "CHF").await.order_id, p.order_id);
    let mut c = app.mp_client(Some(SERVICE_TOKEN)).await;
    let dated = c
        .pay_manually(pb::PayManuallyRequest {
            request_id: "pay-2".into(),
            offer_id: "course-42".into(),
            customer_id: "c-8".into(),
            payment_date: "2026-01-02".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .payment
        .unwrap();
    assert_eq!(dated.payment_date, "2026-01-02");
    let err = c
        .pay_manually(pb::PayManuallyRequest {
            request_id: "pay 3".into(),
            offer_id: "course-42".into(),
            customer_id: String::new(),
            payment_date: "2.1.2026".into(),
            currency: "chf".into(),
            comment: String::new(),
        })
        .await
        .unwrap_err();
    let fields: Vec<String> = kit::grpc::status::field_violations(&err).into_iter().map(|(f, _)| f).collect();
    assert_eq!(fields, ["request_id", "customer_id", "currency", "payment_date"]);
    assert_eq!(app.events(&p.order_id).await, ["manual_payment_opened"]);
    app.stop().await;
}

#[tokio::test]
async fn mp_04_a_manager_approves_with_adjustments_or_rejects_and_only_managers_may() {
    let app = TestApp::spawn().await;
    configured(&app).await;
    let p = pay(&app, "pay-1", "CHF").await;
    // Not a manager: refused and audited, nothing changes.
    for token in [Some(SERVICE_TOKEN), None] {
        let err = app
            .mp_client(token)
            .await
            .approve_payment(pb::ApprovePaymentRequest { order_id: p.order_id.clone(), adjustments: None })
            .await
            .unwrap_err();
        let want = if token.is_some() { Code::PermissionDenied } else { Code::Unauthenticated };
        assert_eq!(err.code(), want);
    }
    assert_eq!(invoice_checks::store::security::count(&app.pool, "role_refused").await.unwrap(), 1);
    assert_eq!(get(&app, &p.order_id).await.state(), S::Open);

    let adjustments = pb::Adjustments {
        price: Some(money(9_990, "EUR")),
        payment_date: "2026-01-04".into(),
        comment: "Betrag laut Quittung".into(),
        rates: vec![pb::ExchangeRate { currency: "EUR".into(), rate: "0.9371".into() }],
    };
    let done = approve(&app, &p.order_id, Some(adjustments)).await.unwrap();
    assert_eq!(done.state(), S::Approved, "a customer's payment confirmed by a manager: Разрешен");
    assert_eq!((done.price.unwrap(), done.payment_date.as_str()), (money(9_990, "EUR"), "2026-01-04"));
    assert_eq!(done.manager_comment, "Betrag laut Quittung");
    let fees = done.fees.unwrap();
    // EUR 99.90 × 0.9371 = 93.616290 → 93.62; 2.5 % = 2.3405 → 2.34; fee 0.30; net 90.98.
    assert_eq!(
        (fees.gross.unwrap(), fees.commission.unwrap(), fees.fixed_fee.unwrap(), fees.net.unwrap()),
        (chf(9_362), chf(234), chf(30), chf(9_098))
    );
    let states: Vec<(i32, i32, &str)> =
        done.history.iter().map(|h| (h.from_state, h.to_state, h.actor.as_str())).collect();
    assert_eq!(
        states,
        [(S::Unspecified as i32, S::Open as i32, "customer"), (S::Open as i32, S::Approved as i32, "maria"),]
    );
    let q = pay(&app, "pay-2", "CHF").await;
    let rejected = app
        .mp_client(Some(OTHER_MANAGER_TOKEN))
        .await
        .reject_payment(pb::RejectPaymentRequest {
            order_id: q.order_id.clone(),
            adjustments: Some(pb::Adjustments { comment: "keine Zahlung eingegangen".into(), ..Default::default() }),
        })
        .await
        .unwrap()
        .into_inner()
        .payment
        .unwrap();
    assert_eq!((rejected.state(), rejected.history.last().unwrap().actor.as_str()), (S::Rejected, "peter"));
    app.stop().await;
}

#[tokio::test]
async fn mp_05_an_open_payment_is_rejected_automatically_after_30_days_on_the_clock() {
    let app = TestApp::spawn().await;
    configured(&app).await;
    let p = pay(&app, "pay-1", "CHF").await;
    let q = pay(&app, "pay-2", "CHF").await;
    approve(&app, &q.order_id, None).await.unwrap();
    app.clock.advance(Duration::from_secs(30 * 86_400 - 1));
    assert_eq!(app.mp.expire_once().await.unwrap(), 0, "one second before the deadline");
    assert_eq!(get(&app, &p.order_id).await.state(), S::Open);
    app.clock.advance(Duration::from_secs(1));
    let err = approve(&app, &p.order_id, None).await.unwrap_err();
    assert_eq!(reason(&err), "DEADLINE_PASSED");
    assert_eq!(app.mp.expire_once().await.unwrap(), 1);
    assert_eq!(app.mp.expire_once().await.unwrap(), 0, "once");
    let rejected = get(&app, &p.order_id).await;
    assert_eq!(rejected.state(), S::Rejected);
    assert_eq!(rejected.history.last().unwrap().actor, "system");
    assert_eq!(get(&app, &q.order_id).await.state(), S::Approved, "confirmed payments stay");
    let env = app.envelopes(&p.order_id, "manual_payment_rejected").await;
    let change: pb::ManualPaymentChanged = kit::bus::event::unpack(&env[0]).unwrap();
    assert!(change.automatic && change.previous_state == S::Open as i32);
    app.stop().await;
}

#[tokio::test]
async fn mp_06_a_manager_refunds_an_approved_payment() {
    let app = TestApp::spawn().await;
    configured(&app).await;
    let p = pay(&app, "pay-1", "CHF").await;
    approve(&app, &p.order_id, None).await.unwrap();
    let mut m = app.mp_client(Some(MANAGER_TOKEN)).await;
    let r = m
        .refund_payment(pb::RefundPaymentRequest { order_id: p.order_id.clone(), comment: "Kurs abgesagt".into() })
        .await
        .unwrap()
        .into_inner()
        .payment
        .unwrap();
    assert_eq!((r.state(), r.manager_comment.as_str()), (S::Refunded, "Kurs abgesagt"));
    app.stop().await;
}

#[tokio::test]
async fn mp_07_a_manager_records_a_payment_for_a_customer_and_confirms_it() {
    let app = TestApp::spawn().await;
    configured(&app).await;
    let mut m = app.mp_client(Some(MANAGER_TOKEN)).await;
    let rec = pb::RecordManualPaymentRequest {
        request_id: "rec-1".into(),
        offer_id: "course-42".into(),
        customer_id: "crm-4711".into(),
        currency: "CHF".into(),
        payment_date: String::new(),
        comment: "am Telefon bestätigt".into(),
        email: "kunde@example.ch".into(),
        phone: "+41 79 765 43 21".into(),
    };
    let p = m.record_manual_payment(rec.clone()).await.unwrap().into_inner().payment.unwrap();
    assert_eq!((p.state(), p.created_by.as_str(), p.customer_id.as_str()), (S::Open, "maria", "crm-4711"));
    let done = approve(&app, &p.order_id, None).await.unwrap();
    assert_eq!(done.state(), S::Completed);
    // Contact data is kept for the manager but never published.
    for env in app.envelopes(&p.order_id, "manual_payment_opened").await {
        let bytes = prost::Message::encode_to_vec(&env);
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("kunde@example.ch") && !text.contains("765 43 21"));
    }
    let err = app.mp_client(Some(SERVICE_TOKEN)).await.record_manual_payment(rec).await.unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    app.stop().await;
}

#[tokio::test]
async fn mp_08_the_net_amount_is_exact_in_the_account_currency() {
    let app = TestApp::spawn().await;
    configured(&app).await;
    let p = pay(&app, "pay-1", "CHF").await;
    let done = approve(&app, &p.order_id, None).await.unwrap();
    let fees = done.fees.unwrap();
    // CHF 100.00, 2.5 % and CHF 0.30: 100.00 − 2.50 − 0.30 = 97.20.
    assert_eq!(
        (fees.commission.unwrap(), fees.net.unwrap(), fees.commission_percent.as_str()),
        (chf(250), chf(9_720), "2.5")
    );
    let eur = pay(&app, "pay-2", "EUR").await;
    let err = approve(&app, &eur.order_id, None).await.unwrap_err();
    assert_eq!(kit::grpc::status::field_violations(&err)[0].0, "adjustments.rates");
    assert_eq!(get(&app, &eur.order_id).await.state(), S::Open, "nothing changed");
    app.stop().await;
}

#[tokio::test]
async fn mp_09_every_status_change_is_an_event_keyed_by_the_order_id() {
    let app = TestApp::spawn().await;
    configured(&app).await;
    let p = pay(&app, "pay-1", "CHF").await;
    approve(&app, &p.order_id, None).await.unwrap();
    app.mp_client(Some(MANAGER_TOKEN))
        .await
        .refund_payment(pb::RefundPaymentRequest { order_id: p.order_id.clone(), comment: String::new() })
        .await
        .unwrap();
    assert_eq!(
        app.events(&p.order_id).await,
        ["manual_payment_opened", "manual_payment_approved", "manual_payment_refunded"]
    );
    // Through the relay onto JetStream, on subjects keyed by the order id.
    assert_eq!(app.relay.drain().await.unwrap(), 3);
    let bus = app.env.bus().await.unwrap();
    let stream = bus.jetstream().get_stream(&app.env.stream).await.unwrap();
    for (i, t) in ["opened", "approved", "refunded"].iter().enumerate() {
        let m = stream.get_raw_message(u64::try_from(i).unwrap() + 1).await.unwrap();
        assert_eq!(m.subject.as_str(), format!("{}.invoice-checks.{}.manual_payment_{t}", app.env.prefix, p.order_id));
    }
    app.stop().await;
}

#[tokio::test]
async fn mp_10_illegal_transitions_are_refused_with_a_clear_error_and_change_nothing() {
    let app = TestApp::spawn().await;
    configured(&app).await;
    let p = pay(&app, "pay-1", "CHF").await;
    let mut m = app.mp_client(Some(MANAGER_TOKEN)).await;
    let err = m
        .refund_payment(pb::RefundPaymentRequest { order_id: p.order_id.clone(), comment: String::new() })
        .await
        .unwrap_err();
    assert_eq!((err.code(), reason(&err).as_str()), (Code::FailedPrecondition, "ILLEGAL_TRANSITION"));
    assert_eq!(err.message(), "cannot refund a payment that is open");
    m.reject_payment(pb::RejectPaymentRequest { order_id: p.order_id.clone(), adjustments: None }).await.unwrap();
    let before = get(&app, &p.order_id).await;
    let events = app.events(&p.order_id).await;
    let err = approve(&app, &p.order_id, None).await.unwrap_err();
    assert_eq!(err.message(), "cannot approve a payment that is rejected");
    // Two managers approve the same payment at once: one wins, the other is refused.
    let q = pay(&app, "pay-2", "CHF").await;
    let (a, b) = tokio::join!(approve(&app, &q.order_id, None), approve(&app, &q.order_id, None));
    assert_eq!(u8::from(a.is_ok()) + u8::from(b.is_ok()), 1);
    assert_eq!(get(&app, &p.order_id).await, before);
    assert_eq!(app.events(&p.order_id).await, events);
    let err = m.get_payment(pb::GetPaymentRequest { order_id: "mp-missing".into() }).await.unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    app.stop().await;
}

#[tokio::test]
async fn manual_payments_are_listed_newest_first_in_pages() {
    let app = TestApp::spawn().await;
    configured(&app).await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(pay(&app, &format!("pay-{i}"), "CHF").await.order_id);
        app.clock.advance(Duration::from_secs(60));
    }
    approve(&app, &ids[0], None).await.unwrap();
    let mut c = app.mp_client(Some(SERVICE_TOKEN)).await;
    let page = |token: String, state: S| pb::ListPaymentsRequest {
        customer_id: String::new(),
        state: state as i32,
        page: Some(proto::payops::common::v1::PageRequest { page_size: 2, page_token: token }),
    };
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let r = c.list_payments(page(token, S::Open)).await.unwrap().into_inner();
        seen.extend(r.payments.into_iter().map(|p| p.order_id));
        token = r.page.unwrap().next_page_token;
        if token.is_empty() {
            break;
        }
    }
    let want: Vec<String> = ids[1..].iter().rev().cloned().collect();
    assert_eq!(seen, want, "open payments, newest first");
    let err = c.list_payments(page("garbage".into(), S::Open)).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    app.stop().await;
}

#[tokio::test]
async fn mp_05_the_scheduled_job_wakes_on_the_clock_and_rejects_without_being_called() {
    let app = TestApp::with_workers(vec![crate::helpers::TEST_SHOP], vec![], true).await;
    configured(&app).await;
    let p = pay(&app, "pay-1", "CHF").await;
    app.clock.advance(Duration::from_secs(30 * 86_400));
    // The job runs in the background; give it a bounded time to notice the moved Clock (generous:
    // on a loaded machine the first pass after the move may start seconds later).
    let state = testkit::eventually("the job rejects the expired payment", Duration::from_secs(60), || async {
        let state = get(&app, &p.order_id).await.state();
        if state == S::Open { Err("still open".to_owned()) } else { Ok(state) }
    })
    .await;
    assert_eq!(state, S::Rejected);
    app.stop().await;
}
