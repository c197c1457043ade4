//! The ticket work queue's use cases: the [`Executor`] works on one order's due items under its
//! lock (the background loop that finds due orders is `crate::jobs::Dispatcher`), the journal
//! [`ops`] are the Freshdesk calls with their probes, and outcomes are recorded with their
//! events in one transaction.
//!
//! Metrics (besides the kit's `payops_external_requests_total{system="freshdesk"}` and
//! `payops_journal_*`):
//!
//! | name | labels | meaning |
//! |---|---|---|
//! | `payops_tickets_created_total` | `origin` (request, event) | tickets opened |
//! | `payops_ticket_notes_added_total` | | notes added to incident tickets |
//! | `payops_ticketing_dead_lettered_total` | `kind`, `reason` (rejected, exhausted, malformed) | work sent to the dead-letter list |
//! | `payops_ticketing_retries_total` | `reason` (rate_limited, server_error, timeout, transport, auth, …) | work rescheduled |
//! | `payops_ticketing_work_queued` | | work items waiting |
//! | `payops_ticketing_work_oldest_seconds` | | age of the oldest waiting item |
//! | `payops_ticketing_duplicate_tickets_found_total` | | extra tickets found for one reference (must stay 0) |
//! | `payops_freshdesk_rate_limited_total` | | 429 answers |
//! | `payops_freshdesk_ratelimit_remaining` | | `X-RateLimit-Remaining` of the last answer |
//! | `payops_freshdesk_limiter_wait_seconds` | `kind` (call, create) | time calls waited for the client-side limiter |

mod executor;
pub mod ops;
mod record;

use chrono::{DateTime, Utc};

pub use executor::Executor;

use crate::domain::attention::AttentionDefaults;
use crate::domain::retry::RetryPolicy;

/// Tickets opened, by `origin`.
pub const TICKETS_CREATED: &str = "payops_tickets_created_total";
/// Notes added.
pub const NOTES_ADDED: &str = "payops_ticket_notes_added_total";
/// Work dead-lettered, by `kind`, `reason`.
pub const DEAD_LETTERED: &str = "payops_ticketing_dead_lettered_total";
/// Work rescheduled, by `reason`.
pub const RETRIES: &str = "payops_ticketing_retries_total";
/// Work items waiting.
pub const WORK_QUEUED: &str = "payops_ticketing_work_queued";
/// Age of the oldest waiting item.
pub const WORK_OLDEST: &str = "payops_ticketing_work_oldest_seconds";
/// Extra tickets found for one reference.
pub const DUPLICATES_FOUND: &str = "payops_ticketing_duplicate_tickets_found_total";

/// How the executor works.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Retry policy.
    pub retry: RetryPolicy,
    /// Custom field of the external reference.
    pub ref_field: String,
    /// Custom field of the order id.
    pub order_field: Option<String>,
    /// Defaults of attention tickets.
    pub attention: AttentionDefaults,
    /// Orders worked on at once.
    pub concurrency: usize,
    /// How long after a creation Freshdesk's search may still miss the ticket.
    pub index_delay: std::time::Duration,
}

/// The result of working on one order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderRun {
    /// Another worker holds the order.
    Busy,
    /// Items finished (done or dead), and when the order's next item is due if it waits.
    Ran {
        /// Items that ended.
        finished: usize,
        /// When the first waiting item is due (deferred, or the limiter is paused).
        blocked_until: Option<DateTime<Utc>>,
    },
}

/// The result of working on one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// Done or dead.
    Finished,
    /// Rescheduled.
    Deferred(DateTime<Utc>),
}
