//! B2B — a property management calls ("Verwaltung suchen"): the request form with every
//! missing field listed at once (HL-22), the ticket (HL-23) and the pointer to the B2C process
//! for tenant-side problems (HL-24).

use chrono::{NaiveDate, NaiveTime};
use kit::grpc::status::Violations;
use kit::money::{Currency, Money};

use super::b2c::parse_time;
use super::contact::{is_email, normalize_mobile, parse_twint_ref};
use super::ticket::{Requester, TicketDraft, or_dash};

/// The problem types the form offers unless `B2B_PROBLEM_TYPES` says otherwise. The seed
/// names none — its form only requires one (`if (!f.problemtyp) errs.push('Problemtyp')`) and
/// writes it verbatim into subject and description — so this list is ours, not the seed's, and
/// any non-empty type is accepted; the last one is the tenant-side problem (HL-24).
pub const PROBLEM_TYPES: [&str; 7] = [
    "Abrechnung / Rechnung",
    "Auszahlung an Verwaltung",
    "Gerät defekt / ausser Betrieb",
    "Neues Gerät / Installation",
    "Vertrag / Konditionen",
    "Anderes",
    TENANT_PROBLEM,
];

/// The tenant-side problem type: handled by the B2C process, not as a B2B ticket.
pub const TENANT_PROBLEM: &str = "Mieter-Problem (Code, Zahlung)";

/// The problem types to offer: `configured` (or [`PROBLEM_TYPES`] when empty), with the
/// tenant-side type last so the page can point to the B2C process (HL-24).
pub fn offered(configured: &[String]) -> Vec<String> {
    let mut out: Vec<String> = if configured.is_empty() {
        PROBLEM_TYPES.iter().map(|s| (*s).to_owned()).collect()
    } else {
        configured.iter().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect()
    };
    out.retain(|t| !is_tenant_side(t));
    out.push(TENANT_PROBLEM.to_owned());
    out
}

/// Whether a problem type belongs to the tenant (B2C) process.
pub fn is_tenant_side(problem_type: &str) -> bool {
    problem_type.trim() == TENANT_PROBLEM
}

/// A property management as smallinvoice knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Management {
    /// Contact id.
    pub id: i64,
    /// Customer number.
    pub number: String,
    /// Name.
    pub name: String,
    /// E-mail.
    pub email: String,
}

/// The raw request form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct B2bInput {
    /// Selected management (0 = none).
    pub customer_id: i64,
    /// Building address.
    pub building_address: String,
    /// Payment day.
    pub payment_date: String,
    /// Payment time.
    pub payment_time: String,
    /// Amount: missing, or parsed (Err = why it is malformed).
    pub amount: Option<Result<Money, String>>,
    /// Tenant e-mail.
    pub tenant_email: String,
    /// Tenant mobile (contact and payment proof).
    pub tenant_mobile: String,
    /// TWINT reference.
    pub twint_ref: String,
    /// Problem type.
    pub problem_type: String,
    /// Landlord / contact person.
    pub landlord: String,
    /// Beneficiary / property.
    pub beneficiary: String,
    /// Details.
    pub details: String,
    /// Management e-mail override.
    pub management_email: String,
}

/// A validated B2B request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct B2bRequest {
    /// Selected management.
    pub customer_id: i64,
    /// Building address.
    pub building_address: String,
    /// Payment day.
    pub payment_date: NaiveDate,
    /// Payment time.
    pub payment_time: Option<NaiveTime>,
    /// Amount (CHF).
    pub amount: Money,
    /// Tenant e-mail.
    pub tenant_email: Option<String>,
    /// Tenant mobile (E.164).
    pub tenant_mobile: Option<String>,
    /// TWINT reference.
    pub twint_ref: Option<String>,
    /// Problem type.
    pub problem_type: String,
    /// Landlord.
    pub landlord: String,
    /// Beneficiary.
    pub beneficiary: String,
    /// Details.
    pub details: String,
    /// Management e-mail override.
    pub management_email: Option<String>,
}

fn opt(s: &str) -> Option<&str> {
    let t = s.trim();
    (!t.is_empty()).then_some(t)
}

fn text(v: &mut Violations, field: &str, value: &str, max: usize) -> String {
    let t = value.trim();
    if t.chars().count() > max {
        v.add(field, format!("höchstens {max} Zeichen"));
    }
    t.to_owned()
}

impl B2bRequest {
    /// Validates the form; every missing mandatory field and every malformed one is reported
    /// at once, with the portal's labels (HL-22).
    pub fn parse(i: &B2bInput) -> Result<B2bRequest, Violations> {
        let mut v = Violations::new();
        if i.customer_id <= 0 {
            v.add("customer_id", "Verwaltung (Kunde auswählen)");
        }
        let building_address = text(&mut v, "building_address", &i.building_address, 300);
        if building_address.is_empty() {
            v.add("building_address", "Adresse Gebäude");
        }
        let payment_date = match opt(&i.payment_date) {
            None => {
                v.add("payment_date", "Datum Zahlung");
                None
            }
            Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().or_else(|| {
                v.add("payment_date", "Datum Zahlung: Format JJJJ-MM-TT");
                None
            }),
        };
        let payment_time = opt(&i.payment_time).and_then(|s| {
            parse_time(s).or_else(|| {
                v.add("payment_time", "Uhrzeit: Format HH:MM");
                None
            })
        });
        let amount = match &i.amount {
            None => {
                v.add("amount", "Betrag (CHF)");
                None
            }
            Some(Err(reason)) => {
                v.add("amount", format!("Betrag (CHF): {reason}"));
                None
            }
            Some(Ok(m)) if m.currency() != Currency::CHF || m.minor() <= 0 => {
                v.add("amount", "Betrag (CHF): ein positiver Betrag in CHF");
                None
            }
            Some(Ok(m)) => Some(*m),
        };
        let tenant_email = opt(&i.tenant_email).and_then(|s| {
            is_email(s).then(|| s.to_owned()).or_else(|| {
                v.add("tenant_email", "E-Mail Mieter: keine gültige E-Mail-Adresse");
                None
            })
        });
        let tenant_mobile = opt(&i.tenant_mobile).and_then(|s| {
            normalize_mobile(s).or_else(|| {
                v.add("tenant_mobile", "Mobilnummer: keine gültige Mobilnummer");
                None
            })
        });
        let twint_ref = opt(&i.twint_ref).and_then(|s| {
            parse_twint_ref(s).or_else(|| {
                v.add("twint_ref", "TWINT-Ref: eine UUID aus der TWINT-App");
                None
            })
        });
        if opt(&i.tenant_email).is_none() && opt(&i.tenant_mobile).is_none() {
            v.add("tenant_email", "Email oder Mobilnummer Mieter");
        }
        if opt(&i.tenant_mobile).is_none() && opt(&i.twint_ref).is_none() {
            v.add("twint_ref", "Zahlungsnachweis (Mobilnummer oder TWINT-Ref)");
        }
        let problem_type = text(&mut v, "problem_type", &i.problem_type, 100);
        if problem_type.is_empty() {
            v.add("problem_type", "Problemtyp");
        }
        let management_email = opt(&i.management_email).and_then(|s| {
            is_email(s).then(|| s.to_owned()).or_else(|| {
                v.add("management_email", "E-Mail Verwaltung: keine gültige E-Mail-Adresse");
                None
            })
        });
        let landlord = text(&mut v, "landlord", &i.landlord, 200);
        let beneficiary = text(&mut v, "beneficiary", &i.beneficiary, 200);
        let details = text(&mut v, "details", &i.details, 4000);
        match (payment_date, amount) {
            (Some(payment_date), Some(amount)) if v.is_empty() => Ok(B2bRequest {
                customer_id: i.customer_id,
                building_address,
                payment_date,
                payment_time,
                amount,
                tenant_email,
                tenant_mobile,
                twint_ref,
                problem_type,
                landlord,
                beneficiary,
                details,
                management_email,
            }),
            _ => Err(v),
        }
    }
}

/// The B2B ticket (HL-23): subject "B2B – <management> – <problem type>"; the description
/// lists management, customer number, management e-mail, building, date/time, amount, tenant
/// contact, landlord, beneficiary, problem type and details; type Billing, priority 2, group
/// hotline, tags b2b and verwaltung. Requester: the management e-mail of the form, else the
/// tenant's e-mail, else the management's e-mail in smallinvoice, else the hotline address.
pub fn ticket(request_id: &str, order_id: &str, r: &B2bRequest, m: &Management, hotline_email: &str) -> TicketDraft {
    let management_email = r.management_email.clone().or_else(|| opt(&m.email).map(str::to_owned));
    let time = r.payment_time.map(|t| t.format("%H:%M").to_string()).unwrap_or_default();
    let number = if m.number.trim().is_empty() { m.id.to_string() } else { m.number.clone() };
    let lines = [
        "B2B Verwaltungs-Anfrage:".to_owned(),
        String::new(),
        format!("Verwaltung: {}", m.name),
        format!("Kundennummer: {number}"),
        format!("E-Mail Verwaltung: {}", or_dash(management_email.as_deref().unwrap_or(""))),
        String::new(),
        format!("Adresse Gebäude: {}", r.building_address),
        // As the seed writes it: the date field's value as entered (YYYY-MM-DD), then the time.
        format!("Datum / Uhrzeit: {} {}", r.payment_date.format("%Y-%m-%d"), time).trim_end().to_owned(),
        format!("Betrag: CHF {}", r.amount.amount_str()),
        String::new(),
        "Kontakt Mieter:".to_owned(),
        format!(" E-Mail Mieter: {}", or_dash(r.tenant_email.as_deref().unwrap_or(""))),
        format!(" Mobilnummer: {}", or_dash(r.tenant_mobile.as_deref().unwrap_or(""))),
        format!(" TWINT-Ref: {}", or_dash(r.twint_ref.as_deref().unwrap_or(""))),
        String::new(),
        format!("Vermieter / Ansprechpartner: {}", or_dash(&r.landlord)),
        format!("Begünstigter / Liegenschaft: {}", or_dash(&r.beneficiary)),
        String::new(),
        format!("Problemtyp: {}", r.problem_type),
        format!("Details: {}", or_dash(&r.details)),
    ];
    let requester = r
        .management_email
        .clone()
        .or_else(|| r.tenant_email.clone())
        .or_else(|| opt(&m.email).map(str::to_owned))
        .unwrap_or_else(|| hotline_email.to_owned());
    TicketDraft {
        request_id: request_id.to_owned(),
        order_id: order_id.to_owned(),
        subject: format!("B2B – {} – {}", m.name, r.problem_type),
        description: lines.join("\n"),
        requester: Requester::Email(requester),
        ticket_type: "Billing".into(),
        priority: 2,
        group: "hotline".into(),
        tags: vec!["b2b".into(), "verwaltung".into()],
    }
}

#[cfg(test)]
#[path = "b2b_tests.rs"]
mod tests;
