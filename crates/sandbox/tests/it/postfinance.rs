//! PostFinance e-payment / DirectLink simulator, checked with plain form POSTs and SHA
//! signatures computed here (sha1/sha2), against the PostFinance
//! contract cases (`crates/sandbox/contracts/postfinance/`).

use std::collections::HashMap;

use sandbox::postfinance::{
    Action, Env, Merchant, PfCustomer, PfForceStatus, PfSettle, PfTransaction, ShaAlgorithm, User,
};
use sandbox::{FailMode, FaultSpec, Sandbox, System};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

use crate::helpers;

const PASS: &str = "Mysecretsig1875!?";

/// SHA-IN/OUT as the merchant computes it: every parameter but SHASIGN/PAYIDSUB (all the
/// parameters these tests send are on the platform's list), names upper-cased, empties dropped,
/// sorted, passphrase after each pair.
fn sha(alg: ShaAlgorithm, params: &[(&str, &str)], pass: &str) -> String {
    let mut pairs: Vec<(String, &str)> = params
        .iter()
        .map(|(k, v)| (k.to_uppercase(), *v))
        .filter(|(k, v)| !v.is_empty() && k != "SHASIGN" && k != "PAYIDSUB")
        .collect();
    pairs.sort();
    let text: String = pairs.iter().map(|(k, v)| format!("{k}={v}{pass}")).collect();
    match alg {
        ShaAlgorithm::Sha1 => hex::encode_upper(Sha1::digest(text.as_bytes())),
        ShaAlgorithm::Sha256 => hex::encode_upper(Sha256::digest(text.as_bytes())),
        ShaAlgorithm::Sha512 => hex::encode_upper(Sha512::digest(text.as_bytes())),
    }
}

/// The attributes of `<ncresponse …/>`.
fn attrs(xml: &str) -> HashMap<String, String> {
    let start = xml.find("<ncresponse").expect("an ncresponse element") + "<ncresponse".len();
    let mut rest = &xml[start..];
    let mut out = HashMap::new();
    while let Some(eq) = rest.find("=\"") {
        let name = rest[..eq].trim().to_owned();
        let after = &rest[eq + 2..];
        let end = after.find('"').unwrap();
        let value =
            after[..end].replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
        out.insert(name, value);
        rest = &after[end + 1..];
    }
    out
}

fn merchant(env: Env, pspid: &str, alg: ShaAlgorithm) -> Merchant {
    Merchant {
        env,
        pspid: pspid.into(),
        users: vec![
            User { userid: "MyApiUser".into(), pswd: "MyApiPass1".into(), api: true },
            User { userid: "WebUser".into(), pswd: "WebPass1".into(), api: false },
        ],
        sha_algorithm: alg,
        directlink_sha_in: PASS.into(),
        ecom_sha_in: "Ecom-In-Phrase!".into(),
        ecom_sha_out: "Ecom-Out-Phrase!".into(),
        allowed_ips: vec!["127.0.0.1".into()],
        partial_maintenance: true,
        multiple_maintenance: true,
        refunds_enabled: true,
        settle_delay_secs: Some(300),
        auth_validity_days: 7,
        postsale_url: None,
        postsale_retry_ms: 600_000,
    }
}

fn authorised(env: Env, pspid: &str, payid: u64, orderid: &str, amount: i64, pm: &str) -> PfTransaction {
    PfTransaction {
        env,
        pspid: pspid.into(),
        orderid: orderid.into(),
        payid: Some(payid),
        amount,
        currency: Some("CHF".into()),
        pm: Some(pm.into()),
        brand: Some(if pm == "CreditCard" { "VISA".into() } else { pm.into() }),
        status: None,
        cardno: None,
        ip: Some("198.51.100.7".into()),
        at: None,
    }
}

/// A sandbox with TEST merchant `MyPSPID` (SHA-1, the published passphrase) and transactions
/// 1111111 (card, 15.00), 2222222 (SwissBilling, 150.00).
async fn seeded() -> Sandbox {
    let sb = helpers::start().await;
    let c = sb.client();
    c.postfinance_add_merchant(&merchant(Env::Test, "MyPSPID", ShaAlgorithm::Sha1)).await.unwrap();
    c.postfinance_add_transaction(&authorised(Env::Test, "MyPSPID", 1111111, "ORD-1", 1500, "CreditCard"))
        .await
        .unwrap();
    c.postfinance_add_transaction(&authorised(Env::Test, "MyPSPID", 2222222, "SB-1", 15000, "SwissBilling"))
        .await
        .unwrap();
    sb
}

/// POSTs `params` (signed with the DirectLink passphrase unless SHASIGN is given) to `path`.
async fn direct(sb: &Sandbox, path: &str, params: &[(&str, &str)], alg: ShaAlgorithm) -> HashMap<String, String> {
    let mut form: Vec<(String, String)> = params.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    if !params.iter().any(|(k, _)| *k == "SHASIGN") {
        form.push(("SHASIGN".into(), sha(alg, params, PASS)));
    }
    let r = helpers::http().post(format!("{}{path}", sb.url(System::Postfinance))).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/xml");
    attrs(&r.text().await.unwrap())
}

async fn maintain(sb: &Sandbox, payid: &str, op: &str, amount: &str) -> HashMap<String, String> {
    let params = [
        ("PSPID", "MyPSPID"),
        ("USERID", "MyApiUser"),
        ("PSWD", "MyApiPass1"),
        ("PAYID", payid),
        ("OPERATION", op),
        ("AMOUNT", amount),
    ];
    direct(sb, "/ncol/test/maintenancedirect.asp", &params, ShaAlgorithm::Sha1).await
}

async fn query(sb: &Sandbox, payid: &str) -> HashMap<String, String> {
    let params = [("PSPID", "MyPSPID"), ("USERID", "MyApiUser"), ("PSWD", "MyApiPass1"), ("PAYID", payid)];
    direct(sb, "/ncol/test/querydirect.asp", &params, ShaAlgorithm::Sha1).await
}

fn ok(a: &HashMap<String, String>, status: &str) {
    assert_eq!((a["NCERROR"].as_str(), a["STATUS"].as_str()), ("0", status), "{a:?}");
    assert_eq!(a["NCSTATUS"], "0");
}

fn refused(a: &HashMap<String, String>, ncerror: &str) {
    assert_eq!(a["NCERROR"], ncerror, "{a:?}");
    assert_eq!(a["NCSTATUS"], &ncerror[..1]);
    assert_eq!(a["STATUS"], "0");
}

#[tokio::test]
async fn sb_03_postfinance_worked_sha_example_is_accepted_and_wrong_or_missing_sha_refused() {
    let sb = seeded().await;
    let worked = [
        ("PSPID", "MyPSPID"),
        ("USERID", "MyApiUser"),
        ("PSWD", "MyApiPass1"),
        ("PAYID", "1111111"),
        ("AMOUNT", "1500"),
        ("OPERATION", "SAS"),
        ("ORDERID", ""),
    ];
    assert_eq!(sha(ShaAlgorithm::Sha1, &worked, PASS), "D5FF116BDD3C612557BDA70D545FE9CF4B3A165B");

    let mut wrong = worked.to_vec();
    wrong.push(("SHASIGN", "D5FF116BDD3C612557BDA70D545FE9CF4B3A165C"));
    let a = direct(&sb, "/ncol/test/maintenancedirect.asp", &wrong, ShaAlgorithm::Sha1).await;
    refused(&a, "50001184");
    assert!(a["NCERRORPLUS"].starts_with("unknown order/1/s"), "{a:?}");
    let mut missing = worked.to_vec();
    missing.push(("SHASIGN", ""));
    let a = direct(&sb, "/ncol/test/maintenancedirect.asp", &missing, ShaAlgorithm::Sha1).await;
    assert!(a["NCERRORPLUS"].starts_with("unknown order/0/s"), "{a:?}");
    // Signing with a different value than sent is a mismatch too (values are case-sensitive).
    let mut tampered = worked.to_vec();
    tampered[5] = ("OPERATION", "sas");
    tampered.push(("SHASIGN", "D5FF116BDD3C612557BDA70D545FE9CF4B3A165B"));
    let a = direct(&sb, "/ncol/test/maintenancedirect.asp", &tampered, ShaAlgorithm::Sha1).await;
    assert!(a["NCERRORPLUS"].starts_with("unknown order/1/s"), "{a:?}");
    let history = sb.client().postfinance_transaction(Env::Test, 1111111).await.unwrap().history;
    assert_eq!(history.len(), 1, "nothing applied while the signature was refused");

    let mut signed = worked.to_vec();
    signed.push(("SHASIGN", "d5ff116bdd3c612557bda70d545fe9cf4b3a165b"));
    let a = direct(&sb, "/ncol/test/maintenancedirect.asp", &signed, ShaAlgorithm::Sha1).await;
    ok(&a, "91");
    assert_eq!((a["PAYID"].as_str(), a["PAYIDSUB"].as_str(), a["orderID"].as_str()), ("1111111", "1", "ORD-1"));
    assert_eq!((a["amount"].as_str(), a["currency"].as_str(), a["NCERRORPLUS"].as_str()), ("15", "CHF", "!"));
}

#[tokio::test]
async fn postfinance_signatures_work_with_sha256_and_sha512_accounts() {
    let sb = helpers::start().await;
    let c = sb.client();
    for (pspid, alg, payid) in [("M256", ShaAlgorithm::Sha256, 31), ("M512", ShaAlgorithm::Sha512, 32)] {
        c.postfinance_add_merchant(&merchant(Env::Test, pspid, alg)).await.unwrap();
        c.postfinance_add_transaction(&authorised(Env::Test, pspid, payid, "o", 1000, "CreditCard")).await.unwrap();
        let payid = payid.to_string();
        let params = [
            ("PSPID", pspid),
            ("USERID", "MyApiUser"),
            ("PSWD", "MyApiPass1"),
            ("PAYID", payid.as_str()),
            ("OPERATION", "SAS"),
        ];
        ok(&direct(&sb, "/ncol/test/maintenancedirect.asp", &params, alg).await, "91");
        let sha1 = direct(&sb, "/ncol/test/maintenancedirect.asp", &params, ShaAlgorithm::Sha1).await;
        assert!(sha1["NCERRORPLUS"].starts_with("unknown order/1/s"), "wrong algorithm: {sha1:?}");
    }
}

#[tokio::test]
async fn sb_02_postfinance_a_repeated_sas_is_refused_with_50001127_and_applied_once() {
    let sb = seeded().await;
    ok(&maintain(&sb, "1111111", "SAS", "1500").await, "91");
    let again = maintain(&sb, "1111111", "SAS", "1500").await;
    refused(&again, "50001127");
    assert_eq!(again["PAYID"], "1111111");
    let tx = sb.client().postfinance_transaction(Env::Test, 1111111).await.unwrap();
    let captures: Vec<_> = tx.history.iter().filter(|h| h.operation == "SAS").collect();
    assert_eq!(captures.len(), 1, "no DirectLink operation applied twice: {:?}", tx.history);
    assert_eq!((captures[0].payidsub, captures[0].amount, captures[0].status), (1, 1500, 91));
}

#[tokio::test]
async fn postfinance_swissbilling_accepts_only_full_captures_and_no_renewal() {
    let sb = seeded().await;
    for (op, amount) in [("SAS", "10000"), ("SAL", "5000")] {
        let a = maintain(&sb, "2222222", op, amount).await;
        refused(&a, "50001093");
        assert_eq!(a["NCERRORPLUS"], "Partial capture not allowed");
    }
    refused(&maintain(&sb, "2222222", "REN", "").await, "50001186");
    ok(&maintain(&sb, "2222222", "SAS", "15000").await, "91");
    let tx = sb.client().postfinance_transaction(Env::Test, 2222222).await.unwrap();
    assert_eq!(tx.history.len(), 2, "only the full capture was applied");
}

#[tokio::test]
async fn sb_02_postfinance_over_capture_and_over_refund_are_refused() {
    let sb = seeded().await;
    ok(&maintain(&sb, "1111111", "SAL", "1000").await, "91");
    refused(&maintain(&sb, "1111111", "SAL", "600").await, "50001126");
    // A refund needs a settled capture.
    refused(&maintain(&sb, "1111111", "RFD", "100").await, "50001127");
    sb.client().postfinance_settle(&PfSettle { payid: Some(1111111), ..PfSettle::default() }).await.unwrap();
    ok(&maintain(&sb, "1111111", "RFD", "700").await, "81");
    let over = maintain(&sb, "1111111", "RFD", "400").await;
    refused(&over, "50001129");
    assert_eq!(over["amount"], "4");
    ok(&maintain(&sb, "1111111", "RFS", "300").await, "81");
    refused(&maintain(&sb, "1111111", "RFS", "1").await, "50001127");
    let q = query(&sb, "1111111").await;
    assert_eq!((q["STATUS"].as_str(), q["PAYIDSUB"].as_str()), ("81", "3"));
}

#[tokio::test]
async fn sb_06_postfinance_capture_settles_after_the_delay_on_the_sandbox_clock() {
    let sb = seeded().await;
    ok(&maintain(&sb, "1111111", "SAS", "").await, "91");
    let q = query(&sb, "1111111").await;
    assert_eq!(q["STATUS"], "91");
    sb.client().advance_clock(299).await.unwrap();
    assert_eq!(query(&sb, "1111111").await["STATUS"], "91");
    sb.client().advance_clock(2).await.unwrap();
    let q = query(&sb, "1111111").await;
    assert_eq!((q["STATUS"].as_str(), q["PAYIDSUB"].as_str(), q["amount"].as_str()), ("9", "1", "15"));
    assert_eq!(q["CARDNO"], "XXXXXXXXXXXX1111");
    assert_eq!(q["IP"], "198.51.100.7");
    let level0 = {
        let params = [
            ("PSPID", "MyPSPID"),
            ("USERID", "MyApiUser"),
            ("PSWD", "MyApiPass1"),
            ("PAYID", "1111111"),
            ("PAYIDSUB", "0"),
        ];
        direct(&sb, "/ncol/test/querydirect.asp", &params, ShaAlgorithm::Sha1).await
    };
    assert_eq!(level0["STATUS"], "5", "PAYIDSUB selects a history level and is not signed");
}

#[tokio::test]
async fn postfinance_admin_can_force_a_level_to_report_any_status() {
    let sb = seeded().await;
    ok(&maintain(&sb, "1111111", "SAS", "").await, "91");
    let force = PfForceStatus { env: Env::Test, payid: 1_111_111, payidsub: 1, status: 97 };
    sb.client().postfinance_force_status(&force).await.unwrap();
    assert_eq!(query(&sb, "1111111").await["STATUS"], "97", "an unknown code, as reported");
    sb.client().advance_clock(3600).await.unwrap();
    assert_eq!(query(&sb, "1111111").await["STATUS"], "97", "a forced level no longer settles by itself");
    let missing = PfForceStatus { payidsub: 9, ..force };
    assert!(sb.client().postfinance_force_status(&missing).await.is_err());
}

#[tokio::test]
async fn sb_05_postfinance_sas_act_then_fail_leaves_the_capture_applied() {
    let sb = seeded().await;
    sb.client()
        .add_fault(&FaultSpec::act_then_fail_once(System::Postfinance, "maintenance", FailMode::Error))
        .await
        .unwrap();
    let params = [
        ("PSPID", "MyPSPID"),
        ("USERID", "MyApiUser"),
        ("PSWD", "MyApiPass1"),
        ("PAYID", "1111111"),
        ("OPERATION", "SAS"),
        ("AMOUNT", "1500"),
    ];
    let mut form: Vec<(&str, String)> = params.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
    form.push(("SHASIGN", sha(ShaAlgorithm::Sha1, &params, PASS)));
    let r = helpers::http()
        .post(format!("{}/ncol/test/maintenancedirect.asp", sb.url(System::Postfinance)))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 500, "the client sees an error");
    let q = query(&sb, "1111111").await;
    assert_eq!((q["STATUS"].as_str(), q["PAYIDSUB"].as_str()), ("91", "1"), "but the capture was applied");
    refused(&maintain(&sb, "1111111", "SAS", "1500").await, "50001127");
}

#[tokio::test]
async fn sb_03_postfinance_refuses_test_credentials_on_prod_unknown_ips_and_non_api_users() {
    let sb = seeded().await;
    let c = sb.client();
    let params = [("PSPID", "MyPSPID"), ("USERID", "MyApiUser"), ("PSWD", "MyApiPass1"), ("PAYID", "1111111")];
    let a = direct(&sb, "/ncol/prod/querydirect.asp", &params, ShaAlgorithm::Sha1).await;
    refused(&a, "50001118");
    assert!(
        c.postfinance_add_merchant(&merchant(Env::Prod, "MyPSPID", ShaAlgorithm::Sha1)).await.is_err(),
        "one environment per PSPID"
    );

    let mut far = merchant(Env::Test, "FarAway", ShaAlgorithm::Sha1);
    far.allowed_ips = vec!["203.0.113.9".into()];
    c.postfinance_add_merchant(&far).await.unwrap();
    let params = [("PSPID", "FarAway"), ("USERID", "MyApiUser"), ("PSWD", "MyApiPass1"), ("PAYID", "1")];
    let a = direct(&sb, "/ncol/test/querydirect.asp", &params, ShaAlgorithm::Sha1).await;
    refused(&a, "50001116");
    assert_eq!(a["NCERRORPLUS"], "unknown order/1/i/127.0.0.1");

    let params = [("PSPID", "MyPSPID"), ("USERID", "MyApiUser"), ("PSWD", "wrong"), ("PAYID", "1111111")];
    refused(&direct(&sb, "/ncol/test/querydirect.asp", &params, ShaAlgorithm::Sha1).await, "50001119");
    let params = [("PSPID", "MyPSPID"), ("USERID", "WebUser"), ("PSWD", "WebPass1"), ("PAYID", "1111111")];
    let a = direct(&sb, "/ncol/test/querydirect.asp", &params, ShaAlgorithm::Sha1).await;
    assert_eq!(a["NCERRORPLUS"], "Connection to API feature not allowed for this user");
    let params = [("PSPID", "MyPSPID"), ("USERID", "MyApiUser"), ("PSWD", "MyApiPass1"), ("PAYID", "999")];
    refused(&direct(&sb, "/ncol/test/querydirect.asp", &params, ShaAlgorithm::Sha1).await, "50001130");
    let r = helpers::http()
        .post(format!("{}/ncol/stage/querydirect.asp", sb.url(System::Postfinance)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn postfinance_orderdirect_authorises_and_a_duplicate_orderid_returns_50001113_with_the_old_payid() {
    let sb = seeded().await;
    let params = [
        ("PSPID", "MyPSPID"),
        ("USERID", "MyApiUser"),
        ("PSWD", "MyApiPass1"),
        ("ORDERID", "WEB-77"),
        ("AMOUNT", "1789"),
        ("CURRENCY", "CHF"),
        ("CARDNO", "4111111111111111"),
        ("ED", "12/39"),
        ("CVC", "123"),
        ("OPERATION", "RES"),
    ];
    let first = direct(&sb, "/ncol/test/orderdirect.asp", &params, ShaAlgorithm::Sha1).await;
    ok(&first, "5");
    assert_eq!((first["amount"].as_str(), first["BRAND"].as_str()), ("17.89", "VISA"));
    let again = direct(&sb, "/ncol/test/orderdirect.asp", &params, ShaAlgorithm::Sha1).await;
    assert_eq!((again["STATUS"].as_str(), again["NCERROR"].as_str()), ("0", "50001113"));
    assert_eq!(
        (again["PAYID"].as_str(), again["ACCEPTANCE"].as_str()),
        (first["PAYID"].as_str(), first["ACCEPTANCE"].as_str())
    );

    let incomplete = [("PSPID", "MyPSPID"), ("USERID", "MyApiUser"), ("PSWD", "MyApiPass1"), ("AMOUNT", "100")];
    let a = direct(&sb, "/ncol/test/orderdirect.asp", &incomplete, ShaAlgorithm::Sha1).await;
    refused(&a, "50001111");
    assert!(a["NCERRORPLUS"].contains("no orderid") && a["NCERRORPLUS"].contains("no card no"), "{a:?}");
}

/// A SwissBilling order form as the shop's browser posts it.
fn swissbilling_form(orderid: &str, ship_city: &str) -> Vec<(String, String)> {
    let mut f: Vec<(String, String)> = [
        ("PSPID", "MyPSPID"),
        ("ORDERID", orderid),
        ("AMOUNT", "3999"),
        ("CURRENCY", "CHF"),
        ("LANGUAGE", "de_CH"),
        ("PM", "SwissBilling"),
        ("BRAND", "SwissBilling"),
        ("EMAIL", "anna.muster@example.ch"),
        ("ACCEPTURL", "https://shop.example/accept"),
        ("DECLINEURL", "https://shop.example/decline?lang=de"),
        ("COMPLUS", "basket-42"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    for side in ["BILLTO", "SHIPTO"] {
        for (field, value) in [
            ("NAME_FIRST", "Anna"),
            ("NAME_LAST", "Müller"),
            ("STREET_NUMBER", "5"),
            ("STREET_LINE1", "Seestrasse"),
            ("POSTALCODE", "8002"),
            ("CITY", if side == "SHIPTO" { ship_city } else { "Zürich" }),
            ("COUNTRYCODE", "CH"),
        ] {
            f.push((format!("ECOM_{side}_POSTAL_{field}"), value.to_owned()));
        }
    }
    for (k, v) in [
        ("ITEMID1", "2855"),
        ("ITEMNAME1", "Waschkarte"),
        ("ITEMPRICE1", "3999"),
        ("ITEMQUANT1", "1"),
        ("ITEMVATCODE1", "8.1%"),
        ("ITEMCATEGORY1", "ServicesForIndividuals"),
        ("TAXINCLUDED1", "1"),
    ] {
        f.push((k.to_owned(), v.to_owned()));
    }
    f
}

/// The same form with ASCII values only (for the ISO-8859-1 page).
fn ascii(form: Vec<(String, String)>) -> Vec<(String, String)> {
    form.into_iter().map(|(k, v)| (k, v.replace('ü', "ue"))).collect()
}

async fn open_page(sb: &Sandbox, page: &str, form: &[(String, String)], pass: &str) -> String {
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut body = form.to_vec();
    body.push(("SHASIGN".into(), sha(ShaAlgorithm::Sha1, &pairs, pass)));
    let r = helpers::http()
        .post(format!("{}/ncol/test/{page}", sb.url(System::Postfinance)))
        .form(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.text().await.unwrap()
}

fn customer(orderid: &str, action: Action) -> PfCustomer {
    PfCustomer { env: Env::Test, pspid: "MyPSPID".into(), orderid: orderid.into(), action }
}

#[tokio::test]
async fn postfinance_hosted_page_accept_redirects_with_sha_out_and_opens_the_order_for_maintenance() {
    let sb = seeded().await;
    let c = sb.client();
    let form = swissbilling_form("SB-77", "Zürich");
    let page = open_page(&sb, "orderstandard_utf8.asp", &form, "Ecom-In-Phrase!").await;
    assert!(page.contains("SB-77") && page.contains("39.99"), "{page}");
    assert_eq!(c.postfinance_sessions().await.unwrap().len(), 1);

    let outcome = c.postfinance_customer(&customer("SB-77", Action::Accept)).await.unwrap();
    assert_eq!(outcome.status, 5);
    let url = outcome.redirect_url.unwrap();
    assert!(url.starts_with("https://shop.example/accept?orderID=SB-77&"), "{url}");
    let params: HashMap<&str, &str> = outcome.params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(
        (params["STATUS"], params["amount"], params["PM"], params["COMPLUS"]),
        ("5", "39.99", "SwissBilling", "basket-42")
    );
    let signed: Vec<(&str, &str)> =
        outcome.params.iter().filter(|(k, _)| k != "SHASIGN").map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(params["SHASIGN"], sha(ShaAlgorithm::Sha1, &signed, "Ecom-Out-Phrase!"), "SHA-OUT over the feedback");

    // The order is authorised and takes a full capture.
    let payid = outcome.payid.to_string();
    ok(&maintain(&sb, &payid, "SAS", "3999").await, "91");
    // The same ORDERID cannot be paid again.
    let page = open_page(&sb, "orderstandard_utf8.asp", &form, "Ecom-In-Phrase!").await;
    assert!(page.contains("50001113"), "{page}");
    // A wrong signature is refused the PostFinance way.
    let page = open_page(&sb, "orderstandard_utf8.asp", &swissbilling_form("SB-78", "Zürich"), "not-the-phrase").await;
    assert!(page.contains("unknown order/1/s/"), "{page}");
    // SwissBilling only on the UTF-8 page; its mandatory fields are checked.
    let page =
        open_page(&sb, "orderstandard.asp", &ascii(swissbilling_form("SB-79", "Zürich")), "Ecom-In-Phrase!").await;
    assert!(page.contains("orderstandard_utf8.asp"), "{page}");
    let mut short = swissbilling_form("SB-80", "Zürich");
    short.retain(|(k, _)| k != "EMAIL" && k != "ITEMCATEGORY1");
    let page = open_page(&sb, "orderstandard_utf8.asp", &short, "Ecom-In-Phrase!").await;
    assert!(page.contains("no EMAIL") && page.contains("no ITEMCATEGORY1"), "{page}");
}

#[tokio::test]
async fn postfinance_hosted_page_decline_cancel_and_uncertain_follow_their_urls() {
    let sb = seeded().await;
    let c = sb.client();
    for (orderid, action, ship_city, status, url_start) in [
        ("P-1", Action::Decline, "Zürich", 2, "https://shop.example/decline?lang=de&orderID=P-1"),
        ("P-2", Action::Cancel, "Zürich", 1, "https://shop.example/decline?lang=de&"),
        ("P-3", Action::Uncertain, "Zürich", 52, "https://shop.example/accept?"),
        ("P-4", Action::Accept, "Bern", 2, "https://shop.example/decline?"),
    ] {
        open_page(&sb, "orderstandard_utf8.asp", &swissbilling_form(orderid, ship_city), "Ecom-In-Phrase!").await;
        let outcome = c.postfinance_customer(&customer(orderid, action)).await.unwrap();
        assert_eq!(outcome.status, status, "{orderid}");
        let url = outcome.redirect_url.unwrap();
        assert!(url.starts_with(url_start), "{orderid}: {url}");
        assert!(url.contains(&format!("STATUS={status}")), "{url}");
        let tx = c.postfinance_transaction(Env::Test, outcome.payid).await.unwrap();
        assert_eq!(tx.history[0].status, status);
    }
    // A refused order may be paid again under the same ORDERID.
    let page = open_page(&sb, "orderstandard_utf8.asp", &swissbilling_form("P-1", "Zürich"), "Ecom-In-Phrase!").await;
    assert!(!page.contains("50001113"), "{page}");
    assert!(c.postfinance_customer(&customer("nope", Action::Accept)).await.is_err());
}

#[tokio::test]
async fn sb_08_postfinance_demo_has_merchants_per_environment_and_authorised_swissbilling_orders() {
    let sb = helpers::start_with_demo().await;
    let test = sb.client().postfinance_transactions(Env::Test).await.unwrap();
    assert!(test.iter().any(|t| t.pm == "SwissBilling" && t.history[0].status == 5));
    let (_, pspid, user, pswd, dl, ..) = sandbox::postfinance::demo::ACCOUNTS[0];
    let payid = test[0].payid.to_string();
    let params = [("PSPID", pspid), ("USERID", user), ("PSWD", pswd), ("PAYID", payid.as_str())];
    let mut form: Vec<(&str, String)> = params.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
    form.push(("SHASIGN", sha(ShaAlgorithm::Sha256, &params, dl)));
    let r = helpers::http()
        .post(format!("{}/ncol/test/querydirect.asp", sb.url(System::Postfinance)))
        .form(&form)
        .send()
        .await
        .unwrap();
    let a = attrs(&r.text().await.unwrap());
    assert_eq!((a["NCERROR"].as_str(), a["STATUS"].as_str()), ("0", "5"), "{a:?}");
    assert!(!sb.client().postfinance_transactions(Env::Prod).await.unwrap().is_empty());
}
