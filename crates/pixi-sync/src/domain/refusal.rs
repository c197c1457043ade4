//! What a movement unzer refused becomes (PX-15): a charge refused because the
//! authorisation expired is, for the types pixi-sync re-authorises (paylater installment and
//! direct debit), a step towards re-authorising; otherwise a failure whose incident says
//! what a person can do (a card has no documented re-authorisation).
//!
//! No public source shows the error of a charge on an expired authorisation (the contract
//! case is unverified): unzer's merchant message naming the expiry is what is recognised.

use super::events::{Event, Expiry};
use super::payment_type::{Family, PaymentType};
use super::progress::{MoveKind, Progress, Purpose};

/// The event for a refused movement.
pub fn refused(
    kind: Option<PaymentType>,
    s: &Progress,
    purpose: &Purpose,
    move_kind: MoveKind,
    key: &str,
    reason: String,
) -> Event {
    let expired = reason.to_ascii_lowercase().contains("expired");
    if expired
        && move_kind == MoveKind::Charge
        && let Purpose::Invoice(nr) = purpose
        && kind.is_some_and(PaymentType::reauthorizes)
        && !s.invoices.get(nr).is_some_and(|i| i.reauthorized)
    {
        return Event::AuthorizationExpired { invoice: nr.clone(), key: key.to_owned() };
    }
    let expiry = expired.then(|| {
        if kind.is_some_and(|k| k.family() == Family::Authorize) { Expiry::Card } else { Expiry::PaymentPeriod }
    });
    Event::MoveFailed { purpose: purpose.clone(), kind: move_kind, key: key.to_owned(), reason, expired: expiry }
}
