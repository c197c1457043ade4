//! Use cases: what the gRPC adapters and the workers call. They own the database transactions,
//! the journal and the outbox; the rules live in `domain`.

pub mod manual;
pub mod sb_discover;
pub mod sb_maintenance;
pub mod sb_refresh;
pub mod swissbilling;
