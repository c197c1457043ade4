//! Integration tests of hotline-api against real Postgres and NATS, the in-process sandbox
//! (PGW, smallinvoice, Freshdesk) and a real ticketing-bridge started in-process, plus browser
//! tests in headless Chromium.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

mod agents;
mod b2b;
mod b2c;
mod browser;
mod browser_agents;
mod browser_refund;
mod contracts;
mod generate;
mod helpers;
mod lifecycle;
mod overview;
mod preflight;
mod recovery;
mod security;
mod throttle;
mod timeline;
mod unknown_status;
mod webdriver;
