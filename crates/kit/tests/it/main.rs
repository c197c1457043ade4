//! Integration tests of the kit against real Postgres and real NATS (from `DATABASE_URL` and
//! `NATS_URL`): outbox exactly-once, idempotent consumer, dead letters, journal, gRPC health.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod consumer;
mod grpc;
mod helpers;
mod journal;
mod outbox;
mod trace_context;
