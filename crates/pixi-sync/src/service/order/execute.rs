//! Executing one action: pixi and unzer calls through the journal, money movements reserved
//! under the order's ceilings first, and the outcome turned into the domain event.

use std::collections::BTreeSet;

use kit::journal::Outcome;

use super::super::api::PaymentCfg;
use super::super::ops::{OpOutput, OpRequest, OpSpec, PartnerOp};
use super::{Run, Settle, Step};
use crate::domain::decide::Action;
use crate::domain::facts::{PaymentFacts, PixiOrder};
use crate::domain::progress::{Event, Expiry, LockPurpose, MoveKind, Moved, PixiWrite, Progress, Purpose};
use crate::domain::refusal;
use crate::error::Error;
use crate::pixi::PixiError;
use crate::store::movements::{self, Reserve};

impl Run<'_> {
    pub(super) async fn perform(
        &self,
        cfg: &PaymentCfg,
        key: &str,
        spec: OpSpec,
        attempted: &mut BTreeSet<String>,
    ) -> Result<Outcome<OpOutput>, Error> {
        let i = &self.w.0;
        let op = PartnerOp {
            key: key.to_owned(),
            scope: self.scope.to_owned(),
            request: OpRequest { pixi_api_id: self.ctx.api.id, payment_config_id: cfg.row.id, spec },
            pixi: &self.ctx.pixi,
            unzer: &i.unzer,
            private_key: &cfg.key,
        };
        attempted.insert(key.to_owned());
        Ok(i.journal.perform_locked(self.lock, &op).await?)
    }

    #[allow(clippy::too_many_lines, reason = "one match over the actions")]
    pub(super) async fn execute(
        &self,
        cfg: &PaymentCfg,
        o: &PixiOrder,
        facts: &PaymentFacts,
        s: &Progress,
        action: &Action,
        attempted: &mut BTreeSet<String>,
    ) -> Result<Step, Error> {
        let payment_id = match facts {
            PaymentFacts::Found(p) => p.id.clone(),
            _ => o.kk_id.clone().unwrap_or_default(),
        };
        let pixi_step = |outcome: Outcome<OpOutput>, ok: Event, what: PixiWrite, doc: Option<String>| match outcome {
            Outcome::Succeeded { .. } => Step::Applied(ok, None),
            Outcome::Failed(reason) => Step::Applied(Event::PixiRefused { what, doc, reason }, None),
            Outcome::Unknown(reason) => Step::Unknown(reason, Some(PixiError::Unknown("outcome unknown".into()))),
        };
        Ok(match action {
            Action::Record(e) => Step::Applied(e.clone(), None),
            Action::Flag { index, problem } => {
                let id = crate::domain::incident::incident_id(
                    &self.ctx.api.id.to_string(),
                    self.nr,
                    &problem.code,
                    problem.doc.as_deref(),
                );
                Step::Flag(Event::Flagged { index: *index }, id)
            }
            Action::Comment { key, keys, text } => {
                let journal_key =
                    format!("comment:{}:{}+{}", self.scope, key.trim_start_matches("comment:"), keys.len());
                let spec = OpSpec::Comment { order_nr: self.nr, text: text.clone() };
                let out = self.perform(cfg, &journal_key, spec, attempted).await?;
                match out {
                    Outcome::Unknown(reason) => Step::Unknown(reason, Some(PixiError::Unknown("comment".into()))),
                    // A refused comment is dropped: it must not block the order.
                    _ => Step::Applied(Event::Commented { keys: keys.clone() }, None),
                }
            }
            Action::Release { key, accepted, auth_code, message } => {
                let spec = OpSpec::Release {
                    order_nr: self.nr,
                    accepted: *accepted,
                    shop_id: o.shop_id.clone(),
                    external_nr: o.external_nr.clone(),
                    auth_id: payment_id.clone(),
                    auth_code: auth_code.clone(),
                    message: message.clone(),
                };
                let locked = s.locked_by_us && !s.prepay_lifted;
                pixi_step(
                    self.perform(cfg, key, spec, attempted).await?,
                    Event::Released { locked },
                    PixiWrite::Release,
                    None,
                )
            }
            Action::SetLock { key, locked, purpose, reason } => {
                let spec = OpSpec::Lock { order_nr: self.nr, locked: *locked, reason: reason.clone() };
                let what = match purpose {
                    LockPurpose::Refused => PixiWrite::LockRefused,
                    LockPurpose::Prepayment => PixiWrite::LockPrepayment,
                    LockPurpose::Lift => PixiWrite::LockLift,
                };
                let ok = Event::LockChanged { locked: *locked, purpose: *purpose, reason: reason.clone() };
                pixi_step(self.perform(cfg, key, spec, attempted).await?, ok, what, None)
            }
            Action::WriteBank { key, bank } => {
                let spec = OpSpec::Bank { order_nr: self.nr, bank: bank.clone() };
                pixi_step(self.perform(cfg, key, spec, attempted).await?, Event::BankWritten, PixiWrite::Bank, None)
            }
            Action::MarkCaptured { key, invoice, amount_minor, charge_id, pay_id, event } => {
                let pay_id = if !pay_id.is_empty() {
                    pay_id.clone()
                } else if charge_id.contains("-chg-") {
                    // A charge pixi-sync did not make (the shop's): its unique id comes from unzer.
                    let path = format!("charges/{charge_id}");
                    match self.w.0.unzer.transaction(&cfg.key, &payment_id, &path).await {
                        Ok(t) if !t.unique_id.is_empty() => t.unique_id,
                        Ok(_) => return Ok(Step::Unknown(format!("unzer names no unique id for {charge_id}"), None)),
                        Err(e) => return Ok(Step::Unknown(format!("reading {charge_id} at unzer: {e}"), None)),
                    }
                } else {
                    // No charge at all (cannot happen for the families that mark invoices): the payment.
                    charge_id.clone()
                };
                let spec = OpSpec::CaptureMark {
                    order_nr: self.nr,
                    invoice: invoice.clone(),
                    amount_minor: *amount_minor,
                    pay_id,
                    pay_code: o.payment_method.clone(),
                    event: event.clone(),
                    message: format!(
                        "payops: {} captured at unzer ({payment_id})",
                        crate::domain::progress::format_minor(*amount_minor)
                    ),
                };
                let ok = Event::InvoiceBalanced { invoice: invoice.clone(), amount_minor: *amount_minor };
                pixi_step(self.perform(cfg, key, spec, attempted).await?, ok, PixiWrite::Balance, Some(invoice.clone()))
            }
            Action::BookReturn { key, credit, amount_minor, event } => {
                let spec = OpSpec::Booking {
                    order_nr: self.nr,
                    cust_key: o.cust_key,
                    credit: credit.clone(),
                    amount_minor: *amount_minor,
                    event: event.clone(),
                    comment: format!("payops: credit note {credit} refunded at unzer ({payment_id})"),
                    at: self.w.0.clock.now().with_timezone(&self.ctx.tz).naive_local(),
                };
                let ok = Event::CreditBooked { credit: credit.clone(), amount_minor: *amount_minor };
                pixi_step(self.perform(cfg, key, spec, attempted).await?, ok, PixiWrite::Book, Some(credit.clone()))
            }
            Action::Charge { key, purpose, amount_minor, invoice_id } => {
                let spec = OpSpec::Charge {
                    payment_id: payment_id.clone(),
                    amount_minor: *amount_minor,
                    invoice_id: invoice_id.clone(),
                };
                self.money(cfg, o, (facts, s), key, purpose, MoveKind::Charge, *amount_minor, spec, attempted).await?
            }
            Action::Ship { key, invoice } => {
                let spec = OpSpec::Ship { payment_id: payment_id.clone(), invoice_id: invoice.clone() };
                self.money(
                    cfg,
                    o,
                    (facts, s),
                    key,
                    &Purpose::Invoice(invoice.clone()),
                    MoveKind::Ship,
                    0,
                    spec,
                    attempted,
                )
                .await?
            }
            Action::Reauthorize { key, invoice, amount_minor } => {
                // Moves no money (no movement row): the journal alone keeps it single.
                let spec = OpSpec::Reauthorize {
                    payment_id: payment_id.clone(),
                    amount_minor: *amount_minor,
                    currency: o.currency.clone(),
                };
                match self.perform(cfg, key, spec, attempted).await? {
                    Outcome::Succeeded { output, .. } => Step::Applied(
                        Event::Reauthorized {
                            invoice: invoice.clone(),
                            txn_id: output.txn_id,
                            amount_minor: *amount_minor,
                        },
                        None,
                    ),
                    Outcome::Failed(reason) => Step::Applied(
                        Event::MoveFailed {
                            purpose: Purpose::Invoice(invoice.clone()),
                            kind: MoveKind::Charge,
                            key: key.clone(),
                            reason: format!("re-authorisation refused: {reason}"),
                            expired: Some(Expiry::PaymentPeriod),
                        },
                        None,
                    ),
                    Outcome::Unknown(reason) => Step::Unknown(reason, None),
                }
            }
            Action::Reverse { key, purpose, amount_minor } => {
                let spec = OpSpec::Reverse { payment_id: payment_id.clone(), amount_minor: *amount_minor };
                self.money(cfg, o, (facts, s), key, purpose, MoveKind::Reverse, *amount_minor, spec, attempted).await?
            }
            Action::Refund { key, purpose, charge_id, amount_minor, reason } => {
                let spec = OpSpec::Refund {
                    payment_id: payment_id.clone(),
                    charge_id: charge_id.clone(),
                    amount_minor: *amount_minor,
                    reason: (*reason).to_owned(),
                };
                self.money(cfg, o, (facts, s), key, purpose, MoveKind::Refund, *amount_minor, spec, attempted).await?
            }
        })
    }

    /// A money movement: reserve under the ceilings, perform through the journal, settle.
    #[allow(clippy::too_many_arguments, reason = "one movement")]
    pub(super) async fn money(
        &self,
        cfg: &PaymentCfg,
        o: &PixiOrder,
        (facts, s): (&PaymentFacts, &Progress),
        key: &str,
        purpose: &Purpose,
        kind: MoveKind,
        amount: i64,
        spec: OpSpec,
        attempted: &mut BTreeSet<String>,
    ) -> Result<Step, Error> {
        let i = &self.w.0;
        let reserve = movements::reserve(
            &i.pool,
            key,
            self.ctx.api.id,
            self.nr,
            kind,
            &purpose.document(),
            amount,
            &o.currency,
            i.clock.now(),
        )
        .await?;
        if let Reserve::Ceiling(c) = reserve {
            let reason = format!("refused by pixi-sync: the amount would break the money ceiling ({c})");
            return Ok(Step::Applied(
                Event::MoveFailed { purpose: purpose.clone(), kind, key: key.to_owned(), reason, expired: None },
                None,
            ));
        }
        let out = self.perform(cfg, key, spec, attempted).await?;
        Ok(match out {
            Outcome::Succeeded { output, .. } => {
                let moved = Moved {
                    key: key.to_owned(),
                    txn_id: output.txn_id.clone(),
                    amount_minor: if kind == MoveKind::Ship { 0 } else { output.amount_minor },
                    unique_id: output.unique_id.clone(),
                };
                let settle = Settle {
                    key: key.to_owned(),
                    ok: true,
                    txn_id: Some(output.txn_id),
                    amount: Some(moved.amount_minor),
                    kind,
                };
                Step::Applied(Event::Moved { purpose: purpose.clone(), kind, moved }, Some(settle))
            }
            Outcome::Failed(reason) => {
                let settle = Settle { key: key.to_owned(), ok: false, txn_id: None, amount: None, kind };
                let pay_kind = match facts {
                    PaymentFacts::Found(p) => p.kind.as_ref().ok().copied(),
                    _ => None,
                };
                Step::Applied(refusal::refused(pay_kind, s, purpose, kind, key, reason), Some(settle))
            }
            Outcome::Unknown(reason) => Step::Unknown(reason, None),
        })
    }
}

pub(super) fn action_name(a: &Action) -> &'static str {
    match a {
        Action::Release { .. } => "release",
        Action::SetLock { .. } => "lock",
        Action::WriteBank { .. } => "bank",
        Action::MarkCaptured { .. } => "capture_mark",
        Action::BookReturn { .. } => "booking",
        Action::Comment { .. } => "comment",
        Action::Charge { .. } => "charge",
        Action::Ship { .. } => "shipment",
        Action::Reauthorize { .. } => "reauthorization",
        Action::Reverse { .. } => "reversal",
        Action::Refund { .. } => "refund",
        Action::Flag { .. } => "flag",
        Action::Record(_) => "record",
    }
}

pub(super) fn history_action(e: &Event) -> String {
    match e {
        Event::Released { locked: true } => "released with lock".into(),
        Event::Released { .. } => "released".into(),
        Event::ReleasedExternally => "released in pixi".into(),
        Event::Refusal { code, .. } => format!("refused: {code}"),
        Event::LockChanged { locked, .. } => {
            if *locked {
                "lock set".into()
            } else {
                "lock lifted".into()
            }
        }
        Event::BankWritten => "transfer data written".into(),
        Event::Moved { kind, purpose, .. } => format!("{} {}", kind.as_str(), purpose.document()),
        Event::MoveFailed { kind, purpose, .. } => format!("{} {} failed", kind.as_str(), purpose.document()),
        Event::AuthorizationExpired { invoice, .. } => format!("authorisation expired {invoice}"),
        Event::Reauthorized { invoice, .. } => format!("reauthorized {invoice}"),
        Event::SumChecked { invoice } => format!("sum checked {invoice}"),
        Event::SumExceeded { invoice, .. } => format!("sum exceeded {invoice}"),
        Event::InvoiceBalanced { invoice, .. } => format!("balanced {invoice}"),
        Event::CreditBooked { credit, .. } => format!("booked {credit}"),
        Event::PixiRefused { what, .. } => format!("pixi refused {}", what.describe()),
        Event::Commented { .. } => "comment written".into(),
        Event::Problem(p) => format!("problem {}", p.code),
        Event::Flagged { .. } => "incident flagged".into(),
        Event::ManualBalance { .. } => "manual balance needed".into(),
        Event::Completed => "completed".into(),
    }
}
