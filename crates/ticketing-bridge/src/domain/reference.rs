//! External references and journal keys. Every ticket carries its reference in a Freshdesk text
//! custom field (`cf_payops_ref`), so before creating again after an unknown outcome the bridge
//! searches Freshdesk for it (TK-03) — trusting "not found" only once the attempt is older than
//! Freshdesk's indexing delay; every note carries a marker line the probe looks for.
//!
//! | what | reference |
//! |---|---|
//! | CreateTicket request | `req:<request_id>` |
//! | first ticket of an incident | `inc:<order_id>:<incident_id>` |
//! | n-th ticket of an incident (n ≥ 2) | `inc:<order_id>:<incident_id>:g<n>` |
//! | note for an attention event | marker `payops-ref: note:<event_id>` in the body |
//!
//! Ids are `[A-Za-z0-9_-]`, so the `:` separators are unambiguous.

/// Operation name of ticket creation in the journal.
pub const CREATE_OPERATION: &str = "freshdesk.create_ticket";
/// Operation name of adding a note in the journal.
pub const NOTE_OPERATION: &str = "freshdesk.add_note";

/// Reference of a CreateTicket request's ticket.
pub fn request(request_id: &str) -> String {
    format!("req:{request_id}")
}

/// Reference of generation `generation` of an incident's ticket.
pub fn incident(order_id: &str, incident_id: &str, generation: i32) -> String {
    if generation <= 1 {
        format!("inc:{order_id}:{incident_id}")
    } else {
        format!("inc:{order_id}:{incident_id}:g{generation}")
    }
}

/// The marker line of the note for attention event `event_id`.
pub fn note_marker(event_id: &str) -> String {
    format!("payops-ref: note:{event_id}")
}

/// Journal key of creating the ticket with `reference`. `round` counts earlier attempts that
/// Freshdesk definitely refused (nothing was created), so a replay after a refusal calls again
/// while an attempt with an unknown outcome is always probed first.
pub fn create_key(reference: &str, round: u32) -> String {
    if round == 0 { format!("fd.create:{reference}") } else { format!("fd.create:{reference}#{}", round + 1) }
}

/// Journal key of the note for attention event `event_id` (see [`create_key`] for `round`).
pub fn note_key(event_id: &str, round: u32) -> String {
    if round == 0 { format!("fd.note:{event_id}") } else { format!("fd.note:{event_id}#{}", round + 1) }
}

/// Freshdesk search query for tickets whose custom field `field` equals `reference`:
/// `"cf_payops_ref:'inc:4711:i-1'"`. The field keeps its `cf_` prefix: the documented example
/// (`cf_sector:'finance'`) and public clients name custom fields so; the bare name is a field
/// search does not know (case `freshdesk/search/bare_field_name`). References are
/// `[A-Za-z0-9_:-]`, so the single quotes need no escaping (none is documented).
pub fn search_query(field: &str, reference: &str) -> String {
    format!("\"{field}:'{reference}'\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tk_03_references_and_keys_table() {
        assert_eq!(request("r-1"), "req:r-1");
        assert_eq!(incident("4711", "cap-1", 1), "inc:4711:cap-1");
        assert_eq!(incident("4711", "cap-1", 3), "inc:4711:cap-1:g3");
        assert_eq!(note_marker("e1"), "payops-ref: note:e1");
        assert_eq!(create_key("req:r-1", 0), "fd.create:req:r-1");
        assert_eq!(create_key("req:r-1", 1), "fd.create:req:r-1#2");
        assert_eq!(note_key("e1", 0), "fd.note:e1");
        assert_eq!(note_key("e1", 2), "fd.note:e1#3");
        assert_eq!(search_query("cf_payops_ref", "inc:4711:cap-1"), "\"cf_payops_ref:'inc:4711:cap-1'\"");
    }
}
