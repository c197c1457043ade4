//! The two calls that change something at Freshdesk, as journal operations (TK-03): creating a
//! ticket and adding a note. Each has a probe that asks Freshdesk before anything is called
//! again after an unknown outcome — a search by the external reference stored on the ticket
//! (trusted only once Freshdesk has had time to index it, [`IndexWait`]), or a look through the
//! ticket's conversations for the note's marker — and a [`Prober`] for the kit's resolver,
//! which settles unknown entries in the background.

use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use kit::clock::SharedClock;
use kit::journal::{CallError, Entry, Operation, Probe, Prober};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::PgPool;

use super::DUPLICATES_FOUND;
use crate::domain::reference::{CREATE_OPERATION, NOTE_OPERATION};
use crate::domain::retry::to_chrono;
use crate::freshdesk::{Freshdesk, FreshdeskError, wire};
use crate::store::attempts;

/// A created ticket, as the journal stores it (entries written by older versions carry more
/// fields, which are ignored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedTicket {
    /// Freshdesk id.
    pub id: u64,
    /// Status.
    pub status: u8,
    /// Freshdesk's creation time.
    pub created_at: Option<DateTime<Utc>>,
}

impl From<wire::TicketRef> for CreatedTicket {
    fn from(t: wire::TicketRef) -> Self {
        CreatedTicket { id: t.id, status: t.status, created_at: Some(t.created_at) }
    }
}

/// When Freshdesk's search can be trusted about a creation: only once the attempt is older
/// than the indexing delay ("updates will take a few minutes to get indexed",
/// developers.freshdesk.com/api/#filter_tickets). Before that, "not found" proves nothing and
/// creating again would make the second ticket TK-03 forbids.
#[derive(Clone)]
pub struct IndexWait {
    /// Where attempts are recorded (`create_attempts`).
    pub pool: PgPool,
    /// The service's clock.
    pub clock: SharedClock,
    /// How long after a creation search may still miss it (`FRESHDESK_INDEX_DELAY`).
    pub delay: Duration,
}

impl IndexWait {
    /// Records that the creation `key` is sent now; not sent when that fails.
    async fn sending(&self, key: &str) -> Result<(), FreshdeskError> {
        attempts::record(&self.pool, key, self.clock.now()).await.map_err(|e| {
            tracing::warn!(error = %e, key, "recording a ticket creation attempt failed; not sent");
            FreshdeskError::Transport { sent: false, kind: "database" }
        })
    }

    /// "Not found" for the creation `key`: safe to create (never sent, or sent longer ago than
    /// the delay), or look again later.
    async fn not_found(&self, key: &str) -> Result<Probe<CreatedTicket>, FreshdeskError> {
        let sent = attempts::sent_at(&self.pool, key)
            .await
            .map_err(|_| FreshdeskError::Transport { sent: false, kind: "database" })?;
        let Some(sent) = sent else { return Ok(Probe::NotDone) };
        let ready = sent + to_chrono(self.delay);
        let now = self.clock.now();
        if now < ready {
            let retry_after = (ready - now).to_std().unwrap_or_default();
            return Err(FreshdeskError::NotIndexedYet { retry_after });
        }
        Ok(Probe::NotDone)
    }
}

/// An added note, as the journal stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddedNote {
    /// Conversation id.
    pub id: u64,
}

/// The journal's view of a Freshdesk failure: certainly nothing happened, or maybe something did.
fn call_error(e: &FreshdeskError) -> CallError {
    if e.maybe_acted() { CallError::Unknown(e.to_string()) } else { CallError::Rejected(e.to_string()) }
}

/// Creates the ticket carrying `reference`.
pub struct CreateTicketOp {
    pub(crate) fd: Freshdesk,
    pub(crate) wait: IndexWait,
    pub(crate) key: String,
    pub(crate) scope: String,
    pub(crate) reference: String,
    pub(crate) ref_field: String,
    pub(crate) body: wire::NewTicket,
    /// The last Freshdesk failure, for the caller's retry decision.
    pub(crate) error: Mutex<Option<FreshdeskError>>,
}

/// Adds the note carrying `marker` to ticket `ticket_id`.
pub struct AddNoteOp {
    pub(crate) fd: Freshdesk,
    pub(crate) key: String,
    pub(crate) scope: String,
    pub(crate) ticket_id: u64,
    pub(crate) marker: String,
    pub(crate) body: wire::NewNote,
    /// The last Freshdesk failure, for the caller's retry decision.
    pub(crate) error: Mutex<Option<FreshdeskError>>,
}

fn remember(slot: &Mutex<Option<FreshdeskError>>, e: FreshdeskError) {
    *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
}

/// Takes the failure an operation remembered.
pub fn take_error(slot: &Mutex<Option<FreshdeskError>>) -> Option<FreshdeskError> {
    slot.lock().unwrap_or_else(|p| p.into_inner()).take()
}

impl Operation for CreateTicketOp {
    type Output = CreatedTicket;

    fn name(&self) -> &'static str {
        CREATE_OPERATION
    }

    fn key(&self) -> String {
        self.key.clone()
    }

    fn scope(&self) -> String {
        self.scope.clone()
    }

    fn request(&self) -> Value {
        json!({ "reference": self.reference, "ref_field": self.ref_field })
    }

    async fn execute(&self) -> Result<CreatedTicket, CallError> {
        if let Err(e) = self.wait.sending(&self.key).await {
            let c = call_error(&e);
            remember(&self.error, e);
            return Err(c);
        }
        match self.fd.create_ticket(&self.body).await {
            Ok(t) => Ok(t.into()),
            Err(e) => {
                let c = call_error(&e);
                remember(&self.error, e);
                Err(c)
            }
        }
    }

    async fn probe(&self) -> Result<Probe<CreatedTicket>, CallError> {
        probe_created(&self.fd, &self.wait, &self.key, &self.ref_field, &self.reference).await.map_err(|e| {
            let c = CallError::Unknown(format!("search: {e}"));
            remember(&self.error, e);
            c
        })
    }
}

impl Operation for AddNoteOp {
    type Output = AddedNote;

    fn name(&self) -> &'static str {
        NOTE_OPERATION
    }

    fn key(&self) -> String {
        self.key.clone()
    }

    fn scope(&self) -> String {
        self.scope.clone()
    }

    fn request(&self) -> Value {
        json!({ "ticket_id": self.ticket_id, "marker": self.marker })
    }

    async fn execute(&self) -> Result<AddedNote, CallError> {
        match self.fd.add_note(self.ticket_id, &self.body).await {
            Ok(id) => Ok(AddedNote { id }),
            Err(e) => {
                let c = call_error(&e);
                remember(&self.error, e);
                Err(c)
            }
        }
    }

    async fn probe(&self) -> Result<Probe<AddedNote>, CallError> {
        probe_note(&self.fd, self.ticket_id, &self.marker).await.map_err(|e| {
            let c = CallError::Unknown(format!("conversations: {e}"));
            remember(&self.error, e);
            c
        })
    }
}

/// Searches Freshdesk for the ticket carrying `reference` (created under journal key `key`).
/// Should a retry ever have made a second one, the oldest is kept and the duplicate is counted
/// and logged loudly. Nothing found is trusted only once the attempt is older than the
/// indexing delay ([`IndexWait`]).
pub async fn probe_created(
    fd: &Freshdesk,
    wait: &IndexWait,
    key: &str,
    field: &str,
    reference: &str,
) -> Result<Probe<CreatedTicket>, FreshdeskError> {
    let mut found = fd.find_by_reference(field, reference).await?;
    if found.len() > 1 {
        metrics::counter!(DUPLICATES_FOUND).increment(found.len() as u64 - 1);
        let ids: Vec<u64> = found.iter().map(|t| t.id).collect();
        tracing::error!(reference, ?ids, "more than one Freshdesk ticket carries one reference");
    }
    if found.is_empty() {
        return wait.not_found(key).await;
    }
    Ok(Probe::Done(found.swap_remove(0).into()))
}

/// Looks through the ticket's conversations for the note's marker. A ticket that no longer
/// exists has no note.
pub async fn probe_note(fd: &Freshdesk, ticket_id: u64, marker: &str) -> Result<Probe<AddedNote>, FreshdeskError> {
    match fd.find_note(ticket_id, marker).await {
        Ok(Some(id)) => Ok(Probe::Done(AddedNote { id })),
        Ok(None) | Err(FreshdeskError::NotFound) => Ok(Probe::NotDone),
        Err(e) => Err(e),
    }
}

/// Probes creations for the resolver, from the stored request.
pub struct CreateProber {
    /// The client.
    pub fd: Freshdesk,
    /// When search can be trusted.
    pub wait: IndexWait,
    /// The reference field (used when the entry does not name one).
    pub ref_field: String,
}

impl Prober for CreateProber {
    fn probe<'a>(&'a self, entry: &'a Entry) -> BoxFuture<'a, Result<Probe<Value>, CallError>> {
        Box::pin(async move {
            let reference = entry.request["reference"].as_str().unwrap_or_default();
            let field = entry.request["ref_field"].as_str().unwrap_or(&self.ref_field);
            if reference.is_empty() {
                return Err(CallError::Unknown("journal entry names no reference".into()));
            }
            let probe = probe_created(&self.fd, &self.wait, &entry.key, field, reference)
                .await
                .map_err(|e| CallError::Unknown(e.to_string()))?;
            Ok(to_value(probe))
        })
    }
}

/// Probes notes for the resolver, from the stored request.
pub struct NoteProber {
    /// The client.
    pub fd: Freshdesk,
}

impl Prober for NoteProber {
    fn probe<'a>(&'a self, entry: &'a Entry) -> BoxFuture<'a, Result<Probe<Value>, CallError>> {
        Box::pin(async move {
            let ticket_id = entry.request["ticket_id"].as_u64().unwrap_or_default();
            let marker = entry.request["marker"].as_str().unwrap_or_default();
            if ticket_id == 0 || marker.is_empty() {
                return Err(CallError::Unknown("journal entry names no ticket or marker".into()));
            }
            let probe = probe_note(&self.fd, ticket_id, marker).await.map_err(|e| CallError::Unknown(e.to_string()))?;
            Ok(to_value(probe))
        })
    }
}

fn to_value<T: Serialize>(p: Probe<T>) -> Probe<Value> {
    match p {
        Probe::Done(v) => Probe::Done(serde_json::to_value(v).unwrap_or(Value::Null)),
        Probe::NotDone => Probe::NotDone,
        Probe::Failed(r) => Probe::Failed(r),
    }
}
