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
    /// A status our contract does not name (kept in [`Payment::pgw_status`]): neither paid nor
    /// failed as far as we know, shown as unknown.
    Unknown,
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
    /// The status as PGW wrote it (differs from [`Payment::status`] only when unknown).
    #[serde(default)]
    pub pgw_status: String,
    /// Current code (completed payments).
    pub code: Option<Code>,
}

/// A new code generated in PGW PROD.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Generation {
    /// PGW generation id; `None` when the generation was found by reading the transaction
    /// after its answer was lost (the transaction names no generation).
    pub generation_id: Option<i64>,
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

/// The daily overview: a day's completed payments with count and total (HL-30), and the
/// payments whose status PGW gave us but our contract does not name, listed as unknown and
/// left out of count and total (they are not known to be paid).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayOverview {
    /// Local day.
    pub date: NaiveDate,
    /// Completed and unknown-status payments, oldest first.
    pub payments: Vec<Payment>,
    /// Total of the completed ones.
    pub total: Money,
}

impl DayOverview {
    /// Keeps the completed and the unknown-status payments and adds up the completed ones
    /// exactly (CHF).
    pub fn build(date: NaiveDate, mut payments: Vec<Payment>) -> Result<DayOverview, MoneyError> {
        payments.retain(|p| matches!(p.status, PaymentStatus::Completed | PaymentStatus::Unknown));
        payments.sort_by_key(|p| (p.paid_at, p.transaction_id));
        let mut total = Money::zero(Currency::CHF);
        for p in payments.iter().filter(|p| p.status == PaymentStatus::Completed) {
            total = total.checked_add(p.amount)?;
        }
        Ok(DayOverview { date, payments, total })
    }

    /// Number of completed payments.
    pub fn count(&self) -> usize {
        self.payments.iter().filter(|p| p.status == PaymentStatus::Completed).count()
    }

    /// Number of payments with a status PGW did not name to us.
    pub fn unknown(&self) -> usize {
        self.payments.iter().filter(|p| p.status == PaymentStatus::Unknown).count()
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
            pgw_status: format!("{status:?}").to_lowercase(),
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

    #[test]
    fn hl_30_a_payment_of_unknown_status_is_listed_but_not_counted_or_totalled() {
        let ps = vec![
            payment(1, "08:00:00", 200, PaymentStatus::Completed, Some(CodeState::Valid)),
            payment(2, "09:00:00", 500, PaymentStatus::Unknown, None),
        ];
        let o = DayOverview::build(NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(), ps).unwrap();
        assert_eq!((o.count(), o.unknown(), o.total), (1, 1, Money::new(200, Currency::CHF)));
        assert_eq!(o.payments.len(), 2);
    }
}
