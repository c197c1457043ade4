//! **terminal-gateway** owns the terminal registry and card-present payments on Nets
//! Connect@Cloud terminals (spec `20-terminal-gateway.md`, TG-01 … TG-33; seed 002).
//!
//! - Per tenant: Nets credentials (password sealed at rest, write-only), terminals with a
//!   point of sale and an active flag, live status and troubleshooting data, and each
//!   workstation's last terminal.
//! - Payments: started idempotently on a caller request id, at most one in progress per
//!   terminal (a partial unique index, so across replicas), tracked through the blocking Nets
//!   purchase call, cancelled on request or after `PAYMENT_TIMEOUT` (kit Clock), refreshed by
//!   reading the terminal state before any last-result lookup, recovered after a crash by
//!   lease takeover, and watched live (gRPC server stream).
//! - Events (outbox, keyed by order id): `terminal_payment_{started,cancel_requested,approved,
//!   declined,cancelled,timed_out,failed,approved_after_timeout}`, `manual_card_payment_recorded`
//!   (payload `TerminalPaymentChanged`), and `attention` for repeated failures on one terminal
//!   and for late approvals.
//!
//! Partner contract: Nets Connect@Cloud as in external-apis.md §2 / §8.2 and the sandbox's
//! `nets` module docs (login → bearer token, 401 → login again; `GET /v1/terminal[/{id}]`;
//! blocking `POST …/transaction` with 201 result / 400 failure and `Result` 0/2/99;
//! `GET …/transaction` last result, which aborts a transaction in progress; `POST
//! …/administration {"action":"cancelAction"}`; `DELETE …/transaction` void).
//!
//! Watching (TG-11): the replica that commits a change hands the payment to its in-process hub
//! right after the commit; other replicas learn it from the change's bus event (one core NATS
//! subscription per replica on `<prefix>.terminal-gateway.>`), and every watcher re-reads the
//! row every 5 s as a safety net (see [`tracking::hub`]). Benchmark: `benches/payments.rs`
//! (`deploy/bench/service-terminal-gateway.sh`).
//!
//! Configuration: see [`config`]. Metrics (besides the kit's gRPC, outbox and external-call
//! families): `payops_terminal_payments_started_total`, `payops_terminal_payments_total{state,
//! reason}`, `payops_terminal_payment_approved_minor_total{currency}`,
//! `payops_terminal_payment_duration_seconds{state}`, `payops_terminal_payment_record_seconds`, `payops_terminal_payments_waiting`,
//! `payops_terminal_payment_watchers`; Nets calls as `payops_external_requests_total{system="nets",
//! operation=login|status|start|last_result|cancel|void}`.

/// Build, then run.
pub mod app;
/// Event types and builders (outbox, keyed by order id).
pub mod bus;
/// Typed configuration from the environment.
pub mod config;
/// Pure rules: ids, payment state machine, terminal status, lookup correlation.
pub mod domain;
/// The crate's error enum.
pub mod error;
/// Thin tonic adapters and Error → Status.
pub mod grpc;
/// The Nets Connect@Cloud client and its wire mapping.
pub mod nets;
/// Preflight (CT-06): the read-only check of a tenant's Nets setup.
pub mod preflight;
/// Postgres access.
pub mod store;
/// The payment engine: start, purchase calls, refresh, cancel, supervisor, watch hub.
pub mod tracking;
