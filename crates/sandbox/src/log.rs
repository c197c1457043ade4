//! The request log (SB-04): every request any simulator received, with its body and the status
//! it got, readable through the admin API so tests assert on what reached the partner.

use std::collections::BTreeMap;
use std::sync::Mutex;

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::shared::Shared;
use crate::system::System;

/// Largest request body the simulators accept (and record).
pub const MAX_BODY: usize = 4 * 1024 * 1024;

/// One request as received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedRequest {
    /// Order of arrival, from 1.
    pub seq: u64,
    /// Sandbox time of arrival.
    pub at: DateTime<Utc>,
    /// Receiving system.
    pub system: System,
    /// HTTP method (or `SMTP`).
    pub method: String,
    /// Path and query.
    pub path: String,
    /// Request headers (lower-case names).
    pub headers: BTreeMap<String, String>,
    /// Body as text (lossy UTF-8).
    pub body: String,
    /// Status returned (0 when the connection broke first).
    pub status: u16,
}

/// Append-only log of requests.
#[derive(Default)]
pub struct RequestLog {
    entries: Mutex<Vec<RecordedRequest>>,
}

impl RequestLog {
    /// Appends a request and returns its sequence number.
    pub fn push(&self, mut r: RecordedRequest) -> u64 {
        let mut e = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        r.seq = e.len() as u64 + 1;
        let seq = r.seq;
        e.push(r);
        seq
    }

    /// Sets the status of request `seq`.
    pub fn set_status(&self, seq: u64, status: u16) {
        let mut e = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(r) = e.get_mut((seq as usize).wrapping_sub(1)) {
            r.status = status;
        }
    }

    /// Requests of `system` (all when `None`) after sequence `since`.
    pub fn list(&self, system: Option<System>, since: u64) -> Vec<RecordedRequest> {
        let e = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        e.iter().filter(|r| r.seq > since && system.is_none_or(|s| r.system == s)).cloned().collect()
    }

    /// Forgets everything.
    pub fn clear(&self) {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

/// Axum middleware recording each request of `system`.
pub async fn record(shared: Shared, system: System, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let bytes = match to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response(),
    };
    let headers = parts
        .headers
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    let seq = shared.0.log.push(RecordedRequest {
        seq: 0,
        at: shared.now(),
        system,
        method: parts.method.to_string(),
        path: parts.uri.path_and_query().map_or_else(|| parts.uri.path().to_owned(), |p| p.as_str().to_owned()),
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
        status: 0,
    });
    let response = next.run(Request::from_parts(parts, Body::from(bytes))).await;
    shared.0.log.set_status(seq, response.status().as_u16());
    response
}
