//! Integration tests of the terminal gateway against the in-process Nets sandbox over real
//! sockets, with real Postgres and NATS. Time is moved with the ManualClock (gateway) and the
//! sandbox clock; background work is driven with `supervise()` and `drain()`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod contracts;
mod faults;
mod helpers;
mod money;
mod payments;
mod process;
mod recovery;
mod refunds;
mod terminals;
