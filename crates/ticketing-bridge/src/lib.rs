//! The ticketing bridge owns the payops side of Freshdesk tickets (`docs/rules/TK.md`,
//! TK-01 … TK-08): tickets opened on request over gRPC (hotline-api's B2C and B2B tickets,
//! HL-14/HL-23) and from attention events of every service, **exactly one per request id and
//! one per open incident of an order** — also when Freshdesk rate-limits, fails, or the bridge
//! dies between Freshdesk's answer and its own commit.
//!
//! How: every request and attention event becomes a row of a durable work queue (unique per
//! request id / event id). The worker takes one order at a time under the journal's order lock,
//! oldest item first; each Freshdesk change (create ticket, add note) goes through the kit's
//! journal with the external reference stored on the ticket (`cf_payops_ref`), so an unknown
//! outcome is settled by searching Freshdesk before anything is sent again — and since
//! Freshdesk's search finds a new ticket only minutes later, "not found" counts only once the
//! attempt is older than `FRESHDESK_INDEX_DELAY`. A limiter whose budget every replica shares
//! (Postgres) keeps the plan's call and create rates for the whole deployment; 429s pause it
//! for `Retry-After`; 5xx and timeouts back off exponentially with jitter; work that keeps
//! failing lands in a dead-letter list operators list and replay. All text reaches Freshdesk
//! HTML-escaped. Every call and answer field is held to the Freshdesk contract cases
//! (`crates/sandbox/contracts/freshdesk/`) and answers are read fail-closed.
//!
//! - gRPC `payops.ticketing.v1.TicketingService` (port 50054): CreateTicket, GetTicket,
//!   ListOrderTickets, ListDeadLetters, ReplayDeadLetter, Preflight; errors in the proto's
//!   service docs. `payops-ticketing-bridge preflight` prints the same checks (CT-06).
//! - Consumes `<prefix>.*.*.attention` (`payops.events.v1.Attention`), durable `ticketing-attention`.
//! - Emits `ticket_created` (`payops.events.v1.TicketCreated`), `ticket_note_added` and
//!   `ticket_work_dead_lettered` (`payops.ticketing.v1`), keyed by the order id.
//! - Partner: Freshdesk API v2 (`POST /tickets`, `GET /tickets/{id}`, `POST /tickets/{id}/notes`,
//!   `GET /tickets/{id}/conversations`, `GET /search/tickets`, `GET /ticket_fields`), see
//!   [`freshdesk`].
//! - Configuration: [`config`]; metrics: [`service`]; the synchronous CreateTicket under rate
//!   limits: `grpc/tickets.rs`.

pub mod app;
/// Attention events in (queued as work) and ticket events out.
pub mod bus;
pub mod config;
/// Pure rules: validation, HTML escaping, attention → ticket/note, references, retries.
pub mod domain;
/// The crate's error type.
pub mod error;
/// The Freshdesk API v2 client, its wire shapes and the client-side rate limiter.
pub mod freshdesk;
/// The gRPC adapter.
pub mod grpc;
/// Background loops: the dispatcher that runs due ticket work.
pub mod jobs;
/// Use cases: the ticket work executor, the journal operations and outcome records.
pub mod service;
/// Postgres: tickets and the work queue.
pub mod store;
