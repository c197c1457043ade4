//! **terminal-gateway** owns the terminal registry and card-present payments on Nets
//! Connect@Cloud terminals (`docs/rules/TG.md`, TG-01 … TG-33).
//!
//! - Per tenant: Nets credentials (password sealed at rest, write-only), terminals with a
//!   point of sale and an active flag, live status and troubleshooting data, and each
//!   workstation's last terminal.
//! - Payments and refunds (Nets return of goods): started idempotently on a caller request id;
//!   a payment **holds its terminal** (a partial unique index, so across replicas) from its
//!   start until Nets told how its transaction ended — also after it was given up on — so no
//!   sale, lookup or cancel of ours can hit another transaction of ours on that terminal;
//!   tracked through the blocking Nets call (let go at `PAYMENT_TIMEOUT` + `PAYMENT_GRACE`),
//!   cancelled on request or at the timeout (kit Clock), resolved by a last-result lookup only
//!   when nothing of the payment can still run (matched in the terminal's local time),
//!   recovered after a crash by lease takeover, revisited by the supervisor until Nets gives a
//!   final answer (a late approval is voided automatically), and watched live (gRPC stream).
//! - Events (outbox, keyed by order id): `terminal_payment_{started,cancel_requested,approved,
//!   declined,cancelled,timed_out,failed,approved_after_timeout,voided,void_failed}`, the same
//!   as `terminal_refund_*` for refunds, `manual_card_payment_recorded` (payload
//!   `TerminalPaymentChanged`), and `attention`: late approvals and their voids and outcomes
//!   never confirmed (keyed by the order), repeated failures on one terminal (keyed by
//!   `terminal-<id>`: one incident per terminal).
//!
//! Partner contract: Nets Connect@Cloud as its contract cases show it
//! (`crates/sandbox/contracts/nets/`, sources: the DANOSOFT/saldi production wire log and
//! NaviPartner's NETSCloud codeunits): login → bearer token, user name and the account's
//! terminal ids; `GET /v1/terminal`; blocking `POST …/transaction` (`purchase`,
//! `returnOfGoods`) with 201 result / 400 failure, codes as strings, production failure texts;
//! `GET …/transaction` last result (aborts a transaction in progress; `result.orderId` only for
//! approvals; times in the terminal's local time); `POST …/administration {"action":
//! "cancelAction"}`; `DELETE …/transaction` void. `GET /v1/terminal/{id}` has no public source
//! and is used as advice only. Preflight (CT-06): [`preflight`].
//!
//! Watching (TG-11): the replica that commits a change hands the payment to its in-process hub
//! right after the commit; other replicas learn it from the change's bus event (one core NATS
//! subscription per replica on `<prefix>.terminal-gateway.>`), and every watcher re-reads the
//! row every 5 s as a safety net (see [`service::hub`]). Benchmark: `benches/payments.rs`
//! (`deploy/bench/service-terminal-gateway.sh`).
//!
//! Configuration: see [`config`]. Metrics (besides the kit's gRPC, outbox and external-call
//! families): `payops_terminal_payments_started_total`, `payops_terminal_payments_total{state,
//! reason}`, `payops_terminal_payment_approved_minor_total{currency}`,
//! `payops_terminal_payment_duration_seconds{state}`, `payops_terminal_payment_record_seconds`,
//! `payops_terminal_payments_waiting`, `payops_terminal_payment_watchers`,
//! `payops_terminal_late_approval_voids_total{result}`; Nets calls as
//! `payops_external_requests_total{system="nets", operation=login|terminals|terminal_state|
//! purchase|refund|lookup|cancel|void}` and answers that break their contract as
//! `payops_contract_violations_total{system="nets",operation,field}`.

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
/// Background loops: the supervisor.
pub mod jobs;
/// The Nets Connect@Cloud client and its wire mapping.
pub mod nets;
/// Preflight (CT-06): the read-only check of a tenant's Nets setup.
pub mod preflight;
/// Use cases — the payment engine: start, purchase calls, refresh, cancel, the supervisor's
/// pass, terminal registry, watch hub.
pub mod service;
/// Postgres access.
pub mod store;
