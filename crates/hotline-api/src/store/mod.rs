//! Postgres access, one file per table.

pub mod agents;
pub mod audit;
pub mod generations;
pub mod lookups;
pub mod sessions;
pub mod tickets;
pub mod timeline;
