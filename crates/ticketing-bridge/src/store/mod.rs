//! Postgres access, one file per table: `tickets` (what was opened) and `work` (the queue of
//! ticket work and its dead letters).

pub mod tickets;
pub mod work;
