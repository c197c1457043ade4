use chrono::NaiveDate;
use chrono_tz::Europe::Zurich;

use super::*;
use crate::domain::payment::tests::payment;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 5).unwrap()
}

fn input() -> LookupInput {
    LookupInput {
        device_b_code: "b10234".into(),
        payment_mobile: "079 123 45 67".into(),
        twint_ref: String::new(),
        payment_date: "2026-01-05".into(),
        payment_time: "14:00".into(),
        contact_email: "anna@example.ch".into(),
        contact_mobile: String::new(),
    }
}

fn fields(i: LookupInput) -> Vec<String> {
    match LookupForm::parse(&i, today()) {
        Ok(_) => vec![],
        Err(v) => v.items().iter().map(|(f, _)| f.clone()).collect(),
    }
}

#[test]
fn hl_10_every_missing_or_malformed_field_is_reported_at_once() {
    let empty = LookupInput::default();
    assert_eq!(
        fields(empty),
        ["device_b_code", "payment_mobile", "twint_ref", "payment_date", "contact_email", "contact_mobile"]
    );
    let cases: Vec<(LookupInput, Vec<&str>)> = vec![
        (input(), vec![]),
        (LookupInput { device_b_code: "10234".into(), ..input() }, vec!["device_b_code"]),
        (LookupInput { payment_mobile: String::new(), twint_ref: "not-a-uuid".into(), ..input() }, vec!["twint_ref"]),
        (
            LookupInput {
                payment_mobile: String::new(),
                twint_ref: "6f9619ff-8b86-d011-b42d-00c04fc964ff".into(),
                ..input()
            },
            vec![],
        ),
        (
            LookupInput { payment_date: "05.01.2026".into(), payment_time: "25:99".into(), ..input() },
            vec!["payment_date", "payment_time"],
        ),
        (LookupInput { payment_date: "2026-01-06".into(), ..input() }, vec!["payment_date"]),
        (
            LookupInput { contact_email: "anna(at)example".into(), contact_mobile: "12".into(), ..input() },
            vec!["contact_email", "contact_mobile"],
        ),
        (LookupInput { contact_email: String::new(), contact_mobile: "+41 76 445 56 67".into(), ..input() }, vec![]),
        (
            LookupInput {
                device_b_code: "x".into(),
                payment_mobile: "abc".into(),
                contact_email: "x".into(),
                ..input()
            },
            vec!["device_b_code", "payment_mobile", "contact_email"],
        ),
    ];
    for (i, want) in cases {
        assert_eq!(fields(i.clone()), want, "{i:?}");
    }
    let f = LookupForm::parse(&input(), today()).unwrap();
    assert_eq!(f.payment_mobile.as_deref(), Some("+41791234567"));
    assert_eq!(f.device_b_code, "b10234");
}

#[test]
fn hl_11_lookup_yields_found_expired_or_not_found_from_the_closest_completed_payment() {
    let form = LookupForm::parse(&input(), today()).unwrap();
    let valid = payment(1, "13:50:00", 350, PaymentStatus::Completed, Some(CodeState::Valid));
    let expired = payment(2, "08:00:00", 200, PaymentStatus::Completed, Some(CodeState::Expired));
    let failed = payment(3, "14:00:00", 200, PaymentStatus::Failed, None);

    let (o, n) = decide(&form, vec![expired.clone(), valid.clone(), failed.clone()]);
    assert_eq!((o.situation(), n), ("found", 2));
    assert_eq!(o.payment().unwrap().transaction_id, 1);

    let early = LookupForm { payment_time: NaiveTime::from_hms_opt(8, 5, 0), ..form.clone() };
    let (o, _) = decide(&early, vec![valid.clone(), expired.clone()]);
    assert_eq!((o.situation(), o.payment().unwrap().transaction_id), ("expired", 2));

    let no_time = LookupForm { payment_time: None, ..form.clone() };
    assert_eq!(decide(&no_time, vec![expired.clone(), valid.clone()]).0.payment().unwrap().transaction_id, 1);

    assert_eq!(decide(&form, vec![failed]).0, Outcome::NotFound { failed_payments: 1, unknown_status: vec![] });
    assert_eq!(decide(&form, vec![]), (Outcome::NotFound { failed_payments: 0, unknown_status: vec![] }, 0));
    assert_eq!(NOT_FOUND_CHECKLIST.len(), 5);
}

#[test]
fn hl_11_a_payment_of_unknown_status_neither_fails_the_lookup_nor_counts_as_paid() {
    let form = LookupForm::parse(&input(), today()).unwrap();
    let valid = payment(1, "13:50:00", 350, PaymentStatus::Completed, Some(CodeState::Valid));
    let mut odd = payment(4, "13:55:00", 350, PaymentStatus::Unknown, None);
    odd.pgw_status = "refunded".into();
    let (o, n) = decide(&form, vec![odd.clone(), valid]);
    assert_eq!((o.situation(), n, o.payment().unwrap().transaction_id), ("found", 1, 1), "the completed one wins");
    let (o, n) = decide(&form, vec![odd.clone()]);
    assert_eq!(n, 0);
    assert_eq!(o, Outcome::NotFound { failed_payments: 0, unknown_status: vec![odd] }, "listed for the agent");
}

#[test]
fn hl_12_refunds_are_possible_only_for_twint_and_done_by_hand_in_the_twint_portal() {
    let h = refund_hint("TWINT");
    assert!(h.possible);
    assert!(h.instructions.contains("manuell im TWINT-Portal"));
    assert!(h.instructions.contains("smarpay hat keinen direkten Zugang"));
    assert!(!refund_hint("Karte").possible);
}

#[test]
fn hl_14_b2c_ticket_rules_for_every_situation() {
    let form = LookupForm::parse(&input(), today()).unwrap();
    let valid = payment(100_005, "13:50:00", 350, PaymentStatus::Completed, Some(CodeState::Valid));
    let expired = payment(100_006, "13:50:00", 350, PaymentStatus::Completed, Some(CodeState::Expired));
    let cases = [
        (Outcome::Found { payment: valid.clone() }, "Waschküche", 2, "found", "Code gefunden"),
        (Outcome::Expired { payment: expired }, "Problem", 3, "expired", "Code abgelaufen"),
        (
            Outcome::NotFound { failed_payments: 0, unknown_status: vec![] },
            "Problem",
            2,
            "notfound",
            "Keine Transaktion gefunden",
        ),
    ];
    for (outcome, ty, prio, situation, label) in cases {
        let t = ticket("r1", "100005", &form, &outcome, None, "hotline@smarpay.eu", Zurich);
        assert_eq!(t.ticket_type, ty);
        assert_eq!(t.priority, prio);
        assert_eq!(t.tags, ["profioffice", "b2c", situation]);
        assert_eq!(t.subject, format!("Waschküche · Code-Problem – b10234 – {label}"));
        assert!(t.description.contains(&format!("PGW-Ergebnis: {label}")), "{}", t.description);
        assert!(t.description.contains(" Mobilfunknummer: –"));
        assert!(t.description.contains(" Mobilnummer Zahlung: +41791234567"));
        assert!(t.description.contains(" TWINT-Ref: –"));
        assert_eq!(t.requester, Requester::Email("anna@example.ch".into()));
        assert_eq!(t.group, "");
    }
    let t =
        ticket("r1", "100005", &form, &Outcome::Found { payment: valid.clone() }, None, "hotline@smarpay.eu", Zurich);
    let code = valid.code.as_ref().unwrap();
    assert!(t.description.contains(&format!(
        " Code: {} (gültig bis {})",
        code.code,
        local_minute(code.valid_until, Zurich)
    )));
    assert!(
        t.description.contains(" Transaktion: #100005 vom 05.01.2026 13:50:00 | CHF 3.50 | Gerät: b10234"),
        "{}",
        t.description
    );

    let phone_only = LookupForm { contact_email: None, contact_mobile: Some("+41764455667".into()), ..form.clone() };
    let t = ticket(
        "r1",
        "x",
        &phone_only,
        &Outcome::NotFound { failed_payments: 0, unknown_status: vec![] },
        None,
        "hotline@smarpay.eu",
        Zurich,
    );
    assert_eq!(t.requester, Requester::Phone { phone: "+41764455667".into(), name: "Mieter".into() });
    assert!(t.description.contains(" Mobilfunknummer: +41764455667"));
    assert!(!t.description.contains(" Code:"));
    assert!(!t.description.contains(" Transaktion:"));

    let none = LookupForm { contact_email: None, contact_mobile: None, ..form };
    let t = ticket(
        "r1",
        "x",
        &none,
        &Outcome::NotFound { failed_payments: 0, unknown_status: vec![] },
        None,
        "hotline@smarpay.eu",
        Zurich,
    );
    assert_eq!(t.requester, Requester::Email("hotline@smarpay.eu".into()));
}
