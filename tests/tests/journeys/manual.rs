//! A manual payment nobody confirms (MP-05 across processes): the customer pays manually, the
//! offer gives managers 30 days, the sandbox clock — which every service follows — moves 31
//! days, and invoice-checks' deadline job rejects the payment on its own; the rejection is on
//! the order's timeline.

use proto::payops::invoice_checks::v1 as pb;
use proto::payops::invoice_checks::v1::manual_payment_service_client::ManualPaymentServiceClient;
use stack::platform::Service;

use super::world::{LIMIT, World, eventually};

#[tokio::test]
async fn mp_05_an_unconfirmed_manual_payment_is_rejected_automatically_once_the_clock_passes_its_deadline() {
    let w = World::new().await;
    let mut mp = ManualPaymentServiceClient::new(w.connect(Service::InvoiceChecks).await);
    let paid = pb::PayManuallyRequest {
        request_id: "checkout-1".into(),
        offer_id: w.seed.manual_offer.clone(),
        customer_id: "C-42".into(),
        currency: "CHF".into(),
        payment_date: String::new(),
        comment: "Quittung 0815".into(),
    };
    let p = mp.pay_manually(paid).await.unwrap().into_inner().payment.unwrap();
    assert_eq!(p.state, pb::ManualPaymentState::Open as i32);
    let opened = w.admin.now().await.unwrap();
    let deadline = p.deadline.as_ref().unwrap().seconds;
    assert!(deadline - opened.timestamp() >= 29 * 86_400, "about 30 days to confirm");

    // A day before the deadline it is still open.
    w.advance(29 * 86_400).await;
    w.timeline_with(&p.order_id, "invoice-checks", "manual_payment_opened").await;
    let get = pb::GetPaymentRequest { order_id: p.order_id.clone() };
    let still = mp.get_payment(get.clone()).await.unwrap().into_inner().payment.unwrap();
    assert_eq!(still.state, pb::ManualPaymentState::Open as i32);

    w.advance(2 * 86_400).await;
    let rejected = eventually("the automatic rejection", LIMIT, || {
        let mut c = mp.clone();
        let get = get.clone();
        async move {
            let now = c.get_payment(get).await.map_err(|e| e.to_string())?.into_inner().payment.unwrap();
            if now.state == pb::ManualPaymentState::Rejected as i32 { Ok(now) } else { Err(format!("{now:?}")) }
        }
    })
    .await;
    let last = rejected.history.last().unwrap();
    assert_eq!(last.actor, "system", "rejected automatically: {last:?}");
    w.timeline_with(&p.order_id, "invoice-checks", "manual_payment_rejected").await;
}
