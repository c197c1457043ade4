//! Table tests of CreateTicket validation (TK-06) and of the pre-send check.

use super::*;

fn catalog() -> Catalog {
    Catalog {
        ticket_types: vec!["Problem".into(), "Waschküche".into(), "Billing".into()],
        groups: vec![("hotline".into(), 43_000_000_001)],
    }
}

fn valid() -> CreateInput {
    CreateInput {
        request_id: "req-1".into(),
        order_id: "4711".into(),
        subject: "Code abgelaufen".into(),
        description: "Kontakt Mobilfunknummer: +41 79 123 45 67".into(),
        email: Some("anna@example.ch".into()),
        phone: None,
        name: String::new(),
        ticket_type: "Waschküche".into(),
        priority: 3,
        group: "hotline".into(),
        tags: vec!["profioffice".into(), "b2c".into(), "expired".into()],
    }
}

fn fields(input: CreateInput) -> Vec<String> {
    match parse_request(&input, &catalog()) {
        Ok(_) => vec![],
        Err(v) => v.items().iter().map(|(f, _)| f.clone()).collect(),
    }
}

/// (case, change to a valid request, fields expected to be refused)
type Case = (&'static str, Box<dyn Fn(&mut CreateInput)>, Vec<&'static str>);

#[test]
fn tk_06_create_request_validation_table() {
    let long = "x".repeat(256);
    let cases: Vec<Case> = vec![
        ("valid", Box::new(|_| {}), vec![]),
        ("no requester", Box::new(|i| i.email = None), vec!["requester"]),
        ("bad e-mail", Box::new(|i| i.email = Some("anna(at)example".into())), vec!["requester.email"]),
        (
            "phone without name",
            Box::new(|i| {
                i.email = None;
                i.phone = Some("+41 79 123 45 67".into());
            }),
            vec!["requester.name"],
        ),
        (
            "phone with name",
            Box::new(|i| {
                i.email = None;
                i.phone = Some("079 123 45 67".into());
                i.name = "Anna".into();
            }),
            vec![],
        ),
        (
            "bad phone",
            Box::new(|i| {
                i.email = None;
                i.phone = Some("12<script>".into());
                i.name = "A".into();
            }),
            vec!["requester.phone"],
        ),
        ("priority 9", Box::new(|i| i.priority = 9), vec!["priority"]),
        ("priority -1", Box::new(|i| i.priority = -1), vec!["priority"]),
        ("unspecified priority is medium", Box::new(|i| i.priority = 0), vec![]),
        ("subject too long", Box::new(move |i| i.subject = long.clone()), vec!["subject"]),
        ("empty subject", Box::new(|i| i.subject = "  ".into()), vec!["subject"]),
        ("subject with line break", Box::new(|i| i.subject = "a\nb".into()), vec!["subject"]),
        ("empty description", Box::new(|i| i.description = String::new()), vec!["description"]),
        ("huge description", Box::new(|i| i.description = "y".repeat(20_001)), vec!["description"]),
        ("unknown type", Box::new(|i| i.ticket_type = "Nonsense".into()), vec!["type"]),
        ("no type", Box::new(|i| i.ticket_type = String::new()), vec![]),
        ("unknown group", Box::new(|i| i.group = "sales".into()), vec!["group"]),
        ("tag too long", Box::new(|i| i.tags.push("t".repeat(33))), vec!["tags"]),
        ("tag with comma", Box::new(|i| i.tags.push("a,b".into())), vec!["tags"]),
        (
            "bad ids",
            Box::new(|i| {
                i.request_id = "req 1".into();
                i.order_id = "47.11".into();
            }),
            vec!["request_id", "order_id"],
        ),
    ];
    for (name, change, want) in cases {
        let mut input = valid();
        change(&mut input);
        assert_eq!(fields(input), want, "{name}");
    }
}

#[test]
fn tk_06_every_violation_is_reported_at_once() {
    let input = CreateInput { priority: 7, ..CreateInput::default() };
    assert_eq!(fields(input), ["request_id", "order_id", "subject", "description", "requester", "priority"]);
}

#[test]
fn tk_06_description_is_escaped_html_and_fields_are_mapped() {
    let mut input = valid();
    input.description = "<script>alert('x')</script>\nZeile 2".into();
    input.tags.push("b2c".into());
    let r = parse_request(&input, &catalog()).unwrap();
    assert_eq!(r.draft.description_html, "<p>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;<br>Zeile 2</p>");
    assert_eq!(r.draft.priority, Priority::High);
    assert_eq!(r.draft.group_id, Some(43_000_000_001));
    assert_eq!(r.draft.status, STATUS_OPEN);
    assert_eq!(r.draft.tags, ["profioffice", "b2c", "expired"], "duplicates dropped, order kept");
    assert!(r.draft.check().is_ok());
}

#[test]
fn tk_06_pre_send_check_table() {
    let good = parse_request(&valid(), &catalog()).unwrap().draft;
    let cases: Vec<(&str, TicketDraft, Vec<&str>)> = vec![
        ("good", good.clone(), vec![]),
        ("status 1", TicketDraft { status: 1, ..good.clone() }, vec!["status"]),
        ("status 6", TicketDraft { status: 6, ..good.clone() }, vec!["status"]),
        ("status 5", TicketDraft { status: 5, ..good.clone() }, vec![]),
        (
            "phone only without name",
            TicketDraft {
                requester: Requester { contact: Contact::Phone("0791234567".into()), name: None },
                ..good.clone()
            },
            vec!["requester.name"],
        ),
        ("empty description", TicketDraft { description_html: String::new(), ..good.clone() }, vec!["description"]),
        ("long subject", TicketDraft { subject: "s".repeat(256), ..good.clone() }, vec!["subject"]),
        ("long tag", TicketDraft { tags: vec!["t".repeat(40)], ..good.clone() }, vec!["tags"]),
    ];
    for (name, draft, want) in cases {
        let got: Vec<String> = match draft.check() {
            Ok(()) => vec![],
            Err(v) => v.items().iter().map(|(f, _)| f.clone()).collect(),
        };
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn fingerprint_changes_with_content_only() {
    let a = parse_request(&valid(), &catalog()).unwrap();
    let b = parse_request(&valid(), &catalog()).unwrap();
    assert_eq!(a.fingerprint(), b.fingerprint());
    let mut other = valid();
    other.subject = "anders".into();
    assert_ne!(a.fingerprint(), parse_request(&other, &catalog()).unwrap().fingerprint());
}

#[test]
fn contact_formats() {
    for (s, email, phone) in [
        ("a@b.ch", true, false),
        ("a@b", false, false),
        ("@b.ch", false, false),
        ("a b@c.ch", false, false),
        ("+41 79 123 45 67", false, true),
        ("079/123.45.67", false, true),
        ("12345", false, false),
        ("+41 79 123 45 67 89 01 23 45 67", false, false),
    ] {
        assert_eq!((is_email(s), is_phone(s)), (email, phone), "{s}");
    }
}
