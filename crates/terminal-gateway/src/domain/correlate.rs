//! Matching a Nets last-result lookup to a payment (TG-13). The lookup reports the terminal's
//! *last* transaction, not a given one, and echoes `orderId` only for approvals. So: a result
//! with an `orderId` is ours exactly when it is the reference we sent; one without is ours only
//! if amount and time fit and its acquirer reference is not booked on another payment
//! (NaviPartner's heuristics, external-apis.md §2.4).

use chrono::{DateTime, Duration, Utc};

/// The facts of a lookup that matter for matching.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastResult {
    /// `orderId` echoed by Nets (approvals only).
    pub order_ref: Option<String>,
    /// `TotalAmount` in minor units.
    pub amount_minor: i64,
    /// `TimeStamp`, when readable.
    pub at: Option<DateTime<Utc>>,
    /// `StanAuth`, empty when none.
    pub acquirer_reference: String,
}

/// The payment a lookup is matched against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected<'a> {
    /// The `orderId` the gateway sent with the purchase.
    pub order_ref: &'a str,
    /// Amount in minor units.
    pub amount_minor: i64,
    /// When the payment started.
    pub started_at: DateTime<Utc>,
    /// Whether the result's acquirer reference is already booked on another payment.
    pub reference_booked_elsewhere: bool,
}

/// How far a result's timestamp may lie from the payment's start (clock skew and the
/// customer's time at the terminal included).
pub const TIME_WINDOW_MINUTES: i64 = 10;

/// True when the last result belongs to the expected payment.
pub fn is_ours(result: &LastResult, expected: &Expected<'_>) -> bool {
    if let Some(r) = &result.order_ref {
        return r == expected.order_ref;
    }
    if expected.reference_booked_elsewhere || result.amount_minor != expected.amount_minor {
        return false;
    }
    match result.at {
        Some(at) => {
            let window = Duration::minutes(TIME_WINDOW_MINUTES);
            at >= expected.started_at - window && at <= expected.started_at + window * 3
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tg_13_lookup_correlation_table() {
        let t0 = DateTime::parse_from_rfc3339("2026-01-05T10:00:00Z").unwrap().to_utc();
        let exp = Expected { order_ref: "p1", amount_minor: 1250, started_at: t0, reference_booked_elsewhere: false };
        let r = |order: Option<&str>, amount: i64, secs: Option<i64>| LastResult {
            order_ref: order.map(str::to_owned),
            amount_minor: amount,
            at: secs.map(|s| t0 + Duration::seconds(s)),
            acquirer_reference: "000001000002".into(),
        };
        let cases = [
            (r(Some("p1"), 1250, Some(30)), exp.clone(), true),
            (r(Some("p1"), 999, None), exp.clone(), true),
            (r(Some("p0"), 1250, Some(30)), exp.clone(), false),
            (r(None, 1250, Some(45)), exp.clone(), true),
            (r(None, 1250, Some(-30)), exp.clone(), true),
            (r(None, 1250, Some(-11 * 60)), exp.clone(), false),
            (r(None, 1250, Some(31 * 60)), exp.clone(), false),
            (r(None, 1251, Some(45)), exp.clone(), false),
            (r(None, 1250, None), exp.clone(), false),
            (r(None, 1250, Some(45)), Expected { reference_booked_elsewhere: true, ..exp.clone() }, false),
        ];
        for (result, expected, want) in cases {
            assert_eq!(is_ours(&result, &expected), want, "{result:?} {expected:?}");
        }
    }
}
