//! The smallinvoice simulator against the smallinvoice cases (CT-03) and its documented
//! behaviours that matter (CT-07): no refresh token for client credentials, the hourly rate
//! budget on every answer with a 429 (code 6000) once it is spent, and application error codes
//! (2102 for an unknown sort key).
//!
//! The preparer gives every case a fresh sandbox and puts it into the case's `state`: `client`
//! (the OAuth client; default the case's credentials), `contacts` and `invoices` (seeded with
//! their ids), `rate_limit` (`limit`, `remaining`), `token_scopes` (the token the request
//! carries has only these scopes). The request's `{token}` is a token the preparer got itself.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use chrono::{Duration, NaiveDate};
use sandbox::contracts::{LoadedCase, Prepared, check_simulator, load_partner};
use sandbox::smallinvoice::{SiAddress, SiClient, SiContact, SiInvoice, SiRateLimit};
use sandbox::{Sandbox, SandboxConfig, System};
use serde_json::{Value, json};

const CLIENT: &str = "payops-contract";
const SECRET: &str = "payops-contract-secret";

type Alive = Arc<Mutex<Vec<Sandbox>>>;

fn s(v: &Value, k: &str) -> String {
    v[k].as_str().unwrap_or_default().to_owned()
}

fn contact(v: &Value) -> SiContact {
    let a = &v["address"];
    SiContact {
        id: v["id"].as_u64(),
        number: v["number"].as_str().map(str::to_owned),
        name: s(v, "name"),
        kind: None,
        name_addition: String::new(),
        email: s(v, "email"),
        phone: s(v, "phone"),
        language: None,
        currency: None,
        created: None,
        address: SiAddress {
            street: s(a, "street"),
            street_no: s(a, "street_no"),
            street2: String::new(),
            postcode: s(a, "postcode"),
            city: s(a, "city"),
            country: a["country"].as_str().map(str::to_owned),
        },
    }
}

fn invoice(v: &Value) -> SiInvoice {
    let date = |k: &str| NaiveDate::parse_from_str(v[k].as_str().unwrap_or_default(), "%Y-%m-%d").unwrap();
    SiInvoice {
        id: v["id"].as_u64(),
        number: v["number"].as_str().map(str::to_owned),
        contact_id: v["contact_id"].as_u64().unwrap_or_default(),
        date: date("date"),
        due: date("due"),
        total_rappen: v["total_rappen"].as_i64().unwrap_or_default(),
        total_paid_rappen: v["total_paid_rappen"].as_i64().unwrap_or_default(),
        status: v["status"].as_str().map(str::to_owned),
        paid_date: None,
        currency: None,
        language: None,
        positions: Vec::new(),
    }
}

async fn token_of(base: &str, client: &str, secret: &str, scope: &str) -> Result<String, String> {
    let body =
        json!({"grant_type": "client_credentials", "client_id": client, "client_secret": secret, "scope": scope});
    let r = reqwest::Client::new()
        .post(format!("{base}/v2/auth/access-tokens"))
        .json(&body)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let v: Value = r.json().await.map_err(|e| e.to_string())?;
    v["access_token"].as_str().map(str::to_owned).ok_or_else(|| format!("no token: {v}"))
}

async fn prepare(alive: Alive, case: LoadedCase) -> Result<Prepared, String> {
    let sb = Sandbox::start(SandboxConfig::ephemeral()).await.map_err(|e| e.to_string())?;
    let admin = sb.client();
    let state = &case.case.state;
    let client = state.get("client").cloned().unwrap_or_else(|| json!({"client_id": CLIENT, "client_secret": SECRET}));
    let scopes: Vec<String> = client["scopes"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_else(|| vec!["contact".into(), "invoice".into()]);
    let si_client = SiClient { client_id: s(&client, "client_id"), client_secret: s(&client, "client_secret"), scopes };
    admin.smallinvoice_add_client(&si_client).await.map_err(|e| e.to_string())?;
    for c in state["contacts"].as_array().into_iter().flatten() {
        admin.smallinvoice_add_contact(&contact(c)).await.map_err(|e| e.to_string())?;
    }
    for i in state["invoices"].as_array().into_iter().flatten() {
        admin.smallinvoice_add_invoice(&invoice(i)).await.map_err(|e| e.to_string())?;
    }
    let base = sb.url(System::Smallinvoice);
    let mut vars = BTreeMap::new();
    if case.operation != "access_token" {
        let scope = match state["token_scopes"].as_array() {
            Some(a) => a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" "),
            None => "contact invoice".to_owned(),
        };
        vars.insert("token".to_owned(), token_of(&base, &si_client.client_id, &si_client.client_secret, &scope).await?);
    }
    if let Some(id) = case.case.input.get("id") {
        vars.insert("id".to_owned(), id.to_string());
    }
    if let Some(r) = state.get("rate_limit") {
        let limit = SiRateLimit { limit: r["limit"].as_u64().unwrap_or(1000), remaining: r["remaining"].as_u64() };
        admin.smallinvoice_rate_limit(&limit).await.map_err(|e| e.to_string())?;
    }
    alive.lock().unwrap().push(sb);
    Ok(Prepared { base_url: base, vars, headers: BTreeMap::new(), body: None })
}

#[tokio::test]
async fn ct_03_smallinvoice_simulator_answers_every_case_like_the_partner() {
    let cases = load_partner("smallinvoice").unwrap();
    assert!(cases.len() >= 12, "every smallinvoice call has its cases");
    let alive: Alive = Arc::default();
    let failures = check_simulator(&cases, |c| prepare(alive.clone(), c)).await;
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

async fn started() -> (Sandbox, String) {
    let sb = Sandbox::start(SandboxConfig::ephemeral()).await.unwrap();
    let c = SiClient { client_id: CLIENT.into(), client_secret: SECRET.into(), scopes: vec!["contact".into()] };
    sb.client().smallinvoice_add_client(&c).await.unwrap();
    let base = sb.url(System::Smallinvoice);
    (sb, base)
}

async fn get(base: &str, token: &str, path: &str) -> reqwest::Response {
    reqwest::Client::new().get(format!("{base}{path}")).bearer_auth(token).send().await.unwrap()
}

#[tokio::test]
async fn ct_07_smallinvoice_client_credentials_get_no_refresh_token_and_a_new_token_the_same_way() {
    let (sb, base) = started().await;
    let r = reqwest::Client::new()
        .post(format!("{base}/v2/auth/access-tokens"))
        .json(&json!({"grant_type": "client_credentials", "client_id": CLIENT, "client_secret": SECRET, "scope": "contact"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let t: Value = r.json().await.unwrap();
    assert_eq!((t["token_type"].as_str(), t["expires_in"].as_i64()), (Some("Bearer"), Some(43_200)));
    assert!(t.get("refresh_token").is_none(), "no refresh token for client credentials: {t}");
    sb.client().advance_clock(Duration::hours(12).num_seconds() + 1).await.unwrap();
    let old = t["access_token"].as_str().unwrap();
    assert_eq!(get(&base, old, "/v2/contacts").await.status(), 401, "expired");
    let new = token_of(&base, CLIENT, SECRET, "contact").await.unwrap();
    assert_ne!(new, old);
    assert_eq!(get(&base, &new, "/v2/contacts").await.status(), 200, "a new token the same way");
}

#[tokio::test]
async fn ct_07_smallinvoice_every_answer_carries_the_rate_budget_and_a_spent_budget_is_429_code_6000() {
    let (sb, base) = started().await;
    let token = token_of(&base, CLIENT, SECRET, "contact").await.unwrap();
    sb.client().smallinvoice_rate_limit(&SiRateLimit { limit: 3, remaining: None }).await.unwrap();
    let header = |r: &reqwest::Response, h: &str| r.headers()[h].to_str().unwrap().to_owned();
    for left in ["2", "1", "0"] {
        let r = get(&base, &token, "/v2/contacts").await;
        assert_eq!(r.status(), 200);
        assert_eq!(
            (header(&r, "x-rate-limit-limit"), header(&r, "x-rate-limit-remaining")),
            ("3".to_owned(), left.to_owned())
        );
        let reset: i64 = header(&r, "x-rate-limit-reset").parse().unwrap();
        assert!((1..=3600).contains(&reset), "{reset}");
    }
    let r = get(&base, &token, "/v2/contacts/1").await;
    assert_eq!(r.status(), 429);
    assert_eq!(header(&r, "x-rate-limit-remaining"), "0");
    assert_eq!(r.json::<Value>().await.unwrap(), json!({"code": 6000, "message": "Too many requests"}));
    sb.client().advance_clock(3600).await.unwrap();
    assert_eq!(get(&base, &token, "/v2/contacts").await.status(), 200, "a new hour, a new budget");
}

#[tokio::test]
async fn ct_07_smallinvoice_an_unknown_sort_key_or_limit_is_refused_with_its_application_code() {
    let (sb, base) = started().await;
    let c = SiClient { client_id: "inv".into(), client_secret: "inv-secret".into(), scopes: vec!["invoice".into()] };
    sb.client().smallinvoice_add_client(&c).await.unwrap();
    let token = token_of(&base, "inv", "inv-secret", "invoice").await.unwrap();
    for (query, code) in [("sort=-colour", 2102), ("limit=201", 2103), ("offset=-1", 2104), ("with=everything", 2100)] {
        let r = get(&base, &token, &format!("/v2/receivables/invoices?{query}")).await;
        assert_eq!(r.status(), 400, "{query}");
        assert_eq!(r.json::<Value>().await.unwrap()["code"], code, "{query}");
    }
    let r = get(&base, &token, "/v2/receivables/invoices?sort=-number").await;
    assert_eq!(r.status(), 200, "the documented default sort key");
    let r = get(&base, &token, "/v2/receivables/invoices/424242").await;
    assert_eq!(r.json::<Value>().await.unwrap()["code"], 3000);
}
