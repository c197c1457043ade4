//! The PGW simulator against the PGW cases (CT-03). PGW publishes nothing: the cases are our
//! own contract (every one unverified), so this holds the simulator and the adapter to the
//! same written-down assumptions rather than to each other's code. CT-07: the deviation the
//! hotline must survive — a gateway that ignores `Idempotency-Key` — is a simulator switch.
//!
//! The preparer gives every case a fresh sandbox and puts it into the case's `state`: `now`
//! (the sandbox clock), `devices`, `transactions` (with their code), `generated` (generations
//! made before the request, with their `Idempotency-Key`), `wrong_key` (the request's key is
//! not valid).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use sandbox::contracts::{LoadedCase, Prepared, check_simulator, load_partner};
use sandbox::pgw::{Behaviour, Env, PgwDevice, PgwTransaction};
use sandbox::{Sandbox, SandboxConfig, System};
use serde_json::{Value, json};

const KEY: &str = "pgw-contract-key";

type Alive = Arc<Mutex<Vec<Sandbox>>>;

fn device(v: &Value) -> PgwDevice {
    let mut v = v.clone();
    v["env"] = json!("prod");
    serde_json::from_value(v).unwrap()
}

fn transaction(v: &Value) -> PgwTransaction {
    let mut v = v.clone();
    v["env"] = json!("prod");
    serde_json::from_value(v).unwrap()
}

async fn generate(base: &str, tx: u64, key: Option<&str>) -> Result<Value, String> {
    let mut r = reqwest::Client::new()
        .post(format!("{base}/api/v1/prod/transactions/{tx}/codes"))
        .header("x-api-key", KEY)
        .json(&json!({"requested_by": "admin"}));
    if let Some(k) = key {
        r = r.header("idempotency-key", k);
    }
    r.send().await.map_err(|e| e.to_string())?.json().await.map_err(|e| e.to_string())
}

async fn prepare(alive: Alive, case: LoadedCase) -> Result<Prepared, String> {
    let sb = Sandbox::start(SandboxConfig::ephemeral()).await.map_err(|e| e.to_string())?;
    let admin = sb.client();
    let state = &case.case.state;
    if let Some(now) = state["now"].as_str() {
        // The admin API only moves time forward; the case's day lies in the past.
        let target: DateTime<Utc> = now.parse().map_err(|e| format!("now: {e}"))?;
        sb.shared.0.clock.set(target);
    }
    if state.get("wrong_key").is_none() {
        admin.pgw_add_api_key(Env::Prod, KEY).await.map_err(|e| e.to_string())?;
    }
    for d in state["devices"].as_array().into_iter().flatten() {
        admin.pgw_add_device(&device(d)).await.map_err(|e| e.to_string())?;
    }
    for t in state["transactions"].as_array().into_iter().flatten() {
        admin.pgw_add_transaction(&transaction(t)).await.map_err(|e| e.to_string())?;
    }
    let base = sb.url(System::Pgw);
    for g in state["generated"].as_array().into_iter().flatten() {
        generate(&base, g["transaction_id"].as_u64().unwrap_or_default(), g["key"].as_str()).await?;
    }
    let input = &case.case.input;
    let mut vars = BTreeMap::new();
    if let Some(id) = input.get("id") {
        vars.insert("id".to_owned(), id.to_string());
    }
    if let Some(issued) = input["key"].as_str().and_then(|k| k.rsplit(':').next()) {
        vars.insert("issued".to_owned(), issued.to_owned());
    }
    alive.lock().unwrap().push(sb);
    Ok(Prepared { base_url: base, vars, headers: BTreeMap::new(), body: None })
}

#[tokio::test]
async fn ct_03_pgw_simulator_answers_every_case_like_our_written_contract() {
    let cases = load_partner("pgw").unwrap();
    assert!(cases.len() >= 15, "every PGW call has its cases");
    assert!(cases.iter().all(|c| !c.verified()), "PGW publishes nothing: no case may claim a public source");
    let alive: Alive = Arc::default();
    let failures = check_simulator(&cases, |c| prepare(alive.clone(), c)).await;
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn ct_07_pgw_a_gateway_that_ignores_idempotency_keys_makes_a_new_code_per_request() {
    let sb = Sandbox::start(SandboxConfig::ephemeral()).await.unwrap();
    let admin = sb.client();
    admin.pgw_add_api_key(Env::Prod, KEY).await.unwrap();
    let d = json!({"b_code": "b10234", "internal_id": "DEV-0017", "sub_merchant": "X", "location": "", "code_validity_hours": 1});
    admin.pgw_add_device(&device(&d)).await.unwrap();
    let at = admin.now().await.unwrap() - chrono::Duration::hours(3);
    let t = json!({"id": 100002, "device": "b10234", "mobile": "+41764455667", "at": at, "amount_rappen": 500});
    admin.pgw_add_transaction(&transaction(&t)).await.unwrap();
    let base = sb.url(System::Pgw);
    let first = generate(&base, 100_002, Some("code:100002:1")).await.unwrap();
    let again = generate(&base, 100_002, Some("code:100002:1")).await.unwrap();
    assert_eq!(first["code"], again["code"], "our contract: the same key replays the generation");
    admin.pgw_behaviour(&Behaviour { ignore_idempotency_key: true, ..Default::default() }).await.unwrap();
    let third = generate(&base, 100_002, Some("code:100002:1")).await.unwrap();
    assert_ne!(third["generation_id"], first["generation_id"], "a gateway ignoring the key makes another code");
    assert_eq!(admin.pgw_generations(Env::Prod).await.unwrap().len(), 2);
    let tx: Value = reqwest::Client::new()
        .get(format!("{base}/api/v1/prod/transactions/100002"))
        .header("x-api-key", KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tx["code"]["code"], third["code"], "the transaction shows the newest code as its current one");
    assert_eq!(tx["codes_issued"], 3);
}
