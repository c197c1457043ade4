//! Nets Connect@Cloud simulator, checked with a plain HTTP client against the protocol observed
//! in integrator code (`crates/sandbox/contracts/nets/`).

use sandbox::nets::{AutoMode, CustomerAction, NetsConfig, NetsTerminalSeed, TxOutcome};
use sandbox::{FailMode, FaultSpec, Sandbox, SandboxClient, System};
use serde_json::{Value, json};
use tokio::task::JoinHandle;

use crate::helpers;

struct Nets {
    sb: Sandbox,
    admin: SandboxClient,
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Nets {
    async fn start() -> Nets {
        let sb = helpers::start().await;
        let admin = sb.client();
        admin.nets_add_account("hotel", "s3cret").await.unwrap();
        admin.nets_add_terminal(&NetsTerminalSeed::new("T1", "hotel")).await.unwrap();
        let http = helpers::http();
        let base = sb.url(System::Nets);
        let mut n = Nets { sb, admin, http, base, token: String::new() };
        n.token = n.login("hotel", "s3cret").await.1["token"].as_str().unwrap().to_owned();
        n
    }

    async fn login(&self, username: &str, password: &str) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}/v1/login", self.base))
            .json(&json!({ "username": username, "password": password }))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        call(&self.http, &self.base, &self.token, method, path, body).await
    }

    /// Starts a purchase in the background (the call blocks until the terminal finishes) and
    /// returns once the terminal reports it is busy.
    async fn spawn_purchase(&self, terminal: &str, amount: i64, order_id: &str) -> JoinHandle<(u16, Value)> {
        let (http, base, token) = (self.http.clone(), self.base.clone(), self.token.clone());
        let path = format!("/v1/terminal/{terminal}/transaction");
        let body = json!({ "transactionType": "purchase", "amount": amount, "orderId": order_id });
        let handle =
            tokio::spawn(async move { call(&http, &base, &token, reqwest::Method::POST, &path, Some(body)).await });
        self.until_state(terminal, "busy").await;
        handle
    }

    /// Polls the admin API (no sleeping) until the terminal is in `state`.
    async fn until_state(&self, terminal: &str, state: &str) {
        for _ in 0..10_000 {
            if self.admin.nets_terminal(terminal).await.unwrap().state == state {
                return;
            }
            tokio::task::yield_now().await;
        }
        panic!("terminal {terminal} never became {state}");
    }
}

async fn call(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = http.request(method, format!("{base}{path}")).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

fn purchase(amount: i64, order_id: &str) -> Option<Value> {
    Some(json!({ "transactionType": "purchase", "amount": amount, "orderId": order_id }))
}

const GET: reqwest::Method = reqwest::Method::GET;
const POST: reqwest::Method = reqwest::Method::POST;
const DELETE: reqwest::Method = reqwest::Method::DELETE;

#[tokio::test]
async fn sb_03_nets_login_issues_a_jwt_shaped_token_and_refuses_bad_credentials() {
    let n = Nets::start().await;
    assert_eq!(n.token.split('.').count(), 3, "JWT-shaped: {}", n.token);

    let (status, body) = n.login("hotel", "wrong").await;
    assert_eq!(status, 401);
    assert!(body["error"].is_string(), "{body}");

    let r = n.http.get(format!("{}/v1/terminal", n.base)).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = n.http.get(format!("{}/v1/terminal", n.base)).bearer_auth("a.b.c").send().await.unwrap();
    assert_eq!(r.status(), 401);

    let (status, body) = n.call(GET, "/v1/terminal", None).await;
    assert_eq!(status, 200);
    assert_eq!(body["terminals"][0]["terminalId"], "T1");
    assert_eq!(body["terminals"][0]["terminalState"], "idle");
}

#[tokio::test]
async fn sb_06_nets_token_expires_on_the_sandbox_clock() {
    let n = Nets::start().await;
    n.admin.nets_set_config(&NetsConfig { token_lifetime_secs: 600, ..NetsConfig::default() }).await.unwrap();
    let token = n.login("hotel", "s3cret").await.1["token"].as_str().unwrap().to_owned();
    let url = format!("{}/v1/terminal/T1?auth_token={token}", n.base);
    assert_eq!(n.http.get(&url).send().await.unwrap().status(), 200, "query-parameter token accepted");

    n.admin.advance_clock(601).await.unwrap();
    let r = n.http.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "Token expired");

    let fresh = n.login("hotel", "s3cret").await.1["token"].as_str().unwrap().to_owned();
    let (status, _) = call(&n.http, &n.base, &fresh, GET, "/v1/terminal/T1", None).await;
    assert_eq!(status, 200, "a new login works again");
}

#[tokio::test]
async fn nets_unknown_or_offline_terminals_get_the_one_production_text() {
    let n = Nets::start().await;
    let (status, body) = n.call(GET, "/v1/terminal/NOPE", None).await;
    assert_eq!((status, body["error"].as_str()), (404, Some("Terminal not found")));
    let (status, body) = n.call(POST, "/v1/terminal/NOPE/transaction", purchase(100, "o1")).await;
    assert_eq!(
        (status, body["failure"]["error"].as_str()),
        (400, Some("Invalid terminal ID or terminal not connected"))
    );

    n.admin.nets_set_connected("T1", false).await.unwrap();
    let (_, body) = n.call(GET, "/v1/terminal/T1", None).await;
    assert_eq!(body["terminal"]["terminalState"], "offline");
    let (status, body) = n.call(POST, "/v1/terminal/T1/transaction", purchase(100, "o1")).await;
    assert_eq!(
        (status, body["failure"]["error"].as_str()),
        (400, Some("Invalid terminal ID or terminal not connected"))
    );

    let (status, body) =
        n.call(POST, "/v1/terminal/T1/transaction", Some(json!({"transactionType": "purchase"}))).await;
    assert_eq!(status, 400);
    assert!(body["failure"]["error"].as_str().unwrap().starts_with("Invalid request"), "{body}");
}

#[tokio::test]
async fn sb_02_nets_terminal_with_a_payment_in_progress_is_busy_until_the_customer_pays() {
    let n = Nets::start().await;
    let first = n.spawn_purchase("T1", 12_50, "order-1").await;

    let (_, body) = n.call(GET, "/v1/terminal/T1", None).await;
    assert_eq!(body["terminal"]["terminalState"], "busy");
    let (status, body) = n.call(POST, "/v1/terminal/T1/transaction", purchase(99, "order-2")).await;
    assert_eq!((status, body["failure"]["error"].as_str()), (400, Some("Terminal busy")));

    n.admin.nets_customer("T1", CustomerAction::Approve).await.unwrap();
    let (status, body) = first.await.unwrap();
    assert_eq!(status, 201, "{body}");
    let result = &body["result"][0];
    let args = &result["localModeEventArgs"];
    assert_eq!(args["Result"], "0");
    assert_eq!(args["ResponseCode"], "00");
    assert_eq!(args["TotalAmount"], 1250);
    assert_eq!(args["TerminalID"], "T1");
    assert!(args["TruncatedPAN"].as_str().unwrap().contains("******"));
    assert!(!args["StanAuth"].as_str().unwrap().is_empty());
    assert!(result["customerReceipt"].as_str().unwrap().contains("\r\n"));
    assert!(result["merchantReceipt"].as_str().unwrap().contains("CHF 12.50"));

    let (_, body) = n.call(GET, "/v1/terminal/T1", None).await;
    assert_eq!(body["terminal"]["terminalState"], "idle");
    let history = n.admin.nets_terminal("T1").await.unwrap().history;
    assert_eq!(history.len(), 1, "the refused second start is no transaction");
    assert_eq!((history[0].outcome, history[0].order_id.as_deref()), (TxOutcome::Approved, Some("order-1")));
}

#[tokio::test]
async fn nets_customer_decline_and_cancel_end_the_blocked_purchase_with_a_failure() {
    let n = Nets::start().await;
    for (action, error, code) in [
        (CustomerAction::Decline, "PSP / Not sufficient funds", "51"),
        (CustomerAction::Cancel, "Terminal / cancel key pressed", ""),
    ] {
        let pending = n.spawn_purchase("T1", 500, "o").await;
        n.admin.nets_customer("T1", action).await.unwrap();
        let (status, body) = pending.await.unwrap();
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["failure"]["error"], error);
        assert_eq!(body["failure"]["localModeEventArgs"]["Result"], "2");
        assert_eq!(body["failure"]["localModeEventArgs"]["ResponseCode"], code);
    }
    let (status, _) = n.call(GET, "/v1/terminal/T1", None).await;
    assert_eq!(status, 200);
    let err = n.admin.nets_customer("T1", CustomerAction::Approve).await.unwrap_err();
    assert!(err.to_string().contains("409"), "nothing in progress: {err}");
}

#[tokio::test]
async fn nets_operator_cancel_wins_before_authorisation_and_loses_after_it() {
    let n = Nets::start().await;
    let cancel = Some(json!({ "action": "cancelAction" }));

    let pending = n.spawn_purchase("T1", 700, "o-cancel").await;
    let (status, body) = n.call(POST, "/v1/terminal/T1/administration", cancel.clone()).await;
    assert_eq!((status, &body["result"][0]["localModeEventArgs"]["Result"]), (201, &json!("1")));
    let (status, body) = pending.await.unwrap();
    assert_eq!((status, body["failure"]["error"].as_str()), (400, Some("Terminal / cancel key pressed")));

    let pending = n.spawn_purchase("T1", 800, "o-race").await;
    n.admin.nets_customer("T1", CustomerAction::Authorise).await.unwrap();
    assert!(n.admin.nets_customer("T1", CustomerAction::Cancel).await.is_err(), "too late for the customer");
    let (status, _) = n.call(POST, "/v1/terminal/T1/administration", cancel).await;
    assert_eq!(status, 201);
    let (status, body) = pending.await.unwrap();
    assert_eq!(status, 201, "the authorised payment completes anyway: {body}");
    assert_eq!(body["result"][0]["localModeEventArgs"]["TotalAmount"], 800);
}

#[tokio::test]
async fn nets_last_result_lookup_aborts_a_transaction_in_flight() {
    let n = Nets::start().await;
    let (status, _) = n.call(GET, "/v1/terminal/T1/transaction", None).await;
    assert_eq!(status, 404, "no transaction yet");

    let pending = n.spawn_purchase("T1", 1_000, "o-abort").await;
    let (status, body) = n.call(GET, "/v1/terminal/T1/transaction", None).await;
    assert_eq!(status, 200);
    assert_eq!(body["result"]["latestTransactionResult"]["Result"], "2");
    assert!(body["result"].get("orderId").is_none(), "orderId only on success: {body}");

    let (status, body) = pending.await.unwrap();
    assert_eq!((status, body["failure"]["error"].as_str()), (400, Some("Terminal / transaction aborted")));
    let last = n.admin.nets_terminal("T1").await.unwrap().last.unwrap();
    assert_eq!(last.outcome, TxOutcome::AbortedByLookup);
}

#[tokio::test]
async fn sb_05_nets_act_then_fail_on_start_still_completes_the_payment() {
    let n = Nets::start().await;
    n.admin.add_fault(&FaultSpec::act_then_fail_once(System::Nets, "start", FailMode::Error)).await.unwrap();

    let pending = n.spawn_purchase("T1", 4_590, "o-lost").await;
    n.admin.nets_customer("T1", CustomerAction::Approve).await.unwrap();
    let (status, _) = pending.await.unwrap();
    assert_eq!(status, 500, "the client sees an error");

    let (status, body) = n.call(GET, "/v1/terminal/T1/transaction", None).await;
    assert_eq!(status, 200);
    assert_eq!(body["result"]["latestTransactionResult"]["Result"], "0");
    assert_eq!(body["result"]["latestTransactionResult"]["TotalAmount"], 4590);
    assert_eq!(body["result"]["orderId"], "o-lost", "the payment went through");
}

#[tokio::test]
async fn nets_a_dropped_purchase_call_leaves_the_terminal_running() {
    let n = Nets::start().await;
    let pending = n.spawn_purchase("T1", 2_000, "o-dropped").await;
    pending.abort();
    let _ = pending.await;
    assert_eq!(n.admin.nets_terminal("T1").await.unwrap().state, "busy");

    n.admin.nets_customer("T1", CustomerAction::Approve).await.unwrap();
    let (_, body) = n.call(GET, "/v1/terminal/T1/transaction", None).await;
    assert_eq!(body["result"]["orderId"], "o-dropped");
}

#[tokio::test]
async fn sb_06_nets_terminal_timeout_runs_on_the_sandbox_clock() {
    let n = Nets::start().await;
    n.admin.nets_set_config(&NetsConfig { terminal_timeout_secs: 120, ..NetsConfig::default() }).await.unwrap();
    let pending = n.spawn_purchase("T1", 300, "o-timeout").await;

    n.admin.advance_clock(119).await.unwrap();
    assert_eq!(n.admin.nets_terminal("T1").await.unwrap().state, "busy");
    n.admin.advance_clock(2).await.unwrap();
    assert_eq!(n.admin.nets_terminal("T1").await.unwrap().state, "idle");

    let (status, body) = pending.await.unwrap();
    assert_eq!((status, body["failure"]["error"].as_str()), (400, Some("Terminal / timeout")));
    assert_eq!(n.admin.nets_transactions().await.unwrap().in_progress, 0);
}

#[tokio::test]
async fn nets_unknown_result_99_is_resolved_by_the_lookup() {
    let n = Nets::start().await;
    let pending = n.spawn_purchase("T1", 1_500, "o-99").await;
    n.admin.nets_customer("T1", CustomerAction::ApproveUnknown).await.unwrap();
    let (status, body) = pending.await.unwrap();
    assert_eq!(status, 400);
    assert_eq!(body["failure"]["localModeEventArgs"]["Result"], "99");

    let (_, body) = n.call(GET, "/v1/terminal/T1/transaction", None).await;
    assert_eq!(body["result"]["latestTransactionResult"]["Result"], "0");
    assert_eq!(body["result"]["orderId"], "o-99");
}

#[tokio::test]
async fn nets_void_reverses_the_last_approved_payment_once() {
    let n = Nets::start().await;
    let pending = n.spawn_purchase("T1", 2_500, "o-void").await;
    n.admin.nets_customer("T1", CustomerAction::Approve).await.unwrap();
    assert_eq!(pending.await.unwrap().0, 201);

    let (status, _) = n.call(DELETE, "/v1/terminal/T1/transaction", Some(json!({ "amount": 999 }))).await;
    assert_eq!(status, 400, "amount must match");
    let (status, body) = n.call(DELETE, "/v1/terminal/T1/transaction", Some(json!({ "amount": 2500 }))).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["result"][0]["localModeEventArgs"]["Result"], "0");
    let (status, _) = n.call(DELETE, "/v1/terminal/T1/transaction", None).await;
    assert_eq!(status, 404, "nothing left to void");

    let history = n.admin.nets_terminal("T1").await.unwrap().history;
    assert!(history[0].voided);
    assert_eq!(history[1].transaction_type, "reversal");
}

#[tokio::test]
async fn nets_auto_mode_serves_many_terminals_paying_at_once() {
    let n = Nets::start().await;
    let ids: Vec<String> = (0..50).map(|i| format!("A{i:03}")).collect();
    for id in &ids {
        let mut seed = NetsTerminalSeed::new(id, "hotel");
        seed.mode = AutoMode::Approve { after_ms: 5 };
        n.admin.nets_add_terminal(&seed).await.unwrap();
    }
    let calls: Vec<_> = ids
        .iter()
        .map(|id| {
            let (http, base, token) = (n.http.clone(), n.base.clone(), n.token.clone());
            let path = format!("/v1/terminal/{id}/transaction");
            tokio::spawn(async move { call(&http, &base, &token, POST, &path, purchase(100, "auto")).await })
        })
        .collect();
    for c in calls {
        assert_eq!(c.await.unwrap().0, 201);
    }
    let all = n.admin.nets_transactions().await.unwrap();
    assert_eq!((all.transactions.len(), all.in_progress), (50, 0));
    drop(n.sb);
}

#[tokio::test]
async fn sb_08_nets_demo_has_terminals_at_two_points_of_sale_and_a_history() {
    let sb = helpers::start_with_demo().await;
    let http = helpers::http();
    let base = sb.url(System::Nets);
    let r = http
        .post(format!("{base}/v1/login"))
        .json(&json!({ "username": sandbox::nets::DEMO_USERNAME, "password": sandbox::nets::DEMO_PASSWORD }))
        .send()
        .await
        .unwrap();
    let token = r.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
    let (_, body) = call(&http, &base, &token, GET, "/v1/terminal", None).await;
    let states: Vec<&str> =
        body["terminals"].as_array().unwrap().iter().map(|t| t["terminalState"].as_str().unwrap()).collect();
    assert_eq!(states, ["idle", "offline", "idle"]);
    let all = sb.client().nets_transactions().await.unwrap();
    assert_eq!((all.transactions.len(), all.in_progress), (4, 0));
}
