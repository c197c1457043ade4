//! The registry: credentials (TG-01), registration (TG-02), the picker grouped by point of sale
//! with live status (TG-03, TG-04), troubleshooting data and attention after repeated failures
//! (TG-24).

use proto::payops::terminal_gateway::v1 as pb;
use sandbox::nets::NetsTerminalSeed;
use sqlx::Row;
use tonic::Code;

use crate::helpers::{PASSWORD, TENANT, TestApp, USER};

#[tokio::test]
async fn tg_01_credentials_are_stored_sealed_and_never_returned() {
    let app = TestApp::spawn().await;
    let mut c = app.terminals().await;
    let got =
        c.get_nets_credentials(pb::GetNetsCredentialsRequest { tenant_id: TENANT.into() }).await.unwrap().into_inner();
    assert!(got.configured);
    let debug = format!("{got:?}");
    assert!(!debug.contains(PASSWORD) && !debug.contains(USER));
    let sealed: Vec<u8> = sqlx::query("SELECT password_sealed FROM nets_credentials WHERE tenant_id = $1")
        .bind(TENANT)
        .fetch_one(&app.pool)
        .await
        .unwrap()
        .get("password_sealed");
    assert!(!sealed.windows(PASSWORD.len()).any(|w| w == PASSWORD.as_bytes()), "not stored in clear");
    let other =
        c.get_nets_credentials(pb::GetNetsCredentialsRequest { tenant_id: "other".into() }).await.unwrap().into_inner();
    assert!(!other.configured);
    let wrong = pb::SetNetsCredentialsRequest {
        tenant_id: TENANT.into(),
        username: USER.into(),
        password: "wrong".into(),
        verify: true,
    };
    let err = c.set_nets_credentials(wrong).await.unwrap_err();
    assert_eq!(
        (err.code(), kit::grpc::status::error_reason(&err).as_deref()),
        (Code::FailedPrecondition, Some("NETS_LOGIN_FAILED"))
    );
    assert!(!err.message().contains("wrong"));
    let bad = pb::SetNetsCredentialsRequest {
        tenant_id: "a b".into(),
        username: String::new(),
        password: String::new(),
        verify: false,
    };
    let fields: Vec<String> = kit::grpc::status::field_violations(&c.set_nets_credentials(bad).await.unwrap_err())
        .into_iter()
        .map(|(f, _)| f)
        .collect();
    assert_eq!(fields, ["tenant_id", "username", "password"]);
}

#[tokio::test]
async fn tg_02_a_terminal_is_registered_once_with_name_flag_and_pos() {
    let app = TestApp::spawn().await;
    app.nets.nets_add_terminal(&NetsTerminalSeed::new("T-1001", USER)).await.unwrap();
    let mut c = app.terminals().await;
    let req = pb::RegisterTerminalRequest {
        tenant_id: TENANT.into(),
        terminal_id: "T-1001".into(),
        display_name: "Päätelaite I".into(),
        pos: "Vastaanotto".into(),
        active: true,
        currency: "CHF".into(),
        time_zone: "Europe/Zurich".into(),
    };
    let t = c.register_terminal(req.clone()).await.unwrap().into_inner().terminal.unwrap();
    assert_eq!(
        (t.display_name.as_str(), t.pos.as_str(), t.active, t.currency.as_str()),
        ("Päätelaite I", "Vastaanotto", true, "CHF")
    );
    let err = c.register_terminal(req).await.unwrap_err();
    assert_eq!(kit::grpc::status::error_reason(&err).as_deref(), Some("TERMINAL_ALREADY_REGISTERED"));
    let upd = pb::UpdateTerminalRequest {
        tenant_id: TENANT.into(),
        terminal_id: "T-1001".into(),
        display_name: "Desk".into(),
        pos: String::new(),
    };
    let t = c.update_terminal(upd).await.unwrap().into_inner().terminal.unwrap();
    assert_eq!((t.display_name.as_str(), t.pos.as_str()), ("Desk", ""));
    let missing = pb::GetTerminalRequest { tenant_id: TENANT.into(), terminal_id: "T-9".into(), with_status: false };
    assert_eq!(
        kit::grpc::status::error_reason(&c.get_terminal(missing).await.unwrap_err()).as_deref(),
        Some("TERMINAL_UNKNOWN")
    );
}

#[tokio::test]
async fn tg_03_tg_04_the_picker_groups_by_pos_with_live_status() {
    let app = TestApp::spawn().await;
    // I and II at the reception, III elsewhere without a POS; II is offline, III unknown to Nets.
    app.nets.nets_add_terminal(&NetsTerminalSeed::new("T-1001", USER)).await.unwrap();
    app.nets
        .nets_add_terminal(&NetsTerminalSeed { connected: false, ..NetsTerminalSeed::new("T-1002", USER) })
        .await
        .unwrap();
    app.register("T-1001", "Vastaanotto", true).await;
    app.register("T-1002", "Vastaanotto", true).await;
    // Registered while Nets listed it, then moved to another account: the login no longer
    // lists it (a wrong id, as the seed's troubleshooting says).
    app.nets.nets_add_terminal(&NetsTerminalSeed::new("T-3000", USER)).await.unwrap();
    app.register("T-3000", "", true).await;
    app.nets.nets_add_account("someone-else", "x").await.unwrap();
    app.nets.nets_add_terminal(&NetsTerminalSeed::new("T-3000", "someone-else")).await.unwrap();
    app.engine.nets().forget(&terminal_gateway::domain::TenantId::parse(TENANT).unwrap());
    app.nets.nets_add_terminal(&NetsTerminalSeed::new("T-4000", USER)).await.unwrap();
    app.register("T-4000", "Baari", false).await;
    let list = app
        .terminals()
        .await
        .list_terminals(pb::ListTerminalsRequest { tenant_id: TENANT.into(), with_status: true })
        .await
        .unwrap()
        .into_inner();
    let shape: Vec<(&str, Vec<&str>)> = list
        .groups
        .iter()
        .map(|g| (g.pos.as_str(), g.terminals.iter().map(|t| t.terminal_id.as_str()).collect()))
        .collect();
    assert_eq!(shape, vec![("Baari", vec!["T-4000"]), ("Vastaanotto", vec!["T-1001", "T-1002"]), ("", vec!["T-3000"])]);
    let status = |id: &str| {
        let t = list.groups.iter().flat_map(|g| &g.terminals).find(|t| t.terminal_id == id).unwrap();
        let s = t.status.clone().unwrap();
        (
            pb::TerminalReadiness::try_from(s.readiness).unwrap(),
            pb::TerminalProblem::try_from(s.problem).unwrap(),
            t.troubleshooting.clone().unwrap(),
        )
    };
    assert_eq!(status("T-1001").0, pb::TerminalReadiness::Ready);
    assert_eq!(status("T-1002").1, pb::TerminalProblem::NotConnected);
    let (r, p, ts) = status("T-3000");
    assert_eq!((r, p, ts.id_known_to_nets), (pb::TerminalReadiness::Error, pb::TerminalProblem::UnknownAtNets, false));
    assert_eq!(status("T-4000").1, pb::TerminalProblem::Inactive);
    assert!(status("T-1001").2.id_known_to_nets);
}

#[tokio::test]
async fn tg_24_troubleshooting_shows_the_payment_in_progress_and_the_last_error() {
    let app = TestApp::spawn().await;
    app.terminal("T-1").await;
    app.nets
        .nets_add_terminal(&NetsTerminalSeed { connected: false, ..NetsTerminalSeed::new("T-2", USER) })
        .await
        .unwrap();
    app.register("T-2", "", true).await;
    let p = app.start("req-1", "T-88", "T-1", 10_00).await.unwrap();
    let err = app.start("req-2", "T-89", "T-2", 10_00).await.unwrap_err();
    assert_eq!(kit::grpc::status::error_reason(&err).as_deref(), Some("TERMINAL_NOT_CONNECTED"));
    let get = |id: &str| pb::GetTerminalRequest { tenant_id: TENANT.into(), terminal_id: id.into(), with_status: true };
    let t1 = app.terminals().await.get_terminal(get("T-1")).await.unwrap().into_inner().terminal.unwrap();
    let ts = t1.troubleshooting.unwrap();
    assert!(ts.payment_in_progress && ts.payment_in_progress_id == p.payment_id && ts.id_known_to_nets);
    assert_eq!(pb::TerminalReadiness::try_from(t1.status.unwrap().readiness).unwrap(), pb::TerminalReadiness::Busy);
    let t2 = app.terminals().await.get_terminal(get("T-2")).await.unwrap().into_inner().terminal.unwrap();
    let ts = t2.troubleshooting.unwrap();
    assert!(ts.last_error.contains("TERMINAL_NOT_CONNECTED"), "{}", ts.last_error);
    assert!(!ts.payment_in_progress);
    assert_eq!(ts.consecutive_failures, 1);

    // Back online, an approval ends the failure streak.
    app.nets.nets_set_connected("T-2", true).await.unwrap();
    let p2 = app.start("req-3", "T-90", "T-2", 10_00).await.unwrap();
    let mut watch = app.watch(&p2.payment_id).await;
    crate::helpers::next(&mut watch).await;
    app.customer("T-2", sandbox::nets::CustomerAction::Approve).await;
    assert_eq!(crate::helpers::state(&crate::helpers::next(&mut watch).await), pb::PaymentState::Approved);
    let t2 = app.terminals().await.get_terminal(get("T-2")).await.unwrap().into_inner().terminal.unwrap();
    assert_eq!(t2.troubleshooting.unwrap().consecutive_failures, 0);
}

#[tokio::test]
async fn tg_24_repeated_failures_on_one_terminal_raise_an_attention_incident() {
    let app = TestApp::spawn().await;
    app.nets
        .nets_add_terminal(&NetsTerminalSeed { connected: false, ..NetsTerminalSeed::new("T-2", USER) })
        .await
        .unwrap();
    app.register("T-2", "", true).await;
    for i in 1..=3 {
        let err = app.start(&format!("req-{i}"), &format!("O-{i}"), "T-2", 10_00).await.unwrap_err();
        assert_eq!(kit::grpc::status::error_reason(&err).as_deref(), Some("TERMINAL_NOT_CONNECTED"));
    }
    assert!(app.events("O-1").await.is_empty() && app.events("O-2").await.is_empty());
    assert!(app.events("O-3").await.is_empty(), "the incident is the terminal's, not the order's");
    assert_eq!(app.events("terminal-T-2").await, ["attention"], "at the third failure in a row");
    let env: Vec<u8> = sqlx::query("SELECT envelope FROM outbox WHERE event_type = 'attention'")
        .fetch_one(&app.pool)
        .await
        .unwrap()
        .get("envelope");
    let att: proto::payops::events::v1::Attention =
        kit::bus::event::unpack(&kit::bus::event::decode_envelope(&env).unwrap()).unwrap();
    assert_eq!(att.incident_id, "terminal-T-2-failures");
}
