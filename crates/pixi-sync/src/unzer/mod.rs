//! The unzer REST client: HTTP Basic with the merchant's private key, timeouts, retries with
//! capped backoff for reads only, a metric per call.
//!
//! Error mapping: an `errors[]` body (also with HTTP 200) with a 4xx-class meaning →
//! [`UnzerError::Rejected`] (nothing happened); 401/403 → [`UnzerError::Unauthorized`];
//! 404 on a payment → [`UnzerError::NotFound`]; timeouts, connection failures, 5xx and
//! unreadable bodies → [`UnzerError::Unavailable`] (a write may have happened: find out by
//! reading the payment before any retry).

pub mod wire;

use std::time::{Duration, Instant};

use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use crate::domain::facts::{Payment, TxnKind};
use wire::TxnAnswer;

/// unzer call failures.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnzerError {
    /// unzer refused the request; nothing happened.
    #[error("unzer refused ({code}): {message}")]
    Rejected {
        /// unzer error code, e.g. `API.330.100.007`.
        code: String,
        /// Merchant message.
        message: String,
    },
    /// The key was refused.
    #[error("unzer refused the key ({0})")]
    Unauthorized(String),
    /// No such payment.
    #[error("unzer payment not found")]
    NotFound,
    /// Not reachable or unreadable answer: the outcome of a write is unknown.
    #[error("unzer unavailable: {0}")]
    Unavailable(String),
}

impl UnzerError {
    /// The refusal says the authorisation expired (PX-15).
    pub fn is_expired(&self) -> bool {
        matches!(self, UnzerError::Rejected { message, .. } if message.to_ascii_lowercase().contains("expired"))
    }
}

/// A merchant's private key (never logged).
#[derive(Clone)]
pub struct PrivateKey(pub SecretString);

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PrivateKey(***)")
    }
}

/// The unzer API client (one per process; the key is per call).
#[derive(Clone)]
pub struct UnzerClient {
    http: reqwest::Client,
    base: String,
}

const READ_RETRIES: u32 = 2;

impl UnzerClient {
    /// A client for `base` (e.g. `https://api.unzer.com`); `http` carries the timeouts.
    pub fn new(http: reqwest::Client, base: &str) -> Self {
        UnzerClient { http, base: base.trim_end_matches('/').to_owned() }
    }

    async fn send(
        &self,
        op: &'static str,
        key: &PrivateKey,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, UnzerError> {
        let started = Instant::now();
        let result = self.exchange(key, method, path, body).await;
        let outcome = match &result {
            Ok(_) => "ok",
            Err(UnzerError::Rejected { .. }) => "rejected",
            Err(UnzerError::Unauthorized(_)) => "unauthorized",
            Err(UnzerError::NotFound) => "not_found",
            Err(UnzerError::Unavailable(_)) => "unavailable",
        };
        kit::metrics::external_call("unzer", op, outcome, started.elapsed());
        result
    }

    async fn exchange(
        &self,
        key: &PrivateKey,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, UnzerError> {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .basic_auth(key.0.expose_secret(), Some(""))
            .header("Accept", "application/json");
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.map_err(|e| UnzerError::Unavailable(transport(&e)))?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(|e| UnzerError::Unavailable(transport(&e)))?;
        let json: Option<Value> = serde_json::from_slice(&bytes).ok();
        if let Some(err) = json.as_ref().and_then(wire::error_of) {
            return Err(match status.as_u16() {
                401 | 403 => UnzerError::Unauthorized(err.code),
                404 if err.code == "API.310.100.003" => UnzerError::NotFound,
                s if s >= 500 => UnzerError::Unavailable(format!("HTTP {s} {}", err.code)),
                _ if err.code.starts_with("API.710") || err.code == "COR.100.300.600" => {
                    UnzerError::Unauthorized(err.code)
                }
                _ if err.code == "API.310.100.003" => UnzerError::NotFound,
                _ => UnzerError::Rejected { code: err.code, message: err.merchant_message },
            });
        }
        match (status.as_u16(), json) {
            (200..=299, Some(v)) => Ok(v),
            (401 | 403, _) => Err(UnzerError::Unauthorized(format!("HTTP {status}"))),
            (404, _) => Err(UnzerError::NotFound),
            (s, _) => Err(UnzerError::Unavailable(format!("HTTP {s} without a readable answer"))),
        }
    }

    async fn read(&self, op: &'static str, key: &PrivateKey, path: &str) -> Result<Value, UnzerError> {
        let mut delay = Duration::from_millis(100);
        let mut attempt = 0;
        loop {
            match self.send(op, key, Method::GET, path, None).await {
                Err(UnzerError::Unavailable(_)) if attempt < READ_RETRIES => {
                    attempt += 1;
                    tokio::time::sleep(delay).await;
                    delay = (delay * 4).min(Duration::from_secs(2));
                }
                other => return other,
            }
        }
    }

    /// `GET /v1/payments/{id}` as facts; transfer data is read from the first charge for
    /// prepayment and invoice types (PX-12).
    pub async fn payment(&self, key: &PrivateKey, id: &str) -> Result<Payment, UnzerError> {
        let v = self.read("get_payment", key, &format!("/v1/payments/{}", segment(id))).await?;
        let mut p = wire::payment(&v).ok_or_else(|| UnzerError::Unavailable("unreadable payment".into()))?;
        if p.kind.as_ref().is_ok_and(|k| k.funds_arrive())
            && let Some((_, url)) = wire::txn_urls(&v).into_iter().find(|(k, _)| *k == TxnKind::Charge)
            && let Some(path) = wire::path_from_url(&url, &p.id)
        {
            p.bank = self.transaction(key, &p.id, &path).await?.bank;
        }
        Ok(p)
    }

    /// One transaction (`GET /v1/payments/{id}/{path}`).
    pub async fn transaction(&self, key: &PrivateKey, payment_id: &str, path: &str) -> Result<TxnAnswer, UnzerError> {
        let v = self.read("get_transaction", key, &format!("/v1/payments/{}/{path}", segment(payment_id))).await?;
        wire::txn_answer(&v).ok_or_else(|| UnzerError::Unavailable("unreadable transaction".into()))
    }

    /// Every transaction of `kinds` with its references (probes: find our paymentReference).
    pub async fn transactions(
        &self,
        key: &PrivateKey,
        payment_id: &str,
        kinds: &[TxnKind],
    ) -> Result<Vec<TxnAnswer>, UnzerError> {
        let v = self.read("get_payment", key, &format!("/v1/payments/{}", segment(payment_id))).await?;
        let mut out = Vec::new();
        for (kind, url) in wire::txn_urls(&v) {
            if !kinds.contains(&kind) {
                continue;
            }
            if let Some(path) = wire::path_from_url(&url, payment_id) {
                out.push(self.transaction(key, payment_id, &path).await?);
            }
        }
        Ok(out)
    }

    async fn post_txn(
        &self,
        op: &'static str,
        key: &PrivateKey,
        path: String,
        body: Value,
    ) -> Result<TxnAnswer, UnzerError> {
        let v = self.send(op, key, Method::POST, &path, Some(body)).await?;
        wire::txn_answer(&v).ok_or_else(|| UnzerError::Unavailable("unreadable transaction answer".into()))
    }

    /// Charges `amount_minor` of the authorisation (`POST /v1/payments/{id}/charges`).
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
        self.post_txn("charge", key, format!("/v1/payments/{}/charges", segment(payment_id)), body).await
    }

    /// Reports a shipment (`POST /v1/payments/{id}/shipments`).
    pub async fn ship(
        &self,
        key: &PrivateKey,
        payment_id: &str,
        invoice_id: &str,
        reference: &str,
    ) -> Result<TxnAnswer, UnzerError> {
        let body = json!({ "invoiceId": invoice_id, "paymentReference": reference });
        self.post_txn("shipment", key, format!("/v1/payments/{}/shipments", segment(payment_id)), body).await
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
        self.post_txn("cancel", key, format!("/v1/payments/{}/authorize/cancels", segment(payment_id)), body).await
    }

    /// Refunds charge `charge_id` (`POST …/charges/{chg}/cancels`), or with `None` the
    /// paylater payment-level refund (`POST …/charges/cancels`).
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
        self.post_txn("refund", key, path, body).await
    }

    /// Registers `url` for payment, charge and authorize events (an already registered event
    /// is fine). Also proves the key works.
    pub async fn register_webhooks(&self, key: &PrivateKey, url: &str) -> Result<(), UnzerError> {
        let body = json!({ "url": url, "eventList": ["payment", "charge", "authorize", "shipment"] });
        match self.send("webhooks", key, Method::POST, "/v1/webhooks", Some(body)).await {
            Ok(_) => Ok(()),
            Err(UnzerError::Rejected { code, .. }) if code == "API.510.310.009" => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Lists the webhooks: a harmless read that proves the key works.
    pub async fn check_key(&self, key: &PrivateKey) -> Result<(), UnzerError> {
        self.read("webhooks", key, "/v1/webhooks").await.map(|_| ())
    }
}

/// Keeps ids to URL-safe characters (they come from pixi data).
fn segment(id: &str) -> String {
    id.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')).collect()
}

fn transport(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timeout".into()
    } else if e.is_connect() {
        "connect error".into()
    } else {
        "request error".into()
    }
}
