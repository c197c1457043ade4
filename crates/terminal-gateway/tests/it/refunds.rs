//! Terminal refunds (Nets return of goods), the registry against the Nets login (a wrong id is
//! refused, corrected or removed; currency and time zone required), lookups matched in the
//! terminal's local time, and preflight (CT-06).

use std::time::{Duration, Instant};

use proto::payops::common::v1::Money;
use proto::payops::terminal_gateway::v1 as pb;
use sandbox::nets::{CustomerAction, NetsConfig, NetsTerminalSeed, TxOutcome};
use terminal_gateway::service::AFTER_PURCHASE;
use tonic::Code;

use crate::helpers::{TENANT, TestApp, USER, reason, state};

async fn approved(app: &TestApp, request: &str, order: &str, terminal: &str, minor: i64) -> pb::Payment {
    let p = app.start(request, order, terminal, minor).await.unwrap();
    app.customer(terminal, CustomerAction::Approve).await;
    settled(app, &p.payment_id).await
}

async fn settled(app: &TestApp, id: &str) -> pb::Payment {
    let limit = Instant::now() + Duration::from_secs(20);
    loop {
        let p = app.get(id).await;
        if state(&p) != pb::PaymentState::Waiting || Instant::now() > limit {
            return p;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn refund(request: &str, payment: &str, minor: i64) -> pb::StartRefundRequest {
    pb::StartRefundRequest {
        tenant_id: TENANT.into(),
        request_id: request.into(),
        payment_id: payment.into(),
        amount: Some(Money { amount_minor: minor, currency: "CHF".into() }),
        terminal_id: String::new(),
        workstation_id: String::new(),
    }
}

fn reason_of(e: &tonic::Status) -> String {
    kit::grpc::status::error_reason(e).unwrap_or_default()
}

#[tokio::test]
async fn tg_31_a_terminal_refund_gives_money_back_once_and_shows_on_the_orders_timeline() {
    let app = TestApp::spawn().await;
    app.terminal("T-1").await;
    let purchase = approved(&app, "req-1", "R-1", "T-1", 80_00).await;
    assert_eq!(state(&purchase), pb::PaymentState::Approved);

    let mut c = app.payments().await;
    let r = c.start_refund(refund("ref-1", &purchase.payment_id, 30_00)).await.unwrap().into_inner();
    let started = r.payment.unwrap();
    assert!(r.created);
    assert_eq!(
        (started.kind, started.refund_of.as_str()),
        (pb::PaymentKind::Refund as i32, purchase.payment_id.as_str())
    );
    let at_terminal = app.nets.nets_terminal("T-1").await.unwrap().current.unwrap();
    assert_eq!(
        (at_terminal.transaction_type.as_str(), at_terminal.amount),
        ("returnOfGoods", 30_00),
        "positive amount"
    );
    // A retry returns the same refund; another amount under the same request id is refused.
    let again = c.start_refund(refund("ref-1", &purchase.payment_id, 30_00)).await.unwrap().into_inner();
    assert_eq!((again.payment.unwrap().payment_id, again.created), (started.payment_id.clone(), false));
    let reused = c.start_refund(refund("ref-1", &purchase.payment_id, 31_00)).await.unwrap_err();
    assert_eq!(reason_of(&reused), "REQUEST_ID_REUSED");
    // One transaction per terminal: a second refund waits for the first.
    let busy = c.start_refund(refund("ref-2", &purchase.payment_id, 10_00)).await.unwrap_err();
    assert_eq!(reason_of(&busy), "TERMINAL_BUSY");
    app.customer("T-1", CustomerAction::Approve).await;
    let done = settled(&app, &started.payment_id).await;
    assert_eq!((state(&done), reason(&done).as_str()), (pb::PaymentState::Approved, "APPROVED"));
    assert_eq!(
        app.events("R-1").await,
        [
            "terminal_payment_started",
            "terminal_payment_approved",
            "terminal_refund_started",
            "terminal_refund_approved"
        ],
        "keyed by the purchase's order: its timeline shows the refund"
    );
    // The rest of the purchase can be refunded, not more.
    let over = c.start_refund(refund("ref-3", &purchase.payment_id, 50_01)).await.unwrap_err();
    assert_eq!((over.code(), reason_of(&over).as_str()), (Code::FailedPrecondition, "REFUND_EXCEEDS_PAYMENT"));
    c.start_refund(refund("ref-4", &purchase.payment_id, 50_00)).await.unwrap();
    // Only approved terminal purchases.
    let of_refund = c.start_refund(refund("ref-5", &started.payment_id, 1_00)).await.unwrap_err();
    assert_eq!(reason_of(&of_refund), "PAYMENT_NOT_REFUNDABLE");
    let bad = c
        .start_refund(pb::StartRefundRequest { payment_id: "nope".into(), amount: None, ..refund("", "", 0) })
        .await
        .unwrap_err();
    let fields: Vec<String> = kit::grpc::status::field_violations(&bad).into_iter().map(|(f, _)| f).collect();
    assert_eq!(fields, ["request_id", "payment_id", "amount"]);
}

#[tokio::test]
async fn tg_30_two_refunds_racing_on_one_purchase_never_exceed_it() {
    let app = TestApp::spawn().await;
    app.terminal("T-1").await;
    app.terminal("T-2").await;
    let purchase = approved(&app, "req-1", "R-2", "T-1", 50_00).await;
    let (mut c1, mut c2) = (app.payments().await, app.payments().await);
    let on = |r: pb::StartRefundRequest, t: &str| pb::StartRefundRequest { terminal_id: t.into(), ..r };
    let (a, b) = tokio::join!(
        c1.start_refund(on(refund("ref-a", &purchase.payment_id, 40_00), "T-1")),
        c2.start_refund(on(refund("ref-b", &purchase.payment_id, 40_00), "T-2"))
    );
    assert_eq!([a.is_ok(), b.is_ok()].iter().filter(|x| **x).count(), 1, "{a:?} {b:?}");
    let err = a.err().or(b.err()).unwrap();
    assert_eq!(reason_of(&err), "REFUND_EXCEEDS_PAYMENT");
}

#[tokio::test]
async fn tg_02_an_id_the_nets_login_does_not_list_is_refused_and_a_wrong_id_is_corrected_or_removed() {
    let app = TestApp::spawn().await;
    let mut c = app.terminals().await;
    let reg = |id: &str, currency: &str, tz: &str| pb::RegisterTerminalRequest {
        tenant_id: TENANT.into(),
        terminal_id: id.into(),
        display_name: "Päätelaite I".into(),
        pos: "Vastaanotto".into(),
        active: true,
        currency: currency.into(),
        time_zone: tz.into(),
    };
    let fields = |e: tonic::Status| -> Vec<String> {
        kit::grpc::status::field_violations(&e).into_iter().map(|(f, _)| f).collect()
    };
    let err = c.register_terminal(reg("T-1", "", "")).await.unwrap_err();
    assert_eq!(fields(err), ["currency", "time_zone"], "no CHF default: a EUR hotel would be refused every payment");
    let err = c.register_terminal(reg("T-1", "EUR", "Europe/Helsinki")).await.unwrap_err();
    assert_eq!(reason_of(&err), "TERMINAL_UNKNOWN_AT_NETS", "the login lists no such terminal");

    // Registered with a typo while Nets was unreachable; the seed's check finds it.
    app.nets.nets_add_terminal(&NetsTerminalSeed::new("T-1001", USER)).await.unwrap();
    app.nets
        .add_fault(&sandbox::FaultSpec::fail_times(sandbox::System::Nets, "login", sandbox::FailMode::Error, 1))
        .await
        .unwrap();
    app.engine.nets().forget(&terminal_gateway::domain::TenantId::parse(TENANT).unwrap());
    let t = c.register_terminal(reg("T-1010", "EUR", "Europe/Helsinki")).await.unwrap().into_inner().terminal.unwrap();
    assert_eq!((t.currency.as_str(), t.time_zone.as_str()), ("EUR", "Europe/Helsinki"));
    app.engine.nets().forget(&terminal_gateway::domain::TenantId::parse(TENANT).unwrap());
    let wrong = pb::ChangeTerminalIdRequest {
        tenant_id: TENANT.into(),
        terminal_id: "T-1010".into(),
        new_terminal_id: "T-1011".into(),
    };
    assert_eq!(reason_of(&c.change_terminal_id(wrong).await.unwrap_err()), "TERMINAL_UNKNOWN_AT_NETS");
    let fix =
        pb::ChangeTerminalIdRequest { new_terminal_id: "T-1001".into(), ..pb::ChangeTerminalIdRequest::default() };
    let fix = pb::ChangeTerminalIdRequest { tenant_id: TENANT.into(), terminal_id: "T-1010".into(), ..fix };
    let t = c.change_terminal_id(fix).await.unwrap().into_inner().terminal.unwrap();
    assert_eq!(
        (t.terminal_id.as_str(), t.display_name.as_str(), t.currency.as_str()),
        ("T-1001", "Päätelaite I", "EUR")
    );
    let gone = pb::GetTerminalRequest { tenant_id: TENANT.into(), terminal_id: "T-1010".into(), with_status: false };
    assert_eq!(reason_of(&c.get_terminal(gone).await.unwrap_err()), "TERMINAL_UNKNOWN");
    // A terminal a payment holds is neither renamed nor removed; afterwards it can be removed.
    let p = app.start_in("req-1", "O-1", "T-1001", 10_00, "EUR").await.unwrap();
    let rm = pb::RemoveTerminalRequest { tenant_id: TENANT.into(), terminal_id: "T-1001".into() };
    assert_eq!(reason_of(&c.remove_terminal(rm.clone()).await.unwrap_err()), "TERMINAL_IN_USE");
    app.customer("T-1001", CustomerAction::Approve).await;
    settled(&app, &p.payment_id).await;
    c.remove_terminal(rm.clone()).await.unwrap();
    assert_eq!(reason_of(&c.remove_terminal(rm).await.unwrap_err()), "TERMINAL_UNKNOWN");
    assert_eq!(state(&app.get(&p.payment_id).await), pb::PaymentState::Approved, "its payments stay");
}

#[tokio::test]
async fn tg_13_a_lookup_without_order_id_at_a_finnish_site_is_matched_in_the_terminals_local_time() {
    let app = TestApp::spawn().await;
    let mut seed = NetsTerminalSeed::new("T-FI", USER);
    seed.time_zone = "Europe/Helsinki".into();
    seed.currency = "EUR".into();
    app.nets.nets_add_terminal(&seed).await.unwrap();
    app.register_in("T-FI", "EUR", "Europe/Helsinki").await;
    let p = app.start_in("req-1", "F-1", "T-FI", 12_50, "EUR").await.unwrap();
    // The answer is lost; the customer cancelled, so Nets mirrors no orderId: only the amount
    // and the terminal's local time (two or three hours from UTC) tie the result to us.
    app.faults.arm(AFTER_PURCHASE);
    app.customer("T-FI", CustomerAction::Cancel).await;
    let (after, result) = app.refresh(&p.payment_id).await;
    assert_eq!(result, pb::RefreshResult::Updated, "{after:?}");
    assert_eq!((state(&after), reason(&after).as_str()), (pb::PaymentState::Cancelled, "CANCELLED_AT_TERMINAL"));
    assert_eq!(app.history("T-FI").await, vec![TxOutcome::CancelledByCustomer]);
}

#[tokio::test]
async fn ct_06_nets_preflight_passes_against_the_sandbox_and_names_a_field_the_login_answer_lacks() {
    let app = TestApp::spawn().await;
    app.terminal("T-1").await;
    let ask = || async {
        app.terminals()
            .await
            .preflight(pb::PreflightRequest { tenant_id: TENANT.into() })
            .await
            .unwrap()
            .into_inner()
            .report
            .unwrap()
    };
    let ok = ask().await;
    let lines: Vec<(String, i32)> = ok.checks.iter().map(|c| (c.check.clone(), c.verdict)).collect();
    assert!(ok.ok, "{lines:?}");
    for check in ["login accepted", "registered terminals known to Nets", "terminal list call", "Nets clock offset"] {
        assert!(ok.checks.iter().any(|c| c.check == check), "{check}: {lines:?}");
    }
    // Nets' login answer loses the terminal list: the gateway cannot tell real ids any more.
    let broken = NetsConfig { omit_login_fields: vec!["terminals".into()], ..NetsConfig::default() };
    app.nets.nets_set_config(&broken).await.unwrap();
    let report = ask().await;
    assert!(!report.ok);
    let failed: Vec<&pb_common::PreflightCheck> =
        report.checks.iter().filter(|c| c.verdict == pb_common::PreflightVerdict::Fail as i32).collect();
    assert!(failed.iter().any(|c| c.detail.contains("terminals")), "names the field: {failed:?}");
    // A registered id Nets does not list fails too, with how to fix it.
    app.nets.nets_set_config(&NetsConfig::default()).await.unwrap();
    app.nets.nets_add_account("other", "x").await.unwrap();
    app.nets.nets_add_terminal(&NetsTerminalSeed::new("T-1", "other")).await.unwrap();
    let report = ask().await;
    let bad = report.checks.iter().find(|c| c.check == "registered terminals known to Nets").unwrap();
    assert_eq!(bad.verdict, pb_common::PreflightVerdict::Fail as i32);
    assert!(bad.detail.contains("T-1") && bad.fix.contains("ChangeTerminalId"), "{bad:?}");
}

mod pb_common {
    pub use proto::payops::common::v1::{PreflightCheck, PreflightVerdict};
}

#[tokio::test]
async fn ct_06_the_preflight_command_prints_the_table_and_fails_on_a_missing_field() {
    let app = TestApp::spawn().await;
    app.terminal("T-1").await;
    let bin = stack::process::binary("terminal-gateway", "payops-terminal-gateway").unwrap();
    // The sandbox runs on this test's runtime: the command runs off it.
    let run = || {
        let mut cmd = std::process::Command::new(&bin);
        cmd.arg("preflight").arg("--tenant").arg(TENANT);
        for (k, v) in [
            ("DATABASE_URL", app.env.database_url.as_str()),
            ("DB_SCHEMA", "terminal_gateway"),
            ("NATS_URL", app.env.nats_url.as_str()),
            ("CALLERS", testkit::CALLERS),
            ("NETS_BASE_URL", &app.sandbox.url(sandbox::System::Nets)),
            ("CREDENTIALS_KEY", crate::helpers::KEY),
        ] {
            cmd.env(k, v);
        }
        tokio::task::spawn_blocking(move || cmd.output().unwrap())
    };
    let out = run().await.unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("login accepted") && text.contains("preflight passed"), "{text}");
    app.nets
        .nets_set_config(&NetsConfig { omit_login_fields: vec!["username".into()], ..NetsConfig::default() })
        .await
        .unwrap();
    let out = run().await.unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("FAIL") && text.contains("username"), "{text}");
}

#[tokio::test]
async fn se_04_money_moving_calls_need_their_own_permission_and_the_journal_names_the_authenticated_caller() {
    use terminal_gateway::grpc::permissions::TABLE;
    use terminal_gateway::store::journal;

    // Their own permission: none of them shares one with another method.
    let moving = ["StartPayment", "CancelPayment", "StartRefund", "RecordManualPayment"];
    for m in moving {
        let path = format!("payops.terminal_gateway.v1.TerminalPaymentService/{m}");
        let need = kit::grpc::auth::access(TABLE, &path).unwrap_or_else(|| panic!("{m} has an entry"));
        let shared: Vec<&str> = TABLE.iter().filter(|(p, a)| *a == need && *p != path).map(|(p, _)| *p).collect();
        assert!(shared.is_empty(), "{m} shares its permission with {shared:?}");
    }

    let app = TestApp::spawn().await;
    app.terminal("T-1").await;
    app.terminal("T-2").await;
    let purchase = approved(&app, "req-1", "R-1", "T-1", 80_00).await;
    let mut c = app.payments().await;
    c.start_refund(refund("ref-1", &purchase.payment_id, 30_00)).await.unwrap();
    let waiting = app.start("req-2", "R-2", "T-2", 10_00).await.unwrap();
    // A caller without the permission is refused and leaves no entry.
    let mut outsider = pb::terminal_payment_service_client::TerminalPaymentServiceClient::new(
        testkit::grpc_channel_as(&app.grpc_url, testkit::OUTSIDER_TOKEN),
    );
    let refused = outsider.start_refund(refund("ref-2", &purchase.payment_id, 10_00)).await.unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    c.cancel_payment(pb::CancelPaymentRequest { tenant_id: TENANT.into(), payment_id: waiting.payment_id.clone() })
        .await
        .unwrap();

    let entries = journal::of_tenant(&app.pool, TENANT).await.unwrap();
    let got: Vec<(&str, &str, &str)> =
        entries.iter().map(|e| (e.caller.as_str(), e.method.as_str(), e.request_id.as_str())).collect();
    assert_eq!(
        got,
        [
            ("testkit", "StartPayment", "req-1"),
            ("testkit", "StartRefund", "ref-1"),
            ("testkit", "StartPayment", "req-2"),
            ("testkit", "CancelPayment", ""),
        ],
        "every money-moving call, by its authenticated caller, before it acted; the refused one not at all"
    );
    assert_eq!(entries[1].payment_id, purchase.payment_id);
    assert_eq!(entries[3].payment_id, waiting.payment_id);
}
