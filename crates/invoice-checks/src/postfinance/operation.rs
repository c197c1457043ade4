//! A DirectLink maintenance as a `kit::journal` operation: the idempotency key is the business
//! request (`sb:<order>:<request_id>`), the probe is `querydirect` (IC-14).
//!
//! Finding out what happened, used by the probe and by the answer 50001127: the levels above
//! the highest PAYIDSUB this service knew when it sent the request are read one by one
//! (`querydirect` with `PAYIDSUB`) until PostFinance says there is no such level (50001131) —
//! not only up to the PAYIDSUB of the latest state, which a PAYID-only query may leave empty
//! (public client fixtures show `PAYIDSUB=""`); one of the operation's kind and amount is this
//! request's. Levels found that are not ours (made in the back office, say) are reported too,
//! so the state machine records them. "Not done" — the only answer that lets the journal send
//! the request again — needs PostFinance to have answered every read: the transaction, each
//! level, and the end of the levels. Anything less stays "outcome unknown" (and, after
//! `SWISSBILLING_ESCALATE_AFTER`, goes to a person).

use std::sync::Arc;

use kit::journal::{CallError, Operation, Probe};
use serde::{Deserialize, Serialize};

use super::tenant::Tenant;
use super::wire::{NOT_IN_CORRECT_STATUS, Verdict};
use super::{CallFailure, Lookup, PostFinance};
use crate::domain::swissbilling::{OpCode, Status};

/// Operation name in the journal and metrics.
pub const NAME: &str = "postfinance.maintenance";

/// Most levels read when looking for a request's level.
const MAX_SCAN: u32 = 50;

/// The stored request (the journal's `request` column).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaintenanceRequest {
    /// Tenant.
    pub tenant: String,
    /// `ORDERID`.
    pub order_id: String,
    /// The caller's request id.
    pub request_id: String,
    /// `PAYID`.
    pub payid: u64,
    /// Operation code.
    pub operation: String,
    /// Amount (minor units).
    pub amount: i64,
    /// Currency.
    pub currency: String,
    /// Highest PAYIDSUB known when the request was made.
    pub baseline: u32,
}

impl MaintenanceRequest {
    /// The journal key: one per business request.
    pub fn key(&self) -> String {
        format!("sb:{}:{}", self.order_id, self.request_id)
    }
}

/// A level as PostFinance reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeenLevel {
    /// PAYIDSUB.
    pub payidsub: u32,
    /// STATUS.
    pub status: u16,
    /// Amount (minor units).
    pub amount: i64,
}

/// The outcome of a maintenance that took effect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    /// This request's level.
    pub ours: SeenLevel,
    /// Other levels found on the way (not made by this service).
    pub others: Vec<SeenLevel>,
    /// True when it was found by re-reading (a lost answer or 50001127), not answered now.
    pub reconciled: bool,
}

/// One maintenance call.
pub struct MaintenanceCall {
    /// The client.
    pub client: PostFinance,
    /// The tenant (its environment picks the endpoint).
    pub tenant: Arc<Tenant>,
    /// The request.
    pub request: MaintenanceRequest,
}

impl MaintenanceCall {
    fn op(&self) -> Result<OpCode, CallError> {
        OpCode::parse(&self.request.operation)
            .ok_or_else(|| CallError::Rejected(format!("unknown operation {}", self.request.operation)))
    }

    /// Reads the levels above the baseline and picks this request's.
    async fn find(&self) -> Result<(Option<SeenLevel>, Vec<SeenLevel>), CallFailure> {
        let levels = new_levels(&self.client, &self.tenant, self.request.payid, self.request.baseline).await?;
        let kind = self.op().map(|o| o.kind()).ok();
        let ours = levels
            .iter()
            .find(|l| Some(Status::of(l.status).maintenance_kind()) == kind && l.amount == self.request.amount)
            .copied();
        let others = levels.into_iter().filter(|l| Some(l.payidsub) != ours.map(|o| o.payidsub)).collect();
        Ok((ours, others))
    }
}

/// Reads every level of `payid` above `baseline` (at most [`MAX_SCAN`]): the transaction must
/// answer, then each level until PostFinance answers "no such level" (or the latest state's
/// PAYIDSUB, when it gives one, is reached). An answer other than a level or its end is an
/// error: the caller cannot tell what happened.
pub async fn new_levels(
    client: &PostFinance,
    tenant: &Tenant,
    payid: u64,
    baseline: u32,
) -> Result<Vec<SeenLevel>, CallFailure> {
    let latest = client.query(tenant, &Lookup::PayId { payid, payidsub: None }).await?;
    if latest.verdict() != Verdict::Ok {
        return Err(CallFailure::Unreadable(format!(
            "query answered NCERROR {} {} STATUS {:?}",
            latest.ncerror, latest.ncerror_plus, latest.status
        )));
    }
    let mut out = Vec::new();
    for n in (baseline + 1)..=(baseline + MAX_SCAN) {
        if latest.payidsub.is_some_and(|top| n > top) {
            return Ok(out);
        }
        let r = client.query(tenant, &Lookup::PayId { payid, payidsub: Some(n) }).await?;
        match (r.verdict(), r.status, r.amount) {
            (Verdict::Ok, Some(status), Some(amount)) => out.push(SeenLevel { payidsub: n, status, amount }),
            (Verdict::NotFound, _, _) => return Ok(out),
            _ => {
                return Err(CallFailure::Unreadable(format!("level {n}: NCERROR {} {}", r.ncerror, r.ncerror_plus)));
            }
        }
    }
    Err(CallFailure::Unreadable(format!("more than {MAX_SCAN} levels above {baseline}")))
}

fn unknown(e: &CallFailure) -> CallError {
    CallError::Unknown(e.to_string())
}

impl Operation for MaintenanceCall {
    type Output = Applied;

    fn name(&self) -> &'static str {
        NAME
    }

    fn key(&self) -> String {
        self.request.key()
    }

    fn scope(&self) -> String {
        self.request.order_id.clone()
    }

    fn request(&self) -> serde_json::Value {
        serde_json::to_value(&self.request).unwrap_or_default()
    }

    async fn execute(&self) -> Result<Applied, CallError> {
        let op = self.op()?;
        let reply = self
            .client
            .maintain(&self.tenant, self.request.payid, op, self.request.amount)
            .await
            .map_err(|e| unknown(&e))?;
        match reply.verdict() {
            // Reading an accepted answer requires its level, status and amount (wire.rs).
            Verdict::Ok => match (reply.payidsub, reply.status, reply.amount) {
                (Some(payidsub), Some(status), Some(amount)) => {
                    Ok(Applied { ours: SeenLevel { payidsub, status, amount }, others: vec![], reconciled: false })
                }
                _ => Err(CallError::Unknown("accepted without PAYIDSUB, STATUS or amount".into())),
            },
            // IC-14: the order's status already changed — typically because this very request
            // (or an earlier copy of it) was done. Re-read and report the truth.
            Verdict::NotInCorrectStatus => match self.find().await {
                Ok((Some(ours), others)) => {
                    tracing::info!(order_id = %self.request.order_id, payidsub = ours.payidsub,
                        "50001127 on a repeated maintenance: found its level by re-reading");
                    Ok(Applied { ours, others, reconciled: true })
                }
                Ok((None, _)) => Err(CallError::Rejected(format!(
                    "NCERROR={NOT_IN_CORRECT_STATUS} {}; re-read: no level of this request exists at PostFinance",
                    reply.ncerror_plus
                ))),
                Err(e) => Err(unknown(&e)),
            },
            Verdict::Refused | Verdict::Unauthorized | Verdict::NotFound => {
                Err(CallError::Rejected(format!("NCERROR={} {}", reply.ncerror, reply.ncerror_plus)))
            }
            Verdict::Uncertain => Err(CallError::Unknown(format!("NCERROR={} {}", reply.ncerror, reply.ncerror_plus))),
        }
    }

    async fn probe(&self) -> Result<Probe<Applied>, CallError> {
        match self.find().await {
            Ok((Some(ours), others)) => Ok(Probe::Done(Applied { ours, others, reconciled: true })),
            Ok((None, _)) => Ok(Probe::NotDone),
            Err(e) => Err(unknown(&e)),
        }
    }
}

/// Splits a journal refusal text `NCERROR=<code> <plus>` into its parts.
pub fn refusal_parts(reason: &str) -> (String, String) {
    match reason.strip_prefix("NCERROR=") {
        Some(rest) => {
            let (code, plus) = rest.split_once(' ').unwrap_or((rest, ""));
            (code.to_owned(), plus.to_owned())
        }
        None => (String::new(), reason.to_owned()),
    }
}
