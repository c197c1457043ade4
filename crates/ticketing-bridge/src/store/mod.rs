//! Postgres access, one file per table: `tickets` (what was opened), `work` (the queue of
//! ticket work and its dead letters) and `create_attempts` (when each creation was sent, for
//! the creation probe). The limiter's `rate_budget` is `freshdesk::limiter`'s own.

pub mod attempts;
pub mod tickets;
pub mod work;
