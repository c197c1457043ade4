//! What pixi-sync reads before it decides about an order: the pixi order with its lines and
//! documents, and the unzer payment with its transactions. Plain data, parsed at the adapter
//! boundary; the helpers are the arithmetic the processes need.

use super::payment_type::{PaymentType, UnsupportedType};

/// pixi order status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum PixiStatus {
    /// Parked until released (lines HAL).
    Hold,
    /// Released.
    Open,
    /// Every line shipped, returned or cancelled.
    Closed,
}

impl PixiStatus {
    /// Parses pixi's value.
    pub fn parse(s: &str) -> Option<PixiStatus> {
        match s.trim().to_ascii_uppercase().as_str() {
            "HOLD" | "HAL" => Some(PixiStatus::Hold),
            "OPEN" => Some(PixiStatus::Open),
            "CLOSED" => Some(PixiStatus::Closed),
            _ => None,
        }
    }

    /// pixi's value.
    pub fn as_str(self) -> &'static str {
        match self {
            PixiStatus::Hold => "HOLD",
            PixiStatus::Open => "OPEN",
            PixiStatus::Closed => "CLOSED",
        }
    }
}

/// One order line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// `OrderlineKey`.
    pub key: i64,
    /// Line status (`HAL`, `ANG`, `EIN`, `AUS`, `STO`, `NLB`, `RET`, …).
    pub status: String,
    /// Quantity × price, minor units.
    pub amount_minor: i64,
}

impl Line {
    /// Cancelled (`STO`) or not deliverable (`NLB`).
    pub fn is_cancelled(&self) -> bool {
        matches!(self.status.as_str(), "STO" | "NLB")
    }
}

/// Invoice or credit note.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    /// Invoice (`R`).
    Invoice,
    /// Credit note (`G`).
    CreditNote,
}

/// A pixi invoice or credit note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Doc {
    /// Document number.
    pub nr: String,
    /// Kind.
    pub kind: DocKind,
    /// Amount (positive for both kinds).
    pub total_minor: i64,
    /// `PayedSum` (positive).
    pub paid_minor: i64,
    /// Shipped (invoices); credit notes always count as shipped.
    pub shipped: bool,
    /// Written by hand in pixi (an invoice without order lines, a credit note without a
    /// returned line): not processed automatically (seed: "Manuelle Gutschriften/Rechnungen
    /// — keine automatische Verarbeitung").
    pub manual: bool,
}

/// A pixi order as read through the SOAP API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PixiOrder {
    /// pixi order number.
    pub order_nr: i64,
    /// Shop order number.
    pub external_nr: String,
    /// Shop.
    pub shop_id: String,
    /// Status.
    pub status: PixiStatus,
    /// pixi payment method code.
    pub payment_method: String,
    /// Mandant.
    pub mandant: String,
    /// "KK-ID": the unzer payment id.
    pub kk_id: Option<String>,
    /// Currency.
    pub currency: String,
    /// Order total (lines not cancelled + shipping).
    pub total_minor: i64,
    /// Shipping lock set.
    pub locked: bool,
    /// Merged with another order (PX-24).
    pub merged: bool,
    /// Customer key.
    pub cust_key: i64,
    /// Lines.
    pub lines: Vec<Line>,
    /// Invoices and credit notes.
    pub docs: Vec<Doc>,
}

impl PixiOrder {
    /// PX-20: a manual or exchange order has no unzer payment id and the shop order number
    /// `P` + the internal order number.
    pub fn is_manual(&self) -> bool {
        self.kk_id.as_deref().is_none_or(|k| k.trim().is_empty()) && self.external_nr == format!("P{}", self.order_nr)
    }

    /// Invoices pixi wrote for the order's lines, in number order (manual ones left out).
    pub fn invoices(&self) -> impl Iterator<Item = &Doc> {
        self.docs.iter().filter(|d| d.kind == DocKind::Invoice && !d.manual)
    }

    /// Credit notes of returns, in number order (manual ones left out).
    pub fn credit_notes(&self) -> impl Iterator<Item = &Doc> {
        self.docs.iter().filter(|d| d.kind == DocKind::CreditNote && !d.manual)
    }

    /// Documents written by hand: not processed automatically.
    pub fn manual_docs(&self) -> impl Iterator<Item = &Doc> {
        self.docs.iter().filter(|d| d.manual)
    }

    /// Sum of all invoices.
    pub fn invoiced_minor(&self) -> i64 {
        self.invoices().map(|d| d.total_minor).sum()
    }

    /// Value of the cancelled lines (STO/NLB).
    pub fn cancelled_minor(&self) -> i64 {
        self.lines.iter().filter(|l| l.is_cancelled()).map(|l| l.amount_minor).sum()
    }

    /// PX-17: every line is cancelled.
    pub fn all_cancelled(&self) -> bool {
        !self.lines.is_empty() && self.lines.iter().all(Line::is_cancelled)
    }
}

/// unzer transaction type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxnKind {
    /// Authorisation.
    Authorize,
    /// Charge.
    Charge,
    /// Reversal of the authorisation.
    CancelAuthorize,
    /// Refund of a charge (or cancel of an unpaid one).
    CancelCharge,
    /// Shipment notice.
    Shipment,
    /// Chargeback.
    Chargeback,
    /// Anything else.
    Other,
}

impl TxnKind {
    /// Parses `transactions[].type`.
    pub fn parse(s: &str) -> TxnKind {
        match s {
            "authorize" | "preauthorize" => TxnKind::Authorize,
            "charge" => TxnKind::Charge,
            "cancel-authorize" => TxnKind::CancelAuthorize,
            "cancel-charge" => TxnKind::CancelCharge,
            "shipment" => TxnKind::Shipment,
            "chargeback" => TxnKind::Chargeback,
            _ => TxnKind::Other,
        }
    }
}

/// unzer transaction status; an unknown value counts as pending ("find out"), never success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxnStatus {
    /// Done.
    Success,
    /// Waiting (redirect, transfer) or unknown.
    Pending,
    /// Failed.
    Error,
}

impl TxnStatus {
    /// Parses `transactions[].status`.
    pub fn parse(s: &str) -> TxnStatus {
        match s {
            "success" => TxnStatus::Success,
            "error" => TxnStatus::Error,
            _ => TxnStatus::Pending,
        }
    }
}

/// One transaction of a payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Txn {
    /// Transaction id (`s-chg-2`).
    pub id: String,
    /// Type.
    pub kind: TxnKind,
    /// Status.
    pub status: TxnStatus,
    /// Amount, minor units.
    pub amount_minor: i64,
    /// The charge a cancel-charge or chargeback belongs to (from its URL).
    pub parent: Option<String>,
}

/// Transfer data of a prepayment or invoice charge (PX-12).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Bank {
    /// Recipient (account holder).
    pub holder: String,
    /// IBAN.
    pub iban: String,
    /// BIC.
    pub bic: String,
    /// Payment reference (descriptor) the customer must quote.
    pub reference: String,
}

/// An unzer payment as read through `GET /v1/payments/{id}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    /// `s-pay-N`.
    pub id: String,
    /// Payment-type id (`s-crd-…`).
    pub type_id: String,
    /// The parsed type.
    pub kind: Result<PaymentType, UnsupportedType>,
    /// Payment state name (`pending`, `completed`, …).
    pub state: String,
    /// Currency.
    pub currency: String,
    /// `amount.total`.
    pub total_minor: i64,
    /// Transactions, oldest first.
    pub txns: Vec<Txn>,
    /// Transfer data of the charge, for prepayment and invoice types.
    pub bank: Option<Bank>,
}

impl Payment {
    fn sum(&self, kind: TxnKind, pred: impl Fn(&Txn) -> bool) -> i64 {
        self.txns.iter().filter(|t| t.kind == kind && pred(t)).map(|t| t.amount_minor).sum()
    }

    /// The authorisation (the first one).
    pub fn authorization(&self) -> Option<&Txn> {
        self.txns.iter().find(|t| t.kind == TxnKind::Authorize)
    }

    /// Charges that succeeded (for transfer types: paid).
    pub fn paid_charges(&self) -> impl Iterator<Item = &Txn> {
        self.txns.iter().filter(|t| t.kind == TxnKind::Charge && t.status == TxnStatus::Success)
    }

    /// Sum of successful charges (for transfer types: the money received).
    pub fn charged_minor(&self) -> i64 {
        self.sum(TxnKind::Charge, |t| t.status == TxnStatus::Success)
    }

    /// The checkout charge of a transfer type (prepayment, invoice, invoice secured): it never
    /// leaves pending; what the buyer transfers arrives as charges of its own
    /// (`php-sdk` `IsInvoiceType.php`; docs: manage Unzer prepayment).
    pub fn initial_charge(&self) -> Option<&Txn> {
        if !self.kind.as_ref().is_ok_and(|k| k.funds_arrive()) {
            return None;
        }
        self.txns.iter().find(|t| t.kind == TxnKind::Charge)
    }

    /// The initial charge while it waits: cancels on it reverse what the buyer owes.
    fn is_unpaid_initial(&self, t: &Txn) -> bool {
        t.status == TxnStatus::Pending && self.initial_charge().is_some_and(|i| i.id == t.id)
    }

    /// Money received by transfer: the successful charges (the receipts; the initial charge
    /// too, should unzer ever mark it paid).
    pub fn received_minor(&self) -> i64 {
        if self.initial_charge().is_none() {
            return 0;
        }
        self.charged_minor()
    }

    /// Successful cancels (either type) and chargebacks nested under charge `c`.
    fn cancelled_on(&self, c: &Txn) -> i64 {
        self.txns
            .iter()
            .filter(|t| {
                matches!(t.kind, TxnKind::CancelCharge | TxnKind::CancelAuthorize | TxnKind::Chargeback)
                    && t.status == TxnStatus::Success
                    && t.parent.as_deref() == Some(c.id.as_str())
            })
            .map(|t| t.amount_minor)
            .sum()
    }

    /// What the buyer of a transfer type still owes, i.e. the most a cancel of the initial
    /// charge may reverse: `initial − received − cancelled on it`
    /// (`CancelService::calculateMaxReversalAmount`); 0 for other types.
    pub fn max_reversal(&self) -> i64 {
        match self.initial_charge() {
            Some(i) if i.status == TxnStatus::Pending => {
                (i.amount_minor - self.received_minor() - self.cancelled_on(i)).max(0)
            }
            _ => 0,
        }
    }

    /// Where a transfer type's money stands (`None` for other types).
    pub fn funds(&self) -> Option<Funds> {
        let i = self.initial_charge()?;
        let received = self.received_minor();
        let owed = i.amount_minor - self.cancelled_on(i);
        Some(if received == 0 {
            Funds::Awaited
        } else if received < owed {
            Funds::Partial { received_minor: received, owed_minor: owed }
        } else {
            Funds::Received
        })
    }

    /// Sum of successful refunds and cancels of charges.
    pub fn refunded_minor(&self) -> i64 {
        self.sum(TxnKind::CancelCharge, |t| t.status == TxnStatus::Success)
    }

    /// Sum of successful reversals of the authorisation.
    pub fn reversed_minor(&self) -> i64 {
        self.sum(TxnKind::CancelAuthorize, |t| t.status == TxnStatus::Success)
    }

    /// What the authorisation still covers: authorised − reversed − charged (pending charges
    /// count); 0 without a successful authorisation.
    pub fn authorized_open(&self) -> i64 {
        match self.authorization() {
            Some(a) if a.status == TxnStatus::Success => {
                let live = self.sum(TxnKind::Charge, |t| t.status != TxnStatus::Error);
                (a.amount_minor - self.reversed_minor() - live).max(0)
            }
            _ => 0,
        }
    }

    /// What can still be cancelled on charge `c`: its amount minus its cancels and
    /// chargebacks; for a transfer type's initial charge what the buyer still owes
    /// ([`Payment::max_reversal`]): money received is refunded on the receipts.
    pub fn charge_open(&self, c: &Txn) -> i64 {
        if c.status == TxnStatus::Error {
            return 0;
        }
        if self.is_unpaid_initial(c) {
            return self.max_reversal();
        }
        (c.amount_minor - self.cancelled_on(c)).max(0)
    }

    /// The newest charge that can still be refunded (paid first; for transfer types also a
    /// pending, unpaid one, whose cancel means the buyer owes less).
    pub fn refundable_charge(&self) -> Option<&Txn> {
        let charges = || self.txns.iter().rev().filter(|t| t.kind == TxnKind::Charge);
        charges()
            .find(|t| t.status == TxnStatus::Success && self.charge_open(t) > 0)
            .or_else(|| charges().find(|t| t.status == TxnStatus::Pending && self.charge_open(t) > 0))
    }

    /// For transfer types: the customer's money arrived in full. A partial transfer is not
    /// the money: it neither lifts a prepayment's shipping lock nor balances the invoice.
    pub fn funds_received(&self) -> bool {
        self.funds() == Some(Funds::Received)
    }

    /// A shipment was reported.
    pub fn has_shipment(&self) -> bool {
        self.txns.iter().any(|t| t.kind == TxnKind::Shipment && t.status == TxnStatus::Success)
    }
}

/// Where a transfer type's money stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Funds {
    /// Nothing received yet.
    Awaited,
    /// Part of what is owed arrived (the payment is `partly` at unzer).
    Partial {
        /// Received so far.
        received_minor: i64,
        /// Owed in all (the initial charge less its cancels).
        owed_minor: i64,
    },
    /// Everything owed arrived.
    Received,
}

/// What unzer said about the order's payment.
#[derive(Debug, Clone, PartialEq, Eq)]
#[expect(clippy::large_enum_variant, reason = "one value per order sync, almost always Found")]
pub enum PaymentFacts {
    /// The payment.
    Found(Payment),
    /// unzer does not know the payment id (404).
    NotFound(String),
    /// The order carries no unzer payment id (neither KK-ID nor in the import XML).
    NoPaymentId,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn txn(id: &str, kind: TxnKind, status: TxnStatus, amount: i64, parent: Option<&str>) -> Txn {
        Txn { id: id.into(), kind, status, amount_minor: amount, parent: parent.map(Into::into) }
    }

    fn order(external: &str, kk: Option<&str>) -> PixiOrder {
        PixiOrder {
            order_nr: 100_001,
            external_nr: external.into(),
            shop_id: "DEM".into(),
            status: PixiStatus::Hold,
            payment_method: "UNZERCC".into(),
            mandant: "DEM".into(),
            kk_id: kk.map(Into::into),
            currency: "EUR".into(),
            total_minor: 1000,
            locked: false,
            merged: false,
            cust_key: 1,
            lines: vec![],
            docs: vec![],
        }
    }

    #[test]
    fn px_20_manual_orders_have_no_payment_id_and_a_p_number() {
        let cases = [
            ("P100001", None, true),
            ("P100001", Some(""), true),
            ("P100001", Some("s-pay-1"), false),
            ("P100002", None, false),
            ("600001", None, false),
            ("p100001", None, false),
        ];
        for (external, kk, manual) in cases {
            assert_eq!(order(external, kk).is_manual(), manual, "{external} {kk:?}");
        }
    }

    #[test]
    fn payment_arithmetic_table() {
        let p = Payment {
            id: "s-pay-1".into(),
            type_id: "s-crd-x".into(),
            kind: Ok(PaymentType::Card),
            state: "partly".into(),
            currency: "EUR".into(),
            total_minor: 10_000,
            txns: vec![
                txn("s-aut-1", TxnKind::Authorize, TxnStatus::Success, 10_000, None),
                txn("s-chg-1", TxnKind::Charge, TxnStatus::Success, 3000, None),
                txn("s-chg-2", TxnKind::Charge, TxnStatus::Success, 2000, None),
                txn("s-cnl-1", TxnKind::CancelCharge, TxnStatus::Success, 2000, Some("s-chg-2")),
                txn("s-cnl-2", TxnKind::CancelAuthorize, TxnStatus::Success, 1000, None),
                txn("s-chg-3", TxnKind::Charge, TxnStatus::Error, 500, None),
            ],
            bank: None,
        };
        assert_eq!(p.charged_minor(), 5000);
        assert_eq!(p.refunded_minor(), 2000);
        assert_eq!(p.authorized_open(), 10_000 - 1000 - 5000);
        assert_eq!(p.charge_open(&p.txns[2]), 0);
        assert_eq!(p.refundable_charge().map(|t| t.id.as_str()), Some("s-chg-1"));
        assert_eq!(p.funds(), None, "a card payment has no transfer funds");
    }

    #[test]
    fn transfer_arithmetic_follows_the_sdk_max_reversal() {
        let pay = |txns| Payment {
            id: "s-pay-1".into(),
            type_id: "s-ppy-x".into(),
            kind: Ok(PaymentType::Prepayment),
            state: "partly".into(),
            currency: "EUR".into(),
            total_minor: 10_000,
            txns,
            bank: None,
        };
        let initial = txn("s-chg-1", TxnKind::Charge, TxnStatus::Pending, 10_000, None);
        let p = pay(vec![initial.clone()]);
        assert_eq!((p.funds(), p.max_reversal(), p.charge_open(&p.txns[0])), (Some(Funds::Awaited), 10_000, 10_000));
        let p = pay(vec![initial.clone(), txn("s-chg-2", TxnKind::Charge, TxnStatus::Success, 6_000, None)]);
        assert_eq!(p.funds(), Some(Funds::Partial { received_minor: 6_000, owed_minor: 10_000 }));
        assert!(!p.funds_received(), "a partial transfer is not the money");
        assert_eq!((p.max_reversal(), p.charge_open(&p.txns[0]), p.charge_open(&p.txns[1])), (4_000, 4_000, 6_000));
        let p = pay(vec![
            initial.clone(),
            txn("s-chg-2", TxnKind::Charge, TxnStatus::Success, 6_000, None),
            txn("s-cnl-1", TxnKind::CancelAuthorize, TxnStatus::Success, 4_000, Some("s-chg-1")),
        ]);
        assert_eq!(p.funds(), Some(Funds::Received), "the owed rest was cancelled: what arrived is all");
        assert_eq!((p.max_reversal(), p.refunded_minor()), (0, 0), "a reversal of what was owed is no refund");
        let p = pay(vec![initial, txn("s-chg-2", TxnKind::Charge, TxnStatus::Success, 10_000, None)]);
        assert!(p.funds_received());
        assert_eq!(p.refundable_charge().map(|t| t.id.as_str()), Some("s-chg-2"), "refunds go on the receipt");
    }
}
