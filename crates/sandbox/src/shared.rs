//! State shared by every simulator of one sandbox: the clock, the fault rules, the request log,
//! the base URLs, and each system's own state behind its own lock (locks are never held across
//! an `.await`).

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use axum::response::Response;
use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use crate::clock::SandboxClock;
use crate::faults::{Faults, guarded};
use crate::log::RequestLog;
use crate::system::System;
use crate::{freshdesk, nets, pgw, pixi, postfinance, smallinvoice, smtp, unzer};

/// Cheap handle to the sandbox's shared state.
#[derive(Clone)]
pub struct Shared(pub Arc<Inner>);

/// See [`Shared`].
pub struct Inner {
    /// Sandbox time (SB-06).
    pub clock: SandboxClock,
    /// Fault rules (SB-05).
    pub faults: Faults,
    /// Every request received (SB-04).
    pub log: RequestLog,
    /// Cancelled when the sandbox stops; ends hangs and background actors.
    pub token: CancellationToken,
    /// Seed of faults and generated data.
    pub seed: u64,
    /// Base URL of every system, known once all listeners are bound.
    pub urls: OnceLock<BTreeMap<System, String>>,
    /// HTTP client for outgoing calls (unzer webhooks).
    pub http: reqwest::Client,
    /// pixi state.
    pub pixi: Mutex<pixi::State>,
    /// unzer state.
    pub unzer: Mutex<unzer::State>,
    /// Nets state.
    pub nets: Mutex<nets::State>,
    /// PGW state.
    pub pgw: Mutex<pgw::State>,
    /// smallinvoice state.
    pub smallinvoice: Mutex<smallinvoice::State>,
    /// Freshdesk state.
    pub freshdesk: Mutex<freshdesk::State>,
    /// PostFinance state.
    pub postfinance: Mutex<postfinance::State>,
    /// SMTP sink state.
    pub smtp: Mutex<smtp::State>,
}

impl Shared {
    /// Fresh state with `seed`.
    pub fn new(seed: u64, token: CancellationToken) -> Self {
        Shared(Arc::new(Inner {
            clock: SandboxClock::default(),
            faults: Faults::new(seed),
            log: RequestLog::default(),
            token,
            seed,
            urls: OnceLock::new(),
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(20))
                .build()
                .unwrap_or_else(|_| reqwest::Client::new()),
            pixi: Mutex::default(),
            unzer: Mutex::default(),
            nets: Mutex::default(),
            pgw: Mutex::default(),
            smallinvoice: Mutex::default(),
            freshdesk: Mutex::default(),
            postfinance: Mutex::default(),
            smtp: Mutex::default(),
        }))
    }

    /// The sandbox's current time.
    pub fn now(&self) -> DateTime<Utc> {
        self.0.clock.now()
    }

    /// Base URL of `system`, e.g. `http://127.0.0.1:41234` (empty before start-up finished).
    pub fn url(&self, system: System) -> String {
        self.0.urls.get().and_then(|u| u.get(&system)).cloned().unwrap_or_default()
    }

    /// Runs the real operation `act` under the fault rules of (`system`, `operation`).
    pub async fn guard<F: Future<Output = Response>>(&self, system: System, operation: &str, act: F) -> Response {
        guarded(&self.0.faults, &self.0.token, self.now(), system, operation, act).await
    }

    /// Locks `m`, recovering from a poisoned lock (a panicked handler must not wedge the
    /// sandbox).
    pub fn lock<'a, T>(m: &'a Mutex<T>) -> MutexGuard<'a, T> {
        m.lock().unwrap_or_else(|p| p.into_inner())
    }
}
