//! Flow 3 of the architecture: a terminal payment for order T-88 that the customer never
//! completes times out (the clock moves past the 120 s payment timeout), is cancelled on the
//! terminal, and its events show on the order's timeline in hotline-api.

use proto::payops::common::v1::Money;
use proto::payops::terminal_gateway::v1 as pb;
use proto::payops::terminal_gateway::v1::terminal_payment_service_client::TerminalPaymentServiceClient;
use stack::platform::Service;
use stack::sandbox::nets::TxOutcome;

use super::world::{LIMIT, World, eventually};

#[tokio::test]
async fn a_terminal_payment_nobody_completes_times_out_is_cancelled_on_the_terminal_and_shows_on_the_timeline() {
    let w = World::new().await;
    let mut payments = TerminalPaymentServiceClient::new(w.connect(Service::TerminalGateway).await);
    let start = pb::StartPaymentRequest {
        tenant_id: w.seed.terminal_tenant.clone(),
        request_id: "till-1-0001".into(),
        order_id: "T-88".into(),
        amount: Some(Money { amount_minor: 12_50, currency: "CHF".into() }),
        terminal_id: w.seed.terminals[0].clone(),
        workstation_id: String::new(),
    };
    let p = payments.start_payment(start).await.unwrap().into_inner().payment.unwrap();
    assert_eq!(p.state, pb::PaymentState::Waiting as i32);

    // The customer walks away; two minutes pass at the till.
    w.advance(121).await;
    let get = pb::GetPaymentRequest { tenant_id: w.seed.terminal_tenant.clone(), payment_id: p.payment_id.clone() };
    let done = eventually("the payment leaves Waiting", LIMIT, || {
        let mut c = payments.clone();
        let get = get.clone();
        async move {
            let now = c.get_payment(get).await.map_err(|e| e.to_string())?.into_inner().payment.unwrap();
            if now.state == pb::PaymentState::Waiting as i32 { Err(format!("{now:?}")) } else { Ok(now) }
        }
    })
    .await;
    assert_eq!(done.state, pb::PaymentState::TimedOut as i32, "{:?}", done.outcome);

    // What the terminal saw: the purchase, cancelled by the operator (the gateway).
    let history: Vec<TxOutcome> =
        w.admin.nets_terminal(&w.seed.terminals[0]).await.unwrap().history.into_iter().map(|t| t.outcome).collect();
    assert_eq!(history, [TxOutcome::CancelledByOperator]);

    w.timeline_with("T-88", "terminal-gateway", "terminal_payment_started").await;
    let timeline = w.timeline_with("T-88", "terminal-gateway", "terminal_payment_timed_out").await;
    let types: Vec<&str> = timeline.iter().filter(|(s, _)| s == "terminal-gateway").map(|(_, t)| t.as_str()).collect();
    assert_eq!(types.first(), Some(&"terminal_payment_started"), "in order: {timeline:?}");
    assert_eq!(types.iter().filter(|t| **t == "terminal_payment_timed_out").count(), 1, "{timeline:?}");
}
