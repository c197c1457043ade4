//! Table tests of the search query language.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::*;

fn ticket() -> Ticket {
    let at: DateTime<Utc> = "2025-03-01T10:00:00Z".parse().unwrap();
    let mut custom = serde_json::Map::new();
    custom.insert("cf_payops_ref".into(), json!("inc-42"));
    custom.insert("cf_amount_minor".into(), json!(1250));
    custom.insert("cf_callback_requested".into(), json!(true));
    Ticket {
        id: 1,
        subject: "s".into(),
        description: "d".into(),
        status: 2,
        priority: 3,
        source: 2,
        ticket_type: Some("Problem".into()),
        requester_id: 1,
        responder_id: None,
        group_id: Some(43_000_000_001),
        company_id: None,
        product_id: None,
        tags: vec!["b2c".into(), "expired".into()],
        cc_emails: vec![],
        custom_fields: custom,
        due_by: at,
        fr_due_by: at,
        created_at: at,
        updated_at: at,
        notes: vec![],
    }
}

#[test]
fn queries_match_as_freshdesk_documents() {
    let cfg = FreshdeskConfig::default();
    let t = ticket();
    let cases = [
        (r#""cf_payops_ref:'inc-42'""#, true),
        (r#""cf_payops_ref:'inc-43'""#, false),
        (r#""cf_order_id:null""#, true),
        (r#""status:2 AND priority:3""#, true),
        (r#""status:3 OR priority:3""#, true),
        (r#""status:3 OR priority:4 AND status:2""#, false),
        (r#""(status:3 OR priority:3) AND tag:'b2c'""#, true),
        (r#""tag:'b2b'""#, false),
        (r#""type:'Problem' AND group_id:43000000001""#, true),
        (r#""created_at:>'2025-03-01' AND created_at:<'2025-03-01'""#, true),
        (r#""created_at:>'2025-03-02'""#, false),
        (r#""cf_amount_minor:>1000 AND cf_callback_requested:true""#, true),
        (r#""agent_id:null""#, true),
    ];
    for (q, want) in cases {
        let parsed = parse(q, &cfg).unwrap_or_else(|e| panic!("{q}: {e}"));
        assert_eq!(matches(&parsed, &t), want, "{q}");
    }
}

#[test]
fn malformed_queries_are_refused() {
    let cfg = FreshdeskConfig::default();
    for q in [
        "status:2",
        r#"'status:2'"#,
        r#""status:2 AND""#,
        r#""(status:2""#,
        r#""nosuchfield:1""#,
        r#""payops_ref:'inc-42'""#,
        r#""status:two""#,
        r#""cf_payops_ref:'open""#,
        r#""status 2""#,
    ] {
        assert!(parse(q, &cfg).is_err(), "{q}");
    }
    let long = format!("\"cf_payops_ref:'{}'\"", "x".repeat(600));
    assert!(parse(&long, &cfg).is_err());
}
