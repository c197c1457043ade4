//! smallinvoice demo data (SB-08): an API client with every scope, six property managements
//! (companies with number, e-mail, phone and address) and invoices in assorted statuses with
//! fixed dates, so the demo is the same on every start.

use chrono::{Days, NaiveDate};

use super::admin::{SiAddress, SiClient, SiContact, SiInvoice, insert_client, insert_contact, insert_invoice};
use super::model::SCOPES;
use crate::shared::Shared;

/// Demo `client_id`.
pub const CLIENT_ID: &str = "payops-demo";
/// Demo `client_secret`.
pub const CLIENT_SECRET: &str = "payops-demo-secret";

const MANAGEMENTS: [(&str, &str, &str, &str, &str, &str, &str); 6] = [
    ("Immobilien Verwaltung Meier AG", "info@meier-immo.ch", "044 123 45 67", "Bahnhofstrasse", "10", "8001", "Zürich"),
    ("Wohnbau Zürich AG", "verwaltung@wohnbau-zh.ch", "044 555 10 20", "Hardstrasse", "12", "8005", "Zürich"),
    ("Immo Verwaltung Bern GmbH", "kontakt@immo-bern.ch", "031 300 40 50", "Länggassstrasse", "8", "3012", "Bern"),
    ("Régie du Lac SA", "gestion@regie-du-lac.ch", "022 700 80 90", "Rue du Lac", "3", "1207", "Genève"),
    ("Siedlungsgenossenschaft Limmat", "info@sg-limmat.ch", "044 444 33 22", "Limmatstrasse", "210", "8005", "Zürich"),
    (
        "Hausverwaltung Schneider & Partner",
        "office@schneider-partner.ch",
        "061 222 11 00",
        "Steinenvorstadt",
        "5",
        "4051",
        "Basel",
    ),
];

/// (status, total Rappen, paid Rappen) cycled over the invoices.
const INVOICES: [(&str, i64, i64); 11] = [
    ("S", 48_000, 0),
    ("P", 32_550, 32_550),
    ("PP", 125_000, 50_000),
    ("R1", 18_990, 0),
    ("R2", 64_500, 0),
    ("DR", 9_900, 0),
    ("C", 22_000, 0),
    ("R3", 15_075, 0),
    ("DC", 88_000, 0),
    ("D", 5_000, 0),
    ("R", 41_230, 0),
];

/// Loads the demo data.
pub fn load(shared: &Shared) {
    let mut d = Shared::lock(&shared.0.smallinvoice);
    let client = SiClient {
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        scopes: SCOPES.iter().map(|s| (*s).to_owned()).collect(),
    };
    let _ = insert_client(&mut d, client);
    let Some(start) = NaiveDate::from_ymd_opt(2025, 1, 6) else { return };
    let created = start.and_hms_opt(9, 0, 0).unwrap_or_default();
    let mut n = 0usize;
    for (k, (name, email, phone, street, no, postcode, city)) in MANAGEMENTS.into_iter().enumerate() {
        let contact = SiContact {
            id: None,
            number: Some((1001 + k).to_string()),
            name: name.into(),
            kind: None,
            name_addition: String::new(),
            email: email.into(),
            phone: phone.into(),
            language: Some(if city == "Genève" { "fr" } else { "de" }.into()),
            currency: None,
            created: Some(created),
            address: SiAddress {
                street: street.into(),
                street_no: no.into(),
                street2: String::new(),
                postcode: postcode.into(),
                city: city.into(),
                country: None,
            },
        };
        let Ok(contact_id) = insert_contact(&mut d, contact, created) else { continue };
        for _ in 0..(2 + k % 3) {
            let (status, total, paid) = INVOICES[n % INVOICES.len()];
            let Some(date) = start.checked_add_days(Days::new(9 * n as u64)) else { continue };
            let Some(due) = date.checked_add_days(Days::new(30)) else { continue };
            let invoice = SiInvoice {
                id: None,
                number: None,
                contact_id,
                date,
                due,
                total_rappen: total,
                total_paid_rappen: paid,
                status: Some(status.into()),
                paid_date: (status == "P").then(|| due.checked_sub_days(Days::new(5)).unwrap_or(due)),
                currency: None,
                language: None,
                positions: Vec::new(),
            };
            let _ = insert_invoice(&mut d, invoice, date.and_hms_opt(10, 0, 0).unwrap_or_default());
            n += 1;
        }
    }
}
