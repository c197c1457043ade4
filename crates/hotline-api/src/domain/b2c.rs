//! B2C — a tenant's code problem ("Profioffice Anfrage", "Waschküche · Code-Problem"):
//! the form and its validation (HL-10), the four outcomes of a lookup (HL-11), the refund hint
//! (HL-12) and the B2C ticket (HL-14).

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use kit::grpc::status::Violations;
use serde::{Deserialize, Serialize};

use super::contact::{is_email, normalize_mobile, parse_b_code, parse_twint_ref};
use super::payment::{CodeState, Payment, PaymentStatus, status_label};
use super::ticket::{Requester, TicketDraft, or_dash};

/// The raw B2C form, as typed (missing fields are empty).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LookupInput {
    /// Device b-code.
    pub device_b_code: String,
    /// Paying mobile.
    pub payment_mobile: String,
    /// TWINT transaction number.
    pub twint_ref: String,
    /// Local payment day.
    pub payment_date: String,
    /// Local payment time (optional).
    pub payment_time: String,
    /// Tenant e-mail.
    pub contact_email: String,
    /// Tenant mobile.
    pub contact_mobile: String,
}

/// A validated B2C form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LookupForm {
    /// Device b-code (lower case).
    pub device_b_code: String,
    /// Paying mobile (E.164).
    pub payment_mobile: Option<String>,
    /// TWINT transaction number.
    pub twint_ref: Option<String>,
    /// Local payment day.
    pub payment_date: NaiveDate,
    /// Local payment time.
    pub payment_time: Option<NaiveTime>,
    /// Tenant e-mail.
    pub contact_email: Option<String>,
    /// Tenant mobile (E.164).
    pub contact_mobile: Option<String>,
}

fn opt(s: &str) -> Option<&str> {
    let t = s.trim();
    (!t.is_empty()).then_some(t)
}

/// Parses `HH:MM` or `HH:MM:SS`.
pub fn parse_time(s: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(s, "%H:%M").or_else(|_| NaiveTime::parse_from_str(s, "%H:%M:%S")).ok()
}

impl LookupForm {
    /// Validates every field and reports every problem at once, by field (HL-10). `today` is
    /// the local day now: payments cannot lie in the future.
    pub fn parse(input: &LookupInput, today: NaiveDate) -> Result<LookupForm, Violations> {
        let mut v = Violations::new();
        let device = match opt(&input.device_b_code) {
            None => {
                v.add("device_b_code", "Pflichtfeld: b-Code vom Aufkleber am Gerät");
                None
            }
            Some(s) => parse_b_code(s).or_else(|| {
                v.add("device_b_code", "b-Code beginnt mit «b», gefolgt von Buchstaben oder Ziffern");
                None
            }),
        };
        let payment_mobile = opt(&input.payment_mobile).and_then(|s| {
            normalize_mobile(s).or_else(|| {
                v.add("payment_mobile", "keine gültige Mobilnummer (z. B. 079 123 45 67)");
                None
            })
        });
        let twint_ref = opt(&input.twint_ref).and_then(|s| {
            parse_twint_ref(s).or_else(|| {
                v.add("twint_ref", "TWINT Transaktions-Nr. ist eine UUID (TWINT-App: Aktivitäten → Zahlung)");
                None
            })
        });
        if opt(&input.payment_mobile).is_none() && opt(&input.twint_ref).is_none() {
            v.add("payment_mobile", "Zahlungsnachweis: Mobilnummer oder TWINT Transaktions-Nr. angeben");
            v.add("twint_ref", "Zahlungsnachweis: Mobilnummer oder TWINT Transaktions-Nr. angeben");
        }
        let payment_date = match opt(&input.payment_date) {
            None => {
                v.add("payment_date", "Pflichtfeld: Zahlungsdatum");
                None
            }
            Some(s) => match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
                Ok(d) if d > today => {
                    v.add("payment_date", "Zahlungsdatum liegt in der Zukunft");
                    None
                }
                Ok(d) => Some(d),
                Err(_) => {
                    v.add("payment_date", "Datum im Format JJJJ-MM-TT");
                    None
                }
            },
        };
        let payment_time = opt(&input.payment_time).and_then(|s| {
            parse_time(s).or_else(|| {
                v.add("payment_time", "Uhrzeit im Format HH:MM");
                None
            })
        });
        let contact_email = opt(&input.contact_email).and_then(|s| {
            if is_email(s) {
                Some(s.to_owned())
            } else {
                v.add("contact_email", "keine gültige E-Mail-Adresse");
                None
            }
        });
        let contact_mobile = opt(&input.contact_mobile).and_then(|s| {
            normalize_mobile(s).or_else(|| {
                v.add("contact_mobile", "keine gültige Mobilnummer (z. B. 079 123 45 67)");
                None
            })
        });
        if opt(&input.contact_email).is_none() && opt(&input.contact_mobile).is_none() {
            v.add("contact_email", "Kontakt Mieter: E-Mail oder Mobilnummer angeben (mindestens eines)");
            v.add("contact_mobile", "Kontakt Mieter: E-Mail oder Mobilnummer angeben (mindestens eines)");
        }
        match (device, payment_date) {
            (Some(device_b_code), Some(payment_date)) if v.is_empty() => Ok(LookupForm {
                device_b_code,
                payment_mobile,
                twint_ref,
                payment_date,
                payment_time,
                contact_email,
                contact_mobile,
            }),
            _ => Err(v),
        }
    }
}

/// The outcome of a lookup (HL-11). A PGW failure is not an outcome: it is an error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// A valid code.
    Found {
        /// The payment.
        payment: Payment,
    },
    /// The code expired.
    Expired {
        /// The payment.
        payment: Payment,
    },
    /// No completed payment.
    NotFound {
        /// Payments that matched but failed or were cancelled.
        failed_payments: u32,
        /// Payments that matched with a status PGW did not name to us: the agent checks them
        /// in PGW before telling the tenant nothing was paid.
        #[serde(default)]
        unknown_status: Vec<Payment>,
    },
}

impl Outcome {
    /// `found`, `expired` or `notfound` — the situation tag of the ticket.
    pub fn situation(&self) -> &'static str {
        match self {
            Outcome::Found { .. } => "found",
            Outcome::Expired { .. } => "expired",
            Outcome::NotFound { .. } => "notfound",
        }
    }

    /// The payment, when one was found.
    pub fn payment(&self) -> Option<&Payment> {
        match self {
            Outcome::Found { payment } | Outcome::Expired { payment } => Some(payment),
            Outcome::NotFound { .. } => None,
        }
    }

    /// The German label.
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Found { .. } => status_label(Some(CodeState::Valid)),
            Outcome::Expired { .. } => status_label(Some(CodeState::Expired)),
            Outcome::NotFound { .. } => status_label(None),
        }
    }
}

/// Picks the outcome from PGW's matches: the completed payment closest to the given time
/// (the latest when no time was given); found when its code is valid, else expired. Without a
/// completed one it is "not found", with the failed ones counted and the ones of an unknown
/// status listed. Returns the outcome and the number of completed matches.
pub fn decide(form: &LookupForm, matches: Vec<Payment>) -> (Outcome, u32) {
    let failed =
        matches.iter().filter(|p| matches!(p.status, PaymentStatus::Failed | PaymentStatus::Cancelled)).count();
    let (unknown_status, matches): (Vec<Payment>, Vec<Payment>) =
        matches.into_iter().partition(|p| p.status == PaymentStatus::Unknown);
    let mut completed: Vec<Payment> =
        matches.into_iter().filter(|p| p.status == PaymentStatus::Completed && p.code.is_some()).collect();
    let count = u32::try_from(completed.len()).unwrap_or(u32::MAX);
    completed.sort_by_key(|p| match form.payment_time {
        Some(t) => ((p.local_time - t).num_seconds().abs(), -p.paid_at.timestamp()),
        None => (0, -p.paid_at.timestamp()),
    });
    let outcome = match completed.into_iter().next() {
        Some(p) if p.code.as_ref().is_some_and(|c| c.state == CodeState::Valid) => Outcome::Found { payment: p },
        Some(p) => Outcome::Expired { payment: p },
        None => Outcome::NotFound { failed_payments: u32::try_from(failed).unwrap_or(u32::MAX), unknown_status },
    };
    (outcome, count)
}

/// What to check with the tenant when nothing was found (HL-11).
pub const NOT_FOUND_CHECKLIST: [&str; 5] = [
    "Mobilnummer nochmals beim Mieter bestätigen",
    "b-Code vom Aufkleber am Gerät kontrollieren (beginnt mit «b»)",
    "TWINT Transaktions-Nr. anfordern (UUID aus TWINT-App)",
    "Zahlungsdatum und Uhrzeit prüfen",
    "War es tatsächlich ein smarpay-Gerät?",
];

/// How a refund works for a payment (HL-12).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundHint {
    /// Only TWINT payments can be refunded.
    pub possible: bool,
    /// What to tell the tenant.
    pub instructions: &'static str,
}

/// The refund hint for a payment method: TWINT refunds are done by hand in the TWINT portal.
pub fn refund_hint(payment_method: &str) -> RefundHint {
    if payment_method.eq_ignore_ascii_case("twint") {
        RefundHint {
            possible: true,
            instructions: "Rückerstattung nur bei TWINT-Zahlung möglich. Muss manuell im TWINT-Portal durchgeführt werden — smarpay hat keinen direkten Zugang.",
        }
    } else {
        RefundHint {
            possible: false,
            instructions: "Rückerstattung nur bei TWINT-Zahlung möglich — diese Zahlung wurde nicht mit TWINT bezahlt.",
        }
    }
}

/// A code an admin generated after the lookup (HL-13): the B2C ticket written afterwards
/// reports it instead of the expired one the lookup saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCode {
    /// The new code.
    pub code: String,
    /// End of its validity.
    pub valid_until: DateTime<Utc>,
}

/// The PGW result of an expired code that was replaced, as the ticket says it.
pub const NEW_CODE_LABEL: &str = "Code abgelaufen – neuer Code generiert";

/// A German local date-time `05.01.2026 14:03`.
pub fn local_minute(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%d.%m.%Y %H:%M").to_string()
}

/// The B2C ticket (HL-14): subject, description listing contact mobile, paying mobile, TWINT
/// ref, the PGW result, the code with its validity and the transaction; requester e-mail =
/// tenant e-mail, else contact mobile, else the hotline's own address; type "Waschküche" when
/// a code was found, else "Problem"; priority 3 when expired, else 2; tags profioffice, b2c and
/// the situation.
pub fn ticket(
    request_id: &str,
    order_id: &str,
    form: &LookupForm,
    outcome: &Outcome,
    new_code: Option<&NewCode>,
    hotline_email: &str,
    tz: Tz,
) -> TicketDraft {
    let situation = outcome.situation();
    let label = match (outcome, new_code) {
        (Outcome::Expired { .. }, Some(_)) => NEW_CODE_LABEL,
        _ => outcome.label(),
    };
    let time = form.payment_time.map(|t| t.format("%H:%M").to_string()).unwrap_or_default();
    let mut lines = vec![
        "Profioffice Anfrage (B2C) – Waschküche · Code-Problem".to_owned(),
        String::new(),
        format!("Gerät (b-Code): {}", form.device_b_code),
        format!("Datum / Uhrzeit Zahlung: {} {}", form.payment_date.format("%d.%m.%Y"), or_dash(&time)),
        String::new(),
        "Kontakt Mieter:".to_owned(),
        format!(" E-Mail: {}", or_dash(form.contact_email.as_deref().unwrap_or(""))),
        format!(" Mobilfunknummer: {}", or_dash(form.contact_mobile.as_deref().unwrap_or(""))),
        format!(" Mobilnummer Zahlung: {}", or_dash(form.payment_mobile.as_deref().unwrap_or(""))),
        format!(" TWINT-Ref: {}", or_dash(form.twint_ref.as_deref().unwrap_or(""))),
        String::new(),
        format!("PGW-Ergebnis: {label}"),
    ];
    if let Some(p) = outcome.payment() {
        match (&p.code, new_code) {
            (Some(old), Some(new)) => {
                lines.push(format!(" Code: {} (gültig bis {})", new.code, local_minute(new.valid_until, tz)));
                let expired = old.expired_on.unwrap_or(old.valid_until);
                lines.push(format!(" Abgelaufener Code: {} (abgelaufen am {})", old.code, local_minute(expired, tz)));
            }
            (Some(c), None) => {
                lines.push(format!(" Code: {} (gültig bis {})", c.code, local_minute(c.valid_until, tz)));
            }
            (None, _) => {}
        }
        lines.push(format!(
            " Transaktion: #{} vom {} {} | CHF {} | Gerät: {}",
            p.transaction_id,
            p.local_date.format("%d.%m.%Y"),
            p.local_time.format("%H:%M:%S"),
            p.amount.amount_str(),
            p.device_b_code
        ));
    }
    let requester = match (&form.contact_email, &form.contact_mobile) {
        (Some(email), _) => Requester::Email(email.clone()),
        (None, Some(mobile)) => Requester::Phone { phone: mobile.clone(), name: "Mieter".into() },
        (None, None) => Requester::Email(hotline_email.to_owned()),
    };
    TicketDraft {
        request_id: request_id.to_owned(),
        order_id: order_id.to_owned(),
        subject: format!("Waschküche · Code-Problem – {} – {label}", form.device_b_code),
        description: lines.join("\n"),
        requester,
        ticket_type: if situation == "found" { "Waschküche" } else { "Problem" }.to_owned(),
        priority: if situation == "expired" { 3 } else { 2 },
        group: String::new(),
        tags: vec!["profioffice".into(), "b2c".into(), situation.into()],
    }
}

#[cfg(test)]
#[path = "b2c_tests.rs"]
mod tests;
