//! Postgres access, one file per table.

pub mod notes;
