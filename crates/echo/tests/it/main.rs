//! Integration tests of the echo skeleton against real Postgres and NATS.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod helpers;
mod notes;
