//! pixi: the simulator against the contract cases (CT-03) and the documented behaviours that
//! matter for money (CT-07): procedure errors as `SqlMessage` in an HTTP 200 answer, parameters
//! that a revision does not have yet, deadlocks, calls not installed, columns missing.
//!
//! The preparer gives every case a fresh installation (its own API user), so the numbers the
//! simulator assigns (order 100001, customer 1, address 1, documents DEM0000001 …) are the ones
//! the cases show. A case's `state` is read as:
//! `methods` (replacing the defaults; booking events UZE/UZR are added), `revision`,
//! `uninstalled`, `sql_error`, `clock` (UTC), `quiet` (backup window enforced),
//! `wrong_password`, `orders` (`payment`, `kk_id`, `kk_id_in_xml_only`, `lines` as prices,
//! `status`, `locked`, `last_name`) and `actions` (`ship`, `credit`, `manual_credit`,
//! `comment`, `bank`) applied in order.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use quick_xml::escape::escape;
use reqwest::StatusCode;
use sandbox::contracts::case::Body;
use sandbox::contracts::{LoadedCase, Prepared, check_simulator, load_partner};
use sandbox::pixi::{
    Address, BookingEvent, ColumnRef, CreateUser, CreditNoteRequest, OrderStatus, PaymentMethod, SeedLine, SeedOrder,
    Ship, SqlErrorSpec, Switches, UserOptions,
};
use sandbox::{Sandbox, SandboxClient, System};
use serde_json::{Value, json};

use crate::helpers;

const PASS: &str = "ct-pass";

struct Sim {
    _sb: Sandbox,
    admin: SandboxClient,
    url: String,
    http: reqwest::Client,
    next: AtomicUsize,
}

fn basic(user: &str, pass: &str) -> String {
    use base64::Engine;
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}")))
}

/// A SOAP 1.1 request for `call` in the endpoint's namespace.
fn envelope(ns: &str, call: &str, params: &BTreeMap<String, String>) -> String {
    let p: String = params.iter().map(|(k, v)| format!("<{k}>{}</{k}>", escape(v.as_str()))).collect();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body><ns1:{call} xmlns:ns1="{ns}">{p}</ns1:{call}></SOAP-ENV:Body></SOAP-ENV:Envelope>"#
    )
}

impl Sim {
    async fn start() -> Arc<Sim> {
        let sb = helpers::start().await;
        let admin = sb.client();
        let url = sb.url(System::Pixi);
        Arc::new(Sim { _sb: sb, admin, url, http: helpers::http(), next: AtomicUsize::new(0) })
    }

    async fn soap(&self, user: &str, call: &str, params: &[(&str, &str)]) -> Result<String, String> {
        let params: BTreeMap<String, String> = params.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let r = self
            .http
            .post(format!("{}/", self.url))
            .header("authorization", basic(user, PASS))
            .header("content-type", "text/xml; charset=utf-8")
            .body(envelope(&format!("{}/", self.url), call, &params))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let ok = r.status() == StatusCode::OK;
        let text = r.text().await.map_err(|e| e.to_string())?;
        if ok && !text.contains("<sqlresultstream:SqlMessage") { Ok(text) } else { Err(format!("{call}: {text}")) }
    }

    async fn prepare(&self, c: LoadedCase) -> Result<Prepared, String> {
        let s = &c.case.state;
        let user = format!("ct-{}", self.next.fetch_add(1, Ordering::SeqCst));
        let e = |e: sandbox::client::ClientError| e.to_string();
        let methods = s.get("methods").and_then(Value::as_array);
        let create = CreateUser {
            user: user.clone(),
            password: PASS.into(),
            no_defaults: methods.is_some(),
            ..CreateUser::default()
        };
        self.admin.pixi_create_user(&create).await.map_err(e)?;
        for m in methods.into_iter().flatten() {
            let text = |k: &str| m.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
            let pm = PaymentMethod {
                code: text("code"),
                text: text("text"),
                xml_tag: text("xml_tag"),
                direct_charge: false,
                auto_paid: false,
                ini_status: text("ini_status"),
            };
            self.admin.pixi_add_payment_method(&user, &pm).await.map_err(e)?;
        }
        if methods.is_some() {
            for (id, sign) in [("UZE", 1), ("UZR", -1)] {
                let ev = BookingEvent { event_id: id.into(), name: id.into(), sign };
                self.admin.pixi_add_booking_event(&user, &ev).await.map_err(e)?;
            }
        }
        if let Some(at) = s.get("clock") {
            self.admin.post::<_, Value>("/admin/clock/set", &json!({ "at": at })).await.map_err(e)?;
        }
        let mut orders = Vec::new();
        for (i, o) in s.get("orders").and_then(Value::as_array).into_iter().flatten().enumerate() {
            orders.push(self.seed(&user, i, o).await?);
        }
        for a in s.get("actions").and_then(Value::as_array).into_iter().flatten() {
            self.act(&user, &orders, a).await?;
        }
        let mut sw = Switches {
            revision: s.get("revision").and_then(Value::as_str).map(str::to_owned),
            uninstall: serde_json::from_value(s.get("uninstalled").cloned().unwrap_or(json!([])))
                .map_err(|e| e.to_string())?,
            ..Switches::default()
        };
        if let Some(spec) = s.get("sql_error") {
            sw.sql_errors.push(serde_json::from_value::<SqlErrorSpec>(spec.clone()).map_err(|e| e.to_string())?);
        }
        self.admin.pixi_switches(&user, &sw).await.map_err(e)?;
        if s.get("quiet").and_then(Value::as_bool) == Some(true) {
            let q = UserOptions { enforce_quiet_window: Some(true), ..UserOptions::default() };
            self.admin.pixi_update_user(&user, &q).await.map_err(e)?;
        }
        let pass = if s.get("wrong_password").and_then(Value::as_bool) == Some(true) { "wrong" } else { PASS };
        let endpoint = format!("{}/", self.url);
        let body = match &c.case.request.body {
            Body::Soap { call, params } => envelope(&endpoint, call, params),
            other => return Err(format!("a pixi case needs a SOAP request, not {other:?}")),
        };
        Ok(Prepared {
            base_url: self.url.clone(),
            vars: [("endpoint".to_owned(), endpoint)].into(),
            headers: [("authorization".to_owned(), basic(&user, pass))].into(),
            body: Some(body),
        })
    }

    /// Seeds order `i`; returns its number and line keys.
    async fn seed(&self, user: &str, i: usize, o: &Value) -> Result<(i64, Vec<i64>), String> {
        let text = |k: &str| o.get(k).and_then(Value::as_str).map(str::to_owned);
        let lines = o.get("lines").and_then(Value::as_array).cloned().unwrap_or_default();
        let seed = SeedOrder {
            payment_code: text("payment").unwrap_or_default(),
            kk_id: text("kk_id").or_else(|| text("kk_id_in_xml_only")),
            payment_id_in_import_only: o.get("kk_id_in_xml_only").is_some(),
            status: match text("status").as_deref() {
                Some("OPEN") => Some(OrderStatus::Open),
                _ => None,
            },
            locked: o.get("locked").and_then(Value::as_bool).unwrap_or(false),
            billing: Address {
                first_name: "Erika".into(),
                last_name: text("last_name").unwrap_or_else(|| "Muster".into()),
                street: "Hauptstraße 1".into(),
                zip: "10115".into(),
                city: "Berlin".into(),
                country: "DE".into(),
                email: format!("kunde{i}@example.com"),
                ..Address::default()
            },
            lines: lines
                .iter()
                .enumerate()
                .map(|(n, p)| SeedLine {
                    item_nr: format!("ART-{n}"),
                    name: format!("Artikel {n}"),
                    qty: 1,
                    price_minor: p.as_i64().unwrap_or(0),
                    ean: None,
                })
                .collect(),
            ..SeedOrder::default()
        };
        let v = self.admin.pixi_seed_order(user, &seed).await.map_err(|e| e.to_string())?;
        Ok((v.order_nr, v.lines.iter().map(|l| l.key).collect()))
    }

    async fn act(&self, user: &str, orders: &[(i64, Vec<i64>)], a: &Value) -> Result<(), String> {
        let e = |e: sandbox::client::ClientError| e.to_string();
        let (kind, spec) = a.as_object().and_then(|m| m.iter().next()).ok_or("an action is {kind: spec}")?;
        let idx = spec.get("order").and_then(Value::as_u64).unwrap_or(0) as usize;
        let (nr, keys) = orders.get(idx).ok_or("action on an order that was not seeded")?;
        let pick = |k: &str| -> Option<Vec<i64>> {
            spec.get(k)
                .and_then(Value::as_array)
                .map(|l| l.iter().filter_map(|x| x.as_u64().and_then(|x| keys.get(x as usize).copied())).collect())
        };
        let text = |k: &str| spec.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
        let nr_s = nr.to_string();
        match kind.as_str() {
            "ship" => {
                let shipped = spec.get("shipped").and_then(Value::as_bool).unwrap_or(true);
                let req = Ship { lines: pick("lines"), shipped, ignore_lock: false };
                self.admin.pixi_ship(user, *nr, &req).await.map_err(e)?;
            }
            "credit" => {
                let req =
                    CreditNoteRequest { lines: pick("lines").unwrap_or_default(), ..CreditNoteRequest::default() };
                self.admin.pixi_credit_note(user, *nr, &req).await.map_err(e)?;
            }
            "manual_credit" => {
                let amount = spec.get("amount").and_then(Value::as_i64);
                let req = CreditNoteRequest { lines: vec![], amount_minor: amount, ..CreditNoteRequest::default() };
                self.admin.pixi_credit_note(user, *nr, &req).await.map_err(e)?;
            }
            "comment" => {
                let t = text("text");
                self.soap(
                    user,
                    "pixiCreateOrderComment",
                    &[("OrderNr", &nr_s), ("Comment", &t), ("UserName", "payops")],
                )
                .await?;
            }
            "bank" => {
                let (h, i, b, r) = (text("holder"), text("iban"), text("bic"), text("reference"));
                let p = [("OrderNr", nr_s.as_str()), ("AccountOwner", &h), ("IBAN", &i), ("BIC", &b), ("BankName", &r)];
                self.soap(user, "pixiChangeAddress", &p).await?;
            }
            other => return Err(format!("unknown action {other}")),
        }
        Ok(())
    }
}

#[tokio::test]
async fn ct_03_pixi_simulator_answers_every_case_like_the_partner() {
    let cases = load_partner("pixi").expect("pixi cases");
    assert!(cases.len() > 40, "every call pixi-sync makes has cases");
    let sim = Sim::start().await;
    let failures = check_simulator(&cases, |c| {
        let sim = sim.clone();
        async move { sim.prepare(c).await }
    })
    .await;
    assert!(failures.is_empty(), "{} simulator differences:\n{}", failures.len(), failures.join("\n"));
}

/// Sends one call to a fresh installation prepared like a case state, returns (status, body).
async fn call(sim: &Sim, state: Value, call: &str, params: &[(&str, &str)]) -> (u16, String) {
    let params: BTreeMap<String, String> = params.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    let case = LoadedCase {
        partner: "pixi".into(),
        operation: call.into(),
        file: "inline".into(),
        case: serde_json::from_value(json!({
            "name": "inline", "title": "inline", "unverified": "a test's own request", "state": state,
            "request": {"method": "POST", "path": "/", "body": {"soap": {"call": call, "params": params}}},
            "response": {"status": 200}, "expect": {}
        }))
        .expect("inline case"),
    };
    let p = sim.prepare(case).await.expect("prepared");
    let mut req = sim.http.post(format!("{}/", p.base_url)).body(p.body.unwrap_or_default());
    for (k, v) in &p.headers {
        req = req.header(k.as_str(), v.as_str());
    }
    let r = req.send().await.expect("sent");
    (r.status().as_u16(), r.text().await.expect("body"))
}

fn hold() -> Value {
    json!({"orders": [{"payment": "UNZERCC", "kk_id": "s-pay-1", "lines": [5995]}]})
}

#[tokio::test]
async fn ct_07_pixi_procedure_and_binding_errors_are_sql_messages_in_an_http_200_answer() {
    let sim = Sim::start().await;
    for (params, number) in [
        (&[("OrderNr", "100001"), ("Bogus", "1")][..], "8145"),
        (&[("Locked", "1")][..], "201"),
        (&[("OrderNr", "x")][..], "8114"),
    ] {
        let (status, body) = call(&sim, hold(), "pixiSetOrderShippingLock", params).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("<sqlmessage:Class>16</sqlmessage:Class>"), "{body}");
        assert!(body.contains(&format!("<sqlmessage:Number>{number}</sqlmessage:Number>")), "{body}");
        assert!(!body.contains("<row>") && !body.contains("SqlResultCode") && !body.contains("Fault"), "{body}");
    }
    // An unknown operation stays a SOAP fault (HTTP 500).
    let (status, body) = call(&sim, hold(), "pixiGetOrderHeaderX", &[]).await;
    assert_eq!((status, body.contains("<faultcode>SOAP-ENV:Client</faultcode>")), (500, true), "{body}");
}

#[tokio::test]
async fn ct_07_pixi_parameters_newer_than_the_installed_revision_do_not_exist() {
    let sim = Sim::start().await;
    let old = |mut s: Value, rev: &str| {
        s["revision"] = json!(rev);
        s
    };
    let lock = [("OrderNr", "100001"), ("Locked", "1"), ("Reason", "payops"), ("UserName", "payops")];
    let (_, body) = call(&sim, old(hold(), "23.2.0.36000"), "pixiSetOrderShippingLock", &lock).await;
    assert!(body.contains("@Reason is not a parameter for procedure pipiSetOrderShippingLock"), "{body}");
    let (_, body) = call(&sim, old(hold(), "23.3.0.36397"), "pixiSetOrderShippingLock", &lock).await;
    assert!(body.contains("<ReturnCode>OK</ReturnCode>"), "from 23.03 on: {body}");
    let scan = [("PaymentCode", "UNZERCC"), ("ShowAll", "1"), ("RowCount", "5000")];
    let (_, body) = call(&sim, old(hold(), "22.5.0.28000"), "pixiPayGetOrdersToAuthorize", &scan).await;
    assert!(body.contains("@RowCount is not a parameter"), "{body}");
    let (_, body) = call(&sim, old(hold(), "22.6.0.28129"), "pixiPayGetOrdersToAuthorize", &scan).await;
    assert!(body.contains("<OrderNr>100001</OrderNr>"), "{body}");
    let (_, body) =
        call(&sim, old(hold(), "26.5.0.1"), "pixiGetOrderComments", &[("OrderNr", "100001"), ("RowCount", "10")]).await;
    assert!(body.contains("@RowCount is not a parameter for procedure pipiGetOrderComments"), "{body}");
}

#[tokio::test]
async fn ct_07_pixi_a_deadlock_victim_changed_nothing_while_an_error_after_acting_kept_the_write() {
    let sim = Sim::start().await;
    let user_of = |n: usize| format!("ct-{n}");
    let auth =
        [("OrderNr", "100001"), ("Success", "1"), ("AuthID", "s-pay-1"), ("AuthCode", "s-aut-1"), ("Message", "m")];
    for (after_acting, released) in [(false, false), (true, true)] {
        let n = sim.next.load(Ordering::SeqCst);
        let mut s = hold();
        s["sql_error"] =
            json!({"call": "pixiPaySetAuthorizationStatus", "class": 13, "number": 1205, "after_acting": after_acting});
        let (status, body) = call(&sim, s, "pixiPaySetAuthorizationStatus", &auth).await;
        assert_eq!(status, 200);
        assert!(body.contains("<sqlmessage:Number>1205</sqlmessage:Number>"), "{body}");
        let o = sim.admin.pixi_order(&user_of(n), 100_001).await.unwrap();
        assert_eq!(o.status != OrderStatus::Hold, released, "after_acting {after_acting}");
        // Only the next call gets the error.
        let again = sim.soap(&user_of(n), "pixiPaySetAuthorizationStatus", &auth).await;
        assert!(again.is_ok(), "{again:?}");
    }
}

#[tokio::test]
async fn ct_07_pixi_missing_calls_and_columns_are_what_the_installation_reports() {
    let sim = Sim::start().await;
    let n = sim.next.load(Ordering::SeqCst);
    let (_, body) = call(&sim, hold(), "pixiGetOrderHeader", &[("OrderNr", "100001")]).await;
    assert!(body.contains("<Mandant>DEM</Mandant>"), "{body}");
    let user = format!("ct-{n}");
    let sw = Switches {
        uninstall: vec!["pixiGetCreditCardInfo".into()],
        drop_columns: vec![ColumnRef { call: "pixiGetOrderHeader".into(), column: "Mandant".into() }],
        ..Switches::default()
    };
    sim.admin.pixi_switches(&user, &sw).await.unwrap();
    let body = sim.soap(&user, "pixiGetOrderHeader", &[("OrderNr", "100001")]).await.unwrap();
    assert!(!body.contains("<Mandant>") && body.contains("<ShopID>DEM</ShopID>"), "{body}");
    let err = sim.soap(&user, "pixiGetCreditCardInfo", &[("OrderNr", "100001")]).await.unwrap_err();
    assert!(err.contains("<faultcode>SOAP-ENV:Client</faultcode>"), "{err}");
    let info = sim.soap(&user, "pixiSysGetCallInfo", &[("CallName", "pixiGetCreditCardInfo")]).await.unwrap();
    assert!(info.contains("is not installed"), "{info}");
    let info = sim.soap(&user, "pixiSysGetCallInfo", &[("CallName", "pixiGetOrderHeader")]).await.unwrap();
    assert!(info.contains("is installed") && !info.contains("not installed"), "{info}");
}

#[tokio::test]
async fn ct_07_pixi_a_method_imported_with_another_initial_status_than_hal_arrives_open() {
    let sim = Sim::start().await;
    let n = sim.next.load(Ordering::SeqCst);
    let state = json!({
        "methods": [{"code": "U", "xml_tag": "UNZERCARD", "text": "Karte", "ini_status": "ANG"}],
        "orders": [{"payment": "U", "kk_id": "s-pay-1", "lines": [5995]}]
    });
    let (_, body) = call(&sim, state, "pixiGetPaymenttypes", &[]).await;
    assert!(body.contains("<IniOrderStatus>ANG</IniOrderStatus>"), "{body}");
    assert!(!body.contains("DirectCharge") && !body.contains("AutoPaid"), "only documented columns: {body}");
    let o = sim.admin.pixi_order(&format!("ct-{n}"), 100_001).await.unwrap();
    assert_eq!(o.status, OrderStatus::Open, "not on HOLD: shippable before any payment check");
}
