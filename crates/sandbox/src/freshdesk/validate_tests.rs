//! Table tests of ticket and note validation.

use serde_json::json;

use super::*;
use crate::freshdesk::reader::is_email;

fn errors(body: Value) -> Vec<(String, &'static str)> {
    let cfg = FreshdeskConfig::default();
    match ticket(&body, &cfg, &|id| id == 7) {
        Ok(_) => Vec::new(),
        Err(e) => e.into_iter().map(|e| (e.field, e.code)).collect(),
    }
}

fn base() -> Value {
    json!({"email": "a@example.com", "subject": "s", "description": "<p>d</p>"})
}

fn with(extra: Value) -> Value {
    let mut b = base();
    for (k, v) in extra.as_object().unwrap() {
        b[k] = v.clone();
    }
    b
}

#[test]
fn ticket_bodies_are_accepted_or_every_problem_is_listed() {
    type Case = (&'static str, Value, Vec<(&'static str, &'static str)>);
    let cases: Vec<Case> = vec![
        ("minimal", base(), vec![]),
        (
            "phone with name",
            json!({"phone": "+41791234567", "name": "Anna", "subject": "s", "description": "d"}),
            vec![],
        ),
        ("known requester id", json!({"requester_id": 7, "subject": "s", "description": "d"}), vec![]),
        (
            "full hotline ticket",
            with(json!({"type": "Waschküche", "priority": 3, "status": 2, "source": 3, "group_id": 43_000_000_001_u64,
                "tags": ["profioffice", "b2c", "expired"],
                "custom_fields": {"cf_payops_ref": "inc-1", "cf_amount_minor": 1250, "cf_callback_requested": true,
                    "cf_situation": "expired"}})),
            vec![],
        ),
        ("no requester", json!({"subject": "s", "description": "d"}), vec![("requester_id", "missing_field")]),
        ("phone only", json!({"phone": "+41", "subject": "s", "description": "d"}), vec![("name", "missing_field")]),
        (
            "unknown requester id",
            json!({"requester_id": 8, "subject": "s", "description": "d"}),
            vec![("requester_id", "invalid_value")],
        ),
        (
            "missing subject and description",
            json!({"email": "a@example.com"}),
            vec![("subject", "missing_field"), ("description", "missing_field")],
        ),
        ("bad email", with(json!({"email": "not-an-email"})), vec![("email", "invalid_value")]),
        (
            "out of range",
            with(json!({"status": 6, "priority": 0, "source": 4})),
            vec![("status", "invalid_value"), ("priority", "invalid_value"), ("source", "invalid_value")],
        ),
        (
            "wrong types",
            with(json!({"status": "2", "tags": "x"})),
            vec![("status", "datatype_mismatch"), ("tags", "datatype_mismatch")],
        ),
        ("unknown type", with(json!({"type": "Complaint"})), vec![("type", "invalid_value")]),
        ("unknown group", with(json!({"group_id": 1})), vec![("group_id", "invalid_value")]),
        ("unknown field", with(json!({"order_id": "x"})), vec![("order_id", "invalid_field")]),
        ("unknown custom field", with(json!({"custom_fields": {"cf_nope": "x"}})), vec![("cf_nope", "invalid_field")]),
        (
            "custom field types",
            with(
                json!({"custom_fields": {"cf_amount_minor": "12.50", "cf_callback_requested": "yes", "cf_payops_ref": 5}}),
            ),
            vec![
                ("cf_amount_minor", "datatype_mismatch"),
                ("cf_callback_requested", "datatype_mismatch"),
                ("cf_payops_ref", "datatype_mismatch"),
            ],
        ),
        (
            "dropdown choice",
            with(json!({"custom_fields": {"cf_situation": "lost"}})),
            vec![("cf_situation", "invalid_value")],
        ),
        (
            "custom_fields not an object",
            with(json!({"custom_fields": ["x"]})),
            vec![("custom_fields", "datatype_mismatch")],
        ),
        ("long subject", with(json!({"subject": "x".repeat(256)})), vec![("subject", "invalid_value")]),
        ("long tag", with(json!({"tags": ["x".repeat(33)]})), vec![("tags", "invalid_value")]),
        ("bad cc", with(json!({"cc_emails": ["x"]})), vec![("cc_emails", "invalid_value")]),
        ("bad due_by", with(json!({"due_by": "tomorrow"})), vec![("due_by", "invalid_value")]),
        ("not an object", json!([1]), vec![("", "invalid_json")]),
    ];
    for (name, body, want) in cases {
        let mut got = errors(body);
        let mut want: Vec<(String, &str)> = want.into_iter().map(|(f, c)| (f.to_owned(), c)).collect();
        got.sort();
        want.sort();
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn required_custom_fields_are_enforced() {
    let mut cfg = FreshdeskConfig::default();
    cfg.custom_fields[0].required = true;
    let e = ticket(&base(), &cfg, &|_| false).unwrap_err();
    assert_eq!(e.len(), 1);
    assert_eq!((e[0].field.as_str(), e[0].code), ("cf_payops_ref", "missing_field"));
}

#[test]
fn defaults_and_values_are_carried_over() {
    let t = ticket(
        &with(json!({"tags": ["a"], "custom_fields": {"cf_payops_ref": "r-1"}})),
        &FreshdeskConfig::default(),
        &|_| false,
    )
    .unwrap();
    assert_eq!((t.status, t.priority, t.source), (2, 1, 2));
    assert_eq!(t.description, "<p>d</p>");
    assert_eq!(t.tags, vec!["a".to_owned()]);
    assert_eq!(t.custom_fields.get("cf_payops_ref"), Some(&json!("r-1")));
}

#[test]
fn notes_default_to_private_and_need_a_body() {
    let n = note(&json!({"body": "<b>x</b>"})).unwrap();
    assert!(n.private && !n.incoming);
    assert!(!note(&json!({"body": "x", "private": false})).unwrap().private);
    let codes: Vec<_> =
        note(&json!({"private": "no", "extra": 1})).unwrap_err().into_iter().map(|e| (e.field, e.code)).collect();
    assert_eq!(codes.len(), 3, "{codes:?}");
}

#[test]
fn email_check() {
    for (s, ok) in [
        ("a@b.ch", true),
        ("a.b+c@x.y.z", true),
        ("a@b", false),
        ("@b.ch", false),
        ("a b@c.ch", false),
        ("a@@b.ch", false),
    ] {
        assert_eq!(is_email(s), ok, "{s}");
    }
}
