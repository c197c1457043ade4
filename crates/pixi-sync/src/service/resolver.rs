//! The journal resolver (kit): journal entries whose outcome is unknown, or that were cut off
//! mid-call, are probed at the partner with growing intervals even when their order is not
//! synced again soon — from the stored request alone (configuration ids, payment id, amounts;
//! never secrets, which are loaded and opened here).

use std::sync::Arc;

use futures::future::BoxFuture;
use kit::journal::{CallError, Entry, Probe, Prober, Resolver};

use super::Worker;
use super::ops::{OpRequest, PartnerOp};
use crate::store::{payment_configs, pixi_apis};
use crate::unzer::PrivateKey;

/// Every operation name pixi-sync journals.
pub const OPERATIONS: [&str; 10] = [
    "unzer.charge",
    "unzer.shipment",
    "unzer.reverse",
    "unzer.refund",
    "pixi.release",
    "pixi.lock",
    "pixi.bank",
    "pixi.capture_mark",
    "pixi.booking",
    "pixi.comment",
];

/// Probes a stored journal request.
pub struct JournalProber {
    w: Worker,
}

fn unknown(e: impl std::fmt::Display) -> CallError {
    CallError::Unknown(e.to_string())
}

impl JournalProber {
    async fn probe_entry(&self, entry: &Entry) -> Result<Probe<serde_json::Value>, CallError> {
        let i = &self.w.0;
        let request: OpRequest = serde_json::from_value(entry.request.clone()).map_err(unknown)?;
        let api = pixi_apis::get(&i.pool, request.pixi_api_id)
            .await
            .map_err(unknown)?
            .ok_or_else(|| unknown("pixi API gone"))?;
        let cfg = payment_configs::get(&i.pool, request.payment_config_id)
            .await
            .map_err(unknown)?
            .ok_or_else(|| unknown("payment configuration gone"))?;
        let key = i.secrets.open(&cfg.private_key_enc, &payment_configs::key_aad(cfg.id)).map_err(unknown)?;
        let password = i.secrets.open(&api.password_enc, &crate::grpc::pixi_password_aad(api.id)).map_err(unknown)?;
        let tz = api.timezone.parse().map_err(|_| unknown("time zone"))?;
        let pixi = super::caps::client(i, &api, password, tz).await;
        let key = PrivateKey(key);
        let op = PartnerOp {
            key: entry.key.clone(),
            scope: entry.scope.clone(),
            request,
            pixi: &pixi,
            unzer: &i.unzer,
            private_key: &key,
        };
        Ok(match op.check().await? {
            Probe::Done(out) => Probe::Done(serde_json::to_value(out).map_err(unknown)?),
            Probe::NotDone => Probe::NotDone,
            Probe::Failed(r) => Probe::Failed(r),
        })
    }
}

impl Prober for JournalProber {
    fn probe<'a>(&'a self, entry: &'a Entry) -> BoxFuture<'a, Result<Probe<serde_json::Value>, CallError>> {
        Box::pin(self.probe_entry(entry))
    }
}

/// The resolver of `w`'s journal with a prober for every operation.
pub fn resolver(w: &Worker) -> Resolver {
    let prober = Arc::new(JournalProber { w: w.clone() });
    OPERATIONS.into_iter().fold(Resolver::new(w.0.journal.clone(), "pixi-sync"), |r, op| r.register(op, prober.clone()))
}
