//! The two calls that change something at Freshdesk, as journal operations (TK-03): creating a
//! ticket and adding a note. Each has a probe that asks Freshdesk before anything is called
//! again after an unknown outcome — a search by the external reference stored on the ticket, or
//! a look through the ticket's conversations for the note's marker — and a [`Prober`] for the
//! kit's resolver, which settles unknown entries in the background.

use std::sync::Mutex;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use kit::journal::{CallError, Entry, Operation, Probe, Prober};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::DUPLICATES_FOUND;
use crate::domain::reference::{CREATE_OPERATION, NOTE_OPERATION};
use crate::freshdesk::{Freshdesk, FreshdeskError, wire};

/// A created ticket, as the journal stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedTicket {
    /// Freshdesk id.
    pub id: u64,
    /// Status.
    pub status: u8,
    /// Priority.
    pub priority: u8,
    /// Subject.
    pub subject: String,
    /// Type.
    pub ticket_type: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Freshdesk's creation time.
    pub created_at: Option<DateTime<Utc>>,
}

impl From<wire::Ticket> for CreatedTicket {
    fn from(t: wire::Ticket) -> Self {
        CreatedTicket {
            id: t.id,
            status: t.status,
            priority: t.priority,
            subject: t.subject,
            ticket_type: t.ticket_type,
            tags: t.tags,
            created_at: t.created_at,
        }
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
        probe_created(&self.fd, &self.ref_field, &self.reference).await.map_err(|e| {
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
            Ok(n) => Ok(AddedNote { id: n.id }),
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

/// Searches Freshdesk for the ticket carrying `reference`. Should a retry ever have made a
/// second one, the oldest is kept and the duplicate is counted and logged loudly.
pub async fn probe_created(
    fd: &Freshdesk,
    field: &str,
    reference: &str,
) -> Result<Probe<CreatedTicket>, FreshdeskError> {
    let mut found = fd.find_by_reference(field, reference).await?;
    if found.len() > 1 {
        metrics::counter!(DUPLICATES_FOUND).increment(found.len() as u64 - 1);
        let ids: Vec<u64> = found.iter().map(|t| t.id).collect();
        tracing::error!(reference, ?ids, "more than one Freshdesk ticket carries one reference");
    }
    Ok(if found.is_empty() { Probe::NotDone } else { Probe::Done(found.swap_remove(0).into()) })
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
            let probe =
                probe_created(&self.fd, field, reference).await.map_err(|e| CallError::Unknown(e.to_string()))?;
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
