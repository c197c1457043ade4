//! The Nets simulator against the Nets contract cases (CT-03) and the documented behaviours that
//! matter for money (CT-07): local terminal times, a busy terminal that refuses a second
//! purchase while the running one goes on, a lookup that aborts a running transaction, the
//! orderId mirrored only for approvals, the login listing the account's terminals.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use sandbox::contracts::{LoadedCase, Prepared, check_simulator, load_partner};
use sandbox::nets::{AutoMode, CustomerAction, NetsTerminalSeed, TxOutcome};
use sandbox::{Sandbox, SandboxClient, System};
use serde_json::{Value, json};

use crate::helpers;

const PASSWORD: &str = "pw-of-the-api-user";

/// Logs in; returns the token.
async fn login(base: &str, username: &str) -> String {
    let v: Value = helpers::http()
        .post(format!("{base}/v1/login"))
        .json(&json!({"username": username, "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["token"].as_str().unwrap_or_default().to_owned()
}

async fn post(base: &str, token: &str, path: &str, body: Value) -> (u16, Value) {
    let r = helpers::http().post(format!("{base}{path}")).bearer_auth(token).json(&body).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn get(base: &str, token: &str, path: &str) -> (u16, Value) {
    let r = helpers::http().get(format!("{base}{path}")).bearer_auth(token).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

/// Waits (polling the admin API, bounded) until the terminal has a transaction in flight.
async fn until_busy(admin: &SandboxClient, terminal: &str) {
    for _ in 0..500 {
        if admin.nets_terminal(terminal).await.is_ok_and(|t| t.current.is_some()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("terminal {terminal} never got busy");
}

fn act(v: &Value) -> Option<(CustomerAction, Option<String>)> {
    let action = serde_json::from_value(v.get("action")?.clone()).ok()?;
    Some((action, v.get("code").and_then(Value::as_str).map(str::to_owned)))
}

/// Puts a fresh simulator into the case's state: the account, its terminals (id, currency,
/// time zone, connection), a transaction another POS keeps running, the terminal's last
/// transaction, and what the customer does with the case's own request.
async fn prepare(keep: Arc<Mutex<Vec<Sandbox>>>, c: LoadedCase) -> Result<Prepared, String> {
    let sb = helpers::start().await;
    let admin = sb.client();
    let base = sb.url(System::Nets);
    let state = &c.case.state;
    let username = state.pointer("/account/username").and_then(Value::as_str).unwrap_or("dyreloppen").to_owned();
    admin.nets_add_account(&username, PASSWORD).await.map_err(|e| e.to_string())?;
    let terminals = state.get("terminals").and_then(Value::as_array).cloned().unwrap_or_default();
    for t in &terminals {
        let id = t["id"].as_str().ok_or("terminal without id")?;
        let mut seed = NetsTerminalSeed::new(id, &username);
        seed.currency = t["currency"].as_str().unwrap_or("CHF").to_owned();
        seed.time_zone = t["time_zone"].as_str().unwrap_or("Europe/Zurich").to_owned();
        admin.nets_add_terminal(&seed).await.map_err(|e| e.to_string())?;
    }
    let terminal = c.case.input.get("terminal").and_then(Value::as_str).unwrap_or("41849916").to_owned();
    let token = login(&base, &username).await;
    if let Some(last) = state.get("last") {
        let (action, code) = act(last).ok_or("last without action")?;
        admin.nets_set_mode(&terminal, AutoMode::Act { action, code, after_ms: 0 }).await.map_err(|e| e.to_string())?;
        let body = json!({"transactionType": "purchase", "amount": last["amount"], "orderId": last["order_id"]});
        post(&base, &token, &format!("/v1/terminal/{terminal}/transaction"), body).await;
        admin.nets_set_mode(&terminal, AutoMode::Manual).await.map_err(|e| e.to_string())?;
    }
    if state.get("running").and_then(Value::as_bool) == Some(true) {
        let (b, t, path) = (base.clone(), token.clone(), format!("/v1/terminal/{terminal}/transaction"));
        tokio::spawn(async move {
            post(&b, &t, &path, json!({"transactionType": "purchase", "amount": 500, "orderId": "77"})).await
        });
        until_busy(&admin, &terminal).await;
    }
    // Connection last: a running transaction needs a connected terminal to start.
    for t in &terminals {
        if t.get("connected").and_then(Value::as_bool) == Some(false) {
            admin.nets_set_connected(t["id"].as_str().unwrap_or_default(), false).await.map_err(|e| e.to_string())?;
        }
    }
    if let Some(customer) = state.get("customer") {
        if customer.get("action").and_then(Value::as_str) == Some("operator_cancel") {
            // Our own cancelAction ends the purchase once it runs.
            let (a, b, t, id) = (admin.clone(), base.clone(), token.clone(), terminal.clone());
            tokio::spawn(async move {
                until_busy(&a, &id).await;
                post(&b, &t, &format!("/v1/terminal/{id}/administration"), json!({"action": "cancelAction"})).await
            });
        } else {
            let (action, code) = act(customer).ok_or("customer without action")?;
            admin
                .nets_set_mode(&terminal, AutoMode::Act { action, code, after_ms: 0 })
                .await
                .map_err(|e| e.to_string())?;
        }
    }
    let mut p = Prepared { base_url: base, ..Prepared::default() };
    p.vars.insert("token".into(), token);
    p.vars.insert("terminalId".into(), terminal);
    p.vars.insert("username".into(), username);
    p.vars.insert("password".into(), PASSWORD.into());
    let order = c.case.input.get("order_ref").and_then(Value::as_str).unwrap_or("1042");
    p.vars.insert("orderId".into(), order.into());
    keep.lock().unwrap().push(sb);
    Ok(p)
}

#[tokio::test]
async fn ct_03_nets_simulator_answers_every_case_like_the_partner() {
    let cases = load_partner("nets").expect("nets cases");
    assert!(cases.len() >= 30, "every Nets call has its cases");
    let keep = Arc::new(Mutex::new(Vec::new()));
    let failures = check_simulator(&cases, |c| prepare(keep.clone(), c)).await;
    assert!(failures.is_empty(), "the simulator differs from the cases:\n{}", failures.join("\n"));
}

/// A simulator with one account and `terminals` (id, time zone).
async fn world(terminals: &[(&str, &str)]) -> (Sandbox, SandboxClient, String, String) {
    let sb = helpers::start().await;
    let admin = sb.client();
    admin.nets_add_account("acct", PASSWORD).await.unwrap();
    for (id, tz) in terminals {
        let mut seed = NetsTerminalSeed::new(id, "acct");
        seed.time_zone = (*tz).to_owned();
        admin.nets_add_terminal(&seed).await.unwrap();
    }
    let base = sb.url(System::Nets);
    let token = login(&base, "acct").await;
    (sb, admin, base, token)
}

#[tokio::test]
async fn ct_07_nets_terminals_report_times_in_their_local_time() {
    let (_sb, admin, base, token) = world(&[("T-FI", "Europe/Helsinki")]).await;
    admin
        .nets_set_mode("T-FI", AutoMode::Act { action: CustomerAction::Approve, code: None, after_ms: 0 })
        .await
        .unwrap();
    let (status, v) = post(
        &base,
        &token,
        "/v1/terminal/T-FI/transaction",
        json!({"transactionType": "purchase", "amount": 100, "orderId": "1"}),
    )
    .await;
    assert_eq!(status, 201, "{v}");
    let finished = admin.nets_terminal("T-FI").await.unwrap().history[0].finished_at.unwrap();
    let local = finished.with_timezone(&chrono_tz::Europe::Helsinki).naive_local();
    let lm = &v["result"][0]["localModeEventArgs"];
    assert_eq!(lm["TimeStamp"], json!(local.format("%Y%m%d%H%M%S").to_string()), "compact TimeStamp is local time");
    assert_eq!(
        v["result"][0]["timeStamp"],
        json!(local.format("%Y-%m-%dT%H:%M:%S.000Z").to_string()),
        "the ISO timeStamp is the same local clock with a Z"
    );
    assert_ne!(lm["TimeStamp"], json!(finished.format("%Y%m%d%H%M%S").to_string()), "not UTC (Helsinki is +2/+3)");
}

#[tokio::test]
async fn ct_07_nets_a_purchase_for_a_busy_terminal_is_refused_and_the_running_one_goes_on() {
    let (_sb, admin, base, token) = world(&[("T-1", "Europe/Zurich")]).await;
    let (b, t) = (base.clone(), token.clone());
    let first = tokio::spawn(async move {
        post(
            &b,
            &t,
            "/v1/terminal/T-1/transaction",
            json!({"transactionType": "purchase", "amount": 100, "orderId": "1"}),
        )
        .await
    });
    until_busy(&admin, "T-1").await;
    let (status, v) = post(
        &base,
        &token,
        "/v1/terminal/T-1/transaction",
        json!({"transactionType": "purchase", "amount": 200, "orderId": "2"}),
    )
    .await;
    assert_eq!((status, v), (400, json!({"failure": {"error": "Terminal busy"}})));
    assert_eq!(admin.nets_terminal("T-1").await.unwrap().current.unwrap().order_id.as_deref(), Some("1"));
    admin.nets_customer("T-1", CustomerAction::Approve).await.unwrap();
    assert_eq!(first.await.unwrap().0, 201, "the running purchase completes");
    let history = admin.nets_terminal("T-1").await.unwrap().history;
    assert_eq!(history.len(), 1, "the refused purchase never started");
}

#[tokio::test]
async fn ct_07_nets_a_lookup_aborts_the_transaction_in_progress() {
    let (_sb, admin, base, token) = world(&[("T-1", "Europe/Zurich")]).await;
    let (b, t) = (base.clone(), token.clone());
    let first = tokio::spawn(async move {
        post(
            &b,
            &t,
            "/v1/terminal/T-1/transaction",
            json!({"transactionType": "purchase", "amount": 100, "orderId": "1"}),
        )
        .await
    });
    until_busy(&admin, "T-1").await;
    let (status, v) = get(&base, &token, "/v1/terminal/T-1/transaction").await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["result"]["latestTransactionResult"]["Result"], json!("2"));
    let (status, _) = first.await.unwrap();
    assert_eq!(status, 400, "the running purchase was ended by the lookup");
    assert_eq!(admin.nets_terminal("T-1").await.unwrap().history[0].outcome, TxOutcome::AbortedByLookup);
}

#[tokio::test]
async fn ct_07_nets_the_order_id_is_mirrored_only_for_approved_transactions() {
    let (_sb, admin, base, token) = world(&[("T-1", "Europe/Zurich")]).await;
    for (action, order, mirrored) in [
        (CustomerAction::Cancel, "10", false),
        (CustomerAction::Decline, "11", false),
        (CustomerAction::Approve, "12", true),
    ] {
        admin.nets_set_mode("T-1", AutoMode::Act { action, code: None, after_ms: 0 }).await.unwrap();
        let body = json!({"transactionType": "purchase", "amount": 100, "orderId": order});
        post(&base, &token, "/v1/terminal/T-1/transaction", body).await;
        let (_, v) = get(&base, &token, "/v1/terminal/T-1/transaction").await;
        let got = v["result"].get("orderId").cloned();
        assert_eq!(got, mirrored.then(|| json!(order)), "{action:?}: {v}");
        assert!(v.get("orderId").is_none(), "inside result, not at the top");
    }
}

#[tokio::test]
async fn ct_07_nets_the_login_answer_names_the_user_and_lists_the_accounts_terminals() {
    let (_sb, admin, base, _) = world(&[("T-1", "Europe/Zurich"), ("T-2", "Europe/Zurich")]).await;
    admin.nets_add_account("other", PASSWORD).await.unwrap();
    admin.nets_add_terminal(&NetsTerminalSeed::new("T-9", "other")).await.unwrap();
    let v: Value = helpers::http()
        .post(format!("{base}/v1/login"))
        .json(&json!({"username": "acct", "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!((v["username"].clone(), v["terminals"].clone()), (json!("acct"), json!(["T-1", "T-2"])));
    let claims = v["token"].as_str().unwrap().split('.').nth(1).unwrap().to_owned();
    use base64::Engine;
    let claims: Value =
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(claims).unwrap()).unwrap();
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 86_400, "tokens live 24 h");
}
