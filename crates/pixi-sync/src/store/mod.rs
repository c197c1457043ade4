//! Postgres access, one file per table or aggregate. All times come from the service clock.

pub mod api_incidents;
pub mod audit;
pub mod console;
pub mod incidents;
pub mod leases;
pub mod movements;
pub mod order_lists;
pub mod orders;
pub mod payment_configs;
pub mod pixi_apis;
pub mod pixi_calls;
pub mod reconciliation;
pub mod smtp;
pub mod sync_state;
pub mod tenants;
