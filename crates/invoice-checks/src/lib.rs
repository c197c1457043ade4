//! invoice-checks: payments that are not settled at checkout and must be checked and confirmed
//! later (`docs/rules/IC.md` and `docs/rules/MP.md`).
//!
//! **SwissBilling** (invoice on account through PostFinance e-payment): the pre-check of an order
//! returning every violation with field, reason and rule (IC-01 … IC-07); the signed form for the
//! UTF-8 payment page and the verification of the customer's SHA-OUT-signed return (IC-08, a bad
//! signature is refused and recorded as a security event); maintenance through DirectLink with a
//! persisted per-transaction state machine and its PAYIDSUB history (IC-10 … IC-17): full
//! captures only, money ceilings checked before sending and enforced by the database, strict
//! XML, STATUS codes as named states (unknown ones kept and flagged), 50001127 reconciled by
//! re-reading, every call through `kit::journal` with `querydirect` as the probe, TEST/PROD
//! separation, account options; attention events on refused captures and refunds (IC-16).
//! PostFinance's server-to-server post-sale request is received on the public port ([`web`]) and
//! recorded like the return; an order whose return and post-sale request were both lost is
//! found by ORDERID (when maintained, and by the discovery pass); a maintenance outcome that
//! stays unknown goes to a person once. The wire is held to the contract cases in
//! `crates/sandbox/contracts/postfinance/` (CT-01 … CT-05).
//!
//! **Manual payments** as the merchant's requirements describe them (`docs/rules/MP.md`): manual-payment merchants with currency rules
//! (MP-01), offers — listed only when paid through such a merchant (MP-02), the customer's
//! payment, never dated in the future (MP-03), approval/rejection with adjustments by a manager —
//! a customer's payment becomes approved ("Разрешен"), one the manager recorded completed
//! ("Завершен") (MP-04), the automatic rejection after the deadline by a scheduled job on the
//! Clock, each payment on its own so one unreadable row stops none of the others (MP-05),
//! refunds (MP-06), payments recorded by a manager with the customer's e-mail and phone, readable
//! by managers only, and listed per customer (MP-07), exact fees (MP-08, rounding in
//! [`domain::manual::fees`]), an event per change (MP-09), illegal transitions refused (MP-10).
//!
//! It owns the schema `invoice_checks` (tables `sb_*`, `mp_*`, `security_events` plus the kit's).
//! Configuration: [`config`] and [`postfinance::tenant`]. Events: [`bus`]. Partner contract:
//! [`postfinance`] (the sandbox's `postfinance` module documents the simulated wire protocol).
//!
//! # Metrics
//!
//! Besides the kit's (gRPC, outbox, journal, `payops_external_requests_total{system="postfinance"}`):
//!
//! | name | labels | meaning |
//! |---|---|---|
//! | `payops_invoice_checks_maintenance_total` | `operation`, `outcome` | DirectLink maintenance requests: accepted, already_applied, unknown, refused_by_postfinance, refused_before_sending, error |
//! | `payops_invoice_checks_unknown_status_total` | — | levels recorded with a STATUS code not in the table |
//! | `payops_invoice_checks_security_events_total` | `kind` | sha_out_mismatch, return_mismatch, return_for_unknown_order, return_conflict, role_refused |
//! | `payops_contract_violations_total` | `system="postfinance"`, `operation` (`maintenance`, `query`, `return`, `notification`), `field` | answers or feedback without a field the logic needs (kit) |
//! | `payops_invoice_checks_manual_payment_transitions_total` | `to`, `automatic` | manual-payment state changes |
//! | `payops_invoice_checks_manual_expiry_failures_total` | — | payments past their deadline the expiry job could not reject (logged with the order id, retried next pass) |

/// Build, then run.
pub mod app;
/// Events published through the outbox.
pub mod bus;
/// Typed configuration from the environment.
pub mod config;
/// Pure rules and state machines.
pub mod domain;
/// The crate's error type.
pub mod error;
/// gRPC adapters.
pub mod grpc;
/// Background loops: each a loop around a use case's `*_once` pass.
pub mod jobs;
/// The PostFinance e-payment / DirectLink adapter.
pub mod postfinance;
/// Use cases.
pub mod service;
/// Postgres access.
pub mod store;
/// The public HTTP port (PostFinance's post-sale requests).
pub mod web;
