//! Postgres access, one file per table: credentials (sealed), terminals and workstations,
//! payments.

pub mod credentials;
pub mod holds;
pub mod journal;
pub mod payments;
pub mod terminals;
