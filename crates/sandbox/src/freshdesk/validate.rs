//! Validation of ticket and note bodies the way Freshdesk does it: every problem is collected
//! and answered at once as `{"description":"Validation failed","errors":[{field,message,code}]}`
//! (`crates/sandbox/contracts/freshdesk/`). Pure functions over the parsed JSON.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};

use super::reader::{Reader, is_email, mismatch};
use super::state::{CustomFieldType, FreshdeskConfig};

/// One entry of the `errors` list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct FieldError {
    pub(crate) field: String,
    pub(crate) message: String,
    pub(crate) code: &'static str,
}

/// A ticket body that passed validation.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct NewTicket {
    pub(crate) name: Option<String>,
    pub(crate) email: Option<String>,
    pub(crate) phone: Option<String>,
    pub(crate) requester_id: Option<u64>,
    pub(crate) subject: String,
    pub(crate) description: String,
    pub(crate) status: u8,
    pub(crate) priority: u8,
    pub(crate) source: u8,
    pub(crate) ticket_type: Option<String>,
    pub(crate) responder_id: Option<u64>,
    pub(crate) group_id: Option<u64>,
    pub(crate) company_id: Option<u64>,
    pub(crate) product_id: Option<u64>,
    pub(crate) tags: Vec<String>,
    pub(crate) cc_emails: Vec<String>,
    pub(crate) custom_fields: Map<String, Value>,
    pub(crate) due_by: Option<DateTime<Utc>>,
    pub(crate) fr_due_by: Option<DateTime<Utc>>,
}

/// A note body that passed validation.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct NewNote {
    pub(crate) body: String,
    pub(crate) private: bool,
    pub(crate) incoming: bool,
    pub(crate) user_id: Option<u64>,
    pub(crate) notify_emails: Vec<String>,
}

const TICKET_FIELDS: [&str; 26] = [
    "name",
    "requester_id",
    "email",
    "facebook_id",
    "phone",
    "twitter_id",
    "unique_external_id",
    "subject",
    "type",
    "status",
    "priority",
    "description",
    "responder_id",
    "cc_emails",
    "custom_fields",
    "due_by",
    "email_config_id",
    "fr_due_by",
    "group_id",
    "parent_id",
    "product_id",
    "source",
    "tags",
    "company_id",
    "internal_agent_id",
    "internal_group_id",
];

const NOTE_FIELDS: [&str; 5] = ["body", "private", "incoming", "notify_emails", "user_id"];

const SOURCES: [u64; 6] = [1, 2, 3, 7, 9, 10];

/// Validates a create-ticket body. `contact_exists` answers whether a `requester_id` is known.
pub(crate) fn ticket(
    body: &Value,
    cfg: &FreshdeskConfig,
    contact_exists: &dyn Fn(u64) -> bool,
) -> Result<NewTicket, Vec<FieldError>> {
    let Some(obj) = body.as_object() else {
        return Err(vec![invalid_json()]);
    };
    let mut r = Reader { obj, errors: Vec::new() };
    r.unknown_fields(&TICKET_FIELDS);
    let mut t = NewTicket {
        name: r.string("name", Some(255)),
        email: r.string("email", Some(255)),
        phone: r.string("phone", Some(255)),
        requester_id: r.int("requester_id"),
        ..NewTicket::default()
    };
    for other in ["facebook_id", "twitter_id", "unique_external_id"] {
        r.string(other, Some(255));
    }
    if let Some(e) = t.email.as_deref().filter(|e| !is_email(e)) {
        r.err("email", format!("It is not in a valid email format ({e})"), "invalid_value");
    }
    let identified = ["requester_id", "email", "phone", "facebook_id", "twitter_id", "unique_external_id"]
        .iter()
        .any(|f| r.get(f).is_some());
    if !identified {
        let msg =
            "Please fill at least 1 of requester_id, email, phone, facebook_id, twitter_id, unique_external_id fields";
        r.err("requester_id", msg, "missing_field");
    } else if r.get("phone").is_some()
        && r.get("email").is_none()
        && r.get("requester_id").is_none()
        && r.get("name").is_none()
    {
        r.err("name", "It should be a/an String", "missing_field");
    }
    if let Some(id) = t.requester_id.filter(|id| !contact_exists(*id)) {
        r.err("requester_id", format!("There is no contact matching the given requester_id ({id})"), "invalid_value");
    }
    t.subject = r.required_string("subject", Some(255));
    t.description = r.required_string("description", None);
    t.status = r.choice("status", &[2, 3, 4, 5], 2);
    t.priority = r.choice("priority", &[1, 2, 3, 4], 1);
    t.source = r.choice("source", &SOURCES, 2);
    t.ticket_type = r.string("type", None);
    if t.ticket_type.as_deref().is_some_and(|ty| !cfg.ticket_types.iter().any(|c| c == ty)) {
        let msg = format!("It should be one of these values: '{}'", cfg.ticket_types.join(","));
        r.err("type", msg, "invalid_value");
    }
    t.group_id = r.int("group_id");
    if t.group_id.is_some_and(|g| !cfg.groups.iter().any(|x| x.id == g)) {
        r.err("group_id", "There is no group matching the given group_id", "invalid_value");
    }
    t.responder_id = r.int("responder_id");
    t.company_id = r.int("company_id");
    t.product_id = r.int("product_id");
    for ignored in ["email_config_id", "parent_id", "internal_agent_id", "internal_group_id"] {
        r.int(ignored);
    }
    let mut due = [None, None];
    for (slot, field) in due.iter_mut().zip(["due_by", "fr_due_by"]) {
        match r.string(field, None).map(|d| DateTime::parse_from_rfc3339(&d)) {
            Some(Ok(d)) => *slot = Some(d.with_timezone(&Utc)),
            Some(Err(_)) => r.err(field, "It should be in the 'valid date time' format", "invalid_value"),
            None => {}
        }
    }
    [t.due_by, t.fr_due_by] = due;
    t.tags = r.strings("tags", Some(32), false);
    t.cc_emails = r.strings("cc_emails", None, true);
    t.custom_fields = custom_fields(&mut r, cfg);
    if r.errors.is_empty() { Ok(t) } else { Err(r.errors) }
}

fn custom_fields(r: &mut Reader<'_>, cfg: &FreshdeskConfig) -> Map<String, Value> {
    let mut out = Map::new();
    let given = match r.get("custom_fields") {
        None => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(v) => {
            r.err("custom_fields", mismatch(v, "key/value pair"), "datatype_mismatch");
            return out;
        }
    };
    for (key, value) in &given {
        let Some(field) = cfg.custom_fields.iter().find(|f| &f.name == key) else {
            r.err(key, "Unexpected/invalid field in request", "invalid_field");
            continue;
        };
        if value.is_null() {
            continue;
        }
        let ok = match field.field_type {
            CustomFieldType::Text | CustomFieldType::Paragraph | CustomFieldType::Dropdown | CustomFieldType::Date => {
                value.is_string()
            }
            CustomFieldType::Number => value.is_i64() || value.is_u64(),
            CustomFieldType::Decimal => value.is_number(),
            CustomFieldType::Checkbox => value.is_boolean(),
        };
        if !ok {
            r.err(key, mismatch(value, type_name(field.field_type)), "datatype_mismatch");
            continue;
        }
        let text = value.as_str().unwrap_or_default();
        match field.field_type {
            CustomFieldType::Text if text.chars().count() > 255 => {
                let msg = format!("Has {} characters, it can have maximum of 255 characters", text.chars().count());
                r.err(key, msg, "invalid_value");
                continue;
            }
            CustomFieldType::Dropdown if !field.choices.iter().any(|c| c == text) => {
                r.err(key, format!("It should be one of these values: '{}'", field.choices.join(",")), "invalid_value");
                continue;
            }
            CustomFieldType::Date if chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_err() => {
                r.err(key, "It should be in the 'yyyy-mm-dd' format", "invalid_value");
                continue;
            }
            _ => {}
        }
        out.insert(key.clone(), value.clone());
    }
    for field in cfg.custom_fields.iter().filter(|f| f.required && !out.contains_key(&f.name)) {
        if !r.errors.iter().any(|e| e.field == field.name) {
            r.err(&field.name, format!("It should be a/an {}", type_name(field.field_type)), "missing_field");
        }
    }
    out
}

/// Validates a create-note body (`private` defaults to true).
pub(crate) fn note(body: &Value) -> Result<NewNote, Vec<FieldError>> {
    let Some(obj) = body.as_object() else {
        return Err(vec![invalid_json()]);
    };
    let mut r = Reader { obj, errors: Vec::new() };
    r.unknown_fields(&NOTE_FIELDS);
    let n = NewNote {
        body: r.required_string("body", None),
        private: r.bool("private").unwrap_or(true),
        incoming: r.bool("incoming").unwrap_or(false),
        user_id: r.int("user_id"),
        notify_emails: r.strings("notify_emails", None, true),
    };
    if r.errors.is_empty() { Ok(n) } else { Err(r.errors) }
}

/// The entry for a body that is not a JSON object.
pub(crate) fn invalid_json() -> FieldError {
    FieldError { field: String::new(), message: "Request body has invalid json format".into(), code: "invalid_json" }
}

fn type_name(t: CustomFieldType) -> &'static str {
    match t {
        CustomFieldType::Text | CustomFieldType::Paragraph | CustomFieldType::Dropdown | CustomFieldType::Date => {
            "String"
        }
        CustomFieldType::Number => "Integer",
        CustomFieldType::Decimal => "Number",
        CustomFieldType::Checkbox => "Boolean",
    }
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
