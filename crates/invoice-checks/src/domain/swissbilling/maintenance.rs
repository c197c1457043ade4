//! Deciding a maintenance request before anything is sent (IC-10, IC-11, IC-17): what the
//! operation may do on the transaction under the tenant's account options, the amount it will
//! carry, or why it is refused. The ceilings checked here are enforced again by the database
//! constraints of the transaction row in the transaction that reserves the amount.

use super::super::Refusal;
use super::status::Kind;
use super::transaction::{InFlight, OpCode, Transaction};

/// The merchant's PostFinance account options (IC-17).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AccountOptions {
    /// "Partial maintenance": amounts below what is left.
    pub partial_maintenance: bool,
    /// "Multiple maintenance": the non-final SAL / RFD / DEL (the "last" checkbox).
    pub multiple_maintenance: bool,
    /// Refunds enabled for the account.
    pub refunds: bool,
}

/// An accepted plan: send `op` with `amount` (minor units).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Planned {
    /// The operation.
    pub op: OpCode,
    /// Amount, ×100 on the wire.
    pub amount: i64,
}

fn refuse(reason: &'static str, message: impl Into<String>) -> Refusal {
    Refusal::new(reason, message)
}

fn option(name: &str) -> Refusal {
    refuse("ACCOUNT_OPTION_DISABLED", format!("the account option \"{name}\" is not enabled for this merchant"))
}

/// Decides `op` with the optional `amount` on `tx` under `options`.
pub fn decide(tx: &Transaction, options: AccountOptions, op: OpCode, amount: Option<i64>) -> Result<Planned, Refusal> {
    if let Some(a) = amount
        && a <= 0
    {
        return Err(refuse("AMOUNT_NOT_POSITIVE", "the amount must be more than zero"));
    }
    match op {
        OpCode::ManualAuthorisation => {
            return Err(refuse(
                "CREDIT_CARD_ONLY",
                "manual authorisation exists for credit cards only and is a back-office action",
            ));
        }
        OpCode::Ren if tx.swissbilling() => {
            return Err(refuse("CREDIT_CARD_ONLY", "renewal (REN) exists for credit cards only, not for SwissBilling"));
        }
        _ => {}
    }
    if !tx.is_authorised() {
        return Err(refuse(
            "ORDER_NOT_AUTHORISED",
            format!("the order is not authorised (STATUS {} {})", tx.latest_status().code, tx.latest_status().name),
        ));
    }
    let a = tx.amounts();
    match op.kind() {
        Kind::Capture => {
            if tx.swissbilling() && op == OpCode::Sal {
                return Err(refuse(
                    "PARTIAL_CAPTURE_NOT_ALLOWED",
                    "SwissBilling accepts only full captures: send SAS of the authorised amount",
                ));
            }
            if tx.capture_closed() {
                let reason =
                    if tx.captured() > 0 || a.capture_committed > 0 { "ALREADY_CAPTURED" } else { "CAPTURE_CLOSED" };
                return Err(refuse(reason, "no further capture is possible on this transaction"));
            }
            let left = a.authorised - a.capture_committed - a.delete_committed;
            let amount = within(amount, left, "AMOUNT_EXCEEDS_AUTHORISED", "authorised and not captured or deleted")?;
            if tx.swissbilling() && amount != a.authorised {
                return Err(refuse(
                    "PARTIAL_CAPTURE_NOT_ALLOWED",
                    format!("SwissBilling accepts only full captures of the authorised {} minor units", a.authorised),
                ));
            }
            options_allow(options, op, amount, left)?;
            Ok(Planned { op, amount })
        }
        Kind::Refund => {
            if !options.refunds {
                return Err(option("refunds"));
            }
            if tx.refund_closed() {
                return Err(refuse("REFUNDS_CLOSED", "a last refund (RFS) was already made"));
            }
            if a.captured_final == 0 && a.capture_committed > 0 {
                return Err(refuse(
                    "CAPTURE_NOT_SETTLED",
                    "the capture is not final yet; refund once it is (STATUS 9)",
                ));
            }
            let left = a.captured_final - a.refund_committed;
            let amount = within(amount, left, "AMOUNT_EXCEEDS_CAPTURED", "captured and not refunded")?;
            options_allow(options, op, amount, left)?;
            Ok(Planned { op, amount })
        }
        Kind::Deletion => {
            if tx.capture_closed() {
                return Err(refuse("CAPTURE_CLOSED", "the authorisation is already captured or deleted"));
            }
            let left = a.authorised - a.capture_committed - a.delete_committed;
            let amount = within(amount, left, "AMOUNT_EXCEEDS_AUTHORISED", "authorised and not captured or deleted")?;
            options_allow(options, op, amount, left)?;
            Ok(Planned { op, amount })
        }
        Kind::Renewal | Kind::Order | Kind::Other => {
            // REN on a card transaction: processed online; it carries the authorised amount.
            if a.capture_committed > 0 || a.delete_committed > 0 {
                return Err(refuse("CAPTURE_CLOSED", "an authorisation with captures or deletions cannot be renewed"));
            }
            Ok(Planned { op, amount: a.authorised })
        }
    }
}

/// The amount to send: the requested one if it fits in `left`, else all of `left`.
fn within(amount: Option<i64>, left: i64, reason: &'static str, what: &str) -> Result<i64, Refusal> {
    if left <= 0 {
        return Err(refuse("NOTHING_LEFT", format!("nothing is left that is {what}")));
    }
    match amount {
        Some(a) if a > left => Err(refuse(reason, format!("{a} minor units requested, only {left} are {what}"))),
        Some(a) => Ok(a),
        None => Ok(left),
    }
}

fn options_allow(options: AccountOptions, op: OpCode, amount: i64, left: i64) -> Result<(), Refusal> {
    if !op.last() && !options.multiple_maintenance {
        return Err(option("multiple maintenance"));
    }
    if amount < left && !options.partial_maintenance {
        return Err(option("partial maintenance"));
    }
    Ok(())
}

/// The transaction with `planned` reserved under `request_id` (what the database row must
/// hold before the request is sent).
pub fn reserve(tx: &Transaction, request_id: &str, planned: Planned) -> Transaction {
    let mut next = tx.clone();
    next.in_flight.push(InFlight { request_id: request_id.to_owned(), op: planned.op, amount: planned.amount });
    next
}

#[cfg(test)]
#[path = "maintenance_tests.rs"]
mod tests;
