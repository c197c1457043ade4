//! The unzer simulator against the unzer contract cases (CT-03): a fresh merchant per case,
//! the payment put into the case's `state` through the admin API and the partner API, then
//! the case's request sent and the answer compared with the case's.
//!
//! `state` keys: `kind` (payment type, or `keypair` for none), `amount_minor`, `outcome`
//! (`authorized`, `charged`, `pending`, `failed`; default: the type's natural checkout),
//! `key` (`p` for a production merchant, `unknown` for a key unzer does not know), `payment`
//! (`unknown`: an id that is no payment), `age_days` (checkout that long ago),
//! `errors_with_http_200`, `webhooks` (registrations) and `then` (steps: `charge`, `reverse`,
//! `reverse_payment`, `refund_payment`, `receive`, `ship`, `cancel_initial`, `chargeback`).

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine;
use sandbox::contracts::{LoadedCase, Prepared, check_simulator, load_partner};
use sandbox::unzer::{ChargebackReq, ConfigPatch, NewMerchant, PayKind, SeedOutcome, SeedPayment};
use sandbox::{Sandbox, SandboxClient, System};
use serde_json::{Value, json};

use crate::helpers;

struct World {
    _sb: Sandbox,
    admin: SandboxClient,
    base: String,
    http: reqwest::Client,
}

fn s(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(str::to_owned)
}

impl World {
    async fn call(&self, method: reqwest::Method, key: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let mut rb = self.http.request(method, format!("{}{path}", self.base)).basic_auth(key, Some(""));
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let r = rb.send().await.map_err(|e| e.to_string())?;
        let status = r.status();
        let v: Value = r.json().await.map_err(|e| e.to_string())?;
        if !status.is_success() || v.get("errors").is_some() {
            return Err(format!("{path}: {status} {v}"));
        }
        Ok(v)
    }

    async fn step(&self, key: &str, pid: &str, step: &Value) -> Result<(), String> {
        let amount = |k: &str| step.get(k).and_then(Value::as_i64).map(|m| format!("{}.{:02}", m / 100, m % 100));
        let mut body = json!({});
        if let Some(r) = s(step, "payment_reference") {
            body["paymentReference"] = json!(r);
        }
        if let Some(i) = s(step, "invoice_id") {
            body["invoiceId"] = json!(i);
        }
        let post = reqwest::Method::POST;
        if let Some(a) = amount("charge") {
            body["amount"] = json!(a);
            self.call(post, key, &format!("/v1/payments/{pid}/charges"), Some(body)).await?;
        } else if let Some(a) = amount("reverse").or_else(|| amount("reverse_payment")) {
            body["amount"] = json!(a);
            self.call(post, key, &format!("/v1/payments/{pid}/authorize/cancels"), Some(body)).await?;
        } else if let Some(a) = amount("refund_payment") {
            body["amount"] = json!(a);
            body["reasonCode"] = json!("CANCEL");
            self.call(post, key, &format!("/v1/payments/{pid}/charges/cancels"), Some(body)).await?;
        } else if let Some(a) = amount("cancel_initial") {
            body["amount"] = json!(a);
            body["reasonCode"] = json!("CANCEL");
            let chg = format!("{}-chg-1", &pid[..1]);
            self.call(post, key, &format!("/v1/payments/{pid}/charges/{chg}/cancels"), Some(body)).await?;
        } else if let Some(inv) = s(step, "ship") {
            self.call(post, key, &format!("/v1/payments/{pid}/shipments"), Some(json!({"invoiceId": inv}))).await?;
        } else if let Some(m) = step.get("receive").and_then(Value::as_i64) {
            self.admin.unzer_receive_transfer(pid, Some(m)).await.map_err(|e| e.to_string())?;
        } else if let Some(c) = s(step, "chargeback") {
            let req = ChargebackReq { charge_id: Some(c), amount_minor: None };
            self.admin.unzer_chargeback(pid, &req).await.map_err(|e| e.to_string())?;
        } else {
            return Err(format!("unknown step {step}"));
        }
        Ok(())
    }

    async fn prepare(&self, n: usize, case: &LoadedCase) -> Result<Prepared, String> {
        let state = &case.case.state;
        let input = &case.case.input;
        let live = s(state, "key").as_deref() == Some("p");
        let env = if live { "p" } else { "s" };
        let key = format!("{env}-priv-2a10case{n:04}{}", "0".repeat(20));
        let public = format!("{env}-pub-2a10case{n:04}{}", "0".repeat(20));
        let m = NewMerchant { private_key: Some(key.clone()), public_key: Some(public) };
        self.admin.unzer_create_merchant(&m).await.map_err(|e| e.to_string())?;
        let http200 = state.get("errors_with_http_200").and_then(Value::as_bool).unwrap_or(false);
        let patch = ConfigPatch { errors_with_http_200: Some(http200), ..ConfigPatch::default() };
        self.admin.unzer_set_config(&patch).await.map_err(|e| e.to_string())?;
        for w in state.get("webhooks").and_then(Value::as_array).into_iter().flatten() {
            self.call(reqwest::Method::POST, &key, "/v1/webhooks", Some(w.clone())).await?;
        }
        let mut vars = BTreeMap::new();
        let pid = match (s(state, "kind"), s(state, "payment")) {
            (_, Some(_)) => format!("{env}-pay-404404"),
            (Some(k), None) if k != "keypair" => {
                let kind = PayKind::from_name(&k).ok_or(format!("unknown kind {k}"))?;
                let outcome = match s(state, "outcome").as_deref() {
                    Some("authorized") => SeedOutcome::Authorized,
                    Some("charged") => SeedOutcome::Charged,
                    Some("pending") => SeedOutcome::Pending,
                    Some("failed") => SeedOutcome::Failed,
                    _ => SeedOutcome::Natural,
                };
                let days = state.get("age_days").and_then(Value::as_i64).unwrap_or(0);
                let at = (days > 0).then(|| chrono::Utc::now() - chrono::Duration::days(days));
                let seed = SeedPayment {
                    private_key: key.clone(),
                    kind,
                    amount_minor: state.get("amount_minor").and_then(Value::as_i64).unwrap_or(10_000),
                    currency: "EUR".into(),
                    order_id: String::new(),
                    invoice_id: String::new(),
                    payment_reference: String::new(),
                    outcome,
                    charged_minor: None,
                    at,
                };
                let p = self.admin.unzer_seed_payment(&seed).await.map_err(|e| e.to_string())?;
                for step in state.get("then").and_then(Value::as_array).into_iter().flatten() {
                    self.step(&key, &p.id, step).await?;
                }
                p.id
            }
            _ => String::new(),
        };
        vars.insert("id".to_owned(), pid);
        // Transaction ids from the input's path (`authorize/s-aut-1/cancels/s-cnl-1`) or charge.
        let path = s(input, "path").unwrap_or_default();
        let parts: Vec<&str> = path.split('/').collect();
        for w in parts.windows(2) {
            let name = match w[0] {
                "authorize" => "aut",
                "charges" => "chg",
                "cancels" => "cnl",
                "shipments" => "shp",
                _ => continue,
            };
            vars.insert(name.to_owned(), w[1].replacen("s-", &format!("{env}-"), 1));
        }
        if let Some(c) = s(input, "charge_id") {
            vars.insert("chg".to_owned(), c.replacen("s-", &format!("{env}-"), 1));
        }
        let auth_key = if s(state, "key").as_deref() == Some("unknown") { format!("{key}x") } else { key };
        let auth = base64::engine::general_purpose::STANDARD.encode(format!("{auth_key}:"));
        vars.insert("auth".to_owned(), auth);
        Ok(Prepared { base_url: self.base.clone(), vars, headers: BTreeMap::new(), body: None })
    }
}

#[tokio::test]
async fn ct_03_unzer_simulator_answers_every_case_like_the_partner() {
    let sb = helpers::start().await;
    let world = Arc::new(World { admin: sb.client(), base: sb.url(System::Unzer), http: helpers::http(), _sb: sb });
    let cases = load_partner("unzer").expect("unzer cases");
    let counter = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let failures = check_simulator(&cases, |c| {
        let (world, counter) = (world.clone(), counter.clone());
        async move {
            let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            world.prepare(n, &c).await
        }
    })
    .await;
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

// ---- CT-07: the documented behaviours that matter for money ----

fn txn_urls(p: &Value) -> Vec<(String, String, String)> {
    p["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let url = t["url"].as_str().unwrap();
            let tail = url.split_once("/v1/payments/").unwrap().1.split_once('/').unwrap().1.to_owned();
            (t["type"].as_str().unwrap().to_owned(), t["status"].as_str().unwrap().to_owned(), tail)
        })
        .collect()
}

fn seed(u: &crate::unzer::Unzer, kind: PayKind, amount: i64, outcome: SeedOutcome) -> SeedPayment {
    SeedPayment {
        private_key: u.private.clone(),
        kind,
        amount_minor: amount,
        currency: "EUR".into(),
        order_id: String::new(),
        invoice_id: String::new(),
        payment_reference: String::new(),
        outcome,
        charged_minor: None,
        at: None,
    }
}

#[tokio::test]
async fn ct_07_unzer_shipments_are_refused_for_types_without_shipment() {
    let u = crate::unzer::unzer().await;
    let cases = [
        (PayKind::Invoice, 400, "API.360.000.004"),
        (PayKind::Prepayment, 400, "API.360.000.004"),
        (PayKind::SepaDirectDebitSecured, 400, "COR.700.400.800"),
        (PayKind::PaylaterInvoice, 400, "API.360.000.004"),
        (PayKind::PaylaterInstallment, 400, "API.360.000.004"),
        (PayKind::PaylaterDirectDebit, 400, "API.360.000.004"),
        (PayKind::Card, 400, "API.360.000.004"),
        (PayKind::InvoiceSecured, 200, ""),
    ];
    for (kind, status, code) in cases {
        let p = u.admin.unzer_seed_payment(&seed(&u, kind, 10_000, SeedOutcome::Natural)).await.unwrap();
        let (st, v) = u.post(&format!("/v1/payments/{}/shipments", p.id), json!({ "invoiceId": "R-1" })).await;
        assert_eq!((st, crate::unzer::code(&v)), (status, code), "{kind:?}: {v}");
    }
    let ivs =
        u.admin.unzer_seed_payment(&seed(&u, PayKind::InvoiceSecured, 10_000, SeedOutcome::Natural)).await.unwrap();
    let (st, v) = u.post_empty(&format!("/v1/payments/{}/shipments", ivs.id)).await;
    assert_eq!((st, crate::unzer::code(&v)), (400, "API.360.100.025"), "invoice secured needs an invoiceId: {v}");
}

#[tokio::test]
async fn ct_07_unzer_transfer_receipts_are_their_own_successful_charges_and_a_partial_receipt_is_partly() {
    let u = crate::unzer::unzer().await;
    for kind in [PayKind::Prepayment, PayKind::Invoice, PayKind::InvoiceSecured] {
        let p = u.admin.unzer_seed_payment(&seed(&u, kind, 10_000, SeedOutcome::Natural)).await.unwrap();
        u.admin.unzer_receive_transfer(&p.id, Some(6_000)).await.unwrap();
        let v = u.payment(&p.id).await;
        assert_eq!(v["state"], json!({ "id": 3, "name": "partly" }), "{kind:?}: {v}");
        assert_eq!(
            v["amount"],
            json!({ "total": "100.0000", "charged": "60.0000", "canceled": "0.0000", "remaining": "40.0000" }),
            "{kind:?}"
        );
        assert_eq!(
            txn_urls(&v),
            vec![
                ("charge".into(), "pending".into(), "charges/s-chg-1".into()),
                ("charge".into(), "success".into(), "charges/s-chg-2".into())
            ],
            "{kind:?}: the initial charge stays pending, the receipt is its own charge"
        );
        let (st, c) = u.get(&format!("/v1/payments/{}/charges/s-chg-2", p.id)).await;
        assert_eq!((st, c["isSuccess"].as_bool(), c["amount"].as_str()), (200, Some(true), Some("60.0000")), "{c}");
        u.admin.unzer_receive_transfer(&p.id, Some(4_000)).await.unwrap();
        let v = u.payment(&p.id).await;
        assert_eq!(v["state"]["name"], "completed", "{kind:?}");
        assert_eq!(txn_urls(&v)[0].1, "pending", "{kind:?}: never success");
        assert_eq!(txn_urls(&v)[2], ("charge".into(), "success".into(), "charges/s-chg-3".into()));
    }
}

#[tokio::test]
async fn ct_07_unzer_cancels_around_receipts_follow_the_sdk_arithmetic() {
    let u = crate::unzer::unzer().await;
    let p = u.admin.unzer_seed_payment(&seed(&u, PayKind::Prepayment, 10_000, SeedOutcome::Natural)).await.unwrap();
    u.admin.unzer_receive_transfer(&p.id, Some(6_000)).await.unwrap();
    let initial = format!("/v1/payments/{}/charges/s-chg-1/cancels", p.id);
    let (st, v) = u.post(&initial, json!({ "amount": "50.00" })).await;
    assert_eq!((st, crate::unzer::code(&v)), (400, "API.340.000.004"), "only 40 is still owed: {v}");
    let (st, v) = u.post(&initial, json!({ "amount": "40.00" })).await;
    assert_eq!((st, v["id"].as_str()), (200, Some("s-cnl-1")), "{v}");
    let (st, v) = u.post(&initial, json!({ "amount": "0.01" })).await;
    assert_eq!(st, 400, "nothing is owed any more: {v}");
    let receipt = format!("/v1/payments/{}/charges/s-chg-2/cancels", p.id);
    let (st, v) = u.post(&receipt, json!({ "amount": "60.01" })).await;
    assert_eq!((st, crate::unzer::code(&v)), (400, "API.340.000.004"), "{v}");
    let (st, v) = u.post(&receipt, json!({ "amount": "30.00" })).await;
    assert_eq!((st, v["id"].as_str()), (200, Some("s-cnl-1")), "numbered under s-chg-2: {v}");
    let v = u.payment(&p.id).await;
    let urls = txn_urls(&v);
    assert_eq!(urls[2], ("cancel-authorize".into(), "success".into(), "charges/s-chg-1/cancels/s-cnl-1".into()));
    assert_eq!(urls[3], ("cancel-charge".into(), "success".into(), "charges/s-chg-2/cancels/s-cnl-1".into()));
    assert_eq!(v["amount"]["charged"], "30.0000", "{v}");
    let (st, c) = u.get(&format!("/v1/payments/{}/charges/s-chg-1/cancels/s-cnl-1", p.id)).await;
    assert_eq!((st, c["amount"].as_str()), (200, Some("40.0000")), "{c}");
    let (st, c) = u.get(&format!("/v1/payments/{}/charges/s-chg-2/cancels/s-cnl-1", p.id)).await;
    assert_eq!((st, c["amount"].as_str()), (200, Some("30.0000")), "{c}");
}

#[tokio::test]
async fn ct_07_unzer_cancel_ids_are_numbered_per_parent_transaction() {
    let u = crate::unzer::unzer().await;
    let pay = u.authorize_card(100.0, "o-per-parent").await;
    for amount in ["50.00", "30.00"] {
        let (st, v) = u.post(&format!("/v1/payments/{pay}/charges"), json!({ "amount": amount })).await;
        assert_eq!(st, 200, "{v}");
    }
    let steps = [
        (format!("/v1/payments/{pay}/authorize/cancels"), "s-cnl-1"),
        (format!("/v1/payments/{pay}/charges/s-chg-1/cancels"), "s-cnl-1"),
        (format!("/v1/payments/{pay}/charges/s-chg-2/cancels"), "s-cnl-1"),
        (format!("/v1/payments/{pay}/charges/s-chg-1/cancels"), "s-cnl-2"),
        (format!("/v1/payments/{pay}/authorize/cancels"), "s-cnl-2"),
    ];
    for (path, id) in &steps {
        let (st, v) = u.post(path, json!({ "amount": "5.00", "reasonCode": "CANCEL" })).await;
        assert_eq!((st, v["id"].as_str()), (200, Some(*id)), "{path}: {v}");
    }
    let tails: Vec<String> = txn_urls(&u.payment(&pay).await).into_iter().map(|t| t.2).collect();
    assert_eq!(
        tails[3..],
        [
            "authorize/s-aut-1/cancels/s-cnl-1",
            "charges/s-chg-1/cancels/s-cnl-1",
            "charges/s-chg-2/cancels/s-cnl-1",
            "charges/s-chg-1/cancels/s-cnl-2",
            "authorize/s-aut-1/cancels/s-cnl-2"
        ]
    );
    for tail in &tails[3..] {
        let (st, v) = u.get(&format!("/v1/payments/{pay}/{tail}")).await;
        assert_eq!((st, v["amount"].as_str()), (200, Some("5.0000")), "GET {tail}: {v}");
    }
}

#[tokio::test]
async fn ct_07_unzer_expired_paylater_installment_is_reauthorised_and_cards_are_not() {
    let u = crate::unzer::unzer().await;
    let pit = u
        .admin
        .unzer_seed_payment(&SeedPayment {
            charged_minor: Some(4_000),
            ..seed(&u, PayKind::PaylaterInstallment, 10_000, SeedOutcome::Authorized)
        })
        .await
        .unwrap();
    u.admin.advance_clock(8 * 24 * 3600).await.unwrap();
    let charge = format!("/v1/payments/{}/charges", pit.id);
    let (st, v) = u.post(&charge, json!({ "amount": "60.00" })).await;
    assert_eq!((st, crate::unzer::code(&v)), (400, "API.330.000.004"), "expired: {v}");
    let patch = u
        .call(
            reqwest::Method::PATCH,
            &format!("/v1/payments/{}/authorize", pit.id),
            Some(&u.private),
            Some(json!({ "amount": "100.00", "currency": "EUR" })),
        )
        .await;
    assert_eq!((patch.0, patch.1["isSuccess"].as_bool()), (200, Some(true)), "{}", patch.1);
    let (st, v) = u.post(&charge, json!({ "amount": "60.00" })).await;
    assert_eq!((st, v["id"].as_str()), (200, Some("s-chg-2")), "charged after the re-authorisation: {v}");

    let card = u.authorize_card(10.0, "crd-reauth").await;
    let (st, v) = u
        .call(
            reqwest::Method::PATCH,
            &format!("/v1/payments/{card}/authorize"),
            Some(&u.private),
            Some(json!({ "amount": "10.00", "currency": "EUR" })),
        )
        .await;
    assert_ne!(st, 200, "no re-authorisation is documented for cards: {v}");
}

#[tokio::test]
async fn ct_07_unzer_keys_of_both_environments_work_on_one_host_with_their_own_ids() {
    let u = crate::unzer::unzer().await;
    let live = u
        .admin
        .unzer_create_merchant(&NewMerchant {
            private_key: Some("p-priv-2a10liveone".into()),
            public_key: Some("p-pub-2a10liveone".into()),
        })
        .await
        .unwrap();
    let p = u
        .admin
        .unzer_seed_payment(&SeedPayment {
            private_key: live.private_key.clone(),
            ..seed(&u, PayKind::Card, 1_000, SeedOutcome::Authorized)
        })
        .await
        .unwrap();
    assert!(p.id.starts_with("p-pay-"), "{}", p.id);
    let (st, v) = u.call(reqwest::Method::GET, &format!("/v1/payments/{}", p.id), Some(&live.private_key), None).await;
    assert_eq!(st, 200, "{v}");
    let (st, _) = u.call(reqwest::Method::GET, &format!("/v1/payments/{}", p.id), Some(&u.private), None).await;
    assert_eq!(st, 404, "another merchant's payment");
}
