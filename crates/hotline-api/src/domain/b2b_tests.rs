use super::*;

fn input() -> B2bInput {
    B2bInput {
        customer_id: 7,
        building_address: "Hardstrasse 12, 8005 Zürich".into(),
        payment_date: "2026-01-05".into(),
        payment_time: "14:30".into(),
        amount: Some(Ok(Money::new(350, Currency::CHF))),
        tenant_email: "anna@example.ch".into(),
        tenant_mobile: String::new(),
        twint_ref: "6f9619ff-8b86-d011-b42d-00c04fc964ff".into(),
        problem_type: "Abrechnung / Rechnung".into(),
        landlord: String::new(),
        beneficiary: "Liegenschaft Hardstrasse".into(),
        details: "Doppelt belastet".into(),
        management_email: String::new(),
    }
}

fn reasons(i: &B2bInput) -> Vec<(String, String)> {
    B2bRequest::parse(i).err().map(|v| v.items().to_vec()).unwrap_or_default()
}

#[test]
fn hl_22_all_missing_mandatory_fields_are_listed_at_once_with_the_portal_labels() {
    let got = reasons(&B2bInput::default());
    let want = [
        ("customer_id", "Verwaltung (Kunde auswählen)"),
        ("building_address", "Adresse Gebäude"),
        ("payment_date", "Datum Zahlung"),
        ("amount", "Betrag (CHF)"),
        ("tenant_email", "Email oder Mobilnummer Mieter"),
        ("twint_ref", "Zahlungsnachweis (Mobilnummer oder TWINT-Ref)"),
        ("problem_type", "Problemtyp"),
    ];
    assert_eq!(got, want.map(|(f, r)| (f.to_owned(), r.to_owned())));
    assert!(reasons(&input()).is_empty());
    // The tenant's mobile is both a contact and a payment proof; optional fields may stay empty.
    let mobile_only = B2bInput {
        tenant_email: String::new(),
        twint_ref: String::new(),
        tenant_mobile: "079 123 45 67".into(),
        beneficiary: String::new(),
        details: String::new(),
        payment_time: String::new(),
        ..input()
    };
    assert!(reasons(&mobile_only).is_empty());
    let malformed = B2bInput {
        amount: Some(Ok(Money::new(-5, Currency::CHF))),
        payment_date: "gestern".into(),
        tenant_email: "x".into(),
        ..input()
    };
    let fields: Vec<String> = reasons(&malformed).into_iter().map(|(f, _)| f).collect();
    assert_eq!(fields, ["payment_date", "amount", "tenant_email"]);
}

#[test]
fn hl_23_b2b_ticket_has_the_exact_subject_description_type_priority_group_and_tags() {
    let r = B2bRequest::parse(&input()).unwrap();
    let m = Management {
        id: 7,
        number: "1002".into(),
        name: "Wohnbau Zürich AG".into(),
        email: "verwaltung@wohnbau-zh.ch".into(),
    };
    let t = ticket("req-1", "hl-req-1", &r, &m, "hotline@smarpay.eu");
    assert_eq!(t.subject, "B2B – Wohnbau Zürich AG – Abrechnung / Rechnung");
    assert_eq!((t.ticket_type.as_str(), t.priority, t.group.as_str()), ("Billing", 2, "hotline"));
    assert_eq!(t.tags, ["b2b", "verwaltung"]);
    assert_eq!(
        t.description,
        "B2B Verwaltungs-Anfrage:\n\nVerwaltung: Wohnbau Zürich AG\nKundennummer: 1002\nE-Mail Verwaltung: verwaltung@wohnbau-zh.ch\n\n\
         Adresse Gebäude: Hardstrasse 12, 8005 Zürich\nDatum / Uhrzeit: 2026-01-05 14:30\nBetrag: CHF 3.50\n\n\
         Kontakt Mieter:\n E-Mail Mieter: anna@example.ch\n Mobilnummer: –\n TWINT-Ref: 6f9619ff-8b86-d011-b42d-00c04fc964ff\n\n\
         Vermieter / Ansprechpartner: –\nBegünstigter / Liegenschaft: Liegenschaft Hardstrasse\n\n\
         Problemtyp: Abrechnung / Rechnung\nDetails: Doppelt belastet"
    );
    assert_eq!(t.requester, Requester::Email("anna@example.ch".into()));
    let override_mail = B2bRequest { management_email: Some("chef@wohnbau-zh.ch".into()), ..r.clone() };
    let t = ticket("req-1", "hl-req-1", &override_mail, &m, "hotline@smarpay.eu");
    assert_eq!(t.requester, Requester::Email("chef@wohnbau-zh.ch".into()));
    assert!(t.description.contains("E-Mail Verwaltung: chef@wohnbau-zh.ch"));
    let no_mail = B2bRequest { tenant_email: None, tenant_mobile: Some("+41791234567".into()), ..r };
    let bare = Management { email: String::new(), number: String::new(), ..m };
    let t = ticket("req-1", "hl-req-1", &no_mail, &bare, "hotline@smarpay.eu");
    assert_eq!(t.requester, Requester::Email("hotline@smarpay.eu".into()));
    assert!(t.description.contains("Kundennummer: 7"));
}

#[test]
fn hl_24_tenant_side_problems_belong_to_the_b2c_process() {
    assert!(is_tenant_side(TENANT_PROBLEM));
    assert_eq!(PROBLEM_TYPES.iter().filter(|p| is_tenant_side(p)).count(), 1);
    assert!(!is_tenant_side("Abrechnung / Rechnung"));
}
