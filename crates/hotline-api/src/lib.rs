//! **hotline-api** — the smarpay hotline agent portal (spec `30-hotline-api.md`, HL-01 … HL-43).
//!
//! It owns the hotline's agents (Standard/Admin, argon2id passwords, sessions, service
//! tokens, login throttle), the audit log of every read and write, the B2C code lookups and
//! code generations, the tickets it opened, and the **order timeline** read model fed by
//! every event of every service. It serves a German web page (port 8053, assets embedded in
//! the binary) over its own HTTP/JSON API, and the same use cases over gRPC
//! (`payops.hotline.v1.AgentService`, `HotlineService`, `TimelineService`; port 50053).
//!
//! Partners: **PGW** (`crates/sandbox/openapi/pgw.yaml`: `X-API-Key` per environment, PROD
//! searches, code generation with `Idempotency-Key` through the journal, Zurich day
//! listings), **smallinvoice v2** (OAuth client credentials, rotating refresh tokens,
//! contacts, invoices by `contact_id` re-checked here, float totals converted exactly) and
//! **ticketing-bridge** over gRPC (`payops.ticketing.v1`, idempotent on the request id).
//!
//! Events: publishes `code_generated` (`payops.hotline.v1.CodeGenerated`, keyed by the PGW
//! transaction number); consumes `<prefix>.>` (durable `hotline-timeline`).
//!
//! Metrics (besides the kit's gRPC, consumer, outbox, journal and external-call families):
//! `payops_hotline_lookups_total{outcome}` (found, expired, notfound, error),
//! `payops_hotline_codes_generated_total`, `payops_hotline_tickets_total{kind}`,
//! `payops_hotline_timeline_events_total`, `payops_hotline_http_requests_total{route,status}`,
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
/// The PGW client.
pub mod pgw;
pub mod service;
/// The smallinvoice v2 client.
pub mod smallinvoice;
/// Postgres access.
pub mod store;
pub mod ticketing;
pub mod web;
