//! Every call that changes something at pixi or unzer, as a `kit::journal` operation: the
//! intent and its idempotency key are committed first, the call made, the outcome recorded;
//! a pending or unknown entry is never simply called again — its probe asks the partner
//! first (PX-40). unzer charges and cancels carry the key as `paymentReference`, which unzer
//! echoes when the transaction is read (`php-sdk` `ChargeTest.php` L74-109, `java-sdk`
//! `CancelAfterAuthorizationTest.java` L105-118), so the probe finds them by reading the
//! payment; cancels are looked for under both types, since a cancel of a transfer type's
//! initial charge is listed as `cancel-authorize`. A shipment has no paymentReference: its
//! probe identifies ours by the invoiceId (echoed, `ShipmentTest.php` L30-47) and answers
//! "unknown", never "not done", when a shipment cannot be told apart. pixi writes are probed
//! by reading the order back.

use chrono::NaiveDateTime;
use kit::journal::{CallError, Operation, Probe};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::facts::{Bank, DocKind, PixiStatus, TxnKind, TxnStatus};
use crate::pixi::{PixiClient, PixiError};
use crate::unzer::wire::TxnAnswer;
use crate::unzer::{PrivateKey, UnzerClient, UnzerError};

/// What is done, with every value the call and its probe need (no secrets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum OpSpec {
    /// unzer: charge the authorisation.
    Charge {
        /// Payment.
        payment_id: String,
        /// Amount.
        amount_minor: i64,
        /// invoiceId.
        invoice_id: Option<String>,
    },
    /// unzer: report a shipment.
    Ship {
        /// Payment.
        payment_id: String,
        /// invoiceId.
        invoice_id: String,
    },
    /// unzer: re-authorise a paylater installment or direct debit for the authorised total.
    Reauthorize {
        /// Payment.
        payment_id: String,
        /// The authorised total wanted.
        amount_minor: i64,
        /// Currency.
        currency: String,
    },
    /// unzer: reverse the authorisation.
    Reverse {
        /// Payment.
        payment_id: String,
        /// Amount.
        amount_minor: i64,
    },
    /// unzer: refund a charge (or the paylater payment).
    Refund {
        /// Payment.
        payment_id: String,
        /// Charge; `None` for the paylater payment-level refund.
        charge_id: Option<String>,
        /// Amount.
        amount_minor: i64,
        /// reasonCode.
        reason: String,
    },
    /// pixi: release the order.
    Release {
        /// Order.
        order_nr: i64,
        /// Accepted payment (pixiPaySetAuthorizationStatus) or refused (pixiReleaseOrder).
        accepted: bool,
        /// Shop.
        shop_id: String,
        /// Shop order number.
        external_nr: String,
        /// unzer payment id.
        auth_id: String,
        /// Transaction id.
        auth_code: String,
        /// Log message.
        message: String,
    },
    /// pixi: set or lift the shipping lock.
    Lock {
        /// Order.
        order_nr: i64,
        /// Lock or lift.
        locked: bool,
        /// Reason.
        reason: String,
    },
    /// pixi: write the bank fields.
    Bank {
        /// Order.
        order_nr: i64,
        /// Data.
        bank: Bank,
    },
    /// pixi: mark an invoice captured (books the event).
    CaptureMark {
        /// Order.
        order_nr: i64,
        /// Invoice.
        invoice: String,
        /// Amount.
        amount_minor: i64,
        /// PayID.
        pay_id: String,
        /// PayCode (the pixi payment method).
        pay_code: String,
        /// Booking event.
        event: String,
        /// Message.
        message: String,
    },
    /// pixi: manual booking of a credit note.
    Booking {
        /// Order.
        order_nr: i64,
        /// Customer.
        cust_key: i64,
        /// Credit note.
        credit: String,
        /// Amount.
        amount_minor: i64,
        /// Booking event.
        event: String,
        /// Comment.
        comment: String,
        /// Event date (pixi local time).
        at: NaiveDateTime,
    },
    /// pixi: order comment.
    Comment {
        /// Order.
        order_nr: i64,
        /// Text.
        text: String,
    },
}

impl OpSpec {
    /// Operation name for metrics and the journal.
    pub fn name(&self) -> &'static str {
        match self {
            OpSpec::Charge { .. } => "unzer.charge",
            OpSpec::Ship { .. } => "unzer.shipment",
            OpSpec::Reauthorize { .. } => "unzer.reauthorize",
            OpSpec::Reverse { .. } => "unzer.reverse",
            OpSpec::Refund { .. } => "unzer.refund",
            OpSpec::Release { .. } => "pixi.release",
            OpSpec::Lock { .. } => "pixi.lock",
            OpSpec::Bank { .. } => "pixi.bank",
            OpSpec::CaptureMark { .. } => "pixi.capture_mark",
            OpSpec::Booking { .. } => "pixi.booking",
            OpSpec::Comment { .. } => "pixi.comment",
        }
    }

    /// Goes to unzer (the others go to pixi).
    pub fn is_unzer(&self) -> bool {
        matches!(
            self,
            OpSpec::Charge { .. }
                | OpSpec::Ship { .. }
                | OpSpec::Reauthorize { .. }
                | OpSpec::Reverse { .. }
                | OpSpec::Refund { .. }
        )
    }
}

/// The stored request of a journal entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpRequest {
    /// pixi API configuration.
    pub pixi_api_id: Uuid,
    /// Payment configuration (for the unzer key).
    pub payment_config_id: Uuid,
    /// The call.
    pub spec: OpSpec,
}

/// What a call yields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpOutput {
    /// unzer transaction id (empty for pixi writes).
    pub txn_id: String,
    /// Amount actually moved.
    pub amount_minor: i64,
    /// unzer's `processing.uniqueId` of the transaction (empty for pixi writes and entries
    /// recorded before it was kept).
    #[serde(default)]
    pub unique_id: String,
}

/// One partner call with the clients it needs.
pub struct PartnerOp<'a> {
    /// Idempotency key.
    pub key: String,
    /// Journal scope (`<api>:<order>`).
    pub scope: String,
    /// The request.
    pub request: OpRequest,
    /// pixi client.
    pub pixi: &'a PixiClient,
    /// unzer client.
    pub unzer: &'a UnzerClient,
    /// The merchant's key.
    pub private_key: &'a PrivateKey,
}

/// CT-04: only what unzer says it refused (or already has) is definitive; a transient or
/// unclassifiable error, a refused key and an unreadable answer leave the outcome unknown, so
/// the worker retries later and the journal asks unzer first.
fn unzer_error(e: UnzerError) -> CallError {
    match e {
        UnzerError::Refused { code, message } => CallError::Rejected(format!("{code}: {message}")),
        UnzerError::AlreadyDone { code } => CallError::Rejected(format!("{code}: already done at unzer")),
        UnzerError::NotFound => CallError::Rejected("unzer does not know the payment".into()),
        other => CallError::Unknown(format!("{} ({})", other, other.class())),
    }
}

/// A pixi refusal is definitive (nothing happened); everything else — transient errors
/// included, whose retry the journal decides after probing — is an unknown outcome (CT-04).
fn pixi_error(e: PixiError) -> CallError {
    match e {
        PixiError::Refused { code, message } => CallError::Rejected(format!("{code}: {message}")),
        other => CallError::Unknown(other.to_string()),
    }
}

fn settled(t: TxnAnswer) -> Result<OpOutput, CallError> {
    match t.status {
        TxnStatus::Success => Ok(OpOutput { txn_id: t.id, amount_minor: t.amount_minor, unique_id: t.unique_id }),
        TxnStatus::Error => Err(CallError::Rejected(format!("transaction {} failed ({})", t.id, t.message_code))),
        TxnStatus::Pending => Err(CallError::Unknown(format!("transaction {} is pending at unzer", t.id))),
    }
}

fn probe_of(found: Option<TxnAnswer>) -> Result<Probe<OpOutput>, CallError> {
    match found {
        None => Ok(Probe::NotDone),
        Some(t) => match settled(t) {
            Ok(out) => Ok(Probe::Done(out)),
            Err(CallError::Rejected(r)) => Ok(Probe::Failed(r)),
            Err(e) => Err(e),
        },
    }
}

impl PartnerOp<'_> {
    async fn find(&self, payment_id: &str, kinds: &[TxnKind]) -> Result<Option<TxnAnswer>, CallError> {
        let txns = self.unzer.transactions(self.private_key, payment_id, kinds).await.map_err(unzer_error)?;
        Ok(txns.into_iter().find(|t| t.payment_reference.as_deref() == Some(self.key.as_str())))
    }

    /// Our shipment is the one with our invoiceId; a shipment without one cannot be told
    /// apart, so the answer is "unknown" rather than "not done".
    async fn find_shipment(&self, payment_id: &str, invoice_id: &str) -> Result<Probe<OpOutput>, CallError> {
        let ships =
            self.unzer.transactions(self.private_key, payment_id, &[TxnKind::Shipment]).await.map_err(unzer_error)?;
        if let Some(t) = ships.iter().find(|t| t.invoice_id.as_deref() == Some(invoice_id)) {
            return probe_of(Some(t.clone()));
        }
        if ships.iter().any(|t| t.invoice_id.as_deref().is_none_or(str::is_empty)) {
            return Err(CallError::Unknown(
                "a shipment without invoiceId at unzer: cannot tell whether it is ours".into(),
            ));
        }
        Ok(Probe::NotDone)
    }

    async fn run(&self) -> Result<OpOutput, CallError> {
        let (pixi, unzer, pk, key) = (self.pixi, self.unzer, self.private_key, self.key.as_str());
        match &self.request.spec {
            OpSpec::Charge { payment_id, amount_minor, invoice_id } => settled(
                unzer.charge(pk, payment_id, *amount_minor, invoice_id.as_deref(), key).await.map_err(unzer_error)?,
            ),
            OpSpec::Ship { payment_id, invoice_id } => {
                settled(unzer.ship(pk, payment_id, invoice_id).await.map_err(unzer_error)?)
            }
            OpSpec::Reauthorize { payment_id, amount_minor, currency } => {
                settled(unzer.reauthorize(pk, payment_id, *amount_minor, currency).await.map_err(unzer_error)?)
            }
            OpSpec::Reverse { payment_id, amount_minor } => {
                settled(unzer.reverse(pk, payment_id, *amount_minor, key).await.map_err(unzer_error)?)
            }
            OpSpec::Refund { payment_id, charge_id, amount_minor, reason } => settled(
                unzer
                    .refund(pk, payment_id, charge_id.as_deref(), *amount_minor, reason, key)
                    .await
                    .map_err(unzer_error)?,
            ),
            OpSpec::Release { order_nr, accepted: true, auth_id, auth_code, message, .. } => {
                pixi.set_authorized(*order_nr, auth_id, auth_code, message).await.map_err(pixi_error)?;
                Ok(OpOutput::default())
            }
            OpSpec::Release { shop_id, external_nr, .. } => {
                pixi.release_order(shop_id, external_nr).await.map_err(pixi_error)?;
                Ok(OpOutput::default())
            }
            OpSpec::Lock { order_nr, locked, reason } => {
                pixi.set_order_lock(*order_nr, *locked, reason).await.map_err(pixi_error)?;
                Ok(OpOutput::default())
            }
            OpSpec::Bank { order_nr, bank } => {
                pixi.write_bank(*order_nr, bank).await.map_err(pixi_error)?;
                Ok(OpOutput::default())
            }
            OpSpec::CaptureMark { invoice, amount_minor, pay_id, pay_code, event, message, .. } => {
                pixi.set_invoice_captured(pay_id, pay_code, invoice, *amount_minor, event, message)
                    .await
                    .map_err(pixi_error)?;
                Ok(OpOutput { txn_id: String::new(), amount_minor: *amount_minor, unique_id: String::new() })
            }
            OpSpec::Booking { cust_key, credit, amount_minor, event, comment, at, .. } => {
                pixi.manual_booking(*cust_key, event, *amount_minor, credit, comment, *at).await.map_err(pixi_error)?;
                Ok(OpOutput { txn_id: String::new(), amount_minor: *amount_minor, unique_id: String::new() })
            }
            OpSpec::Comment { order_nr, text } => {
                pixi.create_comment(*order_nr, text).await.map_err(pixi_error)?;
                Ok(OpOutput::default())
            }
        }
    }

    /// Asks the partner whether the call already took effect (also used by the resolver).
    pub async fn check(&self) -> Result<Probe<OpOutput>, CallError> {
        let pixi = self.pixi;
        match &self.request.spec {
            OpSpec::Charge { payment_id, .. } => probe_of(self.find(payment_id, &[TxnKind::Charge]).await?),
            OpSpec::Ship { payment_id, invoice_id } => self.find_shipment(payment_id, invoice_id).await,
            OpSpec::Reauthorize { payment_id, amount_minor, .. } => {
                // A re-authorisation sets the authorised total: done when the authorisation
                // covers it again; sending it once more is harmless.
                let p = self.unzer.payment(self.private_key, payment_id).await.map_err(unzer_error)?;
                let covered = p.authorization().is_some_and(|a| a.status == TxnStatus::Success)
                    && p.authorized_open() + p.charged_minor() >= *amount_minor;
                Ok(if covered {
                    let id = p.authorization().map(|a| a.id.clone()).unwrap_or_default();
                    Probe::Done(OpOutput { txn_id: id, amount_minor: *amount_minor, unique_id: String::new() })
                } else {
                    Probe::NotDone
                })
            }
            OpSpec::Reverse { payment_id, .. } | OpSpec::Refund { payment_id, .. } => {
                probe_of(self.find(payment_id, &[TxnKind::CancelAuthorize, TxnKind::CancelCharge]).await?)
            }
            OpSpec::Release { order_nr, .. } => {
                let o = pixi.order(*order_nr).await.map_err(pixi_error)?;
                Ok(match o {
                    Some(o) if o.status != PixiStatus::Hold => Probe::Done(OpOutput::default()),
                    Some(_) => Probe::NotDone,
                    None => Probe::Failed(format!("pixi does not know order {order_nr}")),
                })
            }
            OpSpec::Lock { order_nr, locked, .. } => {
                let o = pixi.order(*order_nr).await.map_err(pixi_error)?;
                Ok(if o.is_some_and(|o| o.locked == *locked) {
                    Probe::Done(OpOutput::default())
                } else {
                    Probe::NotDone
                })
            }
            OpSpec::Bank { order_nr, bank } => {
                let b = pixi.bank_fields(*order_nr).await.map_err(pixi_error)?;
                Ok(if b.as_ref() == Some(bank) { Probe::Done(OpOutput::default()) } else { Probe::NotDone })
            }
            OpSpec::CaptureMark { order_nr, invoice, amount_minor, .. }
            | OpSpec::Booking { order_nr, credit: invoice, amount_minor, .. } => {
                let kind = if matches!(self.request.spec, OpSpec::Booking { .. }) {
                    DocKind::CreditNote
                } else {
                    DocKind::Invoice
                };
                let docs = pixi.documents(*order_nr).await.map_err(pixi_error)?;
                let paid = docs.iter().find(|d| &d.nr == invoice && d.kind == kind).map(|d| d.paid_minor).unwrap_or(0);
                Ok(if paid >= *amount_minor && paid > 0 {
                    Probe::Done(OpOutput {
                        txn_id: String::new(),
                        amount_minor: *amount_minor,
                        unique_id: String::new(),
                    })
                } else {
                    Probe::NotDone
                })
            }
            OpSpec::Comment { order_nr, text } => {
                let comments = pixi.comments(*order_nr).await.map_err(pixi_error)?;
                Ok(if comments.iter().any(|c| c == text) { Probe::Done(OpOutput::default()) } else { Probe::NotDone })
            }
        }
    }
}

impl Operation for PartnerOp<'_> {
    type Output = OpOutput;

    fn name(&self) -> &'static str {
        self.request.spec.name()
    }

    fn key(&self) -> String {
        self.key.clone()
    }

    fn scope(&self) -> String {
        self.scope.clone()
    }

    fn request(&self) -> serde_json::Value {
        serde_json::to_value(&self.request).unwrap_or(serde_json::Value::Null)
    }

    fn execute(&self) -> impl Future<Output = Result<OpOutput, CallError>> + Send {
        self.run()
    }

    fn probe(&self) -> impl Future<Output = Result<Probe<OpOutput>, CallError>> + Send {
        self.check()
    }
}
