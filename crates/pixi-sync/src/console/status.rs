//! What the console's "Betrieb" screen and its banners show about a tenant: open tenant-level
//! incidents, pixi calls per minute, the mail queue and whether unzer can reach pixi-sync
//! (`PUBLIC_BASE_URL`). Read from the database, so every replica shows the same.

use chrono::DurationRound;
use serde_json::{Value, json};
use uuid::Uuid;

use super::json::at_json;
use crate::error::Error;
use crate::grpc::Api;

/// The status of tenant `t`.
pub async fn of_tenant(api: &Api, t: Uuid) -> Result<Value, Error> {
    let pending = crate::store::incidents::pending_error_mails(&api.pool, t).await?;
    // The last mail failure is not kept per tenant; the incidents' rows say which mails wait.
    let last_error: Option<String> = None;
    let configured = crate::store::smtp::get(&api.pool, t).await?.is_some();
    // This replica's counts not yet written go in first, so the figures are current.
    api.worker.flush_calls().await;
    let now = api.clock.now();
    let minute = now.duration_trunc(chrono::Duration::minutes(1)).unwrap_or(now);
    let (last_minute, last_15, last_hour) = crate::store::pixi_calls::sums(&api.pool, t, minute).await?;
    let open: Vec<Value> = crate::store::api_incidents::open_of_tenant(&api.pool, t)
        .await?
        .iter()
        .map(|i| {
            json!({ "id": i.id, "code": i.code, "title": i.title, "description": i.description,
                "first_seen": at_json(i.first_seen), "last_seen": at_json(i.last_seen), "occurrences": i.occurrences,
                "mailed": i.mailed_at.map(at_json) })
        })
        .collect();
    Ok(json!({
        "tenant_incidents": open,
        "public_base_url_missing": api.public_base_url.is_none(),
        "follow_minutes": api.worker.0.settings.follow_interval.as_secs() / 60,
        // A prepayment waiting for its money is looked at every 10 minutes at most.
        "funds_minutes": api.worker.0.settings.follow_interval.min(std::time::Duration::from_secs(600)).as_secs() / 60,
        "pixi_calls": {
            "last_minute": last_minute,
            "per_minute_15m": (last_15 + 14) / 15,
            "last_hour": last_hour,
        },
        "mail": { "configured": configured, "pending": pending, "last_error": last_error },
    }))
}
