//! smallinvoice API v2 simulator, checked with plain HTTP against its contract cases
//! (`crates/sandbox/contracts/smallinvoice/`).

use sandbox::smallinvoice::{SiAddress, SiClient, SiContact, SiInvoice, SiPayment};
use sandbox::{FaultSpec, Sandbox, System};
use serde_json::{Value, json};

use crate::helpers;

async fn seeded() -> Sandbox {
    let sb = helpers::start().await;
    let c = sb.client();
    for (id, scopes) in [("full", vec!["contact", "invoice"]), ("contacts-only", vec!["contact"])] {
        let client = SiClient {
            client_id: id.into(),
            client_secret: format!("{id}-secret"),
            scopes: scopes.into_iter().map(Into::into).collect(),
        };
        c.smallinvoice_add_client(&client).await.unwrap();
    }
    sb
}

fn contact(name: &str, number: &str, email: &str) -> SiContact {
    SiContact {
        id: None,
        number: Some(number.into()),
        name: name.into(),
        kind: None,
        name_addition: String::new(),
        email: email.into(),
        phone: "044 123 45 67".into(),
        language: None,
        currency: None,
        created: None,
        address: SiAddress {
            street: "Bahnhofstrasse".into(),
            street_no: "10".into(),
            street2: String::new(),
            postcode: "8001".into(),
            city: "Zürich".into(),
            country: None,
        },
    }
}

fn invoice(contact_id: u64, total: i64, paid: i64, status: Option<&str>) -> SiInvoice {
    SiInvoice {
        id: None,
        number: None,
        contact_id,
        date: "2025-03-01".parse().unwrap(),
        due: "2025-03-31".parse().unwrap(),
        total_rappen: total,
        total_paid_rappen: paid,
        status: status.map(Into::into),
        paid_date: None,
        currency: None,
        language: None,
        positions: Vec::new(),
    }
}

async fn token_request(sb: &Sandbox, body: Value) -> (u16, Value) {
    let r = helpers::http()
        .post(format!("{}/v2/auth/access-tokens", sb.url(System::Smallinvoice)))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn token(sb: &Sandbox, client: &str, scope: &str) -> Value {
    let body = json!({
        "grant_type": "client_credentials",
        "client_id": client,
        "client_secret": format!("{client}-secret"),
        "scope": scope,
    });
    let (status, t) = token_request(sb, body).await;
    assert_eq!(status, 201, "{t}");
    t
}

async fn get(sb: &Sandbox, token: Option<&str>, path_and_query: &str) -> (u16, String) {
    let mut req = helpers::http().get(format!("{}{path_and_query}", sb.url(System::Smallinvoice)));
    if let Some(t) = token {
        req = req.bearer_auth(t).header("Accept", "application/json");
    }
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn get_json(sb: &Sandbox, token: &str, path_and_query: &str) -> (u16, Value) {
    let (status, text) = get(sb, Some(token), path_and_query).await;
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn enc(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

#[tokio::test]
async fn smallinvoice_token_flow_issues_201_without_a_refresh_token_for_client_credentials() {
    let sb = seeded().await;
    let t = token(&sb, "full", "contact invoice").await;
    assert_eq!(t["token_type"], "Bearer");
    assert_eq!(t["expires_in"], 43200);
    assert!(t.get("refresh_token").is_none(), "the official workflow issues none for client credentials: {t}");
    let access = t["access_token"].as_str().unwrap();
    assert_eq!(get_json(&sb, access, "/v2/contacts").await.0, 200);

    let refresh_body = json!({
        "grant_type": "refresh_token", "client_id": "full", "client_secret": "full-secret", "refresh_token": "anything",
    });
    let (status, body) = token_request(&sb, refresh_body).await;
    assert_eq!((status, body["meta"]["error_type"].as_str()), (400, Some("invalid_grant")));

    let cases = [
        (json!({"grant_type":"client_credentials","client_id":"full","client_secret":"nope"}), 401, "invalid_client"),
        (
            json!({"grant_type":"password","client_id":"full","client_secret":"full-secret"}),
            400,
            "unsupported_grant_type",
        ),
        (json!({"grant_type":"client_credentials","client_secret":"full-secret"}), 400, "invalid_request"),
        (
            json!({"grant_type":"client_credentials","client_id":"full","client_secret":"full-secret","scope":"contact nonsense"}),
            400,
            "invalid_scope",
        ),
        (
            json!({"grant_type":"client_credentials","client_id":"contacts-only","client_secret":"contacts-only-secret","scope":"invoice"}),
            400,
            "invalid_scope",
        ),
    ];
    for (body, want_status, want_type) in cases {
        let (status, answer) = token_request(&sb, body.clone()).await;
        assert_eq!((status, answer["meta"]["error_type"].as_str()), (want_status, Some(want_type)), "{body}");
        assert_eq!(answer["code"], want_status);
        assert!(answer["message"].is_string());
    }

    // A form body works too (OAuth clients often send one).
    let r = helpers::http()
        .post(format!("{}/v2/auth/access-tokens", sb.url(System::Smallinvoice)))
        .form(&[("grant_type", "client_credentials"), ("client_id", "full"), ("client_secret", "full-secret")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
}

#[tokio::test]
async fn sb_06_smallinvoice_access_token_expires_after_43200_seconds_of_sandbox_time() {
    let sb = seeded().await;
    let t = token(&sb, "full", "contact").await;
    let access = t["access_token"].as_str().unwrap();
    sb.client().advance_clock(43_190).await.unwrap();
    assert_eq!(get_json(&sb, access, "/v2/contacts").await.0, 200);
    sb.client().advance_clock(20).await.unwrap();
    let (status, body) = get_json(&sb, access, "/v2/contacts").await;
    assert_eq!(status, 401);
    assert_eq!(body["meta"]["error_type"], "access_denied");
    assert_eq!(body["meta"]["hint"], "Access token has expired");

    // A new token is requested the same way.
    let t2 = token(&sb, "full", "contact").await;
    assert_eq!(get_json(&sb, t2["access_token"].as_str().unwrap(), "/v2/contacts").await.0, 200);
}

#[tokio::test]
async fn smallinvoice_refuses_a_missing_token_with_401_and_a_missing_scope_with_403() {
    let sb = seeded().await;
    let (status, text) = get(&sb, None, "/v2/contacts").await;
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(status, 401);
    assert_eq!(body["meta"]["error_type"], "access_denied");
    assert_eq!(body["meta"]["hint"], "Missing \"Authorization\" header");
    let (status, text) = get(&sb, Some("made-up"), "/v2/contacts").await;
    assert_eq!(status, 401, "{text}");

    let t = token(&sb, "contacts-only", "contact").await;
    let access = t["access_token"].as_str().unwrap();
    assert_eq!(get(&sb, Some(access), "/v2/contacts").await.0, 200);
    let (status, text) = get(&sb, Some(access), "/v2/receivables/invoices").await;
    assert_eq!((status, text.as_str()), (403, ""), "no permission: 403 without a body");
}

#[tokio::test]
async fn smallinvoice_contact_search_finds_managements_from_two_characters() {
    let sb = seeded().await;
    let c = sb.client();
    let meier =
        c.smallinvoice_add_contact(&contact("Immobilien Verwaltung Meier AG", "1001", "info@meier.ch")).await.unwrap();
    c.smallinvoice_add_contact(&contact("Immo Bern GmbH", "1002", "kontakt@immo-bern.ch")).await.unwrap();
    c.smallinvoice_add_contact(&contact("Régie du Lac SA", "1003", "gestion@lac.ch")).await.unwrap();
    let access = token(&sb, "full", "contact").await["access_token"].as_str().unwrap().to_owned();

    let names = |body: &Value| -> Vec<String> {
        body["items"].as_array().unwrap().iter().map(|i| i["name"].as_str().unwrap().to_owned()).collect()
    };
    let (status, body) = get_json(&sb, &access, "/v2/contacts?q=im").await;
    assert_eq!(status, 200);
    assert_eq!(names(&body), ["Immobilien Verwaltung Meier AG", "Immo Bern GmbH"]);
    assert_eq!(body["pagination"]["total"], 2);
    let (_, body) = get_json(&sb, &access, &format!("/v2/contacts?q={}", enc("meier verw"))).await;
    assert_eq!(names(&body), ["Immobilien Verwaltung Meier AG"]);
    let (_, body) = get_json(&sb, &access, "/v2/contacts?q=gestion%40lac").await;
    assert_eq!(names(&body), ["Régie du Lac SA"], "e-mail is searched too");
    let (_, body) = get_json(&sb, &access, "/v2/contacts?q=xy").await;
    assert_eq!(body["items"], json!([]));

    let filter = enc(r#"{"and":[{"type":"C"},{"number":"1002"}]}"#);
    let (_, body) = get_json(&sb, &access, &format!("/v2/contacts?filter={filter}&sort=-name")).await;
    assert_eq!(names(&body), ["Immo Bern GmbH"]);
    let (_, body) = get_json(&sb, &access, "/v2/contacts?sort=-name").await;
    assert_eq!(names(&body)[0], "Régie du Lac SA");

    let id = meier["id"].as_u64().unwrap();
    let (status, body) = get_json(&sb, &access, &format!("/v2/contacts/{id}?with=main_address")).await;
    assert_eq!(status, 200);
    let item = &body["item"];
    assert_eq!(item["number"], "1001");
    assert_eq!(item["type"], "C");
    assert_eq!(item["email"], "info@meier.ch");
    assert_eq!(item["main_address"]["city"], "Zürich");
    assert_eq!(item["main_address_id"], item["main_address"]["id"]);
    let created = item["created"].as_str().unwrap();
    assert_eq!(created.len(), 19, "YYYY-MM-DD HH:MM:SS: {created}");
    assert_eq!(&created[10..11], " ");

    let (status, body) = get_json(&sb, &access, "/v2/contacts/1").await;
    assert_eq!(status, 404);
    assert_eq!(body["meta"]["entity_type"], "contact");
}

#[tokio::test]
async fn smallinvoice_pagination_follows_limit_offset_and_next_links() {
    let sb = seeded().await;
    for n in 0..5 {
        sb.client()
            .smallinvoice_add_contact(&contact(&format!("Verwaltung {n}"), &format!("{}", 2000 + n), ""))
            .await
            .unwrap();
    }
    let access = token(&sb, "full", "contact").await["access_token"].as_str().unwrap().to_owned();
    let (_, body) = get_json(&sb, &access, "/v2/contacts?q=verwaltung&limit=2").await;
    let p = &body["pagination"];
    assert_eq!((p["page"].as_u64(), p["pages"].as_u64(), p["total"].as_u64()), (Some(1), Some(3), Some(5)));
    assert!(p["first"].as_str().unwrap().ends_with("/v2/contacts?q=verwaltung&limit=2&offset=0"), "{p}");
    assert!(p["last"].as_str().unwrap().ends_with("offset=4"));

    // Follow `next` until it disappears, as the SDK does.
    let mut seen = Vec::new();
    let mut url = Some(format!("{}/v2/contacts?q=verwaltung&limit=2", sb.url(System::Smallinvoice)));
    while let Some(u) = url {
        let body: Value = helpers::http().get(&u).bearer_auth(&access).send().await.unwrap().json().await.unwrap();
        seen.extend(body["items"].as_array().unwrap().iter().map(|i| i["number"].as_str().unwrap().to_owned()));
        url = body["pagination"]["next"].as_str().map(str::to_owned);
    }
    assert_eq!(seen, ["2000", "2001", "2002", "2003", "2004"]);

    let (_, body) = get_json(&sb, &access, "/v2/contacts?limit=2&offset=4").await;
    assert_eq!(body["pagination"]["page"], 3);
    assert!(body["pagination"].get("next").is_none());

    for (bad, code) in [("limit=0", 2103), ("limit=201", 2103), ("limit=ten", 2103), ("offset=-1", 2104)] {
        let (status, body) = get_json(&sb, &access, &format!("/v2/contacts?{bad}")).await;
        assert_eq!((status, body["code"].as_u64()), (400, Some(code)), "{bad}");
        assert!(body["message"].as_str().unwrap().contains(bad.split('=').next().unwrap()), "{body}");
    }
}

#[tokio::test]
async fn smallinvoice_bad_filter_sort_or_with_gets_400_with_the_reason() {
    let sb = seeded().await;
    let access = token(&sb, "full", "contact invoice").await["access_token"].as_str().unwrap().to_owned();
    for (query, message) in [
        (format!("filter={}", enc("{not json")), "Invalid filter: not valid JSON"),
        (format!("filter={}", enc(r#"{"colour":"red"}"#)), "Invalid filter key \"colour\""),
        (format!("filter={}", enc(r#"{"and":[{"contact_id":1},{"secret":2}]}"#)), "Invalid filter key \"secret\""),
        ("sort=-colour".to_owned(), "Invalid sort key \"colour\""),
        ("with=everything".to_owned(), "Invalid with key \"everything\""),
    ] {
        let (status, body) = get_json(&sb, &access, &format!("/v2/receivables/invoices?{query}")).await;
        assert_eq!(status, 400, "{query}");
        assert_eq!(body["message"], message, "{query}");
        assert!((2100..=2104).contains(&body["code"].as_i64().unwrap()), "an application code: {body}");
    }
}

#[tokio::test]
async fn smallinvoice_lists_the_invoices_of_one_contact_with_exact_float_totals() {
    let sb = seeded().await;
    let c = sb.client();
    let a = c.smallinvoice_add_contact(&contact("Verwaltung A", "1", "")).await.unwrap()["id"].as_u64().unwrap();
    let b = c.smallinvoice_add_contact(&contact("Verwaltung B", "2", "")).await.unwrap()["id"].as_u64().unwrap();
    let open = c.smallinvoice_add_invoice(&invoice(a, 12_345, 0, None)).await.unwrap();
    c.smallinvoice_add_invoice(&invoice(a, 50_000, 50_000, None)).await.unwrap();
    c.smallinvoice_add_invoice(&invoice(a, 10_000, 2_550, Some("R1"))).await.unwrap();
    c.smallinvoice_add_invoice(&invoice(b, 99_900, 0, Some("DC"))).await.unwrap();
    let access = token(&sb, "full", "invoice").await["access_token"].as_str().unwrap().to_owned();

    let filter = enc(&format!(r#"{{"contact_id":{a}}}"#));
    let (status, text) = get(&sb, Some(&access), &format!("/v2/receivables/invoices?filter={filter}")).await;
    assert_eq!(status, 200);
    assert!(text.contains(r#""total":123.45"#), "a JSON float formatted exactly: {text}");
    assert!(text.contains(r#""total_paid":25.5"#), "{text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert!(items.iter().all(|i| i["contact_id"] == a));
    let statuses: Vec<&str> = items.iter().map(|i| i["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["S", "P", "R1"]);
    assert_eq!(items[0]["paid_date"], Value::Null);
    assert_eq!(items[1]["paid_date"], "2025-03-01");
    assert_eq!(items[0]["date"], "2025-03-01");
    assert_eq!(items[0]["due"], "2025-03-31");
    assert_eq!(items[0]["contact_name"], "Verwaltung A");
    assert_eq!(items[0]["isr_reference_number"].as_str().unwrap().len(), 27);

    let id = open["id"].as_u64().unwrap();
    let (status, body) = get_json(&sb, &access, &format!("/v2/receivables/invoices/{id}?with=positions,contact")).await;
    assert_eq!(status, 200);
    assert_eq!(body["item"]["number"], open["number"]);
    assert_eq!(body["item"]["positions"][0]["total"], json!(123.45));
    assert_eq!(body["item"]["contact"]["name"], "Verwaltung A");
    let (status, body) = get_json(&sb, &access, "/v2/receivables/invoices/42").await;
    assert_eq!((status, body["meta"]["entity_type"].as_str()), (404, Some("invoice")));
}

#[tokio::test]
async fn sb_02_smallinvoice_payments_move_an_invoice_to_partially_paid_then_paid() {
    let sb = seeded().await;
    let c = sb.client();
    let a = c.smallinvoice_add_contact(&contact("Verwaltung A", "1", "")).await.unwrap()["id"].as_u64().unwrap();
    let inv = c.smallinvoice_add_invoice(&invoice(a, 30_000, 0, None)).await.unwrap();
    let id = inv["id"].as_u64().unwrap();
    let date = Some("2025-03-20".parse().unwrap());
    let after = c.smallinvoice_pay_invoice(id, &SiPayment { amount_rappen: 10_000, date }).await.unwrap();
    assert_eq!((after["status"].as_str(), after["total_paid"].clone()), (Some("PP"), json!(100.0)));
    assert!(c.smallinvoice_pay_invoice(id, &SiPayment { amount_rappen: 25_000, date }).await.is_err(), "overpaying");
    let after = c.smallinvoice_pay_invoice(id, &SiPayment { amount_rappen: 20_000, date }).await.unwrap();
    assert_eq!((after["status"].as_str(), after["paid_date"].as_str()), (Some("P"), Some("2025-03-20")));

    let access = token(&sb, "full", "invoice").await["access_token"].as_str().unwrap().to_owned();
    let (_, body) = get_json(&sb, &access, &format!("/v2/receivables/invoices/{id}")).await;
    assert_eq!((body["item"]["status"].as_str(), body["item"]["total_paid"].clone()), (Some("P"), json!(300.0)));
}

#[tokio::test]
async fn smallinvoice_create_invoice_reports_every_invalid_field_with_422_and_is_not_idempotent() {
    let sb = seeded().await;
    let a =
        sb.client().smallinvoice_add_contact(&contact("Verwaltung A", "1", "")).await.unwrap()["id"].as_u64().unwrap();
    let access = token(&sb, "full", "invoice").await["access_token"].as_str().unwrap().to_owned();
    let post = |body: Value| {
        let access = access.clone();
        let url = format!("{}/v2/receivables/invoices", sb.url(System::Smallinvoice));
        async move {
            let r = helpers::http().post(url).bearer_auth(access).json(&body).send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (status, body) = post(json!({
        "contact_id": 1, "date": "01.03.2025", "due": "2025-02-01",
        "positions": [{"name": "", "price": 1.005, "amount": 0}],
    }))
    .await;
    assert_eq!(status, 422);
    assert_eq!(body["message"], "Validation failed");
    let mut keys: Vec<&str> =
        body["meta"]["errors"].as_array().unwrap().iter().map(|e| e["key"].as_str().unwrap()).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["contact_id", "date", "positions.0.amount", "positions.0.name", "positions.0.price"]);

    let good = json!({
        "contact_id": a, "date": "2025-03-01", "due": "2025-03-31",
        "positions": [{"name": "Schrauben", "price": 0.18, "amount": 2, "vat": 7.7}, {"name": "Lieferung", "price": 200, "amount": 5, "vat": 7.7}],
        "vat_included": false,
    });
    let (status, first) = post(good.clone()).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["item"]["status"], "DR");
    assert_eq!(first["item"]["total"], json!(1077.39));
    let (status, second) = post(good).await;
    assert_eq!(status, 201);
    assert_ne!(first["item"]["id"], second["item"]["id"], "two calls, two invoices");
    assert_ne!(first["item"]["number"], second["item"]["number"]);
}

#[tokio::test]
async fn sb_05_smallinvoice_injected_429_has_the_partner_body_and_retry_after() {
    let sb = seeded().await;
    let access = token(&sb, "full", "contact").await["access_token"].as_str().unwrap().to_owned();
    let spec = FaultSpec { burst_429: 1, retry_after_secs: 7, ..FaultSpec::new(System::Smallinvoice, "list_contacts") };
    sb.client().add_fault(&spec).await.unwrap();
    let r = helpers::http()
        .get(format!("{}/v2/contacts", sb.url(System::Smallinvoice)))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "7");
    assert_eq!(r.json::<Value>().await.unwrap(), json!({ "code": 6000, "message": "Too many requests" }));
    assert_eq!(get_json(&sb, &access, "/v2/contacts").await.0, 200, "the burst is over");
}

#[tokio::test]
async fn sb_08_smallinvoice_demo_has_managements_with_invoices_in_assorted_statuses() {
    let sb = helpers::start_with_demo().await;
    let body = json!({
        "grant_type": "client_credentials", "client_id": "payops-demo", "client_secret": "payops-demo-secret",
        "scope": "contact invoice",
    });
    let (status, t) = token_request(&sb, body).await;
    assert_eq!(status, 201);
    let access = t["access_token"].as_str().unwrap();
    let (_, contacts) = get_json(&sb, access, "/v2/contacts?q=ve").await;
    assert!(contacts["pagination"]["total"].as_u64().unwrap() >= 3, "{contacts}");
    let (_, invoices) = get_json(&sb, access, "/v2/receivables/invoices?limit=200").await;
    let statuses: std::collections::BTreeSet<&str> =
        invoices["items"].as_array().unwrap().iter().map(|i| i["status"].as_str().unwrap()).collect();
    assert!(statuses.len() >= 8, "{statuses:?}");
}
