//! PGW payments and their Canastra codes as the hotline sees them, and how a day's payments
//! add up to the daily overview (HL-30).

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use kit::money::{Currency, Money, MoneyError};
use serde::{Deserialize, Serialize};

/// PGW's status of a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PaymentStatus {
    /// Paid; a code was issued.
    Completed,
    /// Failed.
    Failed,
    /// Aborted.
    Cancelled,
}

/// Whether a code is usable, as PGW says at the time of the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CodeState {
    /// Usable.
    Valid,
    /// Past its validity.
    Expired,
}

/// A Canastra code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Code {
    /// The code.
    pub code: String,
    /// End of validity.
    pub valid_until: DateTime<Utc>,
    /// Valid or expired.
    pub state: CodeState,
    /// When it expired.
    pub expired_on: Option<DateTime<Utc>>,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
    /// `purchase` or `generated`.
    pub origin: String,
}

/// A PGW payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    /// PGW transaction number.
    pub transaction_id: i64,
    /// TWINT transaction number.
    pub twint_ref: String,
    /// Payment time.
    pub paid_at: DateTime<Utc>,
    /// Local date.
    pub local_date: NaiveDate,
    /// Local time.
    pub local_time: NaiveTime,
    /// Amount.
    pub amount: Money,
    /// Device b-code.
    pub device_b_code: String,
    /// Internal device id.
    pub device_internal_id: String,
    /// Paying mobile (E.164).
    pub mobile: String,
    /// Sub-merchant.
    pub sub_merchant: String,
    /// e.g. `TWINT`.
    pub payment_method: String,
    /// Status.
    pub status: PaymentStatus,
    /// Current code (completed payments).
    pub code: Option<Code>,
}

/// A new code generated in PGW PROD.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Generation {
    /// PGW generation id.
    pub generation_id: i64,
    /// Transaction number.
    pub transaction_id: i64,
    /// Device b-code.
    pub device_b_code: String,
    /// Internal device id.
    pub device_internal_id: String,
    /// Amount.
    pub amount: Money,
    /// The new code.
    pub code: String,
    /// End of validity.
    pub valid_until: DateTime<Utc>,
    /// When PGW generated it.
    pub generated_at: DateTime<Utc>,
}

/// The daily overview: a day's completed payments with count and total (HL-30).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayOverview {
    /// Local day.
    pub date: NaiveDate,
    /// Completed payments, oldest first.
    pub payments: Vec<Payment>,
    /// Their total.
    pub total: Money,
}

impl DayOverview {
    /// Keeps the completed payments and adds them up exactly (CHF).
    pub fn build(date: NaiveDate, mut payments: Vec<Payment>) -> Result<DayOverview, MoneyError> {
        payments.retain(|p| p.status == PaymentStatus::Completed);
        payments.sort_by_key(|p| (p.paid_at, p.transaction_id));
        let mut total = Money::zero(Currency::CHF);
        for p in &payments {
            total = total.checked_add(p.amount)?;
        }
        Ok(DayOverview { date, payments, total })
    }

    /// Number of payments.
    pub fn count(&self) -> usize {
        self.payments.len()
    }
}

/// The German label of a lookup situation, as in the portal and the ticket.
pub fn status_label(code: Option<CodeState>) -> &'static str {
    match code {
        Some(CodeState::Valid) => "Code gefunden",
        Some(CodeState::Expired) => "Code abgelaufen",
        None => "Keine Transaktion gefunden",
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn payment(
        id: i64,
        time: &str,
        rappen: i64,
        status: PaymentStatus,
        state: Option<CodeState>,
    ) -> Payment {
        let t = NaiveTime::parse_from_str(time, "%H:%M:%S").unwrap();
        let date = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
        let paid_at = date.and_time(t).and_utc() - chrono::Duration::hours(1);
        Payment {
            transaction_id: id,
            twint_ref: format!("00000000-0000-4000-8000-{id:012}"),
            paid_at,
            local_date: date,
            local_time: t,
            amount: Money::new(rappen, Currency::CHF),
            device_b_code: "b10234".into(),
            device_internal_id: "DEV-0017".into(),
            mobile: "+41791234567".into(),
            sub_merchant: "Wohnbau Zürich AG".into(),
            payment_method: "TWINT".into(),
            status,
            code: state.map(|s| Code {
                code: format!("{:06}", id % 1_000_000),
                valid_until: paid_at + chrono::Duration::hours(72),
                state: s,
                expired_on: (s == CodeState::Expired).then_some(paid_at + chrono::Duration::hours(72)),
                issued_at: paid_at,
                origin: "purchase".into(),
            }),
        }
    }

    #[test]
    fn hl_30_overview_counts_and_totals_only_completed_payments_exactly() {
        let ps = vec![
            payment(3, "12:00:00", 350, PaymentStatus::Completed, Some(CodeState::Valid)),
            payment(1, "08:00:00", 200, PaymentStatus::Completed, Some(CodeState::Expired)),
            payment(2, "09:00:00", 500, PaymentStatus::Failed, None),
            payment(4, "13:00:00", 5, PaymentStatus::Completed, Some(CodeState::Valid)),
        ];
        let o = DayOverview::build(NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(), ps).unwrap();
        assert_eq!(o.count(), 3);
        assert_eq!(o.total, Money::new(555, Currency::CHF));
        assert_eq!(o.payments.iter().map(|p| p.transaction_id).collect::<Vec<_>>(), [1, 3, 4]);
    }
}
