//! PGW answers read fail-closed (`kit::contract`, CT-05), as the cases under
//! `crates/sandbox/contracts/pgw/` show them (our own contract, `crates/sandbox/openapi/pgw.yaml`:
//! PGW publishes nothing). Amounts are decimal CHF, times RFC 3339 with the Zurich offset,
//! errors `{"error":{"code","message"}}`.
//!
//! A status outside our contract (`completed`, `failed`, `cancelled`) marks that one payment
//! unknown — counted as a contract violation, never taken as success or failure — so one odd
//! row does not fail a whole lookup or day (a missing or mistyped status still does).

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use kit::contract::{ContractError, Json, Problem};
use kit::money::{Currency, Money};

use crate::domain::payment::{Code, CodeState, Generation, Payment, PaymentStatus};

fn time(j: &Json<'_>, p: &str) -> Result<DateTime<Utc>, ContractError> {
    DateTime::parse_from_rfc3339(j.text(p)?)
        .map(|t| t.to_utc())
        .map_err(|_| j.error(p, Problem::Invalid("an RFC 3339 time".into())))
}

fn chf(j: &Json<'_>, p: &str) -> Result<Money, ContractError> {
    Ok(Money::new(j.minor(p, 2)?, Currency::CHF))
}

fn opt_text(j: &Json<'_>, p: &str) -> Result<String, ContractError> {
    Ok(j.opt_str(p)?.unwrap_or_default().to_owned())
}

fn code(j: &Json<'_>) -> Result<Code, ContractError> {
    let state = match j.text("state")? {
        "valid" => CodeState::Valid,
        "expired" => CodeState::Expired,
        _ => return Err(j.error("state", Problem::Invalid("valid or expired".into()))),
    };
    let expired_on = match j.get("expired_on") {
        None => None,
        Some(_) => Some(time(j, "expired_on")?),
    };
    Ok(Code {
        code: j.text("code")?.to_owned(),
        valid_until: time(j, "valid_until")?,
        state,
        expired_on,
        issued_at: time(j, "issued_at")?,
        origin: j.str("origin")?.to_owned(),
    })
}

/// One transaction. A completed payment must carry its code; others may.
pub fn payment(j: &Json<'_>) -> Result<Payment, ContractError> {
    let pgw_status = j.text("status")?.to_owned();
    let status = match pgw_status.as_str() {
        "completed" => PaymentStatus::Completed,
        "failed" => PaymentStatus::Failed,
        "cancelled" => PaymentStatus::Cancelled,
        _ => {
            // Counted and logged, but only this payment is affected: it is shown as unknown.
            let _ = j.error("status", Problem::Invalid("completed, failed or cancelled".into()));
            PaymentStatus::Unknown
        }
    };
    let code = match (status, j.get("code")) {
        (PaymentStatus::Completed, _) => Some(code(&j.obj("code")?)?),
        (_, None) => None,
        (_, Some(_)) => Some(code(&j.obj("code")?)?),
    };
    if j.text("currency")? != "CHF" {
        return Err(j.error("currency", Problem::Invalid("CHF".into())));
    }
    Ok(Payment {
        transaction_id: j.i64("id")?,
        twint_ref: j.text("twint_ref")?.to_owned(),
        paid_at: time(j, "timestamp")?,
        local_date: NaiveDate::parse_from_str(j.text("date")?, "%Y-%m-%d")
            .map_err(|_| j.error("date", Problem::Invalid("YYYY-MM-DD".into())))?,
        local_time: NaiveTime::parse_from_str(j.text("time")?, "%H:%M:%S")
            .map_err(|_| j.error("time", Problem::Invalid("HH:MM:SS".into())))?,
        amount: chf(j, "amount")?,
        device_b_code: j.text("device_b_code")?.to_owned(),
        device_internal_id: opt_text(j, "device_internal_id")?,
        mobile: j.str("mobile")?.to_owned(),
        sub_merchant: opt_text(j, "sub_merchant")?,
        payment_method: j.text("payment_method")?.to_owned(),
        status,
        pgw_status,
        code,
    })
}

/// The payments of a search or day listing.
pub fn payments(j: &Json<'_>) -> Result<Vec<Payment>, ContractError> {
    j.array("items")?.iter().map(payment).collect()
}

/// PGW's total of a day listing.
pub fn day_total(j: &Json<'_>) -> Result<Money, ContractError> {
    chf(j, "total")
}

/// The answer to a code generation for transaction `tx`.
pub fn generation(j: &Json<'_>, tx: i64) -> Result<Generation, ContractError> {
    if let Some(other) = j.get("transaction_id").map(|_| j.i64("transaction_id")).transpose()?
        && other != tx
    {
        return Err(j.error("transaction_id", Problem::Invalid(format!("transaction {tx}"))));
    }
    Ok(Generation {
        generation_id: Some(j.i64("generation_id")?),
        transaction_id: tx,
        device_b_code: j.text("device_b_code")?.to_owned(),
        device_internal_id: opt_text(j, "device_internal_id")?,
        amount: chf(j, "amount")?,
        code: j.text("code")?.to_owned(),
        valid_until: time(j, "valid_until")?,
        generated_at: time(j, "generated_at")?,
    })
}

/// `error.code` and `error.message` of an error answer, read leniently: they say why a call
/// failed, they decide nothing beyond the HTTP status.
pub fn error_body(text: &str) -> (String, String) {
    let v: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
    let code = v["error"]["code"].as_str().unwrap_or("unknown").to_owned();
    (code, v["error"]["message"].as_str().unwrap_or_default().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hl_11_status_and_code_state_mapping_table() {
        let base = serde_json::json!({
            "id": 100001, "twint_ref": "6f9619ff-8b86-d011-b42d-00c04fc964ff",
            "timestamp": "2026-01-05T14:03:22+01:00", "date": "2026-01-05", "time": "14:03:22",
            "amount": "3.50", "currency": "CHF", "mobile": "+41791234567", "device_b_code": "b10234",
            "device_internal_id": "DEV-0017", "sub_merchant": "X", "payment_method": "TWINT", "status": "completed",
            "code": {"code": "123456", "valid_until": "2026-01-08T14:03:22+01:00", "state": "valid",
                     "expired_on": null, "issued_at": "2026-01-05T14:03:22+01:00", "origin": "purchase"},
            "codes_issued": 1
        });
        let read = |v: &serde_json::Value| payment(&Json::new("pgw", "unit", v));
        let p = read(&base).unwrap();
        assert_eq!(p.amount, Money::new(350, Currency::CHF));
        assert_eq!(p.paid_at.to_rfc3339(), "2026-01-05T13:03:22+00:00");
        assert_eq!(p.code.unwrap().state, CodeState::Valid);
        for (field, value, status) in [
            ("status", "failed", Some(PaymentStatus::Failed)),
            ("status", "cancelled", Some(PaymentStatus::Cancelled)),
            ("status", "refunded", Some(PaymentStatus::Unknown)),
            ("amount", "3,50", None),
            ("currency", "EUR", None),
        ] {
            let mut v = base.clone();
            v[field] = value.into();
            assert_eq!(read(&v).ok().map(|p| p.status), status, "{field}={value}");
        }
        let mut v = base.clone();
        v["code"] = serde_json::Value::Null;
        assert_eq!(read(&v).unwrap_err().field, "code", "a completed payment without its code breaks the contract");
        let mut v = base;
        v["code"]["state"] = "revoked".into();
        assert_eq!(read(&v).unwrap_err().field, "code.state");
    }
}
