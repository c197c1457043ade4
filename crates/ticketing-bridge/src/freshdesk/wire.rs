//! Freshdesk v2 wire shapes: the bodies the bridge sends and the answer fields it reads, each
//! as its contract cases show them (`crates/sandbox/contracts/freshdesk/*.json`). Answers are
//! read fail-closed through `kit::contract` (CT-05): a needed field that is missing, empty or of
//! another type is a counted contract error, never a default — a search answer without
//! `results` is not "no ticket", a ticket without `status` is not "open".

use chrono::{DateTime, Utc};
use kit::contract::{ContractError, Json, Problem};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::domain::draft::{Contact, TicketDraft};

/// The `system` label of every contract violation.
pub const SYSTEM: &str = "freshdesk";

/// Body of `POST /api/v2/tickets`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewTicket {
    /// Requester e-mail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Requester phone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Requester name (mandatory with a phone and no e-mail).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Subject.
    pub subject: String,
    /// HTML description.
    pub description: String,
    /// 2–5.
    pub status: u8,
    /// 1–4.
    pub priority: u8,
    /// Ticket type.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub ticket_type: Option<String>,
    /// Group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_id: Option<u64>,
    /// Tags.
    pub tags: Vec<String>,
    /// Custom fields by API name (`cf_…`): the external reference and the order id.
    pub custom_fields: Map<String, Value>,
}

impl NewTicket {
    /// The body for `draft`, with `reference` in `ref_field` and the order in `order_field`.
    pub fn from_draft(
        draft: &TicketDraft,
        ref_field: &str,
        reference: &str,
        order_field: Option<&str>,
        order_id: &str,
    ) -> Self {
        let (email, phone) = match &draft.requester.contact {
            Contact::Email(e) => (Some(e.clone()), None),
            Contact::Phone(p) => (None, Some(p.clone())),
        };
        let mut custom_fields = Map::new();
        custom_fields.insert(ref_field.to_owned(), Value::String(reference.to_owned()));
        if let Some(f) = order_field {
            custom_fields.insert(f.to_owned(), Value::String(order_id.to_owned()));
        }
        NewTicket {
            email,
            phone,
            name: draft.requester.name.clone(),
            subject: draft.subject.clone(),
            description: draft.description_html.clone(),
            status: draft.status,
            priority: draft.priority.number(),
            ticket_type: draft.ticket_type.clone(),
            group_id: draft.group_id,
            tags: draft.tags.clone(),
            custom_fields,
        }
    }
}

/// Body of `POST /api/v2/tickets/{id}/notes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewNote {
    /// HTML body.
    pub body: String,
    /// Private note (agents only).
    pub private: bool,
}

/// What the bridge keeps of a ticket Freshdesk answered with (create, search).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketRef {
    /// Ticket id.
    pub id: u64,
    /// Status (2 Open, 3 Pending, 4 Resolved, 5 Closed, or an account's custom status).
    pub status: u8,
    /// Freshdesk's creation time.
    pub created_at: DateTime<Utc>,
}

/// A ticket answer: `id`, `status`, `created_at` (UTC `YYYY-MM-DDTHH:MM:SSZ`).
pub fn ticket(t: &Json<'_>) -> Result<TicketRef, ContractError> {
    Ok(TicketRef { id: id(t, "id")?, status: status(t)?, created_at: time(t, "created_at")? })
}

/// A positive numeric id.
pub fn id(r: &Json<'_>, field: &str) -> Result<u64, ContractError> {
    u64::try_from(r.i64(field)?)
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| r.error(field, Problem::Invalid("a positive id".into())))
}

/// A ticket's `status` number.
pub fn status(r: &Json<'_>) -> Result<u8, ContractError> {
    u8::try_from(r.i64("status")?)
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| r.error("status", Problem::Invalid("a status number".into())))
}

fn time(r: &Json<'_>, field: &str) -> Result<DateTime<Utc>, ContractError> {
    DateTime::parse_from_rfc3339(r.text(field)?)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| r.error(field, Problem::Invalid("a UTC time".into())))
}

/// Search results carrying `reference` in `field`, oldest id first. Every result must show
/// the field (search matched on it); one with another value (search matching is Freshdesk's
/// business, e.g. tokenised) is not ours and is dropped.
pub fn search_hits(page: &Json<'_>, field: &str, reference: &str) -> Result<Vec<TicketRef>, ContractError> {
    let mut hits = Vec::new();
    for t in page.array("results")? {
        let custom = t.obj("custom_fields")?;
        let path = format!("custom_fields.{field}");
        match custom.value().get(field) {
            None => return Err(t.error(&path, Problem::Missing)),
            Some(Value::Null) => continue,
            Some(Value::String(s)) if s == reference => hits.push(ticket(&t)?),
            Some(Value::String(_)) => continue,
            Some(_) => return Err(t.error(&path, Problem::WrongType("a string"))),
        }
    }
    hits.sort_by_key(|t| t.id);
    Ok(hits)
}

/// The id of the conversation whose body (HTML or text) holds `marker`, in one page of
/// `GET /tickets/{id}/conversations`; also how many entries the page had.
pub fn note_with(page: &Json<'_>, marker: &str) -> Result<(Option<u64>, usize), ContractError> {
    let items = page.items()?;
    for c in &items {
        let id = id(c, "id")?;
        let body = c.str("body")?;
        let text = c.opt_str("body_text")?.unwrap_or_default();
        if body.contains(marker) || text.contains(marker) {
            return Ok((Some(id), items.len()));
        }
    }
    Ok((None, items.len()))
}

/// One ticket field of `GET /api/v2/ticket_fields`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketField {
    /// API name (`ticket_type`, `group`, `cf_payops_ref` or, in older accounts, `payops_ref`).
    pub name: String,
    /// `default_…` or `custom_text`, `custom_number` …
    pub kind: String,
}

/// What the preflight reads of `GET /api/v2/ticket_fields` and its headers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountFields {
    /// Every field.
    pub fields: Vec<TicketField>,
    /// The choices of `ticket_type`.
    pub ticket_types: Vec<String>,
    /// The choices of `group`: name → id.
    pub groups: Vec<(String, u64)>,
    /// `X-RateLimit-Total`: calls per minute of the plan.
    pub rate_total: u32,
    /// `X-RateLimit-Remaining`.
    pub rate_remaining: u32,
}

impl AccountFields {
    /// The field named `name` with or without its `cf_` prefix: the documented sample of this
    /// endpoint names custom fields without it, the admin endpoint and tickets with it.
    pub fn custom(&self, name: &str) -> Option<&TicketField> {
        let bare = name.strip_prefix("cf_").unwrap_or(name);
        self.fields.iter().find(|f| f.name == name || f.name == bare || f.name.strip_prefix("cf_") == Some(bare))
    }
}

/// The fields of a `ticket_fields` answer; `ticket_type` needs its list of names, `group` its
/// name → id map.
pub fn account_fields(list: &Json<'_>) -> Result<AccountFields, ContractError> {
    let mut out = AccountFields::default();
    for f in list.items()? {
        let name = f.text("name")?.to_owned();
        let kind = f.text("type")?.to_owned();
        match name.as_str() {
            "ticket_type" => {
                for c in f.array("choices")? {
                    out.ticket_types.push(
                        c.value().as_str().ok_or_else(|| f.error("choices", Problem::WrongType("names")))?.to_owned(),
                    );
                }
            }
            "group" => {
                let choices = f.obj("choices")?;
                let map = choices.value().as_object().into_iter().flatten();
                for (group, gid) in map {
                    let gid = gid.as_u64().ok_or_else(|| f.error("choices", Problem::WrongType("group ids")))?;
                    out.groups.push((group.clone(), gid));
                }
            }
            _ => {}
        }
        out.fields.push(TicketField { name, kind });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn tk_03_search_keeps_only_tickets_carrying_the_reference() {
        let page = json!({"results": [
            {"id": 9, "status": 2, "created_at": "2025-01-01T10:00:00Z", "custom_fields": {"cf_payops_ref": "req:a-b"}},
            {"id": 7, "status": 4, "created_at": "2025-01-01T09:00:00Z", "custom_fields": {"cf_payops_ref": "req:a"}},
            {"id": 3, "status": 2, "created_at": "2025-01-01T08:00:00Z", "custom_fields": {"cf_payops_ref": null}},
        ], "total": 3});
        let hits = search_hits(&Json::new(SYSTEM, "search", &page), "cf_payops_ref", "req:a").unwrap();
        assert_eq!(hits.iter().map(|t| (t.id, t.status)).collect::<Vec<_>>(), vec![(7, 4)]);
        let broken = json!({"results": [{"id": 1, "custom_fields": {}}]});
        let e = search_hits(&Json::new(SYSTEM, "search", &broken), "cf_payops_ref", "req:a").unwrap_err();
        assert_eq!(e.field, "results[0].custom_fields.cf_payops_ref");
    }

    #[test]
    fn ct_06_custom_fields_are_found_with_or_without_their_prefix() {
        let fields = |names: &[&str]| AccountFields {
            fields: names.iter().map(|n| TicketField { name: (*n).into(), kind: "custom_text".into() }).collect(),
            ..AccountFields::default()
        };
        assert!(fields(&["cf_payops_ref"]).custom("cf_payops_ref").is_some());
        assert!(fields(&["payops_ref"]).custom("cf_payops_ref").is_some());
        assert!(fields(&["cf_payops_ref2"]).custom("cf_payops_ref").is_none());
    }
}
