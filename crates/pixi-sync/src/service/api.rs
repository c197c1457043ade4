//! One pass over one pixi API configuration: lease, quiet window, backoff, discovery (change
//! feed, full scan, payment-method check), due orders.

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use futures::StreamExt;
use uuid::Uuid;

use super::{PassReport, Worker, order, tenant};
use crate::domain::settings::Mode;
use crate::error::Error;
use crate::metrics as m;
use crate::pixi::{PixiClient, PixiError};
use crate::store::payment_configs::{self, PaymentConfigRow};
use crate::store::pixi_apis::PixiApiRow;
use crate::store::{leases, orders, sync_state};
use crate::unzer::PrivateKey;

/// An effective payment configuration with its opened key.
#[derive(Clone)]
pub struct PaymentCfg {
    /// The row.
    pub row: PaymentConfigRow,
    /// The unzer private key.
    pub key: PrivateKey,
    /// Mode.
    pub mode: Mode,
}

/// One pixi API configuration, ready to work with.
#[derive(Clone)]
pub struct ApiCtx {
    /// The row.
    pub api: PixiApiRow,
    /// Zone of the installation.
    pub tz: Tz,
    /// pixi client.
    pub pixi: PixiClient,
    /// Effective payment configurations (PX-04).
    pub configs: Vec<PaymentCfg>,
}

impl ApiCtx {
    /// The configuration for an order's mandant and payment method (PX-27: none → the order
    /// is left alone).
    pub fn config_for(&self, mandant: &str, method: &str) -> Option<&PaymentCfg> {
        self.configs.iter().find(|c| {
            c.row.payment_method.eq_ignore_ascii_case(method.trim())
                && c.row.mandant.eq_ignore_ascii_case(mandant.trim())
        })
    }

    /// Configured payment methods.
    pub fn methods(&self) -> BTreeSet<String> {
        self.configs.iter().map(|c| c.row.payment_method.clone()).collect()
    }
}

/// Builds the context of a configuration (opens its secrets).
pub async fn context(w: &Worker, api: PixiApiRow) -> Result<ApiCtx, Error> {
    let i = &w.0;
    let tz: Tz = api.timezone.parse().map_err(|_| Error::Corrupt(format!("time zone {}", api.timezone)))?;
    let password = i.secrets.open(&api.password_enc, &crate::grpc::pixi_password_aad(api.id))?;
    let pixi = super::caps::client(i, &api, password, tz).await;
    let mut configs = Vec::new();
    for row in payment_configs::effective(&i.pool, api.id).await? {
        let key = PrivateKey(i.secrets.open(&row.private_key_enc, &payment_configs::key_aad(row.id))?);
        let mode = Mode::parse(&row.mode).unwrap_or(Mode::Standard);
        configs.push(PaymentCfg { row, key, mode });
    }
    Ok(ApiCtx { api, tz, pixi, configs })
}

pub(super) fn after(now: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    now + chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// One pass over `api`.
pub(super) async fn pass_api(w: &Worker, api: PixiApiRow, report: &mut PassReport) {
    let i = &w.0;
    let now = i.clock.now();
    let until = after(now, i.settings.lease_ttl);
    match leases::acquire(&i.pool, api.id, &i.holder, now, until).await {
        Ok(true) => report.leased += 1,
        Ok(false) => {
            report.not_leased += 1;
            metrics::counter!(m::PASSES, "outcome" => "not_leased").increment(1);
            return;
        }
        Err(e) => {
            tracing::warn!(error = %e, "lease");
            return;
        }
    }
    let tz: Tz = api.timezone.parse().unwrap_or(chrono_tz::Europe::Berlin);
    if i.settings.quiet.contains(now, tz) {
        // PX-22: nothing goes to pixi now; the work waits and resumes at the window's end.
        report.quiet += 1;
        metrics::counter!(m::PASSES, "outcome" => "quiet_window").increment(1);
        return;
    }
    let state = match sync_state::get(&i.pool, api.id).await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "sync state");
            return;
        }
    };
    if state.backoff_until.is_some_and(|b| b > now) {
        metrics::counter!(m::PASSES, "outcome" => "backoff").increment(1);
        return;
    }
    let api_id = api.id;
    let ctx = match context(w, api).await {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(pixi_api = %api_id, error = %e, "cannot prepare the pixi API configuration");
            return;
        }
    };
    if ctx.configs.is_empty() {
        return;
    }
    let result = run(w, &ctx, &state, report).await;
    let (error, backoff) = match &result {
        Ok(()) => (None, None),
        Err(e) => {
            let failures = u32::try_from(state.failures).unwrap_or(0).min(8);
            let wait = (i.settings.poll_interval * 2u32.pow(failures)).min(Duration::from_secs(300));
            (Some(e.to_string()), Some(after(i.clock.now(), wait)))
        }
    };
    if let Err(PassError::Pixi(PixiError::Contract(c))) = &result {
        super::methods::contract_problem(w, &ctx, c).await;
    }
    if let Err(PassError::Pixi(PixiError::Unauthorized)) = &result {
        // An order's own call found the credentials refused.
        tenant::call_failed(w, &ctx, "", &PixiError::Unauthorized).await;
    }
    if let Some(e) = &error {
        report.failed += 1;
        metrics::counter!(m::PASSES, "outcome" => "pixi_error").increment(1);
        tracing::warn!(pixi_api = %api_id, error = %e, "pass failed; backing off");
    } else {
        metrics::counter!(m::PASSES, "outcome" => "ok").increment(1);
    }
    let _ = sync_state::passed(&i.pool, api_id, i.clock.now(), error.as_deref(), backoff).await;
}

/// Discovery then due orders. Each discovery step stands on its own: pixi being down ends the
/// pass (backoff, PX-42), credentials pixi refuses end it with a tenant incident, and a call
/// pixi refuses for good (not installed, an answer without a needed column) is a tenant incident
/// while the other steps and the due orders go on; such a call is asked again only every
/// `FULL_SCAN_INTERVAL`.
async fn run(w: &Worker, ctx: &ApiCtx, state: &sync_state::SyncRow, report: &mut PassReport) -> Result<(), PassError> {
    let i = &w.0;
    let now = i.clock.now();
    let retry = i.settings.full_scan_interval;
    if tenant::call_due(w, ctx, FEED, now, retry).await {
        discovered(w, ctx, &[FEED], FEED, feed(w, ctx, now).await).await?;
    }
    if state.next_full_scan_at.is_none_or(|t| t <= now) {
        discovered(w, ctx, &[TO_AUTHORIZE, TO_CAPTURE], TO_AUTHORIZE, full_scan(w, ctx, now).await).await?;
    }
    if state.next_method_check_at.is_none_or(|t| t <= now) && tenant::call_due(w, ctx, METHODS, now, retry).await {
        discovered(w, ctx, &[METHODS], METHODS, super::methods::check_methods(w, ctx, now).await).await?;
    }
    process_due(w, ctx, report).await?;
    Ok(())
}

/// pixi's calls behind the discovery steps.
const FEED: &str = "pixiGetChangedOrders";
const TO_AUTHORIZE: &str = "pixiPayGetOrdersToAuthorize";
const TO_CAPTURE: &str = "pixiPayGetInvoicesToCapture";
const METHODS: &str = "pixiGetPaymenttypes";

/// Sorts a discovery step's outcome: fine (its incidents resolve), failed for good (an incident,
/// the pass goes on), or a reason to end the pass.
async fn discovered(
    w: &Worker,
    ctx: &ApiCtx,
    calls: &[&'static str],
    default_call: &'static str,
    r: Result<(), PassError>,
) -> Result<(), PassError> {
    let (call, e) = match r {
        Ok(()) => {
            tenant::call_ok(w, ctx, calls).await;
            return Ok(());
        }
        Err(PassError::Call { call, error }) => (call, error),
        Err(PassError::Pixi(error)) => (default_call, error),
        Err(other) => return Err(other),
    };
    match &e {
        PixiError::Transient(_) | PixiError::Unknown(_) | PixiError::QuietWindow => {
            Err(PassError::Call { call, error: e })
        }
        PixiError::Unauthorized => {
            tenant::call_failed(w, ctx, call, &e).await;
            Err(PassError::Call { call, error: e })
        }
        PixiError::Refused { .. } | PixiError::Contract(_) => {
            if let PixiError::Contract(c) = &e {
                super::methods::contract_problem(w, ctx, c).await;
            }
            tenant::call_failed(w, ctx, call, &e).await;
            tracing::warn!(pixi_api = %ctx.api.id, call, error = %e, "discovery call failed; the other work goes on");
            Ok(())
        }
    }
}

/// Why a pass stopped early.
#[derive(Debug, thiserror::Error)]
pub(super) enum PassError {
    /// pixi failed.
    #[error("pixi: {0}")]
    Pixi(#[from] PixiError),
    /// A named pixi call failed.
    #[error("pixi {call}: {error}")]
    Call {
        /// The call.
        call: &'static str,
        /// What failed.
        error: PixiError,
    },
    /// Our side failed.
    #[error(transparent)]
    Ours(#[from] Error),
}

impl From<sqlx::Error> for PassError {
    fn from(e: sqlx::Error) -> Self {
        PassError::Ours(Error::Db(e))
    }
}

/// The first cursor of a configuration: a few minutes before now, in pixi local time.
fn initial_cursor(now: DateTime<Utc>, tz: Tz) -> String {
    (now - chrono::Duration::minutes(10)).with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string()
}

/// Reads pixi's change feed from the stored cursor and makes the changed orders of configured
/// payment methods due now.
async fn feed(w: &Worker, ctx: &ApiCtx, now: DateTime<Utc>) -> Result<(), PassError> {
    let i = &w.0;
    let methods = ctx.methods();
    let known = |m: &str| methods.iter().any(|x| x.eq_ignore_ascii_case(m.trim()));
    let cursor =
        sync_state::get(&i.pool, ctx.api.id).await?.changed_from.unwrap_or_else(|| initial_cursor(now, ctx.tz));
    let changed = ctx.pixi.changed_orders(&cursor).await?;
    let touch: Vec<(i64, String)> =
        changed.orders.iter().filter(|(_, m)| known(m)).map(|(n, m)| (*n, m.clone())).collect();
    orders::touch(&i.pool, ctx.api.id, ctx.api.tenant_id, &touch, now).await?;
    if let Some(next) = changed.next_from {
        sync_state::set_cursor(&i.pool, ctx.api.id, &next).await?;
    }
    Ok(())
}

/// Lists every HOLD order and every invoice to capture of the configured methods (catches
/// whatever the change feed may have missed).
async fn full_scan(w: &Worker, ctx: &ApiCtx, now: DateTime<Utc>) -> Result<(), PassError> {
    let i = &w.0;
    let mut found: Vec<(i64, String)> = Vec::new();
    for method in &ctx.methods() {
        let call = |error| PassError::Call { call: TO_AUTHORIZE, error };
        for nr in ctx.pixi.orders_to_authorize(method, 5000).await.map_err(call)? {
            found.push((nr, method.clone()));
        }
        let mut from = 0;
        loop {
            let page = ctx
                .pixi
                .invoices_to_capture(method, from, 1000)
                .await
                .map_err(|error| PassError::Call { call: TO_CAPTURE, error })?;
            let full = page.len() >= 1000;
            for (id, nr) in &page {
                from = from.max(*id);
                found.push((*nr, method.clone()));
            }
            if !full {
                break;
            }
        }
    }
    found.sort();
    found.dedup();
    orders::touch(&i.pool, ctx.api.id, ctx.api.tenant_id, &found, now).await?;
    sync_state::set_next(&i.pool, ctx.api.id, "next_full_scan_at", after(now, i.settings.full_scan_interval)).await?;
    Ok(())
}

/// Syncs due orders in small batches. Between batches it renews the lease, takes webhook
/// triggers, and reads the change feed again once a poll interval passed, so a long backlog
/// does not hide new changes (PX-43).
async fn process_due(w: &Worker, ctx: &ApiCtx, report: &mut PassReport) -> Result<(), PassError> {
    let i = &w.0;
    let mut seen: BTreeSet<i64> = BTreeSet::new();
    let chunk = i.settings.batch.min(i.settings.order_concurrency * 8).max(1);
    let mut fed = i.clock.now();
    loop {
        let now = i.clock.now();
        if !leases::acquire(&i.pool, ctx.api.id, &i.holder, now, after(now, i.settings.lease_ttl)).await? {
            return Ok(());
        }
        if ctx.pixi.quiet_now() {
            // The quiet window began during the pass (PX-22): stop before the next request.
            return Ok(());
        }
        if (now - fed).to_std().unwrap_or_default() >= i.settings.poll_interval {
            fed = now;
            w.apply_triggers().await;
            feed(w, ctx, now).await?;
        }
        let skip: Vec<i64> = seen.iter().copied().collect();
        let due: Vec<i64> = orders::due(&i.pool, ctx.api.id, now, chunk, &skip).await?;
        seen.extend(due.iter().copied());
        if due.is_empty() {
            return Ok(());
        }
        let results: Vec<Result<order::Synced, Error>> = futures::stream::iter(due)
            .map(|nr| order::sync(w, ctx, nr))
            .buffer_unordered(i.settings.order_concurrency)
            .collect()
            .await;
        let mut pixi_down = None;
        for r in results {
            match r {
                Ok(order::Synced::Busy) => report.busy += 1,
                Ok(order::Synced::PixiDown(e)) => {
                    report.orders += 1;
                    pixi_down = Some(e);
                }
                Ok(_) => report.orders += 1,
                Err(e) => tracing::warn!(pixi_api = %ctx.api.id, error = %e, "order sync failed"),
            }
        }
        if let Some(e) = pixi_down {
            return Err(PassError::Pixi(e));
        }
    }
}

/// Makes one order due now (webhook trigger, tests).
pub async fn poke(w: &Worker, tenant_id: Uuid, payment_id: &str) -> Result<u64, sqlx::Error> {
    orders::touch_payment(&w.0.pool, tenant_id, payment_id, w.0.clock.now()).await
}
