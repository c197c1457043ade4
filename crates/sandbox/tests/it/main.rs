//! Integration tests of the sandbox: each simulator checked with a plain HTTP/SMTP client
//! against the documented protocol, plus the SB-01 … SB-08 rules. One module per system.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod contracts;
mod freshdesk;
mod helpers;
mod nets;
mod pgw;
mod pixi;
mod postfinance;
mod rules;
mod smallinvoice;
mod smtp;
mod unzer;
