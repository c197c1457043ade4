//! Postgres access, one file per table: `tickets` (what was opened), `work` (the queue of
//! ticket work and its dead letters) and `create_attempts` (when each creation was sent, for
//! the creation probe) and `rate_budget` (the Freshdesk rate budget every replica shares, used
//! by `freshdesk::limiter`).

pub mod attempts;
pub mod rate_budget;
pub mod tickets;
pub mod work;
