//! smallinvoice API v2 simulator: OAuth2 client-credentials tokens, contacts (the property
//! managements the hotline searches, HL-20) and receivable invoices (HL-21), with the real
//! envelopes, list parameters, status codes and error bodies (`crates/sandbox/contracts/smallinvoice/`).
//!
//! # Endpoints
//!
//! | method | path | fault operation | documentation |
//! |---|---|---|---|
//! | POST | `/v2/auth/access-tokens` | `access_token` | https://api.smallinvoice.com/v2/doc/ (Auth); SDK `smallinvoice/api2-php` |
//! | GET | `/v2/contacts?q=&filter=&limit=&offset=&sort=&with=` | `list_contacts` | https://api.smallinvoice.com/v2/doc/ (Contacts) |
//! | GET | `/v2/contacts/{id}` | `get_contact` | https://api.smallinvoice.com/v2/doc/ (Contacts) |
//! | GET | `/v2/receivables/invoices?…` | `list_invoices` | https://api.smallinvoice.com/v2/doc/ (Receivables) |
//! | GET | `/v2/receivables/invoices/{id}` | `get_invoice` | https://api.smallinvoice.com/v2/doc/ (Receivables) |
//! | POST | `/v2/receivables/invoices` | `create_invoice` | https://api.smallinvoice.com/v2/doc/ (Receivables) |
//!
//! # Behaviour
//!
//! - Tokens: JSON (or form) body `{"grant_type":"client_credentials","client_id","client_secret","scope":"contact invoice"}`
//!   → **201** `{"token_type":"Bearer","expires_in":43200,"access_token"}` — no refresh token,
//!   as the official auth workflow documents for this grant (a new token is requested the same
//!   way). Access tokens expire after 43 200 s of *sandbox* time. Without `scope` the client's
//!   scopes are granted. Errors (league/oauth2-server wording): unsupported grant 400
//!   `unsupported_grant_type`; missing `client_id` 400 `invalid_request`; wrong client or secret
//!   401 `invalid_client`; unknown or ungranted scope 400 `invalid_scope`; any refresh token 400
//!   `invalid_grant` (only the authorization-code grant, not simulated, issues them).
//! - Every call needs `Authorization: Bearer …`: missing, unknown, expired or revoked → 401
//!   `{"code":401,"message":…,"meta":{"error_type":"access_denied","hint":…}}` (hints
//!   `Missing "Authorization" header`, `Access token could not be verified`, `Access token has
//!   expired`, `Access token has been revoked`); a token without the scope (`contact` for
//!   contacts, `invoice` for invoices) → **403 with an empty body**.
//! - Lists: `{"pagination":{"page","pages","total","first","last","next"?},"items":[…]}`; `next`
//!   only while more items follow; links are absolute and repeat q/filter/sort/with. `limit`
//!   1–200 (default 100), `offset` ≥ 0, unknown `sort`/`with` keys, invalid or unknown `filter`
//!   keys → 400 `{"code":2103|2104|2102|2100|2101,"message":…}` (application codes). `q` matches every word case-insensitively in the
//!   name, name addition, number, e-mail and phone (contacts) or number, contact name and
//!   reference (invoices) — any length works, so a 2-character search finds managements.
//!   `filter` is field equality combined with `and`/`or` (an id matches as number or string;
//!   `{"contact_id":…}` really filters, unlike the reported quirk of the real API).
//! - Single items: `{"item":{…}}`; unknown id → 404 `{"code":3000,"message":"Entity not found","meta":{"entity_type":…}}`.
//! - Invoices carry `total`/`total_paid` as JSON floats produced exactly from integer Rappen,
//!   `status` ∈ DR S P PP R1 R2 R3 R DC C D, `paid_date` once fully paid, dates `YYYY-MM-DD`,
//!   `created` `YYYY-MM-DD HH:MM:SS`. `with=positions|contact|contact_address` adds those.
//!   Contacts: `with=main_address|addresses`.
//! - Creating an invoice validates all fields at once → 422
//!   `{"code":422,"message":"Validation failed","meta":{"errors":[{"key","code","message"}]}}`
//!   (codes: 1 required, 2 invalid, 3 unknown reference [INF]); it is not idempotent.
//! - Rate budget: every API answer carries `X-Rate-Limit-Limit` (1000 by default),
//!   `X-Rate-Limit-Remaining` and `X-Rate-Limit-Reset` (seconds left in the sandbox hour); a spent
//!   budget answers 429 `{"code":6000,"message":"Too many requests"}` with the headers. Injected
//!   429s (fault `burst_429`) get the same body and keep `Retry-After`.
//!
//! [INF] choices: OAuth and validation errors carry the HTTP status as `code`; the budget is
//! per account and the token endpoint does not spend it; default sort is by id ascending;
//! `pages` is at least 1.
//!
//! # Admin routes (`/admin/smallinvoice/…`)
//!
//! | method | path | body / answer |
//! |---|---|---|
//! | POST | `/clients` | [`SiClient`] → 204 |
//! | POST | `/contacts` | [`SiContact`] → 201 the contact item (with `main_address`) |
//! | POST | `/invoices` | [`SiInvoice`] → 201 the invoice item (with `positions`) |
//! | POST | `/invoices/{id}/payments` | [`SiPayment`] → 200 the invoice (status `PP`/`P`, `paid_date`) |
//! | POST | `/rate-limit` | [`SiRateLimit`] → 204 (the hourly budget and what is left of it) |
//! | POST | `/omit-fields` | [`SiOmitFields`] → 204 (contacts and invoices leave these fields out) |
//!
//! Demo data (SB-08): client `payops-demo` / `payops-demo-secret` with every scope, six
//! managements and invoices in every status (see [`demo`]).

mod admin;
mod auth;
mod contacts;
pub mod demo;
mod invoices;
mod listing;
mod model;
mod render;
mod wire;

use axum::Router;
use axum::routing::{get, post};

pub use admin::{SiAddress, SiClient, SiContact, SiInvoice, SiOmitFields, SiPayment, SiPosition, SiRateLimit};
pub use auth::ACCESS_TTL_SECS;

use crate::shared::Shared;

/// Simulator state: clients, tokens, contacts and invoices.
#[derive(Debug, Default)]
pub struct State(model::Data);

impl std::ops::Deref for State {
    type Target = model::Data;
    fn deref(&self) -> &model::Data {
        &self.0
    }
}

impl std::ops::DerefMut for State {
    fn deref_mut(&mut self) -> &mut model::Data {
        &mut self.0
    }
}

/// The smallinvoice API on its own port.
pub fn router(shared: Shared) -> Router {
    Router::new()
        .route("/v2/auth/access-tokens", post(auth::access_tokens))
        .route("/v2/contacts", get(contacts::list))
        .route("/v2/contacts/{id}", get(contacts::get))
        .route("/v2/receivables/invoices", get(invoices::list).post(invoices::create))
        .route("/v2/receivables/invoices/{id}", get(invoices::get))
        .fallback(|| async { wire::error(http::StatusCode::NOT_FOUND, "Not Found") })
        .with_state(shared)
}

/// Admin routes under `/admin/smallinvoice`.
pub fn admin(shared: Shared) -> Router {
    admin::routes(shared)
}

/// Loads the demo data (SB-08).
pub fn demo(shared: &Shared) {
    demo::load(shared);
}
