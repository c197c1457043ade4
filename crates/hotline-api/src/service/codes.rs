//! Code generation (HL-02, HL-13) and opening tickets: the two partner calls that change
//! something, both through the journal.
//!
//! A generation's journal key is the expired code it replaces
//! (`code:<transaction>:<issued_at of the expired code>`): a retry, a double click or a second
//! admin replacing the same expired code works on the same entry. The key is also sent to PGW
//! as `Idempotency-Key`, but whether PGW honours it is unconfirmed (PGW publishes nothing), so
//! nothing relies on it: a generation whose answer was lost is settled by **reading the
//! transaction** — its current code newer than the replaced one means the generation happened
//! (that code is the result); the replaced code still current means it did not, and only then,
//! on an admin's next click, is the generation sent again. A generation sent less than
//! `PGW_GENERATION_GRACE` ago is not called "not done" (PGW may still be working on it). The
//! resolver never sends one again by itself. The generation is recorded (row, audit entry and
//! `code_generated` event in one transaction) once, whoever settles it: the call itself, a
//! retry that reads PGW, or [`Hotline::settle_generations`] after the resolver found out.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use kit::bus::NewEvent;
use kit::id::OrderId;
use kit::journal::{CallError, Entry, Operation, Outcome, Probe, Prober};
use proto::payops::hotline::v1::CodeGenerated;

use super::Hotline;
use super::audit::entry;
use crate::domain::agent::{Actor, Permission};
use crate::domain::payment::{CodeState, Generation, PaymentStatus};
use crate::domain::ticket::TicketDraft;
use crate::error::{Error, Result};
use crate::pgw::PgwClient;
use crate::store::audit::NewEntry;
use crate::store::{generations, tickets};
use crate::ticketing::{CreateTicket, OpenedTicket};

/// Journal operation name of a code generation.
pub const GENERATE: &str = "pgw.generate_code";
/// Event type of a generated code.
pub const CODE_GENERATED: &str = "code_generated";

/// One code generation in PGW PROD.
pub struct GenerateCode<'a> {
    /// PGW.
    pub pgw: &'a PgwClient,
    /// Transaction number.
    pub transaction_id: i64,
    /// Idempotency key.
    pub key: String,
    /// The admin.
    pub requested_by: String,
    /// When the generation was last sent (the journal entry's last update), if it was.
    pub last_sent: Option<DateTime<Utc>>,
    /// How long after a send "no new code yet" still means "PGW may be working on it".
    pub grace: Duration,
}

impl Operation for GenerateCode<'_> {
    type Output = Generation;

    fn name(&self) -> &'static str {
        GENERATE
    }

    fn key(&self) -> String {
        self.key.clone()
    }

    fn scope(&self) -> String {
        self.transaction_id.to_string()
    }

    fn request(&self) -> serde_json::Value {
        serde_json::json!({ "transaction_id": self.transaction_id, "requested_by": self.requested_by })
    }

    async fn execute(&self) -> std::result::Result<Generation, CallError> {
        self.pgw.generate(self.transaction_id, &self.key, &self.requested_by).await.map_err(CallError::from)
    }

    async fn probe(&self) -> std::result::Result<Probe<Generation>, CallError> {
        probe_generation(self.pgw, self.transaction_id, &self.key, self.last_sent, self.grace).await
    }
}

/// The `issued_at` (Unix seconds) of the code a generation key replaces.
fn replaced_issued_at(key: &str) -> Option<i64> {
    key.rsplit(':').next()?.parse().ok()
}

/// Settles a generation whose answer was lost by reading the transaction, never by sending
/// it again: PGW may ignore `Idempotency-Key` (unconfirmed), and then every re-send would make
/// another code. Its current code issued after the replaced one is the generation; the
/// replaced one still current means it did not happen — unless it was sent within `grace`.
async fn probe_generation(
    pgw: &PgwClient,
    tx: i64,
    key: &str,
    last_sent: Option<DateTime<Utc>>,
    grace: Duration,
) -> std::result::Result<Probe<Generation>, CallError> {
    let replaced = replaced_issued_at(key).ok_or_else(|| CallError::Rejected(format!("malformed key {key}")))?;
    let payment = match pgw.transaction(tx).await {
        Ok(Some(p)) => p,
        Ok(None) => return Ok(Probe::Failed("404:transaction_not_found:PGW no longer knows the transaction".into())),
        Err(e) => return Err(CallError::Unknown(e.to_string())),
    };
    let Some(code) = payment.code else {
        return Err(CallError::Unknown(format!("PGW shows transaction {tx} without a code")));
    };
    let issued = code.issued_at.timestamp();
    if issued > replaced {
        return Ok(Probe::Done(Generation {
            generation_id: None,
            transaction_id: tx,
            device_b_code: payment.device_b_code,
            device_internal_id: payment.device_internal_id,
            amount: payment.amount,
            code: code.code,
            valid_until: code.valid_until,
            generated_at: code.issued_at,
        }));
    }
    if issued < replaced {
        return Err(CallError::Unknown(format!("PGW shows an older code than the one replaced for transaction {tx}")));
    }
    // Wall time on purpose: the question is whether PGW may still be working on a request
    // sent moments ago, not what the (possibly simulated) business clock says.
    let recent = last_sent
        .is_some_and(|t| Utc::now().signed_duration_since(t) < chrono::Duration::from_std(grace).unwrap_or_default());
    if recent {
        return Err(CallError::Unknown("sent moments ago; PGW shows no new code yet".into()));
    }
    Ok(Probe::NotDone)
}

/// The resolver's prober for generations: reads the transaction; it never sends a
/// generation again by itself ("not done" waits for an admin's next click).
pub struct GenerationProber {
    /// PGW.
    pub pgw: PgwClient,
    /// See [`GenerateCode::grace`].
    pub grace: Duration,
}

impl Prober for GenerationProber {
    fn probe<'a>(&'a self, e: &'a Entry) -> BoxFuture<'a, std::result::Result<Probe<serde_json::Value>, CallError>> {
        Box::pin(async move {
            let tx =
                e.request["transaction_id"].as_i64().ok_or_else(|| CallError::Rejected("no transaction_id".into()))?;
            Ok(match probe_generation(&self.pgw, tx, &e.key, Some(e.updated_at), self.grace).await? {
                Probe::Done(g) => Probe::Done(serde_json::to_value(g).map_err(|x| CallError::Unknown(x.to_string()))?),
                Probe::NotDone => Probe::NotDone,
                Probe::Failed(r) => Probe::Failed(r),
            })
        })
    }
}

/// A settled generation to record.
struct Settled {
    key: String,
    generation: Generation,
    by: String,
}

impl Hotline {
    /// "Neuen Code generieren" (HL-13): admins only, after the admin's password again
    /// (HL-02); only for a completed payment whose current code expired.
    pub async fn generate_code(
        &self,
        actor: &Actor,
        transaction_id: i64,
        password: &str,
    ) -> Result<(Generation, bool)> {
        self.require(actor, Permission::GenerateCode).await?;
        let target = format!("transaction:{transaction_id}");
        if let Err(e) = self.auth.step_up(actor, password).await {
            let mut a = entry(actor, "code_generation", target, "refused");
            a.details.insert("reason".into(), "step_up".into());
            self.audit(a).await?;
            return Err(e);
        }
        if transaction_id <= 0 {
            return Err(Error::field("transaction_id", "expected a PGW transaction number"));
        }
        // An earlier generation of this payment whose answer was lost is the one the admin is
        // repeating: settle it (PGW is asked with its key) instead of starting another.
        let open = self
            .journal
            .of_scope(&transaction_id.to_string())
            .await?
            .into_iter()
            .rev()
            .find(|e| e.operation == GENERATE && matches!(e.status.as_str(), "pending" | "unknown"));
        if let Some(e) = open {
            let by = e.request["requested_by"].as_str().unwrap_or(&actor.name).to_owned();
            return self.run_generation(transaction_id, e.key, by, Some(e.updated_at)).await;
        }
        let payment = match self.pgw.transaction(transaction_id).await {
            Ok(Some(p)) => p,
            Ok(None) => return Err(Error::NotFound("transaction")),
            Err(e) => return Err(super::b2c::pgw_error(e)),
        };
        let code = match (&payment.status, &payment.code) {
            (PaymentStatus::Completed, Some(c)) => c,
            _ => {
                return Err(Error::Precondition {
                    reason: "TRANSACTION_NOT_COMPLETED",
                    message: "Die Zahlung wurde nicht abgeschlossen; es gibt keinen Code zu ersetzen.".into(),
                });
            }
        };
        if code.state == CodeState::Valid {
            return Err(Error::Precondition {
                reason: "CODE_STILL_VALID",
                message: format!(
                    "Der aktuelle Code ist noch gültig bis {}.",
                    crate::domain::b2c::local_minute(code.valid_until, self.settings.timezone)
                ),
            });
        }
        let key = format!("code:{transaction_id}:{}", code.issued_at.timestamp());
        self.run_generation(transaction_id, key, actor.name.clone(), None).await
    }

    /// Performs (or probes) one generation and records it once settled.
    async fn run_generation(
        &self,
        tx: i64,
        key: String,
        by: String,
        last_sent: Option<DateTime<Utc>>,
    ) -> Result<(Generation, bool)> {
        let op = GenerateCode {
            pgw: &self.pgw,
            transaction_id: tx,
            key: key.clone(),
            requested_by: by.clone(),
            last_sent,
            grace: self.settings.generation_grace,
        };
        match self.journal.perform(&op).await? {
            Outcome::Succeeded { output, replayed } => {
                let fresh = self.record_generation(Settled { key, generation: output.clone(), by }).await?;
                Ok((output, replayed || !fresh))
            }
            Outcome::Failed(reason) => {
                tracing::warn!(transaction = tx, reason = %reason, "PGW refused the code generation");
                Err(match reason.split(':').nth(1) {
                    Some("prod_only") => Error::Precondition {
                        reason: "PROD_ONLY",
                        message: "Codes können nur im PGW PROD generiert werden.".into(),
                    },
                    Some("transaction_not_completed") => Error::Precondition {
                        reason: "TRANSACTION_NOT_COMPLETED",
                        message: "Die Zahlung wurde nicht abgeschlossen.".into(),
                    },
                    Some("transaction_not_found") => Error::NotFound("transaction"),
                    _ => Error::partner("PGW", format!("code generation refused: {reason}")),
                })
            }
            Outcome::Unknown(reason) => Err(Error::OutcomeUnknown(reason)),
        }
    }

    /// Writes the generation row, its audit entry and its event in one transaction, once.
    async fn record_generation(&self, s: Settled) -> Result<bool> {
        let g = &s.generation;
        let order_id = OrderId::parse(g.transaction_id.to_string()).map_err(|e| Error::Internal(e.to_string()))?;
        let event = NewEvent::new(
            order_id,
            CODE_GENERATED,
            &CodeGenerated {
                transaction_id: g.transaction_id,
                generation_id: g.generation_id.unwrap_or_default(),
                device_b_code: g.device_b_code.clone(),
                amount: Some(g.amount.into()),
                valid_until: Some(kit::bus::event::timestamp(g.valid_until)),
                generated_by: s.by.clone(),
            },
            format!("Neuer Code generiert (Gerät {}, {}) durch {}", g.device_b_code, g.amount, s.by),
        )?;
        let mut tx = self.pool.begin().await?;
        let fresh = generations::insert(&mut tx, &s.key, g, &s.by, self.clock.now()).await?;
        if fresh {
            let a = NewEntry {
                actor: s.by.clone(),
                role: "admin",
                action: "code_generated",
                target: format!("transaction:{}", g.transaction_id),
                outcome: "ok",
                details: BTreeMap::from([
                    ("device".to_owned(), g.device_b_code.clone()),
                    ("device_internal_id".to_owned(), g.device_internal_id.clone()),
                    ("amount".to_owned(), g.amount.to_string()),
                    ("generation_id".to_owned(), g.generation_id.map_or_else(|| "-".to_owned(), |i| i.to_string())),
                    ("valid_until".to_owned(), g.valid_until.to_rfc3339()),
                ]),
            };
            self.audit_in(&mut tx, &a).await?;
            self.outbox.add(&mut tx, event).await?;
        }
        tx.commit().await?;
        if fresh {
            metrics::counter!("payops_hotline_codes_generated_total").increment(1);
            tracing::info!(transaction = g.transaction_id, device = %g.device_b_code, by = %s.by, "code generated");
        }
        Ok(fresh)
    }

    /// Records generations the resolver settled after their caller gave up; returns how many.
    pub async fn settle_generations(&self) -> Result<usize> {
        let rows = generations::settled_unrecorded(&self.pool, GENERATE).await?;
        let mut n = 0;
        for (key, request, outcome) in rows {
            let Some(generation) = outcome.and_then(|o| serde_json::from_value::<Generation>(o).ok()) else { continue };
            let by = request["requested_by"].as_str().unwrap_or("hotline").to_owned();
            if self.record_generation(Settled { key, generation, by }).await? {
                n += 1;
            }
        }
        Ok(n)
    }

    /// Opens a ticket through the bridge (journal key `ticket:<request id>`) and records it
    /// with its audit entry.
    pub(crate) async fn open_ticket(
        &self,
        actor: &Actor,
        kind: &str,
        draft: TicketDraft,
        mut audit: NewEntry,
    ) -> Result<OpenedTicket> {
        let request_id = draft.request_id.clone();
        let order_id = draft.order_id.clone();
        let op = CreateTicket { client: &self.ticketing, draft };
        match self.journal.perform(&op).await? {
            Outcome::Succeeded { output, .. } => {
                let mut tx = self.pool.begin().await?;
                let row = tickets::TicketRow {
                    request_id: &request_id,
                    kind,
                    order_id: &order_id,
                    ticket_id: output.ticket_id,
                    url: &output.url,
                    actor: &actor.name,
                };
                let fresh = tickets::insert(&mut tx, &row, self.clock.now()).await?;
                if fresh {
                    audit.details.insert("ticket_id".into(), output.ticket_id.to_string());
                    self.audit_in(&mut tx, &audit).await?;
                    metrics::counter!("payops_hotline_tickets_total", "kind" => kind.to_owned()).increment(1);
                }
                tx.commit().await?;
                Ok(output)
            }
            Outcome::Failed(reason) => {
                audit.outcome = "failed";
                self.audit(audit).await?;
                Err(Error::Precondition { reason: "TICKET_REFUSED", message: format!("Ticket abgelehnt: {reason}") })
            }
            Outcome::Unknown(reason) => Err(Error::partner("TICKETING", reason)),
        }
    }
}

/// The resolver of this service: settles generations whose answer was lost by reading PGW.
pub fn resolver(journal: kit::journal::Journal, pgw: PgwClient, grace: Duration) -> kit::journal::Resolver {
    kit::journal::Resolver::new(journal, "hotline-api").register(GENERATE, Arc::new(GenerationProber { pgw, grace }))
}
