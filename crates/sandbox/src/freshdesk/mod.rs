//! **Freshdesk API v2** simulator: tickets, notes, conversations and ticket search of one
//! Freshdesk account (`https://{subdomain}.freshdesk.com/api/v2/…` — here the same paths on the
//! system's own port), with API-key auth, Freshdesk's validation errors and its per-minute
//! rate limit (`crates/sandbox/contracts/freshdesk/`).
//!
//! | endpoint | what it does | documentation |
//! |---|---|---|
//! | `POST /api/v2/tickets` | create → 201 ticket (+ `Location`) | <https://developers.freshdesk.com/api/#create_ticket> |
//! | `GET /api/v2/tickets/{id}[?include=conversations,requester,company,stats]` | view → 200 / 404 | <https://developers.freshdesk.com/api/#view_a_ticket> |
//! | `POST /api/v2/tickets/{id}/notes` | add a note → 201 conversation (`private` defaults to true) | <https://developers.freshdesk.com/api/#add_note_to_a_ticket> |
//! | `GET /api/v2/tickets/{id}/conversations[?page=&per_page=]` | notes, paged, `Link: …; rel="next"` | <https://developers.freshdesk.com/api/#list_all_ticket_notes> |
//! | `GET /api/v2/search/tickets?query="…"[&page=]` | `{"results":[…],"total":N}`, 30 per page, pages 1–10; a ticket is found only after the indexing delay | <https://developers.freshdesk.com/api/#filter_tickets> |
//! | `GET /api/v2/ticket_fields[?type=]` | the account's fields: `ticket_type` and `group` choices, custom fields | <https://developers.freshdesk.com/api/#list_all_ticket_fields> |
//!
//! Auth: HTTP Basic with a configured API key as user name and any password (`apikey:X`);
//! missing or wrong → 401 `{"code":"invalid_credentials","message":…}`. Rate limits:
//! <https://support.freshdesk.com/support/solutions/articles/225439>.
//!
//! **Fault operations** (SB-05): `create_ticket`, `view_ticket` (also the conversations list),
//! `add_note`, `search`, `ticket_fields`. An act-then-fail on `create_ticket` stores the ticket (findable by
//! search) and loses the answer. There is no idempotency: a repeated create is a second ticket.
//!
//! **Admin routes** (`/admin/freshdesk`, SB-04): `GET/POST /config` ([`FreshdeskConfig`],
//! patched with [`FreshdeskConfigPatch`]: plan and rates, ticket types, groups, custom fields,
//! external-reference field, API keys, search indexing delay); `POST /api_keys` ([`FreshdeskApiKey`]);
//! `GET /tickets[?external_ref=…]` ([`FreshdeskTickets`]: every ticket with notes, counts per
//! external reference and the duplicated references); `GET /rate` ([`FreshdeskRate`]);
//! `POST /tickets/{id}/status` ([`FreshdeskStatusChange`]: an agent resolves, closes or reopens
//! a ticket, as in the helpdesk UI).
//!
//! **Defaults:** plan `growth` (200 calls/min, 80 creates/min); types Question, Incident,
//! Problem, Feature Request, Refund, Waschküche, Billing; groups `hotline` 43000000001,
//! `payments` 43000000002, `billing` 43000000003; custom fields `cf_payops_ref` (text, the
//! external reference), `cf_order_id`, `cf_tenant` (text), `cf_amount_minor` (number),
//! `cf_callback_requested` (checkbox), `cf_situation` (dropdown found/expired/notfound); no
//! API key (add one, or load the demo data with key [`DEMO_API_KEY`]); search indexing delay
//! [`DEFAULT_INDEX_DELAY_SECS`] (CT-07: Freshdesk documents that "updates will take a few
//! minutes to get indexed"; set 0 to search at once).
//!
//! **Contracts chosen where the documentation is silent [INF]:**
//! - Order of checks: fault guard → rate limit → API key → content type (415
//!   `invalid_content_type` unless `application/json`) → JSON (`invalid_json`) → validation.
//! - Rate window: a fixed window per minute of the **sandbox clock** (moving the clock opens a
//!   new window); all keys share it; 401/400/404 answers count, 429 answers do not;
//!   `include=` costs one extra credit per value; creates also count against
//!   `create_per_minute`. 429 body `{"code":"rate_limit_exceeded","message":…}` with
//!   `Retry-After` = whole seconds to the next window.
//! - Validation lists every problem at once. `subject` and `description` are required
//!   (`missing_field`, "It should be a/an String"); no requester identifier → `missing_field`
//!   on `requester_id`; phone without e-mail and name → `missing_field` on `name`; out-of-range
//!   `status`/`priority`/`source`, unknown `type`/`group_id`/`requester_id`, bad e-mails, a
//!   subject over 255 or a tag over 32 characters → `invalid_value`; wrong JSON types → `datatype_mismatch`;
//!   unknown top-level or custom fields → `invalid_field` (the field named as sent).
//! - The description is stored and returned verbatim (HTML, no sanitising);
//!   `description_text` is the tag-stripped text. `due_by`/`fr_due_by` follow a default SLA
//!   by priority unless given.
//! - 404 has an empty body. Search: strings compare exactly; custom fields are named with
//!   `cf_` (a bare name is an unknown field); supported fields `status`, `priority`, `type`,
//!   `tag`, `group_id`, `agent_id`, `created_at`, `updated_at`, `due_by`, `fr_due_by` and
//!   custom fields; newest first; a ticket becomes findable `index_delay_secs` after its
//!   creation and is then matched on its current fields. A bad query (unknown field included)
//!   → 400 `invalid_value` on `query`.
//! - `Location` of a created ticket is the absolute URL of the sandbox's Freshdesk.
//! - HTTPS-only (`ssl_required`) is not simulated: the sandbox speaks plain HTTP.

mod admin;
mod demo;
mod handlers;
mod rate;
mod reader;
mod search;
mod state;
mod ticket_fields;
mod validate;
mod wire;

use axum::Router;
use axum::routing::{get, post};

pub use admin::{
    FreshdeskApiKey, FreshdeskConfigPatch, FreshdeskNoteView, FreshdeskRate, FreshdeskStatusChange,
    FreshdeskTicketView, FreshdeskTickets,
};
pub use demo::DEMO_API_KEY;
pub use rate::FreshdeskRateWindow;
pub use state::{
    CustomField, CustomFieldType, DEFAULT_INDEX_DELAY_SECS, FreshdeskConfig, FreshdeskGroup, PLANS, State,
};

use crate::shared::Shared;

/// The Freshdesk v2 routes.
pub fn router(shared: Shared) -> Router {
    Router::new()
        .route("/api/v2/tickets", post(handlers::create_ticket))
        .route("/api/v2/tickets/{id}", get(handlers::view_ticket))
        .route("/api/v2/tickets/{id}/notes", post(handlers::add_note))
        .route("/api/v2/tickets/{id}/conversations", get(handlers::conversations))
        .route("/api/v2/search/tickets", get(handlers::search_tickets))
        .route("/api/v2/ticket_fields", get(ticket_fields::list))
        .with_state(shared)
}

/// Admin routes under `/admin/freshdesk`.
pub fn admin(shared: Shared) -> Router {
    admin::routes(shared)
}

/// Loads the demo API key and tickets (SB-08).
pub fn demo(shared: &Shared) {
    demo::load(shared);
}
