//! The PostFinance simulator against the PostFinance contract cases (CT-03) and its documented
//! behaviours that matter for money (CT-07): exactly the published SHA-IN list, the field
//! lengths of the parameter list, the post-sale request signed with SHA-OUT, queries by
//! ORDERID and the end of the history levels.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use sandbox::contracts::{LoadedCase, Prepared, check_simulator, load_partner};
use sandbox::postfinance::sha::{ShaAlgorithm, sign_in};
use sandbox::postfinance::{Merchant, PfAnswers, PfSettle, PfTransaction};
use sandbox::{Sandbox, System};
use sha2::{Digest, Sha256};

use crate::helpers::{http, start};

/// Puts a fresh sandbox into the case's state: the merchant, its transaction, maintenance
/// already done (sent like a merchant would, signed with the account's passphrase), settlement
/// and the shape of query answers.
async fn prepare(keep: Arc<Mutex<Vec<Sandbox>>>, case: LoadedCase) -> Result<Prepared, String> {
    let sb = start().await;
    let c = sb.client();
    let state = &case.case.state;
    let m: Merchant = serde_json::from_value(state["merchant"].clone()).map_err(|e| format!("merchant: {e}"))?;
    c.postfinance_add_merchant(&m).await.map_err(|e| e.to_string())?;
    if !state["transaction"].is_null() {
        let t: PfTransaction = serde_json::from_value(state["transaction"].clone()).map_err(|e| e.to_string())?;
        c.postfinance_add_transaction(&t).await.map_err(|e| e.to_string())?;
        for op in state["maintenance"].as_array().into_iter().flatten() {
            let params: Vec<(String, String)> = vec![
                ("PSPID".into(), m.pspid.clone()),
                ("USERID".into(), m.users[0].userid.clone()),
                ("PSWD".into(), m.users[0].pswd.clone()),
                ("PAYID".into(), t.payid.unwrap_or_default().to_string()),
                ("AMOUNT".into(), op["amount_minor"].to_string()),
                ("OPERATION".into(), op["operation"].as_str().unwrap_or_default().to_owned()),
            ];
            let mut form = params.clone();
            form.push(("SHASIGN".into(), sign_in(m.sha_algorithm, &params, &m.directlink_sha_in)));
            let url = format!("{}/ncol/test/maintenancedirect.asp", sb.url(System::Postfinance));
            let body = http().post(url).form(&form).send().await.map_err(|e| e.to_string())?.text().await;
            let body = body.map_err(|e| e.to_string())?;
            if !body.contains("NCERROR=\"0\"") {
                return Err(format!("the state's maintenance was refused: {body}"));
            }
        }
        if state["settle"].as_bool() == Some(true) {
            c.postfinance_settle(&PfSettle::default()).await.map_err(|e| e.to_string())?;
        }
    }
    if !state["answers"].is_null() {
        let a: PfAnswers = serde_json::from_value(state["answers"].clone()).map_err(|e| e.to_string())?;
        c.postfinance_answers(&a).await.map_err(|e| e.to_string())?;
    }
    let base_url = sb.url(System::Postfinance);
    keep.lock().unwrap().push(sb);
    Ok(Prepared { base_url, ..Prepared::default() })
}

#[tokio::test]
async fn ct_03_postfinance_simulator_answers_every_case_like_the_partner() {
    let cases = load_partner("postfinance").unwrap();
    assert!(cases.len() >= 15, "{} cases", cases.len());
    let keep = Arc::new(Mutex::new(Vec::new()));
    let failures = check_simulator(&cases, |c| prepare(keep.clone(), c)).await;
    assert!(failures.is_empty(), "the simulator differs from the cases:\n{}", failures.join("\n"));
}

fn case(id: &str) -> LoadedCase {
    load_partner("postfinance").unwrap().into_iter().find(|c| c.local_id() == id).unwrap()
}

/// The form body of a case's request.
fn form_of(c: &LoadedCase) -> BTreeMap<String, String> {
    match &c.case.request.body {
        sandbox::contracts::Body::Form(f) => f.clone(),
        other => panic!("not a form: {other:?}"),
    }
}

fn sha256_over(params: &BTreeMap<String, String>, names: &[&str], passphrase: &str) -> String {
    let mut keys: Vec<&String> =
        params.keys().filter(|k| names.contains(&k.as_str()) && !params[*k].is_empty()).collect();
    keys.sort();
    let text: String = keys.iter().map(|k| format!("{k}={}{passphrase}", params[*k])).collect();
    hex::encode_upper(Sha256::digest(text.as_bytes()))
}

async fn post_page(sb: &Sandbox, form: &BTreeMap<String, String>) -> (u16, String) {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let url = format!("{}/ncol/test/orderstandard_utf8.asp", sb.url(System::Postfinance));
    let r = client.post(url).form(form).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn ct_07_postfinance_signs_exactly_the_documented_sha_in_list() {
    let c = case("hosted_page/b2b_order_with_phone_numbers_and_blacklist_data");
    let keep = Arc::new(Mutex::new(Vec::new()));
    let p = prepare(keep.clone(), c.clone()).await.unwrap();
    let sb = &keep.lock().unwrap().pop().unwrap();
    assert!(!p.base_url.is_empty());
    let form = form_of(&c);
    assert_eq!(post_page(sb, &form).await.0, 302, "the case's signature is accepted");
    // Signing GENERIC_BL_DATA too (it is on no SHA-IN list) breaks the signature.
    let mut all: Vec<&str> = form.keys().map(String::as_str).filter(|k| *k != "SHASIGN").collect();
    let mut wrong = form.clone();
    wrong.insert("SHASIGN".into(), sha256_over(&form, &all, "In-smarpayTEST!"));
    let (status, page) = post_page(sb, &wrong).await;
    assert_eq!(status, 200);
    assert!(page.contains("unknown order/1/s"), "{page}");
    // Leaving the company out of the signature breaks it as well: it is on the list.
    all.retain(|k| *k != "GENERIC_BL_DATA" && *k != "ECOM_BILLTO_COMPANY");
    wrong.insert("SHASIGN".into(), sha256_over(&form, &all, "In-smarpayTEST!"));
    assert!(post_page(sb, &wrong).await.1.contains("unknown order/1/s"));
}

#[tokio::test]
async fn ct_07_postfinance_documented_field_lengths_orderid_an_30_and_amount_n_15() {
    let c = case("hosted_page/ten_items_in_natural_order");
    let keep = Arc::new(Mutex::new(Vec::new()));
    prepare(keep.clone(), c.clone()).await.unwrap();
    let sb = &keep.lock().unwrap().pop().unwrap();
    let names: Vec<String> = form_of(&c).keys().filter(|k| *k != "SHASIGN").cloned().collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let resign = |f: &mut BTreeMap<String, String>| {
        // Natural order matters only from ten items; none of the edits below touch them.
        let mut items: Vec<(String, String)> =
            f.iter().filter(|(k, _)| *k != "SHASIGN").map(|(k, v)| (k.clone(), v.clone())).collect();
        items.retain(|(k, _)| names.contains(&k.as_str()));
        f.insert("SHASIGN".into(), sign_in(ShaAlgorithm::Sha256, &items, "In-smarpayTEST!"));
    };
    for (orderid, amount, accepted) in
        [("A".repeat(30), "25000", true), ("B".repeat(31), "25000", false), ("C".repeat(12), "1234567890123456", false)]
    {
        let mut f = form_of(&c);
        f.insert("ORDERID".into(), orderid.clone());
        f.insert("AMOUNT".into(), amount.into());
        resign(&mut f);
        let (status, page) = post_page(sb, &f).await;
        assert_eq!(status == 302, accepted, "{orderid} {amount}: {status} {page}");
        if !accepted {
            assert!(page.contains("too long"), "{page}");
        }
    }
}

/// Every post-sale request's form, in order.
type Received = Arc<Mutex<Vec<Vec<(String, String)>>>>;

/// A receiver for post-sale requests, answering with the status it is told.
async fn receiver() -> (String, Received, Arc<Mutex<u16>>) {
    let got: Received = Arc::default();
    let answer = Arc::new(Mutex::new(500u16));
    let (g, a) = (got.clone(), answer.clone());
    let app = axum::Router::new().route(
        "/feedback",
        axum::routing::post(move |axum::Form(f): axum::Form<Vec<(String, String)>>| {
            let (g, a) = (g.clone(), a.clone());
            async move {
                g.lock().unwrap().push(f);
                http::StatusCode::from_u16(*a.lock().unwrap()).unwrap()
            }
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/feedback", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await });
    (url, got, answer)
}

#[tokio::test]
async fn ct_07_postfinance_sends_the_post_sale_request_signed_with_sha_out() {
    let c = case("hosted_page/ten_items_in_natural_order");
    let keep = Arc::new(Mutex::new(Vec::new()));
    prepare(keep.clone(), c.clone()).await.unwrap();
    let sb = keep.lock().unwrap().pop().unwrap();
    let (url, got, answer) = receiver().await;
    let mut m: Merchant = serde_json::from_value(c.case.state["merchant"].clone()).unwrap();
    m.postsale_url = Some(url);
    m.postsale_retry_ms = 50;
    sb.client().postfinance_add_merchant(&m).await.unwrap();
    assert_eq!(post_page(&sb, &form_of(&c)).await.0, 302);
    let customer = sandbox::postfinance::PfCustomer {
        env: sandbox::postfinance::Env::Test,
        pspid: m.pspid.clone(),
        orderid: "SB-CT-3".into(),
        action: sandbox::postfinance::Action::Accept,
    };
    let redirect = sb.client().postfinance_customer(&customer).await.unwrap();
    // The first attempt is answered 500: the platform sends the request again.
    for _ in 0..100 {
        if got.lock().unwrap().len() >= 2 {
            break;
        }
        if got.lock().unwrap().len() == 1 {
            *answer.lock().unwrap() = 200;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let requests = got.lock().unwrap().clone();
    assert_eq!(requests.len(), 2, "one retry after the failed attempt, then no more");
    let params: BTreeMap<String, String> = requests[1].iter().cloned().collect();
    assert_eq!(requests[1], redirect.params, "the same parameters as the browser redirect");
    for name in ["orderID", "amount", "currency", "STATUS", "PAYID", "PM", "BRAND", "NCERROR", "SHASIGN"] {
        assert!(params.contains_key(name), "{name} in {params:?}");
    }
    // SHA-OUT over every parameter sent (all are on the SHA-OUT list), names upper-cased.
    let upper: BTreeMap<String, String> =
        params.iter().filter(|(k, _)| *k != "SHASIGN").map(|(k, v)| (k.to_ascii_uppercase(), v.clone())).collect();
    let names: Vec<&str> = upper.keys().map(String::as_str).collect();
    assert_eq!(params["SHASIGN"], sha256_over(&upper, &names, "Out-smarpayTEST!"));
    assert_eq!(
        (params["orderID"].as_str(), params["STATUS"].as_str(), params["amount"].as_str()),
        ("SB-CT-3", "5", "250")
    );
}

#[tokio::test]
async fn ct_07_postfinance_answers_a_query_by_orderid_and_ends_the_levels_with_50001131() {
    let cases = load_partner("postfinance").unwrap();
    let wanted = ["query/by_orderid", "query/by_orderid_unknown_order_50001130", "query/level_unknown_50001131"];
    let chosen: Vec<LoadedCase> = cases.into_iter().filter(|c| wanted.contains(&c.local_id().as_str())).collect();
    assert_eq!(chosen.len(), 3);
    let keep = Arc::new(Mutex::new(Vec::new()));
    let failures = check_simulator(&chosen, |c| prepare(keep.clone(), c)).await;
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
