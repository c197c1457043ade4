//! The unzer REST client, every call as its contract case shows it
//! (`crates/sandbox/contracts/unzer/`): HTTP Basic with the merchant's private key, sent
//! through `kit::outbound` (reads retried on transient failures, writes sent once; spans and
//! `payops_external_*` per attempt), answers read fail-closed ([`wire`]), failures classified
//! per CT-04 ([`error`]).
//!
//! **Host by key**: like both SDKs (`php-sdk` `HttpService.php` L301-330, `java-sdk`
//! `UrlUtil.java` L28-33), a private key starting with `p` goes to the production host and any
//! other to the sandbox host; both base URLs are configured (`UNZER_PRODUCTION_BASE_URL`,
//! `UNZER_SANDBOX_BASE_URL`), so one deployment serves tenants of both.

pub mod error;
pub mod preflight;
pub mod wire;

use kit::outbound::{Outbound, describe, describe_reqwest};
use reqwest::Method;
use reqwest::header::{ACCEPT, DATE, HeaderMap};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use crate::domain::facts::{Bank, Payment, TxnKind};
pub use error::UnzerError;
use wire::{KeyPair, TxnAnswer, Webhook};

/// The events pixi-sync registers its webhook URL for (`WebhookEvents.php`).
pub const EVENTS: [&str; 4] = ["payment", "charge", "authorize", "shipment"];

/// A merchant's private key (never logged).
#[derive(Clone)]
pub struct PrivateKey(pub SecretString);

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PrivateKey(***)")
    }
}

impl PrivateKey {
    /// A production key (the SDKs' rule: the first letter is `p`).
    pub fn is_production(&self) -> bool {
        self.0.expose_secret().starts_with('p')
    }
}

/// The unzer API client (one per process; the key is per call and picks the host).
#[derive(Clone, Debug)]
pub struct UnzerClient {
    out: Outbound,
    sandbox: String,
    production: String,
}

impl UnzerClient {
    /// A client sending through `out` to `sandbox` (`s-` keys) and `production` (`p-` keys).
    pub fn new(out: Outbound, sandbox: &str, production: &str) -> Self {
        let trim = |u: &str| u.trim_end_matches('/').to_owned();
        UnzerClient { out, sandbox: trim(sandbox), production: trim(production) }
    }

    fn base(&self, key: &PrivateKey) -> &str {
        if key.is_production() { &self.production } else { &self.sandbox }
    }

    /// One exchange; `write` calls are sent once and an unclear end is an unknown outcome.
    async fn exchange(
        &self,
        op: &'static str,
        key: &PrivateKey,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<(Value, HeaderMap), UnzerError> {
        let write = method != Method::GET;
        let url = format!("{}{path}", self.base(key));
        let req = if write { self.out.write(op, method, &url) } else { self.out.read(op, method, &url) };
        let mut req = req.basic_auth(key.0.expose_secret(), Some("")).header(ACCEPT, "application/json");
        if let Some(b) = body {
            req = req.json(&b);
        }
        let lost = |what: &str| {
            if write && what != "connect" {
                UnzerError::Unknown(what.to_owned())
            } else {
                UnzerError::Transient(what.to_owned())
            }
        };
        let resp = req.send().await.map_err(|e| lost(describe(&e)))?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.map_err(|e| lost(describe_reqwest(&e)))?;
        let json: Option<Value> = serde_json::from_slice(&bytes).ok();
        if let Some(v) = &json
            && let Some(err) = wire::error_of(op, v)
        {
            let (code, message) = err?;
            return Err(error::classify(status, &code, &message, write));
        }
        match (status, json) {
            (200..=299, Some(v)) => Ok((v, headers)),
            (200..=299, None) => Err(kit::contract::ContractError::new(
                wire::SYSTEM,
                op,
                "body",
                kit::contract::Problem::Invalid("a JSON answer".into()),
            )
            .into()),
            (s, _) => Err(error::classify_status(s, write)),
        }
    }

    async fn get(&self, op: &'static str, key: &PrivateKey, path: &str) -> Result<Value, UnzerError> {
        Ok(self.exchange(op, key, Method::GET, path, None).await?.0)
    }

    /// `GET /v1/payments/{id}` as facts; for transfer types the initial charge's transfer
    /// data is read too (PX-12).
    pub async fn payment(&self, key: &PrivateKey, id: &str) -> Result<Payment, UnzerError> {
        let v = self.get("get_payment", key, &format!("/v1/payments/{}", segment(id))).await?;
        let mut p = wire::payment("get_payment", &v)?;
        if p.kind.as_ref().is_ok_and(|k| k.funds_arrive())
            && let Some((_, url)) = wire::txn_urls(&v).into_iter().find(|(k, _)| *k == TxnKind::Charge)
            && let Some(path) = wire::path_from_url(&url, &p.id)
        {
            p.bank = Some(self.transfer_charge(key, &p.id, &path).await?.1);
        }
        Ok(p)
    }

    /// One transaction (`GET /v1/payments/{id}/{path}`).
    pub async fn transaction(&self, key: &PrivateKey, payment_id: &str, path: &str) -> Result<TxnAnswer, UnzerError> {
        let v = self
            .get("get_transaction", key, &format!("/v1/payments/{}/{}", segment(payment_id), path_of(path)))
            .await?;
        Ok(wire::txn_answer("get_transaction", &v)?)
    }

    /// A transfer type's charge with the transfer data the buyer needs
    /// (`processing.iban/bic/holder/descriptor`, all required).
    pub async fn transfer_charge(
        &self,
        key: &PrivateKey,
        payment_id: &str,
        path: &str,
    ) -> Result<(TxnAnswer, Bank), UnzerError> {
        let v = self
            .get("get_transaction", key, &format!("/v1/payments/{}/{}", segment(payment_id), path_of(path)))
            .await?;
        Ok((wire::txn_answer("get_transaction", &v)?, wire::bank("get_transaction", &v)?))
    }

    /// Every transaction of `kinds` read one by one (the payment's list carries no
    /// references): what the crash-recovery probes look through.
    pub async fn transactions(
        &self,
        key: &PrivateKey,
        payment_id: &str,
        kinds: &[TxnKind],
    ) -> Result<Vec<TxnAnswer>, UnzerError> {
        let v = self.get("get_payment", key, &format!("/v1/payments/{}", segment(payment_id))).await?;
        wire::payment("get_payment", &v)?;
        let mut out = Vec::new();
        for (kind, url) in wire::txn_urls(&v) {
            if kinds.contains(&kind)
                && let Some(path) = wire::path_from_url(&url, payment_id)
            {
                out.push(self.transaction(key, payment_id, &path).await?);
            }
        }
        Ok(out)
    }

    async fn post_txn(
        &self,
        op: &'static str,
        key: &PrivateKey,
        method: Method,
        path: String,
        body: Value,
    ) -> Result<TxnAnswer, UnzerError> {
        let (v, _) = self.exchange(op, key, method, &path, Some(body)).await?;
        Ok(wire::txn_answer(op, &v)?)
    }

    /// Charges `amount_minor` of the authorisation (`POST /v1/payments/{id}/charges`); the
    /// idempotency key is the `paymentReference` (echoed on GET: the probe finds it).
    pub async fn charge(
        &self,
        key: &PrivateKey,
        payment_id: &str,
        amount_minor: i64,
        invoice_id: Option<&str>,
        reference: &str,
    ) -> Result<TxnAnswer, UnzerError> {
        let mut body = json!({ "amount": wire::amount(amount_minor), "paymentReference": reference });
        if let Some(inv) = invoice_id {
            body["invoiceId"] = json!(inv);
        }
        self.post_txn("charge", key, Method::POST, format!("/v1/payments/{}/charges", segment(payment_id)), body).await
    }

    /// Reports the shipment of invoice `invoice_id` (`POST /v1/payments/{id}/shipments`): only
    /// invoice secured accepts it. The documented body carries the invoiceId alone (a
    /// shipment has no paymentReference); the invoiceId is what identifies it afterwards.
    pub async fn ship(&self, key: &PrivateKey, payment_id: &str, invoice_id: &str) -> Result<TxnAnswer, UnzerError> {
        let body = json!({ "invoiceId": invoice_id });
        self.post_txn("shipment", key, Method::POST, format!("/v1/payments/{}/shipments", segment(payment_id)), body)
            .await
    }

    /// Reverses (part of) the authorisation (`POST /v1/payments/{id}/authorize/cancels`).
    pub async fn reverse(
        &self,
        key: &PrivateKey,
        payment_id: &str,
        amount_minor: i64,
        reference: &str,
    ) -> Result<TxnAnswer, UnzerError> {
        let body = json!({ "amount": wire::amount(amount_minor), "paymentReference": reference });
        self.post_txn(
            "cancel",
            key,
            Method::POST,
            format!("/v1/payments/{}/authorize/cancels", segment(payment_id)),
            body,
        )
        .await
    }

    /// Cancels `amount_minor` of charge `charge_id` (`POST …/charges/{chg}/cancels`: a refund,
    /// or on a transfer type's pending initial charge the reversal of what is owed), or with
    /// `None` the paylater payment-level refund (`POST …/charges/cancels`).
    pub async fn refund(
        &self,
        key: &PrivateKey,
        payment_id: &str,
        charge_id: Option<&str>,
        amount_minor: i64,
        reason: &str,
        reference: &str,
    ) -> Result<TxnAnswer, UnzerError> {
        let body = json!({ "amount": wire::amount(amount_minor), "paymentReference": reference, "reasonCode": reason });
        let path = match charge_id {
            Some(c) => format!("/v1/payments/{}/charges/{}/cancels", segment(payment_id), segment(c)),
            None => format!("/v1/payments/{}/charges/cancels", segment(payment_id)),
        };
        self.post_txn("refund", key, Method::POST, path, body).await
    }

    /// Re-authorises a paylater installment or direct debit for the authorised total
    /// `amount_minor` (`PATCH /v1/payments/{id}/authorize`, documented for paylater types only).
    pub async fn reauthorize(
        &self,
        key: &PrivateKey,
        payment_id: &str,
        amount_minor: i64,
        currency: &str,
    ) -> Result<TxnAnswer, UnzerError> {
        let body = json!({ "amount": wire::amount(amount_minor), "currency": currency });
        self.post_txn(
            "reauthorize",
            key,
            Method::PATCH,
            format!("/v1/payments/{}/authorize", segment(payment_id)),
            body,
        )
        .await
    }

    /// The registered webhooks (`GET /v1/webhooks`).
    pub async fn webhooks(&self, key: &PrivateKey) -> Result<Vec<Webhook>, UnzerError> {
        let v = self.get("list_webhooks", key, "/v1/webhooks").await?;
        Ok(wire::webhooks("list_webhooks", &v)?)
    }

    /// Registers `url` for the [`EVENTS`] it is not yet registered for, in one `eventList`
    /// call; returns the events added (none: nothing was sent). Reading the list first keeps
    /// clear of what a bulk registration does when one event already exists (undocumented).
    pub async fn register_webhooks(&self, key: &PrivateKey, url: &str) -> Result<Vec<String>, UnzerError> {
        let have = self.webhooks(key).await?;
        let missing: Vec<&str> = EVENTS
            .into_iter()
            .filter(|e| !have.iter().any(|w| w.url == url && (w.event == *e || w.event == "all")))
            .collect();
        if missing.is_empty() {
            return Ok(Vec::new());
        }
        let body = json!({ "url": url, "eventList": missing });
        let (v, _) = self.exchange("register_webhooks", key, Method::POST, "/v1/webhooks", Some(body)).await?;
        Ok(wire::registered_events("register_webhooks", &v)?)
    }

    /// The key pair of `key` and unzer's clock (`GET /v1/keypair`, preflight).
    pub async fn keypair(&self, key: &PrivateKey) -> Result<KeyPair, UnzerError> {
        let (v, headers) = self.exchange("keypair", key, Method::GET, "/v1/keypair", None).await?;
        let date = headers.get(DATE).and_then(|d| d.to_str().ok());
        Ok(wire::keypair("keypair", &v, date)?)
    }
}

/// Keeps ids to URL-safe characters (they come from pixi data).
fn segment(id: &str) -> String {
    id.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')).collect()
}

/// A transaction path (`charges/s-chg-1/cancels/s-cnl-1`) with each segment kept URL-safe.
fn path_of(path: &str) -> String {
    path.split('/').map(segment).collect::<Vec<_>>().join("/")
}
