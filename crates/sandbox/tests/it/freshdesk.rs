//! Freshdesk v2 simulator, checked with a plain HTTP client against the documented API
//! (`crates/sandbox/contracts/freshdesk/`).

use base64::Engine;
use sandbox::freshdesk::FreshdeskConfigPatch;
use sandbox::{FailMode, FaultSpec, Sandbox, SandboxClient, System};
use serde_json::{Value, json};

use crate::helpers;

const KEY: &str = "fd-key-1";

struct Fd {
    _sb: Sandbox,
    admin: SandboxClient,
    http: reqwest::Client,
    base: String,
}

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

impl Fd {
    async fn start() -> Fd {
        let sb = helpers::start().await;
        let admin = sb.client();
        admin.freshdesk_add_api_key(KEY).await.unwrap();
        // These tests are about what search matches, not when: it finds tickets at once here
        // (the indexing delay has its own test, contracts::freshdesk).
        let patch = FreshdeskConfigPatch { index_delay_secs: Some(0), ..Default::default() };
        admin.freshdesk_configure(&patch).await.unwrap();
        let base = sb.url(System::Freshdesk);
        Fd { _sb: sb, admin, http: helpers::http(), base }
    }

    async fn send(&self, method: reqwest::Method, path: &str, key: Option<&str>, body: Option<Value>) -> Answer {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(k) = key {
            let basic = base64::engine::general_purpose::STANDARD.encode(format!("{k}:X"));
            req = req.header("authorization", format!("Basic {basic}"));
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap();
        Answer { status, headers, body: serde_json::from_str(&text).unwrap_or(Value::Null) }
    }

    /// Sets the sandbox clock to the start of a minute, so a test's requests share one window.
    async fn at_minute_start(&self) {
        let at = json!({ "at": "2030-01-01T00:00:00Z" });
        self.admin.post::<_, Value>("/admin/clock/set", &at).await.unwrap();
    }

    async fn get(&self, path: &str) -> Answer {
        self.send(reqwest::Method::GET, path, Some(KEY), None).await
    }

    async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(reqwest::Method::POST, path, Some(KEY), Some(body)).await
    }

    async fn search(&self, query: &str) -> Answer {
        let r = self
            .http
            .get(format!("{}/api/v2/search/tickets", self.base))
            .query(&[("query", query)])
            .basic_auth(KEY, Some("X"))
            .send()
            .await
            .unwrap();
        let (status, headers) = (r.status().as_u16(), r.headers().clone());
        Answer { status, headers, body: r.json().await.unwrap_or(Value::Null) }
    }
}

fn ticket(reference: &str) -> Value {
    json!({
        "email": "anna@example.ch",
        "subject": "Code abgelaufen",
        "description": "<p>Kontakt 079 123 45 67</p>",
        "type": "Waschküche",
        "priority": 3,
        "status": 2,
        "group_id": 43_000_000_001_u64,
        "tags": ["profioffice", "b2c", "expired"],
        "custom_fields": { "cf_payops_ref": reference },
    })
}

fn header(a: &Answer, name: &str) -> String {
    a.headers.get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
}

#[tokio::test]
async fn sb_03_freshdesk_wrong_or_missing_api_key_gets_401_invalid_credentials() {
    let fd = Fd::start().await;
    for key in [None, Some("wrong-key")] {
        let a = fd.send(reqwest::Method::GET, "/api/v2/tickets/1", key, None).await;
        assert_eq!(a.status, 401);
        assert_eq!(a.body["code"], "invalid_credentials");
        assert!(a.body["message"].is_string());
        assert!(!header(&a, "x-ratelimit-remaining").is_empty(), "failed requests carry the rate headers");
    }
}

#[tokio::test]
async fn sb_03_freshdesk_validation_lists_every_error_at_once() {
    let fd = Fd::start().await;
    let body = json!({
        "subject": "s",
        "description": "d",
        "priority": 9,
        "type": "Complaint",
        "order_id": "o-1",
        "custom_fields": { "cf_amount_minor": "12.50", "cf_unknown": 1 },
    });
    let a = fd.post("/api/v2/tickets", body).await;
    assert_eq!(a.status, 400);
    assert_eq!(a.body["description"], "Validation failed");
    let mut got: Vec<(String, String)> = a.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap().to_owned(), e["code"].as_str().unwrap().to_owned()))
        .collect();
    got.sort();
    let want = [
        ("cf_amount_minor", "datatype_mismatch"),
        ("cf_unknown", "invalid_field"),
        ("order_id", "invalid_field"),
        ("priority", "invalid_value"),
        ("requester_id", "missing_field"),
        ("type", "invalid_value"),
    ];
    assert_eq!(got, want.map(|(f, c)| (f.to_owned(), c.to_owned())).to_vec());
    assert!(a.body["errors"][0]["message"].is_string());

    let phone_only = json!({ "phone": "+41791234567", "subject": "s", "description": "d" });
    let a = fd.post("/api/v2/tickets", phone_only).await;
    assert_eq!((a.status, &a.body["errors"][0]["field"]), (400, &json!("name")));
    assert_eq!(fd.admin.freshdesk_tickets().await.unwrap().count, 0, "nothing was created");
}

#[tokio::test]
async fn sb_02_freshdesk_created_ticket_can_be_read_back_with_its_notes() {
    let fd = Fd::start().await;
    let created = fd.post("/api/v2/tickets", ticket("inc-1")).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_u64().unwrap();
    assert_eq!(header(&created, "location"), format!("{}/api/v2/tickets/{id}", fd.base));
    for (field, value) in [("priority", json!(3)), ("status", json!(2)), ("type", json!("Waschküche"))] {
        assert_eq!(created.body[field], value, "{field}");
    }
    assert_eq!(created.body["custom_fields"]["cf_payops_ref"], "inc-1");
    assert!(created.body["custom_fields"]["cf_order_id"].is_null(), "unset custom fields are null");
    assert!(created.body["created_at"].as_str().unwrap().ends_with('Z'));

    let viewed = fd.get(&format!("/api/v2/tickets/{id}")).await;
    assert_eq!(viewed.status, 200);
    assert_eq!(viewed.body, created.body);

    let note = fd.post(&format!("/api/v2/tickets/{id}/notes"), json!({ "body": "<p>Rückruf</p>" })).await;
    assert_eq!(note.status, 201, "{}", note.body);
    assert_eq!((note.body["private"].as_bool(), note.body["ticket_id"].as_u64()), (Some(true), Some(id)));
    assert!(note.body["id"].as_u64().unwrap() > u64::from(u32::MAX >> 1), "conversation ids exceed i32");

    let with = fd.get(&format!("/api/v2/tickets/{id}?include=conversations")).await;
    assert_eq!(with.body["conversations"][0]["body"], "<p>Rückruf</p>");
    assert_eq!(header(&with, "x-ratelimit-used-currentrequest"), "2", "include costs a credit");
    let list = fd.get(&format!("/api/v2/tickets/{id}/conversations")).await;
    assert_eq!(list.body.as_array().unwrap().len(), 1);

    let missing = fd.get("/api/v2/tickets/999").await;
    assert_eq!(missing.status, 404);
    assert_eq!(fd.post("/api/v2/tickets/999/notes", json!({ "body": "x" })).await.status, 404);
}

#[tokio::test]
async fn freshdesk_search_finds_tickets_by_external_reference() {
    let fd = Fd::start().await;
    for reference in ["inc-1", "inc-2", "inc-3"] {
        assert_eq!(fd.post("/api/v2/tickets", ticket(reference)).await.status, 201);
    }
    let a = fd.search("\"cf_payops_ref:'inc-2'\"").await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["total"], 1);
    assert_eq!(a.body["results"][0]["custom_fields"]["cf_payops_ref"], "inc-2");

    let a = fd.search("\"cf_payops_ref:'inc-1' OR cf_payops_ref:'inc-3'\"").await;
    assert_eq!(a.body["total"], 2);
    let a = fd.search("\"priority:3 AND tag:'b2b'\"").await;
    assert_eq!(a.body["total"], 0);

    let a = fd.search("cf_payops_ref:'inc-2'").await;
    assert_eq!((a.status, &a.body["errors"][0]["field"]), (400, &json!("query")), "query must be double-quoted");
}

#[tokio::test]
async fn sb_03_freshdesk_rate_limit_answers_429_with_retry_after_until_the_window_moves() {
    let fd = Fd::start().await;
    fd.at_minute_start().await;
    let patch = FreshdeskConfigPatch { per_minute: Some(3), ..FreshdeskConfigPatch::default() };
    fd.admin.freshdesk_configure(&patch).await.unwrap();

    let a = fd.post("/api/v2/tickets", ticket("r-1")).await;
    assert_eq!(a.status, 201);
    assert_eq!(header(&a, "x-ratelimit-total"), "3");
    assert_eq!(header(&a, "x-ratelimit-used-currentrequest"), "1");
    assert_eq!(fd.get("/api/v2/tickets/404").await.status, 404, "failed requests count too");
    let a = fd.send(reqwest::Method::GET, "/api/v2/tickets/1", Some("bad"), None).await;
    assert_eq!((a.status, header(&a, "x-ratelimit-remaining")), (401, "0".to_owned()));

    let limited = fd.get("/api/v2/tickets/1").await;
    assert_eq!(limited.status, 429);
    let retry_after: i64 = header(&limited, "retry-after").parse().unwrap();
    assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");

    fd.admin.advance_clock(retry_after).await.unwrap();
    let a = fd.get("/api/v2/tickets/1").await;
    assert_eq!(a.status, 200, "a new window opened");
    assert_eq!(header(&a, "x-ratelimit-remaining"), "2");

    let windows = fd.admin.freshdesk_rate().await.unwrap().windows;
    assert_eq!((windows[0].used, windows[0].refused), (3, 1));
}

#[tokio::test]
async fn freshdesk_create_cap_limits_ticket_creation_separately() {
    let fd = Fd::start().await;
    fd.at_minute_start().await;
    let patch =
        FreshdeskConfigPatch { per_minute: Some(100), create_per_minute: Some(1), ..FreshdeskConfigPatch::default() };
    fd.admin.freshdesk_configure(&patch).await.unwrap();
    assert_eq!(fd.post("/api/v2/tickets", ticket("c-1")).await.status, 201);
    assert_eq!(fd.post("/api/v2/tickets", ticket("c-2")).await.status, 429);
    assert_eq!(fd.get("/api/v2/tickets/1").await.status, 200, "other calls still pass");
}

#[tokio::test]
async fn sb_05_freshdesk_act_then_fail_on_create_still_stores_the_ticket() {
    let fd = Fd::start().await;
    fd.admin
        .add_fault(&FaultSpec::act_then_fail_once(System::Freshdesk, "create_ticket", FailMode::Error))
        .await
        .unwrap();

    let a = fd.post("/api/v2/tickets", ticket("inc-lost")).await;
    assert_eq!(a.status, 500, "the client sees an error");
    let found = fd.search("\"cf_payops_ref:'inc-lost'\"").await;
    assert_eq!(found.body["total"], 1, "the ticket exists and is findable");

    assert_eq!(fd.post("/api/v2/tickets", ticket("inc-lost")).await.status, 201);
    let listed = fd.admin.freshdesk_tickets_by_ref("inc-lost").await.unwrap();
    assert_eq!(listed.count, 2, "no idempotency: a blind retry duplicates");
    assert_eq!(listed.duplicates, vec!["inc-lost".to_owned()]);
}

#[tokio::test]
async fn freshdesk_html_description_is_stored_verbatim() {
    let fd = Fd::start().await;
    let html = "<script>alert(1)</script><p>Tom &amp; Jerry</p>";
    let mut body = ticket("html-1");
    body["description"] = json!(html);
    let id = fd.post("/api/v2/tickets", body).await.body["id"].as_u64().unwrap();
    let viewed = fd.get(&format!("/api/v2/tickets/{id}")).await;
    assert_eq!(viewed.body["description"], html);
    assert_eq!(viewed.body["description_text"], "alert(1) Tom & Jerry");
    assert_eq!(fd.admin.freshdesk_tickets().await.unwrap().tickets[0].description, html);
}

#[tokio::test]
async fn freshdesk_refuses_bodies_that_are_not_json() {
    let fd = Fd::start().await;
    let r = fd
        .http
        .post(format!("{}/api/v2/tickets", fd.base))
        .basic_auth(KEY, Some("X"))
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    let r = fd
        .http
        .post(format!("{}/api/v2/tickets", fd.base))
        .basic_auth(KEY, Some("X"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["errors"][0]["code"], "invalid_json");
}

#[tokio::test]
async fn sb_08_freshdesk_demo_has_a_key_and_tickets_with_notes() {
    let sb = helpers::start_with_demo().await;
    let r = helpers::http()
        .get(format!("{}/api/v2/tickets/1?include=conversations", sb.url(System::Freshdesk)))
        .basic_auth(sandbox::freshdesk::DEMO_API_KEY, Some("X"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["conversations"].as_array().unwrap().len(), 1);
    let all = sb.client().freshdesk_tickets().await.unwrap();
    assert_eq!((all.count, all.duplicates.len()), (3, 0));
}

#[tokio::test]
async fn freshdesk_agent_status_change_shows_in_the_api() {
    let fd = Fd::start().await;
    let id = fd.post("/api/v2/tickets", ticket("inc-close")).await.body["id"].as_u64().unwrap();
    let view = fd.admin.freshdesk_set_status(id, 5).await.unwrap();
    assert_eq!((view.id, view.status), (id, 5));
    assert_eq!(fd.get(&format!("/api/v2/tickets/{id}")).await.body["status"], 5);
    let a = fd.search("\"status:5\"").await;
    assert_eq!(a.body["total"], 1);

    let bad = fd.admin.freshdesk_set_status(id, 7).await.unwrap_err().to_string();
    assert!(bad.contains("400") && bad.contains("status"), "{bad}");
    let missing = fd.admin.freshdesk_set_status(999, 4).await.unwrap_err().to_string();
    assert!(missing.contains("404"), "{missing}");
}
