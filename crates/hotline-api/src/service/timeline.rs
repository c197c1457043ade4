//! The order timeline (HL-40) with the links to pixi-sync (HL-41). Event summaries carry no
//! personal data (the envelope's contract), so reading a timeline is not audited.

use std::sync::Arc;

use kit::id::OrderId;

use super::Hotline;
use crate::domain::agent::{Actor, Permission};
use crate::error::{Error, Result};
use crate::store::timeline::TimelineRow;

/// Most events returned for one order.
pub const MAX_EVENTS: i64 = 1000;

/// An order's timeline and links.
#[derive(Debug, Clone)]
pub struct Timeline {
    /// The order.
    pub order_id: String,
    /// Events, oldest first.
    pub events: Arc<[TimelineRow]>,
    /// pixi-sync dashboard for the order.
    pub dashboard_url: String,
    /// pixi-sync error page.
    pub errors_url: String,
}

impl Hotline {
    /// Every event of every service about `order_id`, in order.
    pub async fn order_timeline(&self, actor: &Actor, order_id: &str) -> Result<Timeline> {
        if !crate::domain::agent::allows(actor.role, Permission::ReadTimeline) {
            self.require(actor, Permission::ReadTimeline).await?;
        }
        let id = OrderId::parse(order_id.trim()).map_err(|e| Error::field("order_id", e.to_string()))?;
        // From memory when that shows every event committed before this call (see
        // `timeline_view`), else from `timeline_events`.
        let events = self.timeline.read(&self.pool, id.as_str()).await?;
        Ok(Timeline {
            order_id: id.to_string(),
            events,
            dashboard_url: self.settings.pixi_sync_dashboard_url.replace("{order_id}", id.as_str()),
            errors_url: self.settings.pixi_sync_errors_url.clone(),
        })
    }
}
