//! The Freshdesk simulator against the Freshdesk cases (CT-03) and its documented behaviours
//! that matter for TK-03 (CT-07): search lags creation by an indexing delay, and custom fields
//! are searched by their `cf_` name.
//!
//! The preparer gives every case a fresh sandbox and puts it into the case's `state`:
//! `ticket` (`create`: the body to create it with, `status`: what an agent set, `notes`,
//! `indexed`: whether the indexing delay has passed), `ticket_types`, `custom_fields` (the
//! names to keep), `wrong_key`, `create_limit_reached`, `fault` (`status` of an injected
//! failure).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use base64::Engine;
use sandbox::contracts::{LoadedCase, Prepared, check_simulator, load_partner};
use sandbox::freshdesk::{DEFAULT_INDEX_DELAY_SECS, FreshdeskConfigPatch};
use sandbox::{FaultSpec, Sandbox, SandboxConfig, System};
use serde_json::{Value, json};

const KEY: &str = "fd-contract-key";

fn basic(key: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{key}:X"))
}

/// Sandboxes of the cases prepared so far: they must outlive the requests sent to them.
type Alive = Arc<Mutex<Vec<Sandbox>>>;

async fn prepare(alive: Alive, case: LoadedCase) -> Result<Prepared, String> {
    let sb = Sandbox::start(SandboxConfig::ephemeral()).await.map_err(|e| e.to_string())?;
    let admin = sb.client();
    admin.freshdesk_add_api_key(KEY).await.map_err(|e| e.to_string())?;
    let base = sb.url(System::Freshdesk);
    let state = &case.case.state;
    let mut patch = FreshdeskConfigPatch::default();
    if let Some(types) = state.get("ticket_types") {
        patch.ticket_types = Some(serde_json::from_value(types.clone()).map_err(|e| e.to_string())?);
    }
    if let Some(keep) = state.get("custom_fields").and_then(Value::as_array) {
        let keep: Vec<&str> = keep.iter().filter_map(Value::as_str).collect();
        let cfg = admin.freshdesk_config().await.map_err(|e| e.to_string())?;
        patch.custom_fields = Some(cfg.custom_fields.into_iter().filter(|f| keep.contains(&f.name.as_str())).collect());
        patch.external_ref_field = keep.first().map(|s| (*s).to_owned());
    }
    admin.freshdesk_configure(&patch).await.map_err(|e| e.to_string())?;
    let http = reqwest::Client::new();
    let mut vars = BTreeMap::new();
    if let Some(t) = state.get("ticket") {
        let created: Value = http
            .post(format!("{base}/api/v2/tickets"))
            .basic_auth(KEY, Some("X"))
            .json(&t["create"])
            .send()
            .await
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        let id = created["id"].as_u64().ok_or_else(|| format!("the ticket was not created: {created}"))?;
        vars.insert("id".to_owned(), id.to_string());
        if let Some(status) = t.get("status").and_then(Value::as_u64) {
            admin.freshdesk_set_status(id, status as u8).await.map_err(|e| e.to_string())?;
        }
        for note in t.get("notes").and_then(Value::as_array).into_iter().flatten() {
            http.post(format!("{base}/api/v2/tickets/{id}/notes"))
                .basic_auth(KEY, Some("X"))
                .json(&json!({"body": note, "private": true}))
                .send()
                .await
                .map_err(|e| e.to_string())?;
        }
        if t.get("indexed").and_then(Value::as_bool) == Some(true) {
            admin.advance_clock(DEFAULT_INDEX_DELAY_SECS as i64 + 1).await.map_err(|e| e.to_string())?;
        }
    }
    if state.get("create_limit_reached").is_some() {
        admin
            .freshdesk_configure(&FreshdeskConfigPatch { create_per_minute: Some(1), ..Default::default() })
            .await
            .map_err(|e| e.to_string())?;
        let spend = case.case.request.body.clone();
        if let sandbox::contracts::Body::Json(body) = spend {
            http.post(format!("{base}/api/v2/tickets"))
                .basic_auth(KEY, Some("X"))
                .json(&body)
                .send()
                .await
                .map_err(|e| e.to_string())?;
        }
    }
    if let Some(status) = state.get("fault").and_then(|f| f["status"].as_u64()) {
        let spec = FaultSpec {
            fail_before_per_mille: 1000,
            status: status as u16,
            ..FaultSpec::new(System::Freshdesk, &case.operation)
        };
        admin.add_fault(&spec).await.map_err(|e| e.to_string())?;
    }
    if let Some(id) = case.case.input.get("ticket_id").filter(|_| !vars.contains_key("id")) {
        // A ticket the sandbox does not have.
        vars.insert("id".to_owned(), id.to_string());
    }
    let key = if state.get("wrong_key").is_some() { "not-a-key" } else { KEY };
    vars.insert("auth".to_owned(), basic(key));
    alive.lock().unwrap().push(sb);
    Ok(Prepared { base_url: base, vars, headers: BTreeMap::new(), body: None })
}

#[tokio::test]
async fn ct_03_freshdesk_simulator_answers_every_case_like_the_partner() {
    let cases = load_partner("freshdesk").unwrap();
    assert!(cases.len() >= 20, "every Freshdesk call has its cases");
    let alive: Alive = Arc::default();
    let failures = check_simulator(&cases, |c| prepare(alive.clone(), c)).await;
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A sandbox with one ticket carrying `reference`, created now.
async fn one_ticket(reference: &str) -> (Sandbox, String) {
    let sb = Sandbox::start(SandboxConfig::ephemeral()).await.unwrap();
    sb.client().freshdesk_add_api_key(KEY).await.unwrap();
    let base = sb.url(System::Freshdesk);
    let body = json!({"email": "anna@example.ch", "subject": "s", "description": "d",
        "custom_fields": {"cf_payops_ref": reference}});
    let r = reqwest::Client::new()
        .post(format!("{base}/api/v2/tickets"))
        .basic_auth(KEY, Some("X"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    (sb, base)
}

async fn search(base: &str, query: &str) -> (u16, Value) {
    let r = reqwest::Client::new()
        .get(format!("{base}/api/v2/search/tickets"))
        .basic_auth(KEY, Some("X"))
        .query(&[("query", query)])
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn ct_07_freshdesk_search_lags_creation_by_the_indexing_delay() {
    let (sb, base) = one_ticket("req:lag").await;
    let query = "\"cf_payops_ref:'req:lag'\"";
    let (status, body) = search(&base, query).await;
    assert_eq!((status, body["total"].as_u64()), (200, Some(0)), "not indexed right after the create: {body}");
    sb.client().advance_clock(DEFAULT_INDEX_DELAY_SECS as i64 - 5).await.unwrap();
    assert_eq!(search(&base, query).await.1["total"], 0, "still not indexed shortly before the delay ends");
    sb.client().advance_clock(5).await.unwrap();
    let (_, body) = search(&base, query).await;
    assert_eq!(body["total"], 1, "found once the delay passed: {body}");

    // The delay is configurable; 0 searches at once.
    let patch = FreshdeskConfigPatch { index_delay_secs: Some(0), ..Default::default() };
    assert_eq!(sb.client().freshdesk_configure(&patch).await.unwrap().index_delay_secs, 0);
    let (sb2, base2) = one_ticket("req:now").await;
    sb2.client().freshdesk_configure(&patch).await.unwrap();
    assert_eq!(search(&base2, "\"cf_payops_ref:'req:now'\"").await.1["total"], 1);
}

#[tokio::test]
async fn ct_07_freshdesk_custom_fields_are_searched_by_their_cf_name() {
    let (sb, base) = one_ticket("req:cf").await;
    sb.client().advance_clock(DEFAULT_INDEX_DELAY_SECS as i64).await.unwrap();
    let (status, body) = search(&base, "\"cf_payops_ref:'req:cf'\"").await;
    assert_eq!((status, body["total"].as_u64()), (200, Some(1)), "{body}");
    let (status, body) = search(&base, "\"payops_ref:'req:cf'\"").await;
    assert_eq!(status, 400, "a bare custom field name is an unknown field: {body}");
    assert_eq!(body["errors"][0]["field"], "query");
    assert_eq!(body["errors"][0]["code"], "invalid_value");
}
