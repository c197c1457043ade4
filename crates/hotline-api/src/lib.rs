//! **hotline-api** — the smarpay hotline agent portal (`docs/rules/HL.md`, HL-01 … HL-43).
//!
//! It owns the hotline's agents (Standard/Admin, argon2id passwords, sessions, service
//! tokens, login throttle), the audit log of every read and write, the B2C code lookups and
//! code generations, the tickets it opened, and the **order timeline** read model fed by
//! every event of every service. It serves a German web page (port 8053, assets embedded in
//! the binary) over its own HTTP/JSON API, and the same use cases over gRPC
//! (`payops.hotline.v1.AgentService`, `HotlineService`, `TimelineService`; port 50053).
//!
//! Partners, each held to its contract cases (`crates/sandbox/contracts/<partner>/`, CT-01 …
//! CT-05): **PGW** (our own contract `crates/sandbox/openapi/pgw.yaml`, unverified — PGW
//! publishes nothing: `X-API-Key` per environment, PROD searches, code generation through the
//! journal, settled after a lost answer by reading the transaction, never by sending it again;
//! Zurich day listings; a status outside the contract is shown as unknown for that payment),
//! **smallinvoice v2** (OAuth client credentials without refresh token, contacts, invoices by
//! `contact_id` re-checked here and sorted by the documented `-number`, float totals converted
//! exactly, application error codes, the hourly rate budget) and **ticketing-bridge** over
//! gRPC (`payops.ticketing.v1`, idempotent on the request id). `payops-hotline-api preflight`
//! and `HotlineService.Preflight` check both partners read-only and list what PGW's operator
//! must confirm ([`preflight`], CT-06).
//!
//! Events: publishes `code_generated` (`payops.hotline.v1.CodeGenerated`, keyed by the PGW
//! transaction number); consumes `<prefix>.>` (durable `hotline-timeline`).
//!
//! Metrics (besides the kit's gRPC, consumer, outbox, journal and external-call families):
//! `payops_hotline_lookups_total{outcome}` (found, expired, notfound, error),
//! `payops_hotline_codes_generated_total`, `payops_hotline_tickets_total{kind}`,
//! `payops_hotline_timeline_events_total`, `payops_hotline_timeline_reads_total{from}` (memory,
//! database; see [`service::timeline_view`]), `payops_hotline_timeline_memory_losses_total`,
//! `payops_hotline_http_requests_total{route,status}`,
//! `payops_hotline_http_request_duration_seconds{route}`.
//!
//! Configuration: see [`config`]. The first admin comes from `BOOTSTRAP_ADMIN` or from
//! `payops-hotline-api create-agent` (see [`cli`]).

pub mod app;
/// Message bus: the `code_generated` event and the timeline consumer.
pub mod bus;
pub mod cli;
pub mod config;
pub mod domain;
pub mod error;
pub mod grpc;
/// Background loops: the maintenance pass.
pub mod jobs;
/// The PGW client.
pub mod pgw;
pub mod preflight;
pub mod service;
/// The smallinvoice v2 client.
pub mod smallinvoice;
/// Postgres access.
pub mod store;
pub mod ticketing;
pub mod web;
