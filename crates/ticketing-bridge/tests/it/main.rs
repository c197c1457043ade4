//! Integration tests of the ticketing bridge against the in-process sandbox Freshdesk over real
//! sockets, real Postgres and real NATS JetStream. Each test owns its database, stream, sandbox
//! and clock; background work is driven step by step and time is moved by hand.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod attention;
mod config;
mod contracts;
mod faults;
mod helpers;
mod preflight;
mod process;
mod rate;
mod requests;
