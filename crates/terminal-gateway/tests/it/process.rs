//! TG-32 with a real process: the gateway binary is SIGKILLed while a payment waits at the
//! terminal, the customer pays meanwhile, and a second gateway process on the same database
//! takes the payment over once the dead one's lease runs out and records the approval once.
//! Real time passes here (a 3 s lease), bounded by polling with a limit. The app gives the
//! database, stream and sandbox; its own in-process gateway stays idle (no workers, no payment).

use std::time::{Duration, Instant};
use testkit::eventually;

use proto::payops::common::v1::Money;
use proto::payops::terminal_gateway::v1 as pb;
use proto::payops::terminal_gateway::v1::terminal_payment_service_client::TerminalPaymentServiceClient;
use proto::payops::terminal_gateway::v1::terminal_service_client::TerminalServiceClient;
use sandbox::System;
use sandbox::nets::{CustomerAction, NetsTerminalSeed, TxOutcome};
use sqlx::Row;
use stack::process::ServiceProcess;

use crate::helpers::{KEY, PASSWORD, TENANT, TestApp, USER};

/// A gateway process's environment on the app's database, stream and sandbox.
fn vars(app: &TestApp, instance: &str) -> Vec<(String, String)> {
    [
        ("DATABASE_URL", app.env.database_url.as_str()),
        ("NATS_URL", app.env.nats_url.as_str()),
        ("CALLERS", testkit::CALLERS),
        ("EVENTS_PREFIX", app.env.prefix.as_str()),
        ("EVENTS_STREAM", app.env.stream.as_str()),
        ("NETS_BASE_URL", &app.sandbox.url(System::Nets)),
        ("CREDENTIALS_KEY", KEY),
        ("INSTANCE_ID", instance),
        ("LEASE_DURATION", "3s"),
        ("SUPERVISOR_INTERVAL", "200ms"),
        ("SHUTDOWN_GRACE", "5s"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

#[tokio::test]
async fn tg_32_a_sigkilled_gateway_process_is_resumed_by_another_and_the_approval_recorded_once() {
    let app = TestApp::spawn().await;
    app.nets.nets_add_terminal(&NetsTerminalSeed::new("T-1", USER)).await.unwrap();
    let mut first =
        ServiceProcess::start("terminal-gateway", "payops-terminal-gateway", &vars(&app, "proc-1")).await.unwrap();
    first.wait_ready(Duration::from_secs(60)).await.unwrap();
    let mut terminals = TerminalServiceClient::new(testkit::grpc_channel(&first.grpc_url));
    let creds = pb::SetNetsCredentialsRequest {
        tenant_id: TENANT.into(),
        username: USER.into(),
        password: PASSWORD.into(),
        verify: true,
    };
    terminals.set_nets_credentials(creds).await.unwrap();
    let reg = pb::RegisterTerminalRequest {
        tenant_id: TENANT.into(),
        terminal_id: "T-1".into(),
        display_name: "Desk".into(),
        pos: String::new(),
        active: true,
        currency: "CHF".into(),
        time_zone: "Europe/Zurich".into(),
    };
    terminals.register_terminal(reg).await.unwrap();
    let start = pb::StartPaymentRequest {
        tenant_id: TENANT.into(),
        request_id: "req-1".into(),
        order_id: "T-88".into(),
        amount: Some(Money { amount_minor: 12_50, currency: "CHF".into() }),
        terminal_id: "T-1".into(),
        workstation_id: String::new(),
    };
    let p = TerminalPaymentServiceClient::new(testkit::grpc_channel(&first.grpc_url))
        .start_payment(start)
        .await
        .unwrap()
        .into_inner()
        .payment
        .unwrap();

    // StartPayment answers before the purchase reaches Nets: kill only once the terminal shows
    // the payment (the case under test is a gateway dying while a payment waits on the terminal).
    let limit = Instant::now() + Duration::from_secs(20);
    while app.nets.nets_terminal("T-1").await.unwrap().state != "busy" {
        assert!(Instant::now() < limit, "the purchase never reached the terminal");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.kill().unwrap();
    let (code, _, _) = first.wait().await.unwrap();
    assert_eq!(code, None, "killed by the signal");
    app.customer("T-1", CustomerAction::Approve).await;

    let mut second =
        ServiceProcess::start("terminal-gateway", "payops-terminal-gateway", &vars(&app, "proc-2")).await.unwrap();
    second.wait_ready(Duration::from_secs(60)).await.unwrap();
    let mut payments = TerminalPaymentServiceClient::new(testkit::grpc_channel(&second.grpc_url));
    let get = pb::GetPaymentRequest { tenant_id: TENANT.into(), payment_id: p.payment_id.clone() };
    let limit = Instant::now() + Duration::from_secs(30);
    let done = loop {
        let now = payments.get_payment(get.clone()).await.unwrap().into_inner().payment.unwrap();
        if now.state != pb::PaymentState::Waiting as i32 || Instant::now() > limit {
            break now;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(done.state, pb::PaymentState::Approved as i32, "{:?}", done.outcome);
    assert_eq!(app.history("T-1").await, vec![TxOutcome::Approved], "the purchase was never sent again");
    let pool = kit::db::connect_lazy(&app.env.db_config("terminal_gateway")).unwrap();
    let approved: i64 = sqlx::query(
        "SELECT count(*) AS n FROM outbox WHERE order_id = 'T-88' AND event_type = 'terminal_payment_approved'",
    )
    .fetch_one(&pool)
    .await
    .unwrap()
    .get("n");
    assert_eq!(approved, 1, "recorded exactly once");
    second.terminate().unwrap();
    assert_eq!(second.wait().await.unwrap().0, Some(0), "clean exit on SIGTERM");
}

#[tokio::test]
async fn tg_32_a_late_approval_is_revisited_after_a_restart_and_voided_automatically() {
    let app = TestApp::spawn().await;
    app.nets.nets_add_terminal(&NetsTerminalSeed::new("T-1", USER)).await.unwrap();
    // The cancel at the deadline never reaches the terminal, so the customer can still pay
    // after the gateway gave up: a late approval the cashier does not know about.
    app.nets
        .add_fault(&sandbox::FaultSpec::fail_times(System::Nets, "cancel", sandbox::FailMode::Error, 1000))
        .await
        .unwrap();
    let mut env = vars(&app, "late-1");
    env.extend([("PAYMENT_TIMEOUT".to_owned(), "2s".to_owned()), ("PAYMENT_GRACE".to_owned(), "1s".to_owned())]);
    let mut first = ServiceProcess::start("terminal-gateway", "payops-terminal-gateway", &env).await.unwrap();
    first.wait_ready(Duration::from_secs(60)).await.unwrap();
    let mut terminals = TerminalServiceClient::new(testkit::grpc_channel(&first.grpc_url));
    terminals
        .set_nets_credentials(pb::SetNetsCredentialsRequest {
            tenant_id: TENANT.into(),
            username: USER.into(),
            password: PASSWORD.into(),
            verify: true,
        })
        .await
        .unwrap();
    terminals
        .register_terminal(pb::RegisterTerminalRequest {
            tenant_id: TENANT.into(),
            terminal_id: "T-1".into(),
            display_name: "Desk".into(),
            pos: String::new(),
            active: true,
            currency: "CHF".into(),
            time_zone: "Europe/Zurich".into(),
        })
        .await
        .unwrap();
    let mut payments = TerminalPaymentServiceClient::new(testkit::grpc_channel(&first.grpc_url));
    let p = payments
        .start_payment(pb::StartPaymentRequest {
            tenant_id: TENANT.into(),
            request_id: "req-late".into(),
            order_id: "L-1".into(),
            amount: Some(Money { amount_minor: 12_50, currency: "CHF".into() }),
            terminal_id: "T-1".into(),
            workstation_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .payment
        .unwrap();
    let get = pb::GetPaymentRequest { tenant_id: TENANT.into(), payment_id: p.payment_id.clone() };
    eventually("the gateway gives up on the payment", Duration::from_secs(30), || {
        let (mut c, g) = (payments.clone(), get.clone());
        async move {
            let now = c.get_payment(g).await.ok()?.into_inner().payment?;
            (now.state == pb::PaymentState::TimedOut as i32).then_some(())
        }
    })
    .await;
    assert_eq!(app.history("T-1").await, vec![TxOutcome::InProgress], "the terminal still waits for the card");
    // The gateway dies while it waits for Nets' final word; the customer pays meanwhile.
    first.kill().unwrap();
    first.wait().await.unwrap();
    app.customer("T-1", CustomerAction::Approve).await;

    let mut second =
        ServiceProcess::start("terminal-gateway", "payops-terminal-gateway", &vars(&app, "late-2")).await.unwrap();
    second.wait_ready(Duration::from_secs(60)).await.unwrap();
    let history = eventually("the late approval is voided at the terminal", Duration::from_secs(30), || async {
        let t = app.nets.nets_terminal("T-1").await.ok()?;
        t.history.iter().any(|x| x.transaction_type == "reversal").then_some(t.history)
    })
    .await;
    assert_eq!(history.len(), 2, "one purchase, one reversal: {history:?}");
    assert!(history[0].voided && history[0].outcome == TxOutcome::Approved);
    let mut payments = TerminalPaymentServiceClient::new(testkit::grpc_channel(&second.grpc_url));
    let done = payments.get_payment(get).await.unwrap().into_inner().payment.unwrap();
    assert_eq!(done.state, pb::PaymentState::TimedOut as i32, "states only move forward");
    assert!(done.late_approval.is_some());
    let pool = kit::db::connect_lazy(&app.env.db_config("terminal_gateway")).unwrap();
    let types: Vec<String> = sqlx::query("SELECT event_type FROM outbox WHERE order_id = 'L-1' ORDER BY seq")
        .fetch_all(&pool)
        .await
        .unwrap()
        .iter()
        .map(|r| r.get("event_type"))
        .collect();
    for t in ["terminal_payment_approved_after_timeout", "terminal_payment_voided", "attention"] {
        assert!(types.iter().any(|x| x == t), "{t} on the order's timeline: {types:?}");
    }
    second.terminate().unwrap();
    second.wait().await.unwrap();
}
