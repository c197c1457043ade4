//! SE-03 for manual payments: the manual-payment merchant is the tenant. A manager bound to
//! `other-desk` neither reads nor changes anything of `cash-desk` (merchant, offers, payments),
//! whatever method it tries; a manager bound to `cash-desk` works on it as usual.

use proto::payops::invoice_checks::v1 as pb;
use proto::payops::invoice_checks::v1::ManualPaymentState as S;
use tonic::Code;

use crate::helpers::{DESK_TOKEN, MANAGER_TOKEN, RIVAL_TOKEN, TestApp, chf};
use crate::manual::{configured, get, merchant, pay};

fn code<T>(r: Result<tonic::Response<T>, tonic::Status>) -> Code {
    match r {
        Ok(_) => Code::Ok,
        Err(s) => s.code(),
    }
}

#[tokio::test]
async fn se_03_a_caller_bound_to_one_manual_payment_merchant_neither_reads_nor_changes_another_merchants_offers_or_payments()
 {
    let app = TestApp::spawn().await;
    configured(&app).await;
    let paid = pay(&app, "se03-r-1", "CHF").await;
    let order = paid.order_id.clone();
    let mut rival = app.mp_client(Some(RIVAL_TOKEN)).await;

    // Reads answer like unknown ids; listings are empty.
    let merchant_read = rival.get_merchant(pb::GetMerchantRequest { merchant_id: "cash-desk".into() }).await;
    assert_eq!(code(merchant_read), Code::NotFound, "GetMerchant of another merchant");
    assert_eq!(code(rival.get_offer(pb::GetOfferRequest { offer_id: "course-42".into() }).await), Code::NotFound);
    let offers = rival.list_offers(pb::ListOffersRequest::default()).await.unwrap().into_inner().offers;
    assert!(offers.is_empty(), "ListOffers shows another merchant's offers: {offers:?}");
    let listed = rival.list_payments(pb::ListPaymentsRequest::default()).await.unwrap().into_inner().payments;
    assert!(listed.is_empty(), "ListPayments shows another merchant's payments: {listed:?}");
    let by_customer = pb::ListPaymentsRequest { customer_id: "c-7".into(), ..pb::ListPaymentsRequest::default() };
    assert!(rival.list_payments(by_customer).await.unwrap().into_inner().payments.is_empty());
    assert_eq!(code(rival.get_payment(pb::GetPaymentRequest { order_id: order.clone() }).await), Code::NotFound);

    // Changes are refused and change nothing.
    let approve = pb::ApprovePaymentRequest { order_id: order.clone(), adjustments: None };
    assert_eq!(code(rival.approve_payment(approve).await), Code::NotFound, "ApprovePayment");
    let reject = pb::RejectPaymentRequest { order_id: order.clone(), adjustments: None };
    assert_eq!(code(rival.reject_payment(reject).await), Code::NotFound, "RejectPayment");
    let refund = pb::RefundPaymentRequest { order_id: order.clone(), comment: String::new() };
    assert_eq!(code(rival.refund_payment(refund).await), Code::NotFound, "RefundPayment");
    let pay_other = pb::PayManuallyRequest {
        request_id: "se03-r-2".into(),
        offer_id: "course-42".into(),
        customer_id: "c-8".into(),
        currency: "CHF".into(),
        payment_date: String::new(),
        comment: String::new(),
    };
    assert_eq!(code(rival.pay_manually(pay_other).await), Code::NotFound, "PayManually on another's offer");
    let record = pb::RecordManualPaymentRequest {
        request_id: "se03-r-3".into(),
        offer_id: "course-42".into(),
        customer_id: "c-8".into(),
        currency: "CHF".into(),
        ..pb::RecordManualPaymentRequest::default()
    };
    assert_eq!(code(rival.record_manual_payment(record).await), Code::NotFound, "RecordManualPayment");
    let take_over = pb::Offer {
        offer_id: "course-42".into(),
        name: "Gekapert".into(),
        payment_system_id: "other-desk".into(),
        prices: vec![chf(1)],
        confirmation_days: 0,
    };
    let taken = rival.save_offer(pb::SaveOfferRequest { offer: Some(take_over) }).await;
    assert_eq!(code(taken), Code::PermissionDenied, "taking over another merchant's offer");
    let planted = pb::Offer {
        offer_id: "course-99".into(),
        name: "Fremd".into(),
        payment_system_id: "cash-desk".into(),
        prices: vec![chf(1)],
        confirmation_days: 0,
    };
    let planted = rival.save_offer(pb::SaveOfferRequest { offer: Some(planted) }).await;
    assert_eq!(code(planted), Code::PermissionDenied, "an offer on another merchant");
    let renamed = pb::ManualMerchant { name: "Gekapert".into(), ..merchant() };
    let renamed = rival.save_merchant(pb::SaveMerchantRequest { merchant: Some(renamed) }).await;
    assert_eq!(code(renamed), Code::PermissionDenied, "SaveMerchant of another merchant");

    let mut maria = app.mp_client(Some(MANAGER_TOKEN)).await;
    let unchanged = get(&app, &order).await;
    assert_eq!(unchanged.state(), S::Open, "the payment is untouched");
    assert_eq!(unchanged.history.len(), paid.history.len(), "no change recorded");
    let offer = maria.get_offer(pb::GetOfferRequest { offer_id: "course-42".into() }).await.unwrap().into_inner();
    assert_eq!(offer.offer.unwrap().payment_system_id, "cash-desk");
    assert_eq!(code(maria.get_offer(pb::GetOfferRequest { offer_id: "course-99".into() }).await), Code::NotFound);
    let m = maria.get_merchant(pb::GetMerchantRequest { merchant_id: "cash-desk".into() }).await.unwrap();
    assert_eq!(m.into_inner().merchant.unwrap(), merchant());
    let all = maria.list_payments(pb::ListPaymentsRequest::default()).await.unwrap().into_inner().payments;
    assert_eq!(all.len(), 1, "no payment was opened by the refused calls");

    // Its own merchant: the bound caller works as usual.
    let own = pb::ManualMerchant { merchant_id: "other-desk".into(), ..merchant() };
    rival.save_merchant(pb::SaveMerchantRequest { merchant: Some(own) }).await.expect("its own merchant");
    let mut desk = app.mp_client(Some(DESK_TOKEN)).await;
    let offers = desk.list_offers(pb::ListOffersRequest::default()).await.unwrap().into_inner().offers;
    assert_eq!(offers.iter().map(|o| o.offer_id.as_str()).collect::<Vec<_>>(), ["course-42"]);
    let listed = desk.list_payments(pb::ListPaymentsRequest::default()).await.unwrap().into_inner().payments;
    assert_eq!(listed.len(), 1);
    let approved = desk
        .approve_payment(pb::ApprovePaymentRequest { order_id: order.clone(), adjustments: None })
        .await
        .expect("approved by a manager of its merchant")
        .into_inner()
        .payment
        .unwrap();
    assert_eq!(approved.state(), S::Approved);
}
