//! PGW simulator, checked with plain HTTP against its OpenAPI contract
//! (`crates/sandbox/openapi/pgw.yaml`).

use chrono::{DateTime, Duration, Utc};
use sandbox::pgw::{Env, PgwDevice, PgwTransaction, TxStatus};
use sandbox::{FailMode, FaultSpec, Sandbox, System};
use serde_json::Value;

use crate::helpers;

const PROD: &str = "prod-key";
const TEST: &str = "test-key";
const REF: &str = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

async fn seeded() -> Sandbox {
    let sb = helpers::start().await;
    let c = sb.client();
    c.pgw_add_api_key(Env::Prod, PROD).await.unwrap();
    c.pgw_add_api_key(Env::Test, TEST).await.unwrap();
    for env in [Env::Prod, Env::Test] {
        let d = PgwDevice {
            env,
            b_code: "b10234".into(),
            internal_id: "DEV-0017".into(),
            sub_merchant: "Wohnbau Zürich AG".into(),
            location: "Hardstrasse 12".into(),
            code_validity_hours: Some(72),
        };
        c.pgw_add_device(&d).await.unwrap();
    }
    sb
}

fn tx(env: Env, mobile: &str, when: &str, rappen: i64) -> PgwTransaction {
    PgwTransaction {
        env,
        id: None,
        twint_ref: None,
        device: "b10234".into(),
        mobile: mobile.into(),
        at: at(when),
        amount_rappen: rappen,
        payment_method: None,
        status: None,
        code: None,
        valid_until: None,
    }
}

async fn get(sb: &Sandbox, key: Option<&str>, path: &str) -> (u16, Value) {
    let mut req = helpers::http().get(format!("{}{path}", sb.url(System::Pgw)));
    if let Some(k) = key {
        req = req.header("X-API-Key", k);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

async fn post(sb: &Sandbox, path: &str, key: &str, idem: Option<&str>, body: Value) -> (u16, Value) {
    let mut req = helpers::http().post(format!("{}{path}", sb.url(System::Pgw))).header("X-API-Key", key).json(&body);
    if let Some(k) = idem {
        req = req.header("Idempotency-Key", k);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn pgw_finds_a_payment_by_mobile_by_twint_ref_and_by_device() {
    let sb = seeded().await;
    let c = sb.client();
    let mut t = tx(Env::Prod, "079 123 45 67", "2030-01-10T13:03:22Z", 350);
    t.twint_ref = Some(REF.parse().unwrap());
    t.code = Some("483920".into());
    let seeded = c.pgw_add_transaction(&t).await.unwrap();
    c.pgw_add_transaction(&tx(Env::Prod, "+41764455667", "2030-01-10T16:00:00Z", 200)).await.unwrap();

    for query in [
        "mobile=%2B41791234567&date=2030-01-10".to_owned(),
        "mobile=0041%2079%20123%2045%2067&date=2030-01-10".to_owned(),
        format!("twint_ref={}&date=2030-01-10", REF.to_uppercase()),
        "device=B10234&date=2030-01-10&from=14:00&to=14:03".to_owned(),
        "device=b10234&mobile=%2B41791234567&date=2030-01-10".to_owned(),
    ] {
        let (status, body) = get(&sb, Some(PROD), &format!("/api/v1/prod/transactions?{query}")).await;
        assert_eq!(status, 200, "{query}: {body}");
        assert_eq!(body["count"], 1, "{query}: {body}");
        let item = &body["items"][0];
        assert_eq!(item["id"], seeded.id);
        assert_eq!(item["twint_ref"], REF);
        assert_eq!(item["date"], "2030-01-10");
        assert_eq!(item["time"], "14:03:22", "local Zurich time");
        assert_eq!(item["timestamp"], "2030-01-10T14:03:22+01:00");
        assert_eq!(item["amount"], "3.50");
        assert_eq!(item["mobile"], "+41791234567");
        assert_eq!(item["device_b_code"], "b10234");
        assert_eq!(item["device_internal_id"], "DEV-0017");
        assert_eq!(item["sub_merchant"], "Wohnbau Zürich AG");
        assert_eq!(item["payment_method"], "TWINT");
        assert_eq!(item["status"], "completed");
        assert_eq!(item["code"]["code"], "483920");
        assert_eq!(item["code"]["state"], "valid");
    }
    let (status, body) = get(&sb, Some(PROD), "/api/v1/prod/transactions?device=b10234&date=2030-01-10").await;
    assert_eq!((status, body["count"].as_u64()), (200, Some(2)));

    // Not found is an empty result, never an error; the time window and the date narrow it.
    for query in [
        "mobile=%2B41799999999&date=2030-01-10",
        "mobile=%2B41791234567&date=2030-01-11",
        "mobile=%2B41791234567&date=2030-01-10&from=14:04",
    ] {
        let (status, body) = get(&sb, Some(PROD), &format!("/api/v1/prod/transactions?{query}")).await;
        assert_eq!((status, body["items"].as_array().map(Vec::len)), (200, Some(0)), "{query}");
    }
    // PROD data is not visible in TEST.
    let (status, body) =
        get(&sb, Some(TEST), &format!("/api/v1/test/transactions?twint_ref={REF}&date=2030-01-10")).await;
    assert_eq!((status, body["count"].as_u64()), (200, Some(0)));

    let (status, body) = get(&sb, Some(PROD), &format!("/api/v1/prod/transactions/{}", seeded.id)).await;
    assert_eq!((status, body["twint_ref"].as_str()), (200, Some(REF)));
    let (status, body) = get(&sb, Some(PROD), "/api/v1/prod/transactions/999").await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("transaction_not_found")));
    let (status, body) = get(&sb, Some(PROD), "/api/v1/prod/devices/B10234").await;
    assert_eq!((status, body["internal_id"].as_str()), (200, Some("DEV-0017")));
}

#[tokio::test]
async fn pgw_refuses_missing_and_wrong_keys_per_environment() {
    let sb = seeded().await;
    let path = "/api/v1/prod/transactions?device=b10234&date=2030-01-10";
    let (status, body) = get(&sb, None, path).await;
    assert_eq!((status, body["error"]["code"].as_str()), (401, Some("missing_api_key")));
    let (status, body) = get(&sb, Some(TEST), path).await;
    assert_eq!((status, body["error"]["code"].as_str()), (401, Some("invalid_api_key")), "a TEST key on PROD");
    let (status, body) = get(&sb, Some(PROD), "/api/v1/stage/transactions?device=b1&date=2030-01-10").await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("unknown_environment")));
    let (status, body) = get(&sb, Some(PROD), "/api/v2/nothing").await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_found")));
}

#[tokio::test]
async fn pgw_reports_every_invalid_search_parameter_at_once() {
    let sb = seeded().await;
    let (status, body) = get(
        &sb,
        Some(PROD),
        "/api/v1/prod/transactions?mobile=12x&twint_ref=nope&device=10234&date=10.01.2030&colour=red",
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "invalid_request");
    let mut fields: Vec<&str> =
        body["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    fields.sort_unstable();
    assert_eq!(fields, ["colour", "date", "device", "mobile", "twint_ref"]);

    let (status, body) = get(&sb, Some(PROD), "/api/v1/prod/transactions?from=15:00&to=14:00").await;
    assert_eq!(status, 400);
    let mut fields: Vec<&str> =
        body["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    fields.sort_unstable();
    assert_eq!(fields, ["date", "mobile", "to"], "no key, no date, window backwards: {body}");
}

#[tokio::test]
async fn sb_06_pgw_code_expires_on_the_sandbox_clock() {
    let sb = seeded().await;
    let c = sb.client();
    let now = c.now().await.unwrap();
    let mut t = tx(Env::Prod, "+41791234567", &now.to_rfc3339(), 400);
    t.at = now - Duration::hours(1);
    t.valid_until = Some(now + Duration::hours(2));
    let seeded = c.pgw_add_transaction(&t).await.unwrap();

    let (status, body) = get(&sb, Some(PROD), &format!("/api/v1/prod/transactions/{}/code", seeded.id)).await;
    assert_eq!(status, 200);
    assert_eq!(body["state"], "valid");
    assert_eq!(body["expired_on"], Value::Null);
    assert_eq!(body["transaction_id"], seeded.id);

    c.advance_clock(3 * 3600).await.unwrap();
    let (status, body) = get(&sb, Some(PROD), &format!("/api/v1/prod/transactions/{}/code", seeded.id)).await;
    assert_eq!(status, 200);
    assert_eq!(body["state"], "expired");
    assert_eq!(body["expired_on"], body["valid_until"]);
    let (_, tx_body) = get(&sb, Some(PROD), &format!("/api/v1/prod/transactions/{}", seeded.id)).await;
    assert_eq!(tx_body["code"]["state"], "expired");

    // A failed payment has no code at all.
    let mut failed = tx(Env::Prod, "+41791234567", "2030-01-10T10:00:00Z", 300);
    failed.status = Some(TxStatus::Failed);
    let failed = c.pgw_add_transaction(&failed).await.unwrap();
    assert!(failed.code.is_none());
    let (status, body) = get(&sb, Some(PROD), &format!("/api/v1/prod/transactions/{}/code", failed.id)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("code_not_found")));
}

#[tokio::test]
async fn pgw_generates_codes_only_in_prod_and_records_each_generation() {
    let sb = seeded().await;
    let c = sb.client();
    let now = c.now().await.unwrap();
    let mut t = tx(Env::Prod, "+41791234567", "2030-01-10T10:00:00Z", 350);
    t.at = now - Duration::days(5);
    let prod_tx = c.pgw_add_transaction(&t).await.unwrap();
    assert_eq!(prod_tx.code.as_ref().unwrap().state, "expired");
    let mut t = tx(Env::Test, "+41791234567", "2030-01-10T10:00:00Z", 350);
    t.at = now - Duration::days(5);
    let test_tx = c.pgw_add_transaction(&t).await.unwrap();

    let (status, body) =
        post(&sb, &format!("/api/v1/test/transactions/{}/codes", test_tx.id), TEST, None, Value::Null).await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("prod_only")));
    assert!(c.pgw_generations(Env::Test).await.unwrap().is_empty());

    let body = serde_json::json!({ "requested_by": "agent-7", "reason": "expired" });
    let path = format!("/api/v1/prod/transactions/{}/codes", prod_tx.id);
    let (status, generated) = post(&sb, &path, PROD, Some("gen-1"), body.clone()).await;
    assert_eq!(status, 201, "{generated}");
    assert_eq!(generated["transaction_id"], prod_tx.id);
    assert_eq!(generated["device_b_code"], "b10234");
    assert_eq!(generated["device_internal_id"], "DEV-0017");
    assert_eq!(generated["amount"], "3.50");
    let code = generated["code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 6);

    // The new code is now the transaction's current code, and valid.
    let (_, now_tx) = get(&sb, Some(PROD), &format!("/api/v1/prod/transactions/{}", prod_tx.id)).await;
    assert_eq!(now_tx["code"]["code"], code.as_str());
    assert_eq!(now_tx["code"]["state"], "valid");
    assert_eq!(now_tx["code"]["origin"], "generated");
    assert_eq!(now_tx["codes_issued"], 2);

    // Same Idempotency-Key: the same generation comes back, nothing new is recorded.
    let (status, replay) = post(&sb, &path, PROD, Some("gen-1"), body.clone()).await;
    assert_eq!((status, replay["code"].as_str()), (200, Some(code.as_str())));
    // A second generation without the key is a new code.
    let (status, second) = post(&sb, &path, PROD, None, Value::Null).await;
    assert_eq!(status, 201);
    let gens = c.pgw_generations(Env::Prod).await.unwrap();
    assert_eq!(gens.len(), 2);
    assert_eq!(gens[0].requested_by.as_deref(), Some("agent-7"));
    assert_eq!(gens[1].code, second["code"].as_str().unwrap());

    // Device-level codes need an amount.
    let (status, body) = post(&sb, "/api/v1/prod/devices/b10234/codes", PROD, None, Value::Null).await;
    assert_eq!((status, body["error"]["fields"][0]["field"].as_str()), (400, Some("amount")));
    let (status, body) =
        post(&sb, "/api/v1/prod/devices/b10234/codes", PROD, None, serde_json::json!({"amount": "2.00"})).await;
    assert_eq!((status, body["transaction_id"].clone()), (201, Value::Null));
    let body = serde_json::json!({"amount": "2.00"});
    let (status, _) = post(&sb, "/api/v1/prod/devices/b10234/codes", PROD, Some("gen-1"), body).await;
    assert_eq!(status, 422, "a key reused for another target is refused");
}

#[tokio::test]
async fn pgw_day_listing_follows_europe_zurich_midnights_across_dst() {
    let sb = seeded().await;
    let c = sb.client();
    // 2030-03-31 is the spring DST day (23 h): local midnight is 2030-03-30T23:00Z, the next
    // one 2030-03-31T22:00Z. 2030-10-27 is the autumn day (25 h): 2030-10-26T22:00Z to 2030-10-27T23:00Z.
    let cases = [
        ("2030-03-30T22:59:59Z", 100), // 23:59:59 on the 30th
        ("2030-03-30T23:00:00Z", 200), // 00:00 on the 31st
        ("2030-03-31T21:59:59Z", 300), // 23:59:59 CEST on the 31st
        ("2030-03-31T22:00:00Z", 400), // 00:00 on April 1st
        ("2030-10-26T21:59:00Z", 500), // 23:59 on the 26th
        ("2030-10-27T00:30:00Z", 600), // 02:30 CEST on the 27th
        ("2030-10-27T01:30:00Z", 700), // 02:30 CET on the 27th (the repeated hour)
        ("2030-10-27T22:30:00Z", 800), // 23:30 CET on the 27th
    ];
    for (when, rappen) in cases {
        c.pgw_add_transaction(&tx(Env::Prod, "+41791234567", when, rappen)).await.unwrap();
    }
    let mut failed = tx(Env::Prod, "+41791234567", "2030-03-31T10:00:00Z", 999);
    failed.status = Some(TxStatus::Failed);
    c.pgw_add_transaction(&failed).await.unwrap();

    let (status, day) = get(&sb, Some(PROD), "/api/v1/prod/days/2030-03-31/transactions").await;
    assert_eq!(status, 200);
    assert_eq!(day["timezone"], "Europe/Zurich");
    assert_eq!(day["count"], 2, "only completed payments between the local midnights: {day}");
    assert_eq!(day["total"], "5.00");
    let times: Vec<&str> = day["items"].as_array().unwrap().iter().map(|i| i["time"].as_str().unwrap()).collect();
    assert_eq!(times, ["00:00:00", "23:59:59"]);

    let (_, day) = get(&sb, Some(PROD), "/api/v1/prod/days/2030-10-27/transactions").await;
    assert_eq!(day["count"], 3, "{day}");
    assert_eq!(day["total"], "21.00");
    let stamps: Vec<&str> = day["items"].as_array().unwrap().iter().map(|i| i["timestamp"].as_str().unwrap()).collect();
    assert_eq!(stamps, ["2030-10-27T02:30:00+02:00", "2030-10-27T02:30:00+01:00", "2030-10-27T23:30:00+01:00"]);

    let (_, day) = get(&sb, Some(PROD), "/api/v1/prod/days/2030-10-26/transactions").await;
    assert_eq!((day["count"].as_u64(), day["total"].as_str()), (Some(1), Some("5.00")));
    let (_, day) = get(&sb, Some(PROD), "/api/v1/prod/days/2030-04-01/transactions").await;
    assert_eq!(day["count"], 1);
    let (status, _) = get(&sb, Some(PROD), "/api/v1/prod/days/31.03.2030/transactions").await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn sb_05_pgw_generate_code_act_then_fail_keeps_the_code_and_a_keyed_retry_returns_it() {
    let sb = seeded().await;
    let c = sb.client();
    let seeded = c.pgw_add_transaction(&tx(Env::Prod, "+41791234567", "2030-01-10T10:00:00Z", 350)).await.unwrap();
    c.add_fault(&FaultSpec::act_then_fail_once(System::Pgw, "generate_code", FailMode::Error)).await.unwrap();

    let path = format!("/api/v1/prod/transactions/{}/codes", seeded.id);
    let r = helpers::http()
        .post(format!("{}{path}", sb.url(System::Pgw)))
        .header("X-API-Key", PROD)
        .header("Idempotency-Key", "retry-me")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 500, "the client sees a failure");
    let gens = c.pgw_generations(Env::Prod).await.unwrap();
    assert_eq!(gens.len(), 1, "but the code was generated");

    let (status, body) = post(&sb, &path, PROD, Some("retry-me"), Value::Null).await;
    assert_eq!((status, body["code"].as_str()), (200, Some(gens[0].code.as_str())));
    assert_eq!(c.pgw_generations(Env::Prod).await.unwrap().len(), 1);
}

#[tokio::test]
async fn sb_08_pgw_demo_has_a_week_of_payments_with_found_and_expired_codes() {
    let sb = helpers::start_with_demo().await;
    let txs = sb.client().pgw_transactions(Env::Prod).await.unwrap();
    let days: std::collections::BTreeSet<&str> = txs.iter().map(|t| t.date.as_str()).collect();
    assert!(days.len() >= 6, "about a week of days: {days:?}");
    let devices: std::collections::BTreeSet<&str> = txs.iter().map(|t| t.device_b_code.as_str()).collect();
    assert_eq!(devices.len(), 4);
    let states: Vec<&str> = txs.iter().filter_map(|t| t.code.as_ref()).map(|c| c.state.as_str()).collect();
    assert!(states.contains(&"valid") && states.contains(&"expired"), "{states:?}");
    assert!(txs.iter().any(|t| t.status == TxStatus::Failed));
    let (status, body) =
        get(&sb, Some("pgw-prod-demo-key"), &format!("/api/v1/prod/days/{}/transactions", txs[0].date)).await;
    assert_eq!(status, 200);
    assert!(body["count"].as_u64().unwrap() >= 1);
}
