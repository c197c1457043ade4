//! PGW state: devices, transactions with their Canastra codes, code generations and API keys,
//! kept apart per environment (PROD and TEST are separate systems with separate keys). Pure
//! logic only — the caller passes the sandbox time in.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Europe::Zurich;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A PGW environment. The path segment is `prod` or `test`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Env {
    /// Production: the hotline queries this one; codes can be generated only here.
    Prod,
    /// Test system with its own keys and data.
    Test,
}

impl Env {
    /// Parses the path segment.
    pub fn parse(s: &str) -> Option<Env> {
        match s {
            "prod" => Some(Env::Prod),
            "test" => Some(Env::Test),
            _ => None,
        }
    }

    /// The path segment.
    pub fn name(self) -> &'static str {
        match self {
            Env::Prod => "prod",
            Env::Test => "test",
        }
    }
}

/// Status of a payment at a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum TxStatus {
    /// Paid; a code was issued.
    #[default]
    Completed,
    /// The payment failed; no code.
    Failed,
    /// The payer or the device aborted; no code.
    Cancelled,
}

/// A laundry-room device with its b-code sticker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    /// The b-code on the sticker, e.g. `b10234`.
    pub b_code: String,
    /// smarpay's internal device id.
    pub internal_id: String,
    /// The sub-merchant (property management / landlord) the device belongs to.
    pub sub_merchant: String,
    /// Where the device stands.
    pub location: String,
    /// How long a code issued at this device stays valid, in hours.
    pub code_validity_hours: u32,
}

/// One Canastra code issued for a transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeGrant {
    /// The code the tenant types in.
    pub code: String,
    /// End of validity (sandbox clock).
    pub valid_until: DateTime<Utc>,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
    /// `purchase` (issued with the payment) or `generated` (by a hotline admin).
    pub origin: String,
}

/// A payment at a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    /// PGW transaction number.
    pub id: u64,
    /// TWINT transaction number (order UUID) shown in the payer's app.
    pub twint_ref: Uuid,
    /// Device b-code.
    pub device: String,
    /// Paying mobile number, E.164.
    pub mobile: String,
    /// When it was paid.
    pub at: DateTime<Utc>,
    /// Amount in Rappen.
    pub amount_rappen: i64,
    /// `TWINT` for every device today.
    pub payment_method: String,
    /// Payment status.
    pub status: TxStatus,
    /// Codes issued, oldest first; the last one is current.
    pub codes: Vec<CodeGrant>,
}

/// One recorded code generation (`POST …/codes`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Generation {
    /// Generation id.
    pub id: u64,
    /// Environment (always PROD).
    pub env: Env,
    /// Transaction it was generated for (none for a device-level code).
    pub transaction_id: Option<u64>,
    /// Device b-code.
    pub device: String,
    /// Amount the code pays for, in Rappen.
    pub amount_rappen: i64,
    /// The new code.
    pub code: String,
    /// End of validity.
    pub valid_until: DateTime<Utc>,
    /// When it was generated.
    pub generated_at: DateTime<Utc>,
    /// `Idempotency-Key` sent with the request.
    pub idempotency_key: Option<String>,
    /// Who asked (free text from the request).
    pub requested_by: Option<String>,
    /// Why (free text from the request).
    pub reason: Option<String>,
}

/// The data of one environment.
#[derive(Debug, Default)]
pub struct EnvState {
    /// Valid API keys.
    pub api_keys: BTreeSet<String>,
    /// Devices by lower-case b-code.
    pub devices: BTreeMap<String, Device>,
    /// Transactions in arrival order.
    pub transactions: Vec<Transaction>,
    /// Code generations in order.
    pub generations: Vec<Generation>,
}

/// Search criteria; every given key must match.
#[derive(Debug, Clone, Default)]
pub struct Criteria {
    /// Paying mobile, E.164.
    pub mobile: Option<String>,
    /// TWINT transaction number.
    pub twint_ref: Option<Uuid>,
    /// Device b-code (lower case).
    pub device: Option<String>,
    /// Local day (Europe/Zurich).
    pub date: NaiveDate,
    /// Local time window, both ends inclusive.
    pub from: Option<NaiveTime>,
    /// See `from`.
    pub to: Option<NaiveTime>,
}

impl EnvState {
    /// Transactions matching `c`, oldest first.
    pub fn search(&self, c: &Criteria) -> Vec<&Transaction> {
        let mut out: Vec<&Transaction> = self
            .transactions
            .iter()
            .filter(|t| c.mobile.as_ref().is_none_or(|m| &t.mobile == m))
            .filter(|t| c.twint_ref.is_none_or(|r| t.twint_ref == r))
            .filter(|t| c.device.as_ref().is_none_or(|d| t.device.eq_ignore_ascii_case(d)))
            .filter(|t| {
                let local = t.at.with_timezone(&Zurich);
                local.date_naive() == c.date
                    && c.from.is_none_or(|f| local.time() >= f)
                    && c.to.is_none_or(|to| local.time() <= to)
            })
            .collect();
        out.sort_by_key(|t| (t.at, t.id));
        out
    }

    /// Completed transactions of one local day (Europe/Zurich), oldest first.
    pub fn day(&self, date: NaiveDate) -> Vec<&Transaction> {
        let c = Criteria { date, ..Criteria::default() };
        self.search(&c).into_iter().filter(|t| t.status == TxStatus::Completed).collect()
    }

    /// The transaction with PGW number `id`.
    pub fn transaction(&self, id: u64) -> Option<&Transaction> {
        self.transactions.iter().find(|t| t.id == id)
    }

    /// The device with b-code `b_code` (case-insensitive).
    pub fn device(&self, b_code: &str) -> Option<&Device> {
        self.devices.get(&b_code.to_ascii_lowercase())
    }
}

/// Whether a code is still usable at `now`.
pub fn is_valid(code: &CodeGrant, now: DateTime<Utc>) -> bool {
    now < code.valid_until
}

/// A deterministic six-digit code from the sandbox seed and a counter.
pub fn make_code(seed: u64, counter: u64) -> String {
    format!("{:06}", mix(seed ^ counter.wrapping_mul(0x9E37_79B9_7F4A_7C15)) % 1_000_000)
}

/// A deterministic UUID (v4 layout) from the sandbox seed and a counter.
pub fn make_uuid(seed: u64, counter: u64) -> Uuid {
    let hi = mix(seed.wrapping_add(counter.wrapping_mul(2)));
    let lo = mix(hi ^ counter.wrapping_add(0x5851_F42D_4C95_7F2D));
    uuid::Builder::from_random_bytes(((u128::from(hi) << 64) | u128::from(lo)).to_be_bytes()).into_uuid()
}

/// SplitMix64 finaliser: spreads a counter into well-mixed bits.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Rappen as `12.50`.
pub fn chf(rappen: i64) -> String {
    let sign = if rappen < 0 { "-" } else { "" };
    let a = rappen.unsigned_abs();
    format!("{sign}{}.{:02}", a / 100, a % 100)
}

/// Parses `12.50` / `12.5` / `12` into Rappen (at most two decimals, not negative).
pub fn parse_chf(s: &str) -> Option<i64> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || frac.len() > 2 {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let w: i64 = whole.parse().ok()?;
    let f: i64 = if frac.is_empty() { 0 } else { format!("{frac:0<2}").parse().ok()? };
    w.checked_mul(100)?.checked_add(f)
}

/// Normalises a Swiss or international mobile number to E.164 (`+41791234567`):
/// spaces, dashes, dots, slashes and brackets are dropped, `00` becomes `+`, a leading single
/// `0` is Swiss (`+41`).
pub fn normalize_mobile(raw: &str) -> Option<String> {
    let s: String = raw.chars().filter(|c| !matches!(c, ' ' | '-' | '.' | '/' | '(' | ')')).collect();
    let digits = if let Some(rest) = s.strip_prefix('+') {
        rest.to_owned()
    } else if let Some(rest) = s.strip_prefix("00") {
        rest.to_owned()
    } else if let Some(rest) = s.strip_prefix('0') {
        format!("41{rest}")
    } else {
        return None;
    };
    if (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0') {
        Some(format!("+{digits}"))
    } else {
        None
    }
}

/// Whether `s` looks like a b-code: `b` then 1 to 20 letters or digits.
pub fn is_b_code(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some('b' | 'B')) && (2..=21).contains(&s.len()) && chars.all(|c| c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobile_numbers_normalise_to_e164() {
        for (raw, want) in [
            ("+41 79 123 45 67", Some("+41791234567")),
            ("079 123 45 67", Some("+41791234567")),
            ("0041791234567", Some("+41791234567")),
            ("+49-151-2345678", Some("+491512345678")),
            ("791234567", None),
            ("+41 79 12x 45 67", None),
            ("", None),
            ("+0", None),
        ] {
            assert_eq!(normalize_mobile(raw).as_deref(), want, "{raw}");
        }
    }

    #[test]
    fn b_codes_start_with_b() {
        for (s, ok) in [("b10234", true), ("B7", true), ("b", false), ("10234", false), ("b12-3", false)] {
            assert_eq!(is_b_code(s), ok, "{s}");
        }
    }

    #[test]
    fn francs_format_and_parse_exactly() {
        for (r, s) in [(0, "0.00"), (5, "0.05"), (350, "3.50"), (12345, "123.45"), (-250, "-2.50")] {
            assert_eq!(chf(r), s);
        }
        for (s, r) in [("3.50", Some(350)), ("3.5", Some(350)), ("3", Some(300)), ("3.555", None), ("-1", None)] {
            assert_eq!(parse_chf(s), r, "{s}");
        }
        assert_eq!(parse_chf("x"), None);
        assert_eq!(parse_chf(".5"), None);
    }

    #[test]
    fn generated_values_are_deterministic() {
        assert_eq!(make_code(42, 1), make_code(42, 1));
        assert_ne!(make_code(42, 1), make_code(42, 2));
        assert_eq!(make_code(42, 7).len(), 6);
        assert_eq!(make_uuid(1, 2), make_uuid(1, 2));
        assert_eq!(make_uuid(1, 2).get_version_num(), 4);
    }
}
