//! PGW — smarpay's own payment gateway for TWINT-paid laundry-room codes. Tenants pay with
//! TWINT at a device labelled with a b-code; PGW records the payment and issues a
//! "Canastra" code valid until a given time. The hotline (`docs/rules/HL.md`, HL-10 …
//! HL-30) looks payments and codes up in PROD, generates new codes, and lists a day's payments.
//!
//! PGW is **ours**: there is no external documentation. This simulator *is* the contract; it
//! is written down as OpenAPI 3 in `crates/sandbox/openapi/pgw.yaml` (the link in the table
//! below) and summarised here.
//!
//! # Contract
//!
//! - Base path `/api/v1/{env}` with `env` = `prod` or `test` (anything else → 404
//!   `unknown_environment`). The two environments hold separate data and separate keys.
//! - Auth: header `X-API-Key`. Missing → 401 `missing_api_key`; a key not valid for *this*
//!   environment (e.g. a TEST key on PROD) → 401 `invalid_api_key`.
//! - Errors are always JSON `{"error":{"code":"…","message":"…","fields":[{"field","reason"}]?}}`.
//!   **Not found is never an error in a search**: a search without match answers 200 with
//!   `"items": []`. A non-2xx status always means "error" (so "not found" and "PGW failed" can
//!   never be confused). Direct reads of one resource answer 404 with a specific code.
//! - Amounts are decimal strings in CHF (`"3.50"`); times are RFC 3339 in Europe/Zurich local
//!   time with offset; every transaction also carries its local `date` and `time`.
//! - A transaction's `code` is the *current* code (the last one issued) with `state` `valid`
//!   or `expired` computed on the sandbox clock at the time of the request, and `expired_on`
//!   once expired. Codes issued at payment time are valid for the device's
//!   `code_validity_hours` (default 72 h).
//! - Search keys: `mobile` (any Swiss/E.164 spelling; normalised), `twint_ref` (UUID), `device`
//!   (b-code, case-insensitive). At least one is required; every given key must match. `date`
//!   (local day) is required; `from`/`to` (`HH:MM[:SS]`, local, inclusive; `to=14:30` includes
//!   14:30:59) narrow the window. All invalid parameters are reported at once (400
//!   `invalid_request` with `fields`); unknown parameters are refused.
//! - Code generation is **PROD only** (TEST → 403 `prod_only`): a new code valid for the
//!   device's validity from now becomes the transaction's current code; every generation is
//!   recorded. An optional `Idempotency-Key` header makes retries safe: the same key for the
//!   same target returns the recorded generation with 200 and `Idempotent-Replayed: true`; the
//!   same key for another target → 422 `idempotency_key_reused`. A transaction that did not
//!   complete → 409 `transaction_not_completed`. Device-level codes need `amount` in the body.
//! - The day listing returns the *completed* payments whose local (Europe/Zurich) date is the
//!   given day — day boundaries follow DST (a 23-hour or 25-hour day) — with `count` and `total`.
//!
//! # Endpoints
//!
//! | method | path | fault operation | documentation |
//! |---|---|---|---|
//! | GET | `/api/v1/{env}/transactions?mobile=&twint_ref=&device=&date=&from=&to=` | `search` | `openapi/pgw.yaml` `searchTransactions` |
//! | GET | `/api/v1/{env}/transactions/{id}` | `get_transaction` | `openapi/pgw.yaml` `getTransaction` |
//! | GET | `/api/v1/{env}/transactions/{id}/code` | `get_code` | `openapi/pgw.yaml` `getCode` |
//! | POST | `/api/v1/prod/transactions/{id}/codes` | `generate_code` | `openapi/pgw.yaml` `generateCodeForTransaction` |
//! | POST | `/api/v1/prod/devices/{b_code}/codes` | `generate_code` | `openapi/pgw.yaml` `generateCodeForDevice` |
//! | GET | `/api/v1/{env}/devices/{b_code}` | `get_device` | `openapi/pgw.yaml` `getDevice` |
//! | GET | `/api/v1/{env}/days/{date}/transactions` | `day_transactions` | `openapi/pgw.yaml` `dayTransactions` |
//!
//! Background on TWINT itself (order UUID = "transaction number" in the payer's app):
//! `crates/sandbox/contracts/pgw/` and https://github.com/Twint-AG/sdk.
//!
//! # Admin routes (`/admin/pgw/…`)
//!
//! | method | path | body / answer |
//! |---|---|---|
//! | POST | `/api-keys` | [`PgwApiKey`] → 204 |
//! | POST | `/devices` | [`PgwDevice`] → 201 [`DeviceView`] |
//! | POST | `/transactions` | [`PgwTransaction`] → 201 [`TransactionView`] |
//! | GET | `/transactions?env=prod` | every transaction of the environment |
//! | GET | `/generations?env=prod` | every recorded code generation ([`Generation`]) |
//! | POST | `/behaviour` | [`Behaviour`] → 204: ignore `Idempotency-Key`, leave answer fields out |
//!
//! Demo data (SB-08): keys `pgw-prod-demo-key` / `pgw-test-demo-key`, four PROD devices and a
//! week of payments (see [`demo`]).

mod admin;
pub mod demo;
mod generate;
mod handlers;
mod model;
mod wire;

use axum::Router;
use axum::routing::{get, post};

pub use admin::{PgwApiKey, PgwDevice, PgwTransaction};
pub use model::{CodeGrant, Env, Generation, TxStatus};
pub use wire::{CodeView, DeviceView, GenerationView, TransactionView};

use crate::shared::Shared;
use model::{EnvState, make_code, make_uuid};

/// Simulator state: one data set per environment plus the counters that make ids and codes.
#[derive(Debug, Default)]
pub struct State {
    prod: EnvState,
    test: EnvState,
    /// Last PGW transaction number handed out (numbers start at 100001).
    last_tx: u64,
    /// Last generation id.
    last_generation: u64,
    /// Counter feeding codes and TWINT references.
    counter: u64,
    /// What the admin switches changed (`/admin/pgw/behaviour`).
    behaviour: Behaviour,
}

/// Deviations from our contract an admin can switch on, to test how the hotline copes with a
/// gateway that differs from what we assume (PGW publishes nothing, see the hotline's
/// preflight).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Behaviour {
    /// Code generation ignores `Idempotency-Key`: every request makes a new code.
    #[serde(default)]
    pub ignore_idempotency_key: bool,
    /// Answer fields left out of transactions and listings (a field PGW stopped sending).
    #[serde(default)]
    pub omit_fields: Vec<String>,
    /// Transaction number → a status outside our contract that PGW answers for it (a status
    /// PGW has and never told us about).
    #[serde(default)]
    pub statuses: std::collections::BTreeMap<u64, String>,
}

impl Behaviour {
    /// `v` (a transaction, or a listing and its items) with the switched statuses and without
    /// the omitted fields.
    pub fn omit(&self, mut v: serde_json::Value) -> serde_json::Value {
        let strip = |o: &mut serde_json::Value| {
            if let Some(s) = o["id"].as_u64().and_then(|id| self.statuses.get(&id)) {
                o["status"] = s.clone().into();
            }
            if let serde_json::Value::Object(m) = o {
                m.retain(|k, _| !self.omit_fields.contains(k));
            }
        };
        if let Some(items) = v.get_mut("items").and_then(serde_json::Value::as_array_mut) {
            items.iter_mut().for_each(strip);
        }
        strip(&mut v);
        v
    }
}

impl State {
    fn env(&self, env: Env) -> &EnvState {
        match env {
            Env::Prod => &self.prod,
            Env::Test => &self.test,
        }
    }

    fn env_mut(&mut self, env: Env) -> &mut EnvState {
        match env {
            Env::Prod => &mut self.prod,
            Env::Test => &mut self.test,
        }
    }

    fn next_transaction_id(&mut self) -> u64 {
        let used = self.prod.transactions.iter().chain(&self.test.transactions).map(|t| t.id).max().unwrap_or(0);
        self.last_tx = self.last_tx.max(used).max(100_000) + 1;
        self.last_tx
    }

    fn next_generation_id(&mut self) -> u64 {
        self.last_generation += 1;
        self.last_generation
    }

    fn next_code(&mut self, seed: u64) -> String {
        self.counter += 1;
        make_code(seed, self.counter)
    }

    fn next_uuid(&mut self, seed: u64) -> uuid::Uuid {
        self.counter += 1;
        make_uuid(seed, self.counter)
    }
}

/// The PGW API on its own port.
pub fn router(shared: Shared) -> Router {
    Router::new()
        .route("/api/v1/{env}/transactions", get(handlers::search))
        .route("/api/v1/{env}/transactions/{id}", get(handlers::get_transaction))
        .route("/api/v1/{env}/transactions/{id}/code", get(handlers::get_code))
        .route("/api/v1/{env}/transactions/{id}/codes", post(generate::generate_for_transaction))
        .route("/api/v1/{env}/devices/{b_code}", get(handlers::get_device))
        .route("/api/v1/{env}/devices/{b_code}/codes", post(generate::generate_for_device))
        .route("/api/v1/{env}/days/{date}/transactions", get(handlers::day_transactions))
        .fallback(handlers::not_found)
        .with_state(shared)
}

/// Admin routes under `/admin/pgw`.
pub fn admin(shared: Shared) -> Router {
    admin::routes(shared)
}

/// Loads the demo data (SB-08).
pub fn demo(shared: &Shared) {
    demo::load(shared);
}
