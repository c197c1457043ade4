//! Integration tests of invoice-checks against real Postgres and NATS and the in-process
//! PostFinance sandbox over real sockets.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod contracts;
mod faults;
mod flow;
mod helpers;
mod manual;
mod manual_seed;
mod manual_tenants;
mod preflight;
mod sb_lost;
mod sb_maintenance;
mod sb_page;
mod sb_pool;
mod sb_wire;
