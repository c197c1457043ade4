//! Integration tests of pixi-sync against the in-process sandbox (pixi SOAP, unzer REST with
//! webhooks, SMTP sink) over real sockets, with real Postgres and NATS. The worker is driven
//! pass by pass; time moves with the ManualClock (and the sandbox clock with it).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod cancel;
mod capture;
mod config;
mod console;
mod faults;
mod helpers;
mod operations;
mod pixi_contracts;
mod pixi_defects;
mod pixi_load;
mod pixi_preflight;
mod problems;
mod quiet;
mod reconcile;
mod reconcile_job;
mod release;
mod service;
mod tenant_incidents;
mod unzer_contracts;
mod unzer_payments;
mod unzer_preflight;
