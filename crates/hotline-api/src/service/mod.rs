//! The hotline's use cases, shared by the gRPC API and the HTTP/JSON API of the page: every
//! call names its [`Actor`](crate::domain::agent::Actor), is checked against the role
//! (HL-01), runs the partner calls and writes the audit log (HL-43).

pub mod agents;
pub mod audit;
pub mod auth;
pub mod b2b;
pub mod b2c;
pub mod codes;
pub mod overview;
pub mod preflight;
pub mod timeline;
pub mod timeline_view;

use std::sync::Arc;

use chrono::NaiveDate;
use chrono_tz::Tz;
use kit::bus::Outbox;
use kit::clock::SharedClock;
use kit::journal::Journal;
use sqlx::PgPool;

use crate::pgw::PgwClient;
use crate::smallinvoice::SmallinvoiceClient;
use crate::ticketing::TicketingClient;

/// Settings the use cases need.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Requester of tickets without a tenant contact.
    pub hotline_email: String,
    /// Zone of "a day".
    pub timezone: Tz,
    /// pixi-sync dashboard link template (`{order_id}` replaced).
    pub pixi_sync_dashboard_url: String,
    /// pixi-sync error page.
    pub pixi_sync_errors_url: String,
    /// Retention of B2C lookups.
    pub lookup_retention: std::time::Duration,
    /// How long after sending a code generation "PGW shows no new code" still means "it may be
    /// working on it" rather than "it did not happen".
    pub generation_grace: std::time::Duration,
    /// The partner accounts as the preflight names them.
    pub preflight_target: String,
    /// Problem types the B2B form offers, the tenant-side one last.
    pub problem_types: Vec<String>,
}

/// Everything the use cases work with.
pub struct Hotline {
    /// Pool on the service schema.
    pub pool: PgPool,
    /// The clock.
    pub clock: SharedClock,
    /// Events in the caller's transaction.
    pub outbox: Outbox,
    /// External-operation journal.
    pub journal: Journal,
    /// PGW.
    pub pgw: PgwClient,
    /// smallinvoice.
    pub smallinvoice: Arc<SmallinvoiceClient>,
    /// ticketing-bridge.
    pub ticketing: TicketingClient,
    /// Logins, sessions, tokens.
    pub auth: auth::Auth,
    /// Settings.
    pub settings: Settings,
    /// Timelines of recently read orders, served from memory when that is safe.
    pub timeline: Arc<timeline_view::TimelineView>,
}

impl Hotline {
    /// Today in the configured zone.
    pub fn today(&self) -> NaiveDate {
        self.clock.now().with_timezone(&self.settings.timezone).date_naive()
    }

    /// Deletes expired sessions, old login failures and lookups past their retention.
    pub async fn prune(&self) -> Result<u64, sqlx::Error> {
        let now = self.clock.now();
        let window = chrono::Duration::from_std(self.auth.failure_window()).unwrap_or(chrono::Duration::hours(1));
        let retention = chrono::Duration::from_std(self.settings.lookup_retention).unwrap_or(chrono::Duration::days(7));
        let idle = chrono::Duration::from_std(self.auth.session_idle()).unwrap_or(chrono::Duration::minutes(30));
        let a = crate::store::sessions::prune(&self.pool, now, now - idle, now - window).await?;
        let b = crate::store::lookups::prune(&self.pool, now - retention).await?;
        Ok(a + b)
    }
}
