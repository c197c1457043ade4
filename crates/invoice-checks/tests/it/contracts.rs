//! The PostFinance adapter against the PostFinance contract cases (CT-02, CT-04, CT-05): the
//! real client, form builder and readers, pointed at a replay server that knows only the
//! cases; and the post-sale request PostFinance sends to the real public port.

use std::collections::BTreeMap;

use invoice_checks::domain::swissbilling::{AccountOptions, AddressInput, CheckedItem, CheckedOrder, OpCode, PfEnv};
use invoice_checks::postfinance::hosted::{ReturnUrls, signed_form};
use invoice_checks::postfinance::tenant::Tenant;
use invoice_checks::postfinance::wire::Verdict;
use invoice_checks::postfinance::{CallFailure, Lookup, PostFinance, PostFinanceConfig, SYSTEM, sha};
use kit::money::{Currency, Money};
use proto::payops::invoice_checks::v1 as pb;
use sandbox::contracts::{Body, LoadedCase, check_adapter, field_name, load_partner};
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::flow::{order, urls};
use crate::helpers::{TEST_SHOP, TestApp};

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

fn tenant(t: &Value) -> Tenant {
    Tenant {
        name: "contract".into(),
        env: PfEnv::parse(&s(&t["env"])).unwrap(),
        pspid: s(&t["pspid"]),
        userid: s(&t["userid"]),
        pswd: SecretString::from(s(&t["pswd"])),
        sha_in_directlink: SecretString::from(s(&t["sha_in_directlink"])),
        sha_in_ecom: SecretString::from(s(&t["sha_in_ecom"])),
        sha_out: SecretString::from(s(&t["sha_out"])),
        algorithm: s(&t["algorithm"]).parse().unwrap(),
        b2b: false,
        options: AccountOptions { partial_maintenance: true, multiple_maintenance: true, refunds: true },
    }
}

fn checked_order(o: &Value) -> CheckedOrder {
    let a = &o["address"];
    let address = AddressInput {
        company: s(&a["company"]),
        name_prefix: s(&a["name_prefix"]),
        first_name: s(&a["first_name"]),
        last_name: s(&a["last_name"]),
        street_number: s(&a["street_number"]),
        street_line1: s(&a["street_line1"]),
        street_line2: s(&a["street_line2"]),
        postal_code: s(&a["postal_code"]),
        city: s(&a["city"]),
        country_code: s(&a["country_code"]),
        mobile_number: s(&a["mobile_number"]),
        phone_number: s(&a["phone_number"]),
    };
    let items = o["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| CheckedItem {
            item_id: s(&i["item_id"]),
            name: s(&i["name"]),
            unit_price: Money::new(i["unit_price_minor"].as_i64().unwrap(), Currency::CHF),
            vat_code: s(&i["vat_code"]),
            quantity: u32::try_from(i["quantity"].as_u64().unwrap()).unwrap(),
            category: s(&i["category"]),
        })
        .collect();
    CheckedOrder {
        tenant: "contract".into(),
        order_id: kit::OrderId::parse(s(&o["order_id"])).unwrap(),
        amount: Money::new(o["amount_minor"].as_i64().unwrap(), Currency::CHF),
        email: s(&o["email"]),
        language: s(&o["language"]),
        customer_id: s(&o["customer_id"]),
        address,
        items,
        generic_bl_data: s(&o["generic_bl_data"]),
    }
}

/// Counted violations per field name of `op`, before the call.
fn counts(op: &str, case: &LoadedCase) -> BTreeMap<String, u64> {
    let mut names: Vec<String> = case.case.reads.iter().map(|r| field_name(r)).collect();
    names.extend(["orderID", "currency", "STATUS"].map(String::from));
    names.into_iter().map(|n| (n.clone(), kit::contract::violations(SYSTEM, op, &n))).collect()
}

fn failure(op: &str, e: CallFailure, before: &BTreeMap<String, u64>) -> Value {
    match e {
        CallFailure::Contract(e) => {
            let counted = kit::contract::violations(SYSTEM, op, &e.field) > before.get(&e.field).copied().unwrap_or(0);
            json!({"error": "contract", "field": e.field, "counted": counted})
        }
        other => json!({"error": "unknown", "detail": other.to_string()}),
    }
}

/// Calls the adapter operation named by the case against the replay server at `url`.
async fn drive(url: String, case: LoadedCase) -> Value {
    let input = &case.case.input;
    let t = tenant(&input["tenant"]);
    let client = PostFinance::new(PostFinanceConfig {
        test_url: format!("{url}/ncol/test/"),
        prod_url: format!("{url}/ncol/prod/"),
        timeout: std::time::Duration::from_secs(5),
        query_attempts: 1,
    })
    .unwrap();
    let op = case.operation.as_str();
    let before = counts(op, &case);
    match op {
        "maintenance" => {
            let code = OpCode::parse(&s(&input["operation"])).unwrap();
            let r =
                client.maintain(&t, input["payid"].as_u64().unwrap(), code, input["amount_minor"].as_i64().unwrap());
            match r.await {
                Ok(r) if r.verdict() == Verdict::Ok => json!({"status": "accepted", "payidsub": r.payidsub,
                    "status_code": r.status, "amount_minor": r.amount}),
                Ok(r) => json!({"error": r.verdict().class(), "ncerror": r.ncerror}),
                Err(e) => failure(op, e, &before),
            }
        }
        "query" => {
            let l = &input["lookup"];
            let lookup = match l["orderid"].as_str() {
                Some(o) => Lookup::OrderId(o.to_owned()),
                None => Lookup::PayId {
                    payid: l["payid"].as_u64().unwrap(),
                    payidsub: l["payidsub"].as_u64().map(|n| u32::try_from(n).unwrap()),
                },
            };
            match client.query(&t, &lookup).await {
                Ok(r) if r.verdict() == Verdict::Ok => {
                    let mut out = json!({"status": "found", "payid": r.payid, "payidsub": r.payidsub,
                        "status_code": r.status, "amount_minor": r.amount});
                    if let Lookup::OrderId(o) = &lookup {
                        match r.found_order(o) {
                            Ok(f) => {
                                out["order_id"] = json!(f.order_id);
                                out["currency"] = json!(f.amount.currency().as_str());
                            }
                            Err(e) => return failure(op, CallFailure::Contract(e), &before),
                        }
                    }
                    out
                }
                Ok(r) => json!({"error": r.verdict().class(), "ncerror": r.ncerror}),
                Err(e) => failure(op, e, &before),
            }
        }
        "hosted_page" => {
            let u = &input["urls"];
            let urls = ReturnUrls {
                accept: s(&u["accept"]),
                decline: s(&u["decline"]),
                exception: s(&u["exception"]),
                cancel: s(&u["cancel"]),
            };
            let form = signed_form(&checked_order(&input["order"]), &t, &urls);
            // The customer's browser posts the form; the platform's own answer is what counts.
            let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
            let r = browser.post(format!("{url}/ncol/test/orderstandard_utf8.asp")).form(&form).send().await.unwrap();
            match r.status().as_u16() {
                302 => json!({"status": "accepted"}),
                200 => json!({"status": "refused"}),
                other => json!({"error": "unknown", "http": other}),
            }
        }
        other => json!({"error": format!("no driver for {other}")}),
    }
}

fn outbound(pred: impl Fn(&LoadedCase) -> bool) -> (Vec<LoadedCase>, Vec<LoadedCase>) {
    let all = load_partner("postfinance").unwrap();
    let chosen = all.iter().filter(|c| c.operation != "notification" && pred(c)).cloned().collect();
    (all, chosen)
}

#[tokio::test]
async fn ct_02_postfinance_adapter_sends_every_case_request_and_reads_every_answer() {
    let (all, cases) = outbound(|c| c.case.expect.get("error").is_none());
    assert!(cases.len() >= 9, "{} cases", cases.len());
    let failures = check_adapter(all, &cases, drive).await;
    assert!(failures.is_empty(), "the adapter differs from the cases:\n{}", failures.join("\n"));
}

#[tokio::test]
async fn ct_04_postfinance_failure_answers_are_classified_refused_already_done_unauthorized_not_found_or_unknown() {
    let (all, cases) = outbound(|c| c.case.expect.get("error").is_some());
    let classes: Vec<String> = cases.iter().map(|c| s(&c.case.expect["error"])).collect();
    for class in ["refused", "already_done", "unauthorized", "not_found", "unknown"] {
        assert!(classes.iter().any(|c| c == class), "no failure case of class {class}");
    }
    let failures = check_adapter(all, &cases, drive).await;
    assert!(failures.is_empty(), "the adapter misreads failure answers:\n{}", failures.join("\n"));
}

/// The post-sale request of a notification case, as PostFinance sends it to the public port.
async fn send(app: &TestApp, case: &LoadedCase, form: Option<BTreeMap<String, String>>) -> (u16, String) {
    let req = &case.case.request;
    let http = reqwest::Client::new();
    let url = format!("{}{}", app.public_url, req.path);
    let r = match (&req.body, form) {
        (_, Some(f)) => http.post(url.split('?').next().unwrap_or_default()).form(&f).send().await,
        (Body::Form(f), None) => http.post(&url).form(f).send().await,
        (_, None) => http.get(&url).send().await,
    }
    .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn prepared(app: &TestApp, case: &LoadedCase) {
    let p = &case.case.input["prepared"];
    let mut o = order(&TEST_SHOP, p["order_id"].as_str().unwrap());
    assert_eq!(o.amount.as_ref().unwrap().amount_minor, p["amount_minor"].as_i64().unwrap());
    o.tenant = TEST_SHOP.name.into();
    let r = pb::PreparePaymentPageRequest { order: Some(o), urls: Some(urls()) };
    app.sb_client().await.prepare_payment_page(r).await.unwrap();
}

#[tokio::test]
async fn ct_02_postfinance_post_sale_requests_of_the_cases_are_recorded_or_refused() {
    for case in load_partner("postfinance").unwrap().into_iter().filter(|c| c.operation == "notification") {
        let app = TestApp::spawn().await;
        prepared(&app, &case).await;
        let (status, _) = send(&app, &case, None).await;
        assert_eq!(status, case.case.response.status, "{}", case.id());
        let got = app.sb_client().await.get_transaction(pb::GetTransactionRequest { order_id: "SB-CT-5".into() }).await;
        match s(&case.case.expect["status"]).as_str() {
            "recorded" => {
                let tx = got.unwrap().into_inner().transaction.unwrap();
                assert_eq!(
                    json!({"payid": tx.payid, "status_code": tx.status_code}),
                    json!({
                    "payid": case.case.expect["payid"], "status_code": case.case.expect["status_code"]}),
                    "{}",
                    case.id()
                );
            }
            _ => {
                assert!(got.is_err(), "{}: nothing recorded", case.id());
                assert_eq!(invoice_checks::store::security::count(&app.pool, "sha_out_mismatch").await.unwrap(), 1);
            }
        }
        app.stop().await;
    }
}

#[tokio::test]
async fn ct_05_postfinance_post_sale_request_without_a_needed_field_is_a_counted_contract_error() {
    let case = load_partner("postfinance")
        .unwrap()
        .into_iter()
        .find(|c| c.local_id() == "notification/accepted_post")
        .unwrap();
    let Body::Form(form) = case.case.request.body.clone() else { panic!("a form") };
    let app = TestApp::spawn().await;
    prepared(&app, &case).await;
    let needs: Vec<String> = case.case.input["needs"].as_array().unwrap().iter().map(s).collect();
    for field in needs {
        let mut f = form.clone();
        f.remove("SHASIGN");
        f.remove(&field);
        // PostFinance's own signature over what it sent (the field is not forged away).
        let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let text = sha::compose(pairs, "Out-smarpayTEST!", sha::on_sha_out_list);
        f.insert("SHASIGN".into(), sha::digest(sha::ShaAlgorithm::Sha256, text.as_bytes()));
        let before = kit::contract::violations(SYSTEM, "notification", &field);
        let (status, _) = send(&app, &case, Some(f)).await;
        assert_eq!(status, 400, "{field}");
        assert_eq!(kit::contract::violations(SYSTEM, "notification", &field), before + 1, "{field} counted");
    }
    let got = app.sb_client().await.get_transaction(pb::GetTransactionRequest { order_id: "SB-CT-5".into() }).await;
    assert!(got.is_err(), "nothing recorded from an incomplete request");
    app.stop().await;
}
