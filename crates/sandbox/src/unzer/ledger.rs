//! Pure arithmetic of one payment (SB-02): what was authorized, charged, cancelled, what
//! remains chargeable or refundable, and the payment state of §1.5. No I/O, no clock reads.
//!
//! - `total`: the authorized amount minus reversals, or for charge-only types the initial
//!   charge(s) minus the cancels of their unpaid part. A reversal shrinks `total` and is not in
//!   `canceled` (`unzerdev/php-sdk` `test/integration/PaymentCancelTest.php`: a part cancel of
//!   an unpaid invoice leaves total 50, canceled 0; the Java SDK's `fetch-canceled-payment.json`
//!   has total and canceled 0 after a full reversal).
//! - `charged`: money actually collected (charges; for transfer types the receipts, each its
//!   own successful charge) minus refunds and chargebacks.
//! - `canceled`: refunds and chargebacks.
//! - `remaining`: `total − charged − canceled` (never below zero).
//!
//! Transfer types (prepayment, invoice, invoice secured): the initial charge never leaves
//! pending (`IsInvoiceType.php`); each transfer that arrives is a successful charge of its own;
//! a cancel of the initial charge is a reversal of what the buyer still owes and may cover at
//! most `initial − receipts − cancelled on it` (`CancelService::calculateMaxReversalAmount`).

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::model::{Payment, Txn, TxnStatus, TxnType};

/// Payment amounts in minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Amounts {
    /// Authorized or charged in total, less reversals.
    pub total: i64,
    /// Collected and not given back.
    pub charged: i64,
    /// Refunded or charged back.
    pub canceled: i64,
    /// Still open.
    pub remaining: i64,
}

/// Payment states (§1.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentState {
    /// 0: started, more action needed (authorized but not charged, redirect, transfer awaited).
    Pending,
    /// 1: charged in full.
    Completed,
    /// 2: nothing left (fully reversed or refunded, or failed).
    Canceled,
    /// 3: partly charged (or a transfer received in part).
    Partly,
    /// 4: must be checked (overpayment).
    PaymentReview,
    /// 5: charged back.
    Chargeback,
}

impl PaymentState {
    /// Numeric id on the wire.
    pub fn id(self) -> u8 {
        match self {
            PaymentState::Pending => 0,
            PaymentState::Completed => 1,
            PaymentState::Canceled => 2,
            PaymentState::Partly => 3,
            PaymentState::PaymentReview => 4,
            PaymentState::Chargeback => 5,
        }
    }

    /// Name on the wire (`"payment review"` with a space, as the SDK has it).
    pub fn name(self) -> &'static str {
        match self {
            PaymentState::Pending => "pending",
            PaymentState::Completed => "completed",
            PaymentState::Canceled => "canceled",
            PaymentState::Partly => "partly",
            PaymentState::PaymentReview => "payment review",
            PaymentState::Chargeback => "chargeback",
        }
    }

    /// Webhook event announcing this state.
    pub fn event(self) -> &'static str {
        match self {
            PaymentState::Pending => "payment.pending",
            PaymentState::Completed => "payment.completed",
            PaymentState::Canceled => "payment.canceled",
            PaymentState::Partly => "payment.partly",
            PaymentState::PaymentReview => "payment.payment_review",
            PaymentState::Chargeback => "payment.chargeback",
        }
    }
}

fn sum<'a>(txns: impl Iterator<Item = &'a Txn>) -> i64 {
    txns.map(|t| t.amount).sum()
}

fn ok(t: &Txn) -> bool {
    t.status == TxnStatus::Success
}

impl Payment {
    /// The authorization, if it succeeded or is pending.
    pub(crate) fn authorization(&self) -> Option<&Txn> {
        self.txns.iter().find(|t| t.kind == TxnType::Authorize && t.status != TxnStatus::Error)
    }

    fn of(&self, kind: TxnType) -> impl Iterator<Item = &Txn> {
        self.txns.iter().filter(move |t| t.kind == kind)
    }

    /// The checkout charge of a transfer type (pending until the payment ends).
    pub(crate) fn initial_charge(&self) -> Option<&Txn> {
        if !self.kind.funds_arrive() {
            return None;
        }
        self.of(TxnType::Charge).next()
    }

    /// Whether `t` is the checkout charge of a transfer type.
    pub(crate) fn is_initial(&self, t: &Txn) -> bool {
        self.initial_charge().is_some_and(|i| i.id == t.id)
    }

    /// Money received by transfer: the successful charges of a transfer type.
    pub(crate) fn received(&self) -> i64 {
        if !self.kind.funds_arrive() {
            return 0;
        }
        sum(self.of(TxnType::Charge).filter(|t| ok(t) && !self.is_initial(t)))
    }

    /// Successful cancels nested under transaction `id`, of `kind`.
    fn cancelled_on(&self, id: &str, kind: TxnType) -> i64 {
        sum(self.of(kind).filter(|t| ok(t) && t.parent.as_deref() == Some(id)))
    }

    /// Reversals: of the authorization, or of the unpaid part of a transfer type's initial
    /// charge.
    fn reversals(&self) -> i64 {
        sum(self.of(TxnType::CancelAuthorize).filter(|t| ok(t)))
    }

    /// Charges that count against the authorization (successful or pending).
    fn live_charges(&self) -> i64 {
        sum(self.of(TxnType::Charge).filter(|t| t.status != TxnStatus::Error))
    }

    /// Payment amounts.
    pub(crate) fn amounts(&self) -> Amounts {
        let gross_total = match (self.authorization(), self.initial_charge()) {
            (Some(a), _) => a.amount,
            (None, Some(i)) if i.status != TxnStatus::Error => i.amount,
            (None, _) => self.live_charges(),
        };
        let total = (gross_total - self.reversals()).max(0);
        let gross =
            if self.kind.funds_arrive() { self.received() } else { sum(self.of(TxnType::Charge).filter(|t| ok(t))) };
        let refunds = sum(self.of(TxnType::CancelCharge).filter(|t| ok(t)));
        let chargebacks = sum(self.of(TxnType::Chargeback));
        let charged = (gross - refunds - chargebacks).max(0);
        let canceled = refunds + chargebacks;
        Amounts { total, charged, canceled, remaining: (total - charged - canceled).max(0) }
    }

    /// The payment state.
    pub(crate) fn state(&self) -> PaymentState {
        let a = self.amounts();
        if self.of(TxnType::Chargeback).next().is_some() {
            PaymentState::Chargeback
        } else if self.kind.funds_arrive() && self.received() > a.total + a.canceled && a.total > 0 {
            PaymentState::PaymentReview
        } else if a.remaining == 0 {
            if a.charged > 0 { PaymentState::Completed } else { PaymentState::Canceled }
        } else if a.charged > 0 {
            PaymentState::Partly
        } else {
            PaymentState::Pending
        }
    }

    /// When the authorization stops being chargeable.
    pub(crate) fn expires_at(&self, days: i64) -> Option<DateTime<Utc>> {
        self.authorization().filter(|a| a.status == TxnStatus::Success).map(|a| a.at + Duration::days(days))
    }

    /// What the authorization still covers: authorized − reversed − charged (0 without one).
    pub(crate) fn authorized_open(&self) -> i64 {
        match self.authorization() {
            Some(a) => (a.amount - self.reversals() - self.live_charges()).max(0),
            None => 0,
        }
    }

    /// Whether any reversal was made.
    pub(crate) fn has_reversals(&self) -> bool {
        self.of(TxnType::CancelAuthorize).any(ok)
    }

    /// A charge by id.
    pub(crate) fn charge(&self, id: &str) -> Option<&Txn> {
        self.of(TxnType::Charge).find(|t| t.id == id)
    }

    /// What the buyer of a transfer type still owes on the initial charge, i.e. the most a
    /// cancel of it may reverse: `initial − receipts − cancelled on it` (the SDK's
    /// `calculateMaxReversalAmount`).
    pub(crate) fn max_reversal(&self, initial: &Txn) -> i64 {
        (initial.amount - self.received() - self.cancelled_on(&initial.id, TxnType::CancelAuthorize)).max(0)
    }

    /// What can still be refunded on a paid charge `c` (capped by what the payment still
    /// holds); for a transfer type's initial charge, what may still be reversed.
    pub(crate) fn charge_open(&self, c: &Txn) -> i64 {
        if self.is_initial(c) {
            return self.max_reversal(c);
        }
        let own = self.cancelled_on(&c.id, TxnType::CancelCharge) + self.cancelled_on(&c.id, TxnType::Chargeback);
        let rest = (c.amount - own).max(0);
        match c.status {
            TxnStatus::Success => rest.min(self.amounts().charged),
            TxnStatus::Pending => rest,
            TxnStatus::Error => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unzer::model::{Counters, PayKind};

    fn txn(kind: TxnType, id: &str, amount: i64, status: TxnStatus, parent: Option<&str>) -> Txn {
        Txn {
            id: id.into(),
            kind,
            parent: parent.map(Into::into),
            amount,
            status,
            at: DateTime::<Utc>::UNIX_EPOCH,
            order_id: String::new(),
            invoice_id: String::new(),
            payment_reference: String::new(),
            reason_code: None,
            refund: kind == CancelCharge,
            unique_id: String::new(),
            short_id: String::new(),
            error_code: None,
        }
    }

    fn payment(kind: PayKind, txns: Vec<Txn>) -> Payment {
        Payment {
            id: "s-pay-1".into(),
            merchant: 0,
            kind,
            type_id: String::new(),
            currency: "EUR".into(),
            order_id: String::new(),
            invoice_id: String::new(),
            customer_id: String::new(),
            basket_id: String::new(),
            metadata_id: String::new(),
            return_url: String::new(),
            trace_id: String::new(),
            created_at: DateTime::<Utc>::UNIX_EPOCH,
            txns,
            term_started_at: None,
            expiry_notified: false,
            counters: Counters::default(),
        }
    }

    use PaymentState::{Canceled, Completed, Partly, PaymentReview, Pending};
    use TxnStatus::{Error as Err, Pending as Pen, Success as Ok};
    use TxnType::*;

    #[test]
    fn amounts_and_states_follow_the_payment_states_page_and_the_sdk_tests() {
        let aut = |a| txn(Authorize, "s-aut-1", a, Ok, None);
        let chg = |id, a| txn(Charge, id, a, Ok, None);
        let initial = |a| txn(Charge, "s-chg-1", a, Pen, None);
        type Case = (&'static str, Payment, (i64, i64, i64, i64), PaymentState);
        let cases: Vec<Case> = vec![
            ("authorized", payment(PayKind::Card, vec![aut(10_000)]), (10_000, 0, 0, 10_000), Pending),
            (
                "partly charged",
                payment(PayKind::Card, vec![aut(10_000), chg("s-chg-1", 4_000)]),
                (10_000, 4_000, 0, 6_000),
                Partly,
            ),
            (
                "charged then rest reversed",
                payment(
                    PayKind::Card,
                    vec![
                        aut(10_000),
                        chg("s-chg-1", 4_000),
                        txn(CancelAuthorize, "s-cnl-1", 6_000, Ok, Some("s-aut-1")),
                    ],
                ),
                (4_000, 4_000, 0, 0),
                Completed,
            ),
            (
                "fully reversed",
                payment(PayKind::Card, vec![aut(10_000), txn(CancelAuthorize, "s-cnl-1", 10_000, Ok, Some("s-aut-1"))]),
                (0, 0, 0, 0),
                Canceled,
            ),
            (
                "direct charge refunded in part",
                payment(
                    PayKind::Card,
                    vec![chg("s-chg-1", 5_000), txn(CancelCharge, "s-cnl-1", 2_000, Ok, Some("s-chg-1"))],
                ),
                (5_000, 3_000, 2_000, 0),
                Completed,
            ),
            (
                "direct charge fully refunded",
                payment(
                    PayKind::Card,
                    vec![chg("s-chg-1", 5_000), txn(CancelCharge, "s-cnl-1", 5_000, Ok, Some("s-chg-1"))],
                ),
                (5_000, 0, 5_000, 0),
                Canceled,
            ),
            (
                "failed authorization",
                payment(PayKind::Card, vec![txn(Authorize, "s-aut-1", 10_000, Err, None)]),
                (0, 0, 0, 0),
                Canceled,
            ),
            (
                "prepayment awaiting transfer",
                payment(PayKind::Prepayment, vec![initial(8_000)]),
                (8_000, 0, 0, 8_000),
                Pending,
            ),
            (
                "prepayment underpaid",
                payment(PayKind::Prepayment, vec![initial(8_000), chg("s-chg-2", 5_000)]),
                (8_000, 5_000, 0, 3_000),
                Partly,
            ),
            (
                "prepayment received in two transfers",
                payment(PayKind::Prepayment, vec![initial(8_000), chg("s-chg-2", 5_000), chg("s-chg-3", 3_000)]),
                (8_000, 8_000, 0, 0),
                Completed,
            ),
            (
                "prepayment overpaid",
                payment(PayKind::Prepayment, vec![initial(8_000), chg("s-chg-2", 9_000)]),
                (8_000, 9_000, 0, 0),
                PaymentReview,
            ),
            (
                "invoice: part of the unpaid initial charge cancelled (PaymentCancelTest case 14)",
                payment(
                    PayKind::Invoice,
                    vec![initial(10_000), txn(CancelAuthorize, "s-cnl-1", 5_000, Ok, Some("s-chg-1"))],
                ),
                (5_000, 0, 0, 5_000),
                Pending,
            ),
            (
                "invoice: the unpaid initial charge cancelled in full (PaymentCancelTest case 13)",
                payment(
                    PayKind::Invoice,
                    vec![initial(10_000), txn(CancelAuthorize, "s-cnl-1", 10_000, Ok, Some("s-chg-1"))],
                ),
                (0, 0, 0, 0),
                Canceled,
            ),
            (
                "prepayment: receipt, the owed rest reversed, part of the receipt refunded",
                payment(
                    PayKind::Prepayment,
                    vec![
                        initial(10_000),
                        chg("s-chg-2", 6_000),
                        txn(CancelAuthorize, "s-cnl-1", 4_000, Ok, Some("s-chg-1")),
                        txn(CancelCharge, "s-cnl-1", 3_000, Ok, Some("s-chg-2")),
                    ],
                ),
                (6_000, 3_000, 3_000, 0),
                Completed,
            ),
            (
                "chargeback",
                payment(PayKind::Card, vec![chg("s-chg-1", 100), txn(Chargeback, "s-cbk-1", 100, Ok, Some("s-chg-1"))]),
                (100, 0, 100, 0),
                PaymentState::Chargeback,
            ),
        ];
        for (name, p, (total, charged, canceled, remaining), state) in cases {
            assert_eq!(p.amounts(), Amounts { total, charged, canceled, remaining }, "{name}");
            assert_eq!(p.state(), state, "{name}");
        }
    }

    #[test]
    fn open_amounts_shrink_with_every_charge_and_cancel() {
        let p = payment(
            PayKind::Card,
            vec![
                txn(Authorize, "s-aut-1", 10_000, Ok, None),
                txn(Charge, "s-chg-1", 3_000, Ok, None),
                txn(CancelAuthorize, "s-cnl-1", 1_000, Ok, Some("s-aut-1")),
                txn(CancelCharge, "s-cnl-1", 500, Ok, Some("s-chg-1")),
                txn(Charge, "s-chg-2", 9_999, Err, None),
            ],
        );
        assert_eq!(p.authorized_open(), 6_000);
        let c = p.charge("s-chg-1").cloned().unwrap();
        assert_eq!(p.charge_open(&c), 2_500);
        assert_eq!(p.charge_open(p.charge("s-chg-2").unwrap()), 0);
    }

    #[test]
    fn the_initial_charge_of_a_transfer_type_reverses_at_most_what_is_still_owed() {
        let p = payment(
            PayKind::Prepayment,
            vec![
                txn(Charge, "s-chg-1", 10_000, Pen, None),
                txn(Charge, "s-chg-2", 6_000, Ok, None),
                txn(CancelAuthorize, "s-cnl-1", 1_000, Ok, Some("s-chg-1")),
            ],
        );
        let initial = p.charge("s-chg-1").unwrap();
        assert_eq!(p.max_reversal(initial), 3_000);
        assert_eq!(p.charge_open(initial), 3_000);
        assert_eq!(p.charge_open(p.charge("s-chg-2").unwrap()), 6_000);
    }
}
