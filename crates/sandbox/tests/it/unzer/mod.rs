//! unzer simulator, checked with plain reqwest against the documented REST protocol
//! (`crates/sandbox/contracts/unzer/`): auth, error bodies, the payment state machine, prepayment,
//! expiry on the sandbox clock, shipments, paylater cancels, faults and webhook delivery.

mod state;
mod webhooks;
mod wire;

use sandbox::unzer::NewMerchant;
use sandbox::{Sandbox, SandboxClient, System};
use serde_json::{Value, json};

use crate::helpers;

pub(super) struct Unzer {
    pub(super) _sb: Sandbox,
    pub(super) admin: SandboxClient,
    pub(super) base: String,
    pub(super) private: String,
    pub(super) public: String,
    pub(super) http: reqwest::Client,
}

pub(super) async fn unzer() -> Unzer {
    let sb = helpers::start().await;
    let admin = sb.client();
    let m = admin.unzer_create_merchant(&NewMerchant::default()).await.unwrap();
    assert!(m.private_key.starts_with("s-priv-") && m.public_key.starts_with("s-pub-"));
    let base = sb.url(System::Unzer);
    Unzer { _sb: sb, admin, base, private: m.private_key, public: m.public_key, http: helpers::http() }
}

impl Unzer {
    /// Any call; `key` None sends no Authorization header.
    pub(super) async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut rb = self.http.request(method, format!("{}{path}", self.base));
        if let Some(k) = key {
            rb = rb.basic_auth(k, Some(""));
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let r = rb.send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    pub(super) async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, Some(&self.private), Some(body)).await
    }

    pub(super) async fn post_empty(&self, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, Some(&self.private), None).await
    }

    pub(super) async fn get(&self, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, Some(&self.private), None).await
    }

    pub(super) async fn new_type(&self, kind: &str, body: Value) -> String {
        let (status, v) =
            self.call(reqwest::Method::POST, &format!("/v1/types/{kind}"), Some(&self.public), Some(body)).await;
        assert_eq!(status, 200, "{v}");
        v["id"].as_str().unwrap().to_owned()
    }

    pub(super) async fn card(&self) -> String {
        self.new_type("card", json!({ "number": "4711100000000000", "expiryDate": "12/2030", "cvc": "123" })).await
    }

    /// Authorizes `amount` on a new card and returns the payment id.
    pub(super) async fn authorize_card(&self, amount: f64, order_id: &str) -> String {
        let type_id = self.card().await;
        let (status, v) = self
            .post(
                "/v1/payments/authorize",
                json!({ "amount": amount, "currency": "EUR", "orderId": order_id, "resources": { "typeId": type_id } }),
            )
            .await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["id"], "s-aut-1");
        assert_eq!(v["isSuccess"], true);
        v["resources"]["paymentId"].as_str().unwrap().to_owned()
    }

    pub(super) async fn payment(&self, id: &str) -> Value {
        let (status, v) = self.get(&format!("/v1/payments/{id}")).await;
        assert_eq!(status, 200, "{v}");
        v
    }
}

pub(super) fn code(v: &Value) -> &str {
    v["errors"][0]["code"].as_str().unwrap_or_default()
}

pub(super) fn assert_error_shape(v: &Value) {
    assert!(v["id"].as_str().unwrap().starts_with("s-err-"), "{v}");
    assert_eq!(v["isError"], true);
    assert_eq!(v["isSuccess"], false);
    assert_eq!(v["isPending"], false);
    assert!(v["url"].as_str().unwrap().contains("/v1/"), "{v}");
    assert_eq!(v["timestamp"].as_str().unwrap().len(), 19, "{v}");
    assert!(v["traceId"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(v["errors"][0]["customerMessage"].is_string());
}
