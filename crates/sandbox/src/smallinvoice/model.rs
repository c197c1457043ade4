//! smallinvoice state: API clients, tokens, contacts with their main address, invoices with
//! positions; and the value formats (money as JSON floats formatted exactly from integer Rappen,
//! `YYYY-MM-DD` dates and `YYYY-MM-DD HH:MM:SS` date-times). The JSON shapes are in `render`.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde_json::Value;

/// Every scope smallinvoice knows (§4.1).
pub const SCOPES: [&str; 15] = [
    "profile",
    "contact",
    "contact_reminder",
    "letter",
    "configuration",
    "catalog",
    "invoice",
    "offer",
    "delivery_note",
    "order_confirmation",
    "project",
    "cost_unit",
    "working_hours",
    "activity",
    "effort",
];

/// Invoice status codes (§4.3).
pub const STATUSES: [&str; 11] = ["DR", "S", "P", "PP", "R1", "R2", "R3", "R", "DC", "C", "D"];

/// An OAuth client created in the web app (Home → Users → API V2).
#[derive(Debug, Clone)]
pub struct ApiClient {
    /// Client secret.
    pub secret: String,
    /// Scopes the client may request.
    pub scopes: BTreeSet<String>,
}

/// An issued access token.
#[derive(Debug, Clone)]
pub struct Token {
    /// Owner.
    pub client_id: String,
    /// Granted scopes.
    pub scopes: BTreeSet<String>,
    /// End of life (sandbox clock).
    pub expires_at: DateTime<Utc>,
}

/// The account's hourly call budget (`X-Rate-Limit-*` on every answer, 429 when spent).
#[derive(Debug, Clone)]
pub struct RateBudget {
    /// Calls per period (the documentation's example: 1000).
    pub limit: u64,
    /// Calls made in the current period.
    pub used: u64,
    /// Start of the current period (sandbox clock).
    pub period_start: Option<DateTime<Utc>>,
}

impl Default for RateBudget {
    fn default() -> Self {
        RateBudget { limit: 1000, used: 0, period_start: None }
    }
}

/// Length of a rate-limit period in seconds (the documentation's example reset: 3600).
pub const RATE_PERIOD_SECS: i64 = 3600;

impl RateBudget {
    /// Takes one call at `now`: `Ok(remaining)` or `Err(())` when the budget is spent; and the
    /// seconds until the period resets.
    pub fn take(&mut self, now: DateTime<Utc>) -> (Result<u64, ()>, i64) {
        let start = match self.period_start {
            Some(s) if (now - s).num_seconds() < RATE_PERIOD_SECS => s,
            _ => {
                self.used = 0;
                self.period_start = Some(now);
                now
            }
        };
        let reset = (RATE_PERIOD_SECS - (now - start).num_seconds()).max(1);
        if self.used >= self.limit {
            return (Err(()), reset);
        }
        self.used += 1;
        (Ok(self.limit - self.used), reset)
    }
}

/// A postal address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// Address id.
    pub id: u64,
    /// Street.
    pub street: String,
    /// House number.
    pub street_no: String,
    /// Second line.
    pub street2: String,
    /// Postcode.
    pub postcode: String,
    /// City.
    pub city: String,
    /// ISO country.
    pub country: String,
}

/// A contact (a property management is a company contact).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// Id.
    pub id: u64,
    /// Customer number.
    pub number: String,
    /// `C` company or `P` private.
    pub kind: String,
    /// Name.
    pub name: String,
    /// Name addition.
    pub name_addition: String,
    /// E-mail.
    pub email: String,
    /// Phone.
    pub phone: String,
    /// Currency.
    pub currency: String,
    /// `de`, `fr`, `it`, `en`.
    pub language: String,
    /// Creation time (local wall clock, as smallinvoice shows it).
    pub created: NaiveDateTime,
    /// Main address.
    pub address: Address,
}

/// An invoice position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    /// Article number.
    pub number: String,
    /// Text.
    pub name: String,
    /// Unit price in Rappen.
    pub price_rappen: i64,
    /// Quantity in hundredths.
    pub quantity_centi: i64,
    /// VAT rate in tenths of a percent (81 = 8.1 %).
    pub vat_tenths: i64,
    /// Line total in Rappen.
    pub total_rappen: i64,
}

/// An invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invoice {
    /// Id.
    pub id: u64,
    /// Unique number.
    pub number: String,
    /// Contact.
    pub contact_id: u64,
    /// Invoice date.
    pub date: NaiveDate,
    /// Due date.
    pub due: NaiveDate,
    /// Currency.
    pub currency: String,
    /// Total in Rappen.
    pub total_rappen: i64,
    /// Paid so far in Rappen.
    pub paid_rappen: i64,
    /// Status code.
    pub status: String,
    /// Set when fully paid.
    pub paid_date: Option<NaiveDate>,
    /// Language.
    pub language: String,
    /// Whether prices include VAT.
    pub vat_included: bool,
    /// QR/ISR reference.
    pub isr_reference_number: String,
    /// Creation time.
    pub created: NaiveDateTime,
    /// Positions.
    pub positions: Vec<Position>,
}

/// Everything smallinvoice holds.
#[derive(Debug, Default)]
pub struct Data {
    /// Clients by id.
    pub clients: BTreeMap<String, ApiClient>,
    /// Access tokens by value.
    pub access: BTreeMap<String, Token>,
    /// The hourly call budget.
    pub rate: RateBudget,
    /// Answer fields left out of contacts and invoices (admin switch: the preflight's test of
    /// a field smallinvoice stopped sending).
    pub omitted: BTreeSet<String>,
    /// Contacts by id.
    pub contacts: BTreeMap<u64, Contact>,
    /// Invoices by id.
    pub invoices: BTreeMap<u64, Invoice>,
    /// Counter for ids and tokens.
    pub counter: u64,
}

impl Data {
    /// Next contact id (from 389 100 001).
    pub fn next_contact_id(&self) -> u64 {
        self.contacts.keys().next_back().map_or(389_100_001, |id| id + 1)
    }

    /// Next invoice id (from 791 700 001).
    pub fn next_invoice_id(&self) -> u64 {
        self.invoices.keys().next_back().map_or(791_700_001, |id| id + 1)
    }

    /// Next address id (from 846 800 001).
    pub fn next_address_id(&self) -> u64 {
        self.contacts.values().map(|c| c.address.id + 1).max().unwrap_or(846_800_001)
    }

    /// Next free invoice number (numeric, from 10000).
    pub fn next_invoice_number(&self) -> String {
        let max = self.invoices.values().filter_map(|i| i.number.parse::<u64>().ok()).max();
        max.map_or(10_000, |n| n + 1).to_string()
    }

    /// A fresh opaque token value.
    pub fn new_token(&mut self, seed: u64) -> String {
        self.counter += 1;
        let a = mix(seed ^ self.counter);
        let b = mix(a ^ 0x5851_F42D_4C95_7F2D);
        format!("{a:016x}{b:016x}{:016x}", mix(b))
    }
}

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Exact decimal text of `units / 10^scale`, e.g. (12345, 2) → `123.45`, (81, 1) → `8.1`.
fn decimal(units: i64, scale: u32) -> String {
    let p = 10i64.pow(scale);
    let sign = if units < 0 { "-" } else { "" };
    let a = units.unsigned_abs();
    let p = p.unsigned_abs();
    format!("{sign}{}.{:0width$}", a / p, a % p, width = scale as usize)
}

/// A JSON float holding exactly the decimal `units / 10^scale` (the partner sends floats; the
/// nearest double to the decimal prints back as that decimal).
pub fn float(units: i64, scale: u32) -> Value {
    decimal(units, scale).parse::<f64>().ok().and_then(serde_json::Number::from_f64).map_or(Value::Null, Value::Number)
}

/// Money in Rappen as a JSON float (`12345` → `123.45`).
pub fn money(rappen: i64) -> Value {
    float(rappen, 2)
}

/// Parses a JSON number with at most `scale` decimals into integer units (exact; no float math).
pub fn parse_decimal(v: &Value, scale: u32) -> Option<i64> {
    let text = match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        _ => return None,
    };
    let (neg, text) = match text.strip_prefix('-') {
        Some(t) => (true, t),
        None => (false, text.as_str()),
    };
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    let frac = frac.trim_end_matches('0');
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if frac.len() > scale as usize {
        return None;
    }
    let w: i64 = whole.parse().ok()?;
    let f: i64 = if frac.is_empty() { 0 } else { format!("{frac:0<width$}", width = scale as usize).parse().ok()? };
    let units = w.checked_mul(10i64.pow(scale))?.checked_add(f)?;
    Some(if neg { -units } else { units })
}

/// `YYYY-MM-DD HH:MM:SS`.
pub fn datetime(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// `YYYY-MM-DD`.
pub fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// Swiss QR/ISR-style 27-digit reference with a mod-10 recursive check digit.
pub fn isr_reference(invoice_number: &str) -> String {
    let digits: String = invoice_number.chars().filter(char::is_ascii_digit).collect();
    let body = format!("{digits:0>26}");
    let body = &body[body.len().saturating_sub(26)..];
    const TABLE: [u32; 10] = [0, 9, 4, 6, 8, 2, 7, 1, 3, 5];
    let mut carry = 0u32;
    for d in body.chars().filter_map(|c| c.to_digit(10)) {
        carry = TABLE[((carry + d) % 10) as usize];
    }
    format!("{body}{}", (10 - carry) % 10)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn money_is_a_float_that_prints_exactly() {
        for (rappen, text) in
            [(12345, "123.45"), (0, "0.0"), (100, "1.0"), (5, "0.05"), (107927, "1079.27"), (-250, "-2.5")]
        {
            assert_eq!(money(rappen).to_string(), text, "{rappen}");
        }
        assert_eq!(float(81, 1).to_string(), "8.1");
        assert_eq!(money(1_000_000_001).to_string(), "10000000.01");
    }

    #[test]
    fn decimals_parse_exactly_or_not_at_all() {
        for (v, scale, want) in [
            (json!(0.18), 2, Some(18)),
            (json!(200.0), 2, Some(20000)),
            (json!(7.7), 1, Some(77)),
            (json!("12.50"), 2, Some(1250)),
            (json!(1.005), 2, None),
            (json!(-3), 2, Some(-300)),
            (json!(true), 2, None),
            (json!("1e3"), 2, None),
        ] {
            assert_eq!(parse_decimal(&v, scale), want, "{v}");
        }
    }

    #[test]
    fn isr_reference_has_27_digits_and_a_check_digit() {
        // Published example: 21 00000 00003 13947 14300 0901 → check digit 7.
        assert_eq!(isr_reference("21000000000313947143000901"), "210000000003139471430009017");
        assert_eq!(isr_reference("10001").len(), 27);
    }
}
