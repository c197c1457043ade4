//! Typed Rust client of the sandbox admin API (SB-04), for tests, benchmarks and the demo.
//! Generic calls live here; each system adds its own methods in `client/<system>.rs`.

mod freshdesk;
mod nets;
mod pgw;
mod pixi;
mod postfinance;
mod smallinvoice;
mod smtp;
mod unzer;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::faults::{FaultSpec, FiredFault};
use crate::log::RecordedRequest;
use crate::system::System;

/// Admin API failures.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Transport failure.
    #[error("sandbox admin request failed: {0}")]
    Http(#[from] reqwest::Error),
    /// The admin API refused the request.
    #[error("sandbox admin API answered {status}: {body}")]
    Status {
        /// HTTP status.
        status: u16,
        /// Response body.
        body: String,
    },
}

/// Client of one sandbox's admin API.
#[derive(Clone, Debug)]
pub struct SandboxClient {
    http: reqwest::Client,
    base: String,
}

impl SandboxClient {
    /// A client for the admin API at `base` (e.g. `http://127.0.0.1:7000`).
    pub fn new(base: &str) -> Self {
        SandboxClient { http: reqwest::Client::new(), base: base.trim_end_matches('/').to_owned() }
    }

    /// GET `path` and decode JSON.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        let r = self.http.get(format!("{}{path}", self.base)).send().await?;
        decode(r).await
    }

    /// POST JSON to `path` and decode JSON (an empty answer decodes as `null`).
    pub async fn post<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        let r = self.http.post(format!("{}{path}", self.base)).json(body).send().await?;
        decode(r).await
    }

    /// DELETE `path`.
    pub async fn delete(&self, path: &str) -> Result<(), ClientError> {
        let r = self.http.delete(format!("{}{path}", self.base)).send().await?;
        decode::<serde_json::Value>(r).await.map(|_| ())
    }

    /// Base URLs of every system.
    pub async fn urls(&self) -> Result<BTreeMap<System, String>, ClientError> {
        self.get("/admin/urls").await
    }

    /// Adds a fault rule.
    pub async fn add_fault(&self, spec: &FaultSpec) -> Result<(), ClientError> {
        self.post::<_, serde_json::Value>("/admin/faults", spec).await.map(|_| ())
    }

    /// Removes every fault rule.
    pub async fn clear_faults(&self) -> Result<(), ClientError> {
        self.delete("/admin/faults").await
    }

    /// Faults fired so far.
    pub async fn fired_faults(&self) -> Result<Vec<FiredFault>, ClientError> {
        self.get("/admin/faults/fired").await
    }

    /// The sandbox's time.
    pub async fn now(&self) -> Result<DateTime<Utc>, ClientError> {
        let v: serde_json::Value = self.get("/admin/clock").await?;
        serde_json::from_value(v["now"].clone()).map_err(|e| ClientError::Status { status: 200, body: e.to_string() })
    }

    /// Moves the sandbox clock forward.
    pub async fn advance_clock(&self, seconds: i64) -> Result<(), ClientError> {
        self.post::<_, serde_json::Value>("/admin/clock/advance", &serde_json::json!({ "seconds": seconds }))
            .await
            .map(|_| ())
    }

    /// Requests a system received (all systems when `None`).
    pub async fn requests(&self, system: Option<System>) -> Result<Vec<RecordedRequest>, ClientError> {
        let path = match system {
            Some(s) => format!("/admin/requests?system={s}"),
            None => "/admin/requests".to_owned(),
        };
        self.get(&path).await
    }
}

async fn decode<T: DeserializeOwned>(r: reqwest::Response) -> Result<T, ClientError> {
    let status = r.status();
    let text = r.text().await?;
    if !status.is_success() {
        return Err(ClientError::Status { status: status.as_u16(), body: text });
    }
    let text = if text.trim().is_empty() { "null" } else { text.as_str() };
    serde_json::from_str(text)
        .map_err(|e| ClientError::Status { status: status.as_u16(), body: format!("undecodable answer: {e}: {text}") })
}
