//! The scheduled reconciliation (PX-44) as a job of its own. Every `RECONCILE_INTERVAL` a run
//! opens per pixi API configuration (one at a time); each worker pass then lets one replica —
//! the holder of the run's own lease, renewed with every step — check the next
//! `RECONCILE_BATCH` orders in order-number order and record them with the run's cursor. So a
//! long run never holds up order work or outlives a lease, and it resumes where it stopped: a
//! pixi or unzer failure waits with a growing pause, the quiet window (PX-22) simply waits, and a
//! replica that dies leaves its lease to expire for another to continue. The next run is
//! scheduled from the start of this one, whatever happened on the way.

use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::{Worker, api, reconcile};
use crate::error::Error;
use crate::store::pixi_apis::PixiApiRow;
use crate::store::{orders, pixi_apis, reconciliation, sync_state};

fn after(now: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    now + chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// The pause after the `failures`-th failed step: one minute, doubling, at most 30 minutes.
pub fn retry_delay(failures: i32) -> Duration {
    let exp = u32::try_from(failures.saturating_sub(1).clamp(0, 5)).unwrap_or(0);
    (Duration::from_secs(60) * 2u32.pow(exp)).min(Duration::from_secs(1800))
}

/// One step of every configuration's scheduled reconciliation.
pub async fn step(w: &Worker) {
    let apis = match pixi_apis::active(&w.0.pool).await {
        Ok(a) => a,
        Err(e) => {
            tracing::warn!(error = %e, "reconciliation: cannot list pixi API configurations");
            return;
        }
    };
    for a in apis {
        let id = a.id;
        if let Err(e) = step_api(w, a).await {
            tracing::warn!(pixi_api = %id, error = %e, "scheduled reconciliation step failed");
        }
    }
}

async fn step_api(w: &Worker, a: PixiApiRow) -> Result<(), Error> {
    let i = &w.0;
    let now = i.clock.now();
    let job = match reconciliation::open_scheduled(&i.pool, a.id).await? {
        Some(j) => j,
        None => {
            match sync_state::get(&i.pool, a.id).await?.next_reconcile_at {
                // The first run comes one interval after the configuration was first seen.
                None => {
                    sync_state::set_next(&i.pool, a.id, "next_reconcile_at", after(now, i.settings.reconcile_interval))
                        .await?
                }
                Some(t) if t > now => {}
                Some(_) => {
                    let since = now
                        - chrono::Duration::from_std(i.settings.reconcile_lookback)
                            .unwrap_or(chrono::Duration::days(30));
                    reconciliation::start_scheduled(&i.pool, a.tenant_id, a.id, now, since).await?;
                    sync_state::set_next(&i.pool, a.id, "next_reconcile_at", after(now, i.settings.reconcile_interval))
                        .await?;
                }
            }
            match reconciliation::open_scheduled(&i.pool, a.id).await? {
                Some(j) => j,
                None => return Ok(()),
            }
        }
    };
    if job.next_try_at.is_some_and(|t| t > now) {
        return Ok(());
    }
    if !reconciliation::claim(&i.pool, job.id, &i.holder, now, after(now, i.settings.lease_ttl)).await? {
        return Ok(());
    }
    let tz: Tz = a.timezone.parse().unwrap_or(chrono_tz::Europe::Berlin);
    if i.settings.quiet.contains(now, tz) {
        // PX-22: the run waits, keeping its cursor.
        return Ok(());
    }
    let since = job.since.unwrap_or(now);
    let batch = i64::try_from(i.settings.reconcile_batch).unwrap_or(25);
    let rows = orders::processed_since_after(&i.pool, a.id, since, job.cursor_order_nr, batch).await?;
    if rows.is_empty() {
        return finish(w, job.id).await;
    }
    let ctx = api::context(w, a).await?;
    let mut found = Vec::new();
    let (mut cursor, mut checked) = (job.cursor_order_nr, 0);
    let mut failure = None;
    for row in &rows {
        if ctx.pixi.quiet_now() {
            break;
        }
        match reconcile::check_order(w, &ctx, row).await {
            Ok(Some(m)) => {
                found.extend(m);
                checked += 1;
            }
            Ok(None) => {}
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
        cursor = row.order_nr;
    }
    let until = after(i.clock.now(), i.settings.lease_ttl);
    if cursor != job.cursor_order_nr || !found.is_empty() {
        if !reconciliation::progress(&i.pool, job.id, &i.holder, cursor, checked, &found, until).await? {
            tracing::info!(run = %job.id, "reconciliation lease lost; another replica continues");
            return Ok(());
        }
        reconcile::flag_all(w, &ctx, &found).await?;
    }
    if let Some(e) = failure {
        let wait = retry_delay(job.failures + 1);
        tracing::warn!(run = %job.id, error = %e, wait_secs = wait.as_secs(), "reconciliation step failed; resuming later");
        reconciliation::step_failed(&i.pool, job.id, &i.holder, after(i.clock.now(), wait), &e.to_string()).await?;
        return Ok(());
    }
    if rows.len() < i.settings.reconcile_batch && cursor == rows.last().map_or(cursor, |r| r.order_nr) {
        return finish(w, job.id).await;
    }
    Ok(())
}

async fn finish(w: &Worker, run: uuid::Uuid) -> Result<(), Error> {
    let i = &w.0;
    if reconciliation::finish(&i.pool, run, &i.holder, i.clock.now()).await? {
        reconcile::update_gauge(w).await;
        if let Some(r) = reconciliation::run(&i.pool, run).await? {
            tracing::info!(run = %run, checked = r.orders_checked, mismatches = r.mismatches, "scheduled reconciliation finished");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn px_44_a_failed_step_waits_longer_each_time_up_to_half_an_hour() {
        let waits: Vec<u64> = (1..=8).map(|f| retry_delay(f).as_secs()).collect();
        assert_eq!(waits, [60, 120, 240, 480, 960, 1800, 1800, 1800]);
    }
}
