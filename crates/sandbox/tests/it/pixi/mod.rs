//! pixi SOAP simulator, checked with hand-written SOAP 1.1 envelopes over plain reqwest:
//! `protocol` covers transport, auth, faults and parameter binding; `flows` the ERP state.

mod flows;
mod protocol;

use std::collections::HashMap;

use quick_xml::escape::{escape, unescape};
use quick_xml::events::Event;
use reqwest::StatusCode;
use sandbox::pixi::{Address, OrderStatus, SeedLine, SeedOrder};
use sandbox::{Sandbox, SandboxClient, System};

use crate::helpers;

pub(super) const USER: &str = "shop-api";
pub(super) const PASS: &str = "s3cret";

pub(super) struct Pixi {
    _sb: Sandbox,
    pub(super) admin: SandboxClient,
    pub(super) url: String,
    pub(super) http: reqwest::Client,
}

pub(super) async fn pixi() -> Pixi {
    let sb = helpers::start().await;
    let admin = sb.client();
    admin.pixi_user(USER, PASS).await.unwrap();
    let url = sb.url(System::Pixi);
    Pixi { _sb: sb, admin, url, http: helpers::http() }
}

pub(super) fn envelope(call: &str, params: &[(&str, &str)]) -> String {
    let p: String = params.iter().map(|(k, v)| format!(r#"<{k} xsi:type="xsd:string">{}</{k}>"#, escape(*v))).collect();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns1="https://apigateway.descartes.com/tms/pixi/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" SOAP-ENV:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><SOAP-ENV:Body><ns1:{call}>{p}</ns1:{call}></SOAP-ENV:Body></SOAP-ENV:Envelope>"#
    )
}

impl Pixi {
    pub(super) async fn post(&self, path: &str, user: &str, pass: &str, body: String) -> (StatusCode, String) {
        let r = self
            .http
            .post(format!("{}{path}", self.url))
            .basic_auth(user, Some(pass))
            .header("content-type", "text/xml; charset=utf-8")
            .header("SOAPAction", "\"https://apigateway.descartes.com/tms/pixi/\"")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        (status, r.text().await.unwrap())
    }

    /// Calls and expects HTTP 200.
    pub(super) async fn call(&self, call: &str, params: &[(&str, &str)]) -> String {
        let (status, body) = self.post("/", USER, PASS, envelope(call, params)).await;
        assert_eq!(status, StatusCode::OK, "{call}: {body}");
        assert!(body.contains(&format!("<method:{call}Response><method:{call}Result>")), "{body}");
        assert!(!body.contains("<sqlresultstream:SqlMessage"), "{call}: {body}");
        body
    }

    /// Calls and expects an SQL error inside an HTTP 200 answer; returns (number, message).
    pub(super) async fn sql_error(&self, call: &str, params: &[(&str, &str)]) -> (String, String) {
        let (status, body) = self.post("/", USER, PASS, envelope(call, params)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let field = |tag: &str| {
            let open = format!("<sqlmessage:{tag}>");
            let start = body.find(&open).unwrap_or_else(|| panic!("no {tag} in {body}")) + open.len();
            let end = body[start..].find("</sqlmessage:").unwrap() + start;
            unescape(&body[start..end]).unwrap().into_owned()
        };
        (field("Number"), field("Message"))
    }

    /// Calls and expects a SOAP fault; returns (faultcode, faultstring).
    pub(super) async fn fault(&self, call: &str, params: &[(&str, &str)]) -> (String, String) {
        let (status, body) = self.post("/", USER, PASS, envelope(call, params)).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
        fault_of(&body)
    }

    pub(super) async fn seed(&self, order: SeedOrder) -> i64 {
        self.admin.pixi_seed_order(USER, &order).await.unwrap().order_nr
    }
}

pub(super) fn fault_of(body: &str) -> (String, String) {
    let field = |tag: &str| {
        let start = body.find(&format!("<{tag}>")).unwrap_or_else(|| panic!("no {tag} in {body}")) + tag.len() + 2;
        let end = body[start..].find(&format!("</{tag}>")).unwrap() + start;
        unescape(&body[start..end]).unwrap().into_owned()
    };
    (field("faultcode"), field("faultstring"))
}

/// The rows of result set `n` (1-based) as column → value.
pub(super) fn rows(xml: &str, n: usize) -> Vec<HashMap<String, String>> {
    let set = format!("SqlRowSet{n}");
    let mut r = quick_xml::Reader::from_str(xml);
    let (mut in_set, mut out, mut row) = (false, Vec::new(), None::<HashMap<String, String>>);
    loop {
        match r.read_event().unwrap() {
            Event::Start(e) => {
                let name = String::from_utf8(e.local_name().as_ref().to_vec()).unwrap();
                if name == set {
                    in_set = true;
                } else if in_set && name == "row" {
                    row = Some(HashMap::new());
                } else if let Some(row) = row.as_mut() {
                    let raw = r.read_text(e.name()).unwrap();
                    row.insert(name, unescape(&raw).unwrap().into_owned());
                }
            }
            Event::End(e) => {
                let name = e.local_name();
                if name.as_ref() == b"row" {
                    out.extend(row.take());
                } else if name.as_ref() == set.as_bytes() {
                    in_set = false;
                }
            }
            Event::Eof => return out,
            _ => {}
        }
    }
}

pub(super) fn address() -> Address {
    Address {
        salutation: "Frau".into(),
        first_name: "Anna".into(),
        last_name: "Müller".into(),
        street: "Hauptstraße 1".into(),
        zip: "10115".into(),
        city: "Berlin".into(),
        country: "DE".into(),
        email: "anna@example.com".into(),
        ..Address::default()
    }
}

pub(super) fn order(payment: &str, prices: &[i64]) -> SeedOrder {
    SeedOrder {
        payment_code: payment.into(),
        kk_id: Some("s-pay-4711".into()),
        billing: address(),
        lines: prices
            .iter()
            .enumerate()
            .map(|(i, p)| SeedLine {
                item_nr: format!("ART-{i}"),
                name: format!("Artikel {i}"),
                qty: 1,
                price_minor: *p,
                ean: None,
            })
            .collect(),
        ..SeedOrder::default()
    }
}

pub(super) fn open(payment: &str, prices: &[i64]) -> SeedOrder {
    SeedOrder { status: Some(OrderStatus::Open), ..order(payment, prices) }
}
