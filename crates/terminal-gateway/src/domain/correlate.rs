//! Matching a Nets last-result lookup to a payment (TG-13). The lookup reports the terminal's
//! *last* transaction, not a given one, and mirrors `orderId` only for approvals (contract
//! case `nets/lookup/*`, NaviPartner's lookup check). So: a result with an `orderId` is ours
//! exactly when it is the reference we sent; one without is ours only if its amount fits, its
//! acquirer reference is not booked on another payment and its time fits. Nets reports that
//! time in the **terminal's local time** (no zone), so it is read in the terminal's time zone;
//! across a DST change both readings of an ambiguous local time are tried.

use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// The facts of a lookup that matter for matching.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastResult {
    /// `result.orderId` mirrored by Nets (approvals only).
    pub order_ref: Option<String>,
    /// `TotalAmount` in minor units.
    pub amount_minor: i64,
    /// `TimeStamp` as the terminal's local clock (`None` when Nets sent none).
    pub local_time: Option<NaiveDateTime>,
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
    /// The terminal's time zone.
    pub time_zone: Tz,
    /// Whether the result's acquirer reference is already booked on another payment.
    pub reference_booked_elsewhere: bool,
}

/// What a lookup result is to a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Match {
    /// The payment's own transaction.
    Ours,
    /// Another transaction; `maybe_later` unless it certainly ran before the payment started.
    NotOurs {
        /// The other transaction may have run after this payment started.
        maybe_later: bool,
    },
}

/// How far before the payment's start a result's time may lie (clock skew; NaviPartner uses
/// ten minutes either way).
pub const BEFORE_MINUTES: i64 = 10;
/// How far after the start (the customer's time, the terminal's own timeout, skew).
pub const AFTER_MINUTES: i64 = 30;

/// The instants a terminal-local time can stand for in `tz` (two across a DST fall-back, none
/// in a spring-forward gap).
pub fn instants(local: NaiveDateTime, tz: Tz) -> Vec<DateTime<Utc>> {
    let mut out: Vec<DateTime<Utc>> = match tz.from_local_datetime(&local) {
        chrono::LocalResult::Single(t) => vec![t.with_timezone(&Utc)],
        chrono::LocalResult::Ambiguous(a, b) => vec![a.with_timezone(&Utc), b.with_timezone(&Utc)],
        chrono::LocalResult::None => vec![],
    };
    out.dedup();
    out
}

/// Matches a last result to the expected payment.
pub fn matches(result: &LastResult, expected: &Expected<'_>) -> Match {
    let before = expected.started_at - Duration::minutes(BEFORE_MINUTES);
    let after = expected.started_at + Duration::minutes(AFTER_MINUTES);
    let at = result.local_time.map(|l| instants(l, expected.time_zone)).unwrap_or_default();
    // Certainly earlier only when every reading of its time lies before the window.
    let maybe_later = at.is_empty() || at.iter().any(|t| *t >= before);
    let not_ours = Match::NotOurs { maybe_later };
    if let Some(r) = &result.order_ref {
        return if r == expected.order_ref { Match::Ours } else { not_ours };
    }
    if expected.reference_booked_elsewhere || result.amount_minor != expected.amount_minor {
        return not_ours;
    }
    if at.iter().any(|t| *t >= before && *t <= after) { Match::Ours } else { not_ours }
}

#[cfg(test)]
mod tests {
    use chrono_tz::Europe;

    use super::*;

    fn local(s: &str) -> Option<NaiveDateTime> {
        NaiveDateTime::parse_from_str(s, "%Y%m%d%H%M%S").ok()
    }

    #[test]
    fn tg_13_lookup_correlation_table() {
        // A Finnish site: 10:00 UTC is 13:00 local in summer.
        let t0 = DateTime::parse_from_rfc3339("2026-07-05T10:00:00Z").unwrap().to_utc();
        let exp = Expected {
            order_ref: "1042",
            amount_minor: 1250,
            started_at: t0,
            time_zone: Europe::Helsinki,
            reference_booked_elsewhere: false,
        };
        let r = |order: Option<&str>, amount: i64, at: &str| LastResult {
            order_ref: order.map(str::to_owned),
            amount_minor: amount,
            local_time: local(at),
            acquirer_reference: "000001000002".into(),
        };
        let ours = Match::Ours;
        let later = Match::NotOurs { maybe_later: true };
        let earlier = Match::NotOurs { maybe_later: false };
        let cases = [
            (r(Some("1042"), 1250, "20260705130030"), exp.clone(), ours),
            (r(Some("1042"), 999, ""), exp.clone(), ours),
            (r(Some("1041"), 1250, "20260705130030"), exp.clone(), later),
            (r(Some("1041"), 1250, "20260705120000"), exp.clone(), earlier),
            // Without an orderId: amount and the terminal's local time decide.
            (r(None, 1250, "20260705130045"), exp.clone(), ours),
            (r(None, 1250, "20260705125930"), exp.clone(), ours),
            (r(None, 1250, "20260705124900"), exp.clone(), earlier),
            (r(None, 1250, "20260705133100"), exp.clone(), later),
            (r(None, 1251, "20260705130045"), exp.clone(), later),
            (r(None, 1250, ""), exp.clone(), later),
            (r(None, 1250, "20260705130045"), Expected { reference_booked_elsewhere: true, ..exp.clone() }, later),
            // Read as UTC (the old mistake), 13:00 local would be three hours after the start.
            (r(None, 1250, "20260705100045"), exp.clone(), earlier),
        ];
        for (result, expected, want) in cases {
            assert_eq!(matches(&result, &expected), want, "{result:?} {expected:?}");
        }
    }

    #[test]
    fn tg_13_an_ambiguous_local_time_at_the_dst_change_is_read_both_ways() {
        // Zurich, 2026-10-25: 02:30 local happens twice (00:30 and 01:30 UTC).
        assert_eq!(instants(local("20261025023000").unwrap(), Europe::Zurich).len(), 2);
        let started = DateTime::parse_from_rfc3339("2026-10-25T01:29:00Z").unwrap().to_utc();
        let exp = Expected {
            order_ref: "7",
            amount_minor: 100,
            started_at: started,
            time_zone: Europe::Zurich,
            reference_booked_elsewhere: false,
        };
        let res = LastResult {
            order_ref: None,
            amount_minor: 100,
            local_time: local("20261025023000"),
            acquirer_reference: String::new(),
        };
        assert_eq!(matches(&res, &exp), Match::Ours);
    }
}
