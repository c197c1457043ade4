//! `RetryOrder` ("Erneut versuchen"): an operator makes pixi-sync try a flagged order again
//! after fixing what pixi refused. The refused pixi writes of the order are reopened in the
//! journal (a refusal means nothing happened, so calling again is safe) and in the order's
//! progress, the order is made due at once and the worker woken; audited as `order_retried`.

use proto::payops::pixi_sync::v1 as pb;
use serde_json::json;

use super::dashboard::Dashboard;
use crate::error::{Error, Result};
use crate::store::{audit, orders};

impl Dashboard {
    pub(super) async fn retry(&self, r: pb::RetryOrderRequest, by: String) -> Result<pb::RetryOrderResponse> {
        let tenant_id = self.tenant(&r.tenant_id).await?;
        if by == "anonymous" {
            return Err(Error::invalid("requested_by", "must name who asks to try again"));
        }
        if r.note.chars().count() > 1000 {
            return Err(Error::invalid("note", "must be at most 1000 characters"));
        }
        let o = self.order(tenant_id, &r.pixi_api_config_id, r.order_nr).await?;
        let a = &self.api;
        let now = a.clock.now();
        // The journal first: should the progress update below not commit, reopened entries
        // are only called again once the progress asks for them.
        let scope = format!("{}:{}", o.pixi_api_id, o.order_nr);
        let keys = a.worker.0.journal.reopen_refused(&scope, "pixi.").await?;
        let mut tx = a.pool.begin().await?;
        let row = orders::lock(&mut tx, o.pixi_api_id, o.order_nr).await?.ok_or(Error::NotFound("order"))?;
        let mut progress = row.progress.0.clone();
        let reopened = progress.reopen_refused();
        orders::set_progress(&mut tx, o.pixi_api_id, o.order_nr, &progress, now).await?;
        let detail = if reopened.is_empty() { "nothing refused to reopen".to_owned() } else { reopened.join(", ") };
        orders::history(&mut tx, o.pixi_api_id, o.order_nr, now, "retry requested", &format!("by {by}: {detail}"))
            .await?;
        let audit_detail = json!({
            "order_nr": o.order_nr, "pixi_api_config_id": o.pixi_api_id, "reopened": reopened,
            "journal_keys": keys, "note": r.note,
        });
        let target = format!("{}:{}", o.pixi_api_id, o.order_nr);
        audit::record(&mut tx, now, &by, "order_retried", Some(tenant_id), &target, audit_detail).await?;
        tx.commit().await?;
        orders::schedule(&a.pool, o.pixi_api_id, o.order_nr, Some(now), 0, None).await?;
        a.worker.wake();
        tracing::info!(order_nr = o.order_nr, by = %by, reopened = ?reopened, "order retry requested");
        let fresh = orders::get(&a.pool, o.pixi_api_id, o.order_nr).await?.ok_or(Error::NotFound("order"))?;
        Ok(pb::RetryOrderResponse { order: self.with_incidents(&[fresh]).await?.pop(), reopened })
    }
}
