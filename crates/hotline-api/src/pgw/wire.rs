//! PGW wire structs (`crates/sandbox/openapi/pgw.yaml`) and their mapping to domain types:
//! amounts are decimal strings in CHF, times RFC 3339 with the Zurich offset, every error a
//! non-2xx answer with `{"error":{"code","message","fields"?}}`.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use kit::money::{Currency, Money};
use serde::Deserialize;

use crate::domain::payment::{Code, CodeState, Generation, Payment, PaymentStatus};

/// A transaction.
#[derive(Debug, Deserialize)]
pub struct TransactionWire {
    id: i64,
    twint_ref: String,
    timestamp: String,
    date: String,
    time: String,
    amount: String,
    currency: String,
    mobile: String,
    device_b_code: String,
    #[serde(default)]
    device_internal_id: String,
    #[serde(default)]
    sub_merchant: String,
    payment_method: String,
    status: String,
    code: Option<CodeWire>,
}

/// A code.
#[derive(Debug, Deserialize)]
pub struct CodeWire {
    code: String,
    valid_until: String,
    state: String,
    expired_on: Option<String>,
    issued_at: String,
    origin: String,
}

/// A search or day listing.
#[derive(Debug, Deserialize)]
pub struct ListWire {
    /// Matches.
    pub items: Vec<TransactionWire>,
    /// Day total (day listing only).
    #[serde(default)]
    pub total: Option<String>,
}

/// A generation.
#[derive(Debug, Deserialize)]
pub struct GenerationWire {
    generation_id: i64,
    transaction_id: Option<i64>,
    device_b_code: String,
    #[serde(default)]
    device_internal_id: String,
    amount: String,
    code: String,
    valid_until: String,
    generated_at: String,
}

/// The error body.
#[derive(Debug, Deserialize)]
pub struct ErrorWire {
    /// The error.
    pub error: ErrorBody,
}

/// Code and message of an error.
#[derive(Debug, Deserialize)]
pub struct ErrorBody {
    /// Machine code, e.g. `transaction_not_found`.
    pub code: String,
    /// Message.
    #[serde(default)]
    pub message: String,
}

fn time(field: &str, s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s).map(|t| t.to_utc()).map_err(|_| format!("{field}: not RFC 3339"))
}

/// A decimal CHF amount.
pub fn chf(field: &str, s: &str) -> Result<Money, String> {
    Money::parse_padded(s, Currency::CHF).map_err(|_| format!("{field}: not a CHF amount"))
}

impl CodeWire {
    fn into_domain(self) -> Result<Code, String> {
        let state = match self.state.as_str() {
            "valid" => CodeState::Valid,
            "expired" => CodeState::Expired,
            other => return Err(format!("code.state: unknown {other:?}")),
        };
        Ok(Code {
            code: self.code,
            valid_until: time("code.valid_until", &self.valid_until)?,
            state,
            expired_on: self.expired_on.as_deref().map(|t| time("code.expired_on", t)).transpose()?,
            issued_at: time("code.issued_at", &self.issued_at)?,
            origin: self.origin,
        })
    }
}

impl TransactionWire {
    /// The domain payment; an unknown status or state is an error, never a guess.
    pub fn into_domain(self) -> Result<Payment, String> {
        let status = match self.status.as_str() {
            "completed" => PaymentStatus::Completed,
            "failed" => PaymentStatus::Failed,
            "cancelled" => PaymentStatus::Cancelled,
            other => return Err(format!("status: unknown {other:?}")),
        };
        if self.currency != "CHF" {
            return Err(format!("currency: unexpected {:?}", self.currency));
        }
        Ok(Payment {
            transaction_id: self.id,
            twint_ref: self.twint_ref,
            paid_at: time("timestamp", &self.timestamp)?,
            local_date: NaiveDate::parse_from_str(&self.date, "%Y-%m-%d").map_err(|_| "date: not YYYY-MM-DD")?,
            local_time: NaiveTime::parse_from_str(&self.time, "%H:%M:%S").map_err(|_| "time: not HH:MM:SS")?,
            amount: chf("amount", &self.amount)?,
            device_b_code: self.device_b_code,
            device_internal_id: self.device_internal_id,
            mobile: self.mobile,
            sub_merchant: self.sub_merchant,
            payment_method: self.payment_method,
            status,
            code: self.code.map(CodeWire::into_domain).transpose()?,
        })
    }
}

impl GenerationWire {
    /// The domain generation for transaction `tx`.
    pub fn into_domain(self, tx: i64) -> Result<Generation, String> {
        if self.transaction_id.is_some_and(|t| t != tx) {
            return Err(format!("transaction_id: {:?}, expected {tx}", self.transaction_id));
        }
        Ok(Generation {
            generation_id: self.generation_id,
            transaction_id: tx,
            device_b_code: self.device_b_code,
            device_internal_id: self.device_internal_id,
            amount: chf("amount", &self.amount)?,
            code: self.code,
            valid_until: time("valid_until", &self.valid_until)?,
            generated_at: time("generated_at", &self.generated_at)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transaction_status_and_code_state_mapping_table() {
        let base = serde_json::json!({
            "id": 100001, "twint_ref": "6f9619ff-8b86-d011-b42d-00c04fc964ff",
            "timestamp": "2026-01-05T14:03:22+01:00", "date": "2026-01-05", "time": "14:03:22",
            "amount": "3.50", "currency": "CHF", "mobile": "+41791234567", "device_b_code": "b10234",
            "device_internal_id": "DEV-0017", "sub_merchant": "X", "payment_method": "TWINT", "status": "completed",
            "code": {"code": "123456", "valid_until": "2026-01-08T14:03:22+01:00", "state": "valid",
                     "expired_on": null, "issued_at": "2026-01-05T14:03:22+01:00", "origin": "purchase"},
            "codes_issued": 1
        });
        let p = serde_json::from_value::<TransactionWire>(base.clone()).unwrap().into_domain().unwrap();
        assert_eq!(p.amount, Money::new(350, Currency::CHF));
        assert_eq!(p.paid_at.to_rfc3339(), "2026-01-05T13:03:22+00:00");
        assert_eq!(p.code.unwrap().state, CodeState::Valid);
        for (field, value, ok) in [
            ("status", "failed", true),
            ("status", "cancelled", true),
            ("status", "refunded", false),
            ("amount", "3,50", false),
            ("currency", "EUR", false),
        ] {
            let mut v = base.clone();
            v[field] = value.into();
            let r = serde_json::from_value::<TransactionWire>(v).unwrap().into_domain();
            assert_eq!(r.is_ok(), ok, "{field}={value}");
        }
        let mut v = base;
        v["code"]["state"] = "revoked".into();
        assert!(serde_json::from_value::<TransactionWire>(v).unwrap().into_domain().is_err());
    }
}
