//! Postgres access, one file per aggregate: SwissBilling orders, transactions (with levels) and
//! maintenance requests; manual-payment configuration and payments; security events.

pub mod mp_config;
pub mod mp_payments;
pub mod sb_maintenance;
pub mod sb_orders;
pub mod sb_transactions;
pub mod security;
