//! pixi-sync: keeps each tenant's pixi ERP orders and their unzer payments in step (rules
//! `docs/rules/PX.md`, PX-01 … PX-44) — the merchant's "unzer app for pixi", as a service.
//!
//! It owns: tenants with their pixi API configurations (at most two), SMTP configuration and
//! payment configurations (per pixi API configuration, mandant and payment method; unzer
//! private keys encrypted at rest); the per-order state machine (release, capture per
//! invoice or at release, shipment reports, refunds per credit note, cancellations, customer
//! account bookings) and its money ceilings; incidents with one mail each, the dashboard, the
//! per-tenant error page and the three-way reconciliation.
//!
//! Partners: pixi SOAP 1.1 (rpc/encoded, SQL Server native web-service answers; the contract
//! cases in `crates/sandbox/contracts/pixi/`, calls in [`pixi`]), unzer REST with Basic auth
//! by private key and unsigned webhooks (triggers only; [`unzer`]), SMTP via lettre
//! ([`mail`]). Every call that changes something at pixi or unzer goes through `kit::journal`
//! with a key derived from (configuration, order, document) — see [`service::ops`]. What pixi
//! and unzer must provide is checked read-only by the [`preflight`]
//! (`payops-pixi-sync preflight [<tenant id>]`, `TenantService.Preflight`).
//!
//! Ports: gRPC 50051 (`TenantService`, `PaymentConfigService`, `DashboardService`,
//! `ConsoleUserService`), admin 9051 (`/livez`, `/readyz`, `/metrics`), public HTTP 8051
//! (webhooks, error pages), the merchant console 8151 ([`console`]). Configuration:
//! [`config`]; events: [`bus`]; metrics: [`metrics`].

pub mod app;
/// Events on the bus and their payloads.
pub mod bus;
/// The typed configuration from the environment.
pub mod config;
/// The merchant console: German web pages behind a login (CN-01 … CN-07).
pub mod console;
/// Pure rules: payment types, the order state machine, quiet window, validation.
pub mod domain;
/// The crate's error type.
pub mod error;
/// gRPC adapters.
pub mod grpc;
/// Background loops: the worker loop.
pub mod jobs;
/// E-mail through the tenant's SMTP server.
pub mod mail;
/// Domain metric names.
pub mod metrics;
/// The pixi SOAP client.
pub mod pixi;
/// Preflight (CT-06): what pixi-sync needs from pixi and unzer, per tenant, read-only.
pub mod preflight;
/// Secrets at rest and tokens.
pub mod secrets;
/// Use cases — the worker's pass: discovery, order sync, incidents, reconciliation.
pub mod service;
/// Postgres access.
pub mod store;
/// The unzer REST client.
pub mod unzer;
/// The public HTTP port: webhooks and error pages.
pub mod web;
