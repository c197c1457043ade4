//! Table tests of the order state machine: each case drives `decide` → (simulated partner
//! outcome) → `apply` until idle and compares the partner actions taken. A tiny model of the
//! unzer payment is updated by the simulated actions, as re-reading unzer would. The cases are
//! grouped by process: release, documents (invoices, credit notes, rounding), cancellations
//! and problems.

mod cancel;
mod documents;
mod payments;
mod release;
mod transfers;

use std::collections::BTreeSet;

use super::decide::{Action, Ctx, Decision, decide};
use super::facts::{Bank, Doc, DocKind, Line, Payment, PaymentFacts, PixiOrder, PixiStatus, Txn, TxnKind, TxnStatus};
use super::payment_type::PaymentType;
use super::progress::{Event, MoveKind, Moved, Progress, apply};
use super::settings::Mode;

pub(super) const SCOPE: &str = "api:100001";

pub(super) fn order(status: PixiStatus, lines: &[(i64, &str)], docs: &[(&str, DocKind, i64, bool)]) -> PixiOrder {
    PixiOrder {
        order_nr: 100_001,
        external_nr: "600001".into(),
        shop_id: "DEM".into(),
        status,
        payment_method: "UNZERCC".into(),
        mandant: "DEM".into(),
        kk_id: Some("s-pay-1".into()),
        currency: "EUR".into(),
        total_minor: lines.iter().filter(|(_, s)| !matches!(*s, "STO" | "NLB")).map(|(a, _)| a).sum(),
        locked: false,
        merged: false,
        cust_key: 1,
        lines: lines
            .iter()
            .enumerate()
            .map(|(i, (a, st))| Line { key: i as i64 + 1, status: (*st).into(), amount_minor: *a })
            .collect(),
        docs: docs
            .iter()
            .map(|(nr, kind, total, shipped)| Doc {
                nr: (*nr).into(),
                kind: *kind,
                total_minor: *total,
                paid_minor: 0,
                shipped: *shipped,
                manual: false,
            })
            .collect(),
    }
}

pub(super) fn txn(id: &str, kind: TxnKind, status: TxnStatus, amount: i64) -> Txn {
    Txn { id: id.into(), kind, status, amount_minor: amount, parent: None }
}

/// A payment as the shop left it: authorised (authorising types) or charged.
pub(super) fn payment(kind: PaymentType, amount: i64, checkout: TxnStatus) -> Payment {
    let first = if kind.authorizes() {
        txn("s-aut-1", TxnKind::Authorize, checkout, amount)
    } else {
        txn("s-chg-1", TxnKind::Charge, checkout, amount)
    };
    let bank = kind.funds_arrive().then(|| Bank {
        holder: "Unzer Sandbox Merchant".into(),
        iban: "DE89370400440532013000".into(),
        bic: "COBADEFFXXX".into(),
        reference: "4866.5496.0065".into(),
    });
    Payment {
        id: "s-pay-1".into(),
        type_id: format!("s-{}-x", "crd"),
        kind: Ok(kind),
        state: "pending".into(),
        currency: "EUR".into(),
        total_minor: amount,
        txns: vec![first],
        bank,
    }
}

pub(super) struct Run {
    pub(super) actions: Vec<String>,
    pub(super) progress: Progress,
    pub(super) end: Decision,
    pub(super) payment: Payment,
}

/// Drives the machine until idle with every partner call succeeding (or failing where
/// `fail` names the key prefix).
pub(super) fn run(mode: Mode, o: &PixiOrder, mut p: Payment, s: Progress, fail: Option<(&str, bool)>) -> Run {
    let attempted = BTreeSet::new();
    let ctx = Ctx {
        scope: SCOPE,
        mode,
        tolerance_minor: 2,
        invoice_event: "UZE",
        return_event: "UZR",
        attempted: &attempted,
    };
    let mut s = s;
    let mut actions = Vec::new();
    for _ in 0..60 {
        let d = decide(&ctx, o, &PaymentFacts::Found(p.clone()), &s);
        let Decision::Act(a) = d.clone() else {
            return Run { actions, progress: s, end: d, payment: p };
        };
        if let Some(line) = summary(&a) {
            actions.push(line);
        }
        let event = outcome(&a, &mut p, &s, fail);
        s = apply(s, &event, "t");
    }
    panic!("no end: {actions:?}");
}

fn summary(a: &Action) -> Option<String> {
    Some(match a {
        Action::Release { accepted, .. } => format!("release {}", if *accepted { "accepted" } else { "refused" }),
        Action::SetLock { locked, .. } => format!("lock {locked}"),
        Action::WriteBank { .. } => "bank".into(),
        Action::MarkCaptured { invoice, amount_minor, .. } => format!("mark {invoice} {amount_minor}"),
        Action::BookReturn { credit, amount_minor, .. } => format!("book {credit} {amount_minor}"),
        Action::Charge { key, amount_minor, .. } => format!("charge {} {amount_minor}", tail(key)),
        Action::Ship { invoice, .. } => format!("ship {invoice}"),
        Action::Reauthorize { invoice, amount_minor, .. } => format!("reauthorize {invoice} {amount_minor}"),
        Action::Reverse { key, amount_minor, .. } => format!("reverse {} {amount_minor}", tail(key)),
        Action::Refund { key, amount_minor, reason, .. } => format!("refund {} {amount_minor} {reason}", tail(key)),
        Action::Flag { problem, .. } => format!("flag {}", problem.code),
        Action::Comment { .. } | Action::Record(_) => return None,
    })
}

fn tail(key: &str) -> String {
    key.split(':').skip(3).collect::<Vec<_>>().join(":")
}

fn next_id(p: &Payment, prefix: &str) -> String {
    let n = p.txns.iter().filter(|t| t.id.starts_with(prefix)).count() + 1;
    format!("{prefix}{n}")
}

fn outcome(a: &Action, p: &mut Payment, s: &Progress, fail: Option<(&str, bool)>) -> Event {
    // A key fails when it ends with the pattern or starts with it and a colon (`R1`, `ship`):
    // a retry under a longer key (`charge:…:R1:reauth`) does not.
    let failing = |key: &str| {
        fail.filter(|(k, _)| key.ends_with(k) || key.starts_with(&format!("{k}:"))).map(|(_, expired)| expired)
    };
    match a {
        Action::Release { .. } => Event::Released { locked: s.locked_by_us && !s.prepay_lifted },
        Action::SetLock { locked, purpose, reason, .. } => {
            Event::LockChanged { locked: *locked, purpose: *purpose, reason: reason.clone() }
        }
        Action::WriteBank { .. } => Event::BankWritten,
        Action::MarkCaptured { invoice, amount_minor, .. } => {
            Event::InvoiceBalanced { invoice: invoice.clone(), amount_minor: *amount_minor }
        }
        Action::BookReturn { credit, amount_minor, .. } => {
            Event::CreditBooked { credit: credit.clone(), amount_minor: *amount_minor }
        }
        Action::Comment { keys, .. } => Event::Commented { keys: keys.clone() },
        Action::Flag { index, .. } => Event::Flagged { index: *index },
        Action::Record(e) => e.clone(),
        Action::Charge { key, purpose, amount_minor, .. } => {
            if let Some(expired) = failing(key) {
                let reason = if expired { "authorization expired" } else { "refused" };
                let kind = p.kind.as_ref().ok().copied();
                return super::refusal::refused(kind, s, purpose, MoveKind::Charge, key, reason.into());
            }
            let id = next_id(p, "s-chg-");
            p.txns.push(txn(&id, TxnKind::Charge, TxnStatus::Success, *amount_minor));
            Event::Moved {
                purpose: purpose.clone(),
                kind: MoveKind::Charge,
                moved: Moved { key: key.clone(), txn_id: id, amount_minor: *amount_minor, unique_id: String::new() },
            }
        }
        Action::Ship { key, invoice } => {
            if let Some(expired) = failing(key) {
                let reason = if expired { "authorization expired" } else { "refused" };
                let kind = p.kind.as_ref().ok().copied();
                let purpose = super::progress::Purpose::Invoice(invoice.clone());
                return super::refusal::refused(kind, s, &purpose, MoveKind::Ship, key, reason.into());
            }
            let id = next_id(p, "s-shp-");
            p.txns.push(txn(&id, TxnKind::Shipment, TxnStatus::Success, 0));
            Event::Moved {
                purpose: super::progress::Purpose::Invoice(invoice.clone()),
                kind: MoveKind::Ship,
                moved: Moved { key: key.clone(), txn_id: id, amount_minor: 0, unique_id: String::new() },
            }
        }
        Action::Reauthorize { invoice, amount_minor, .. } => {
            Event::Reauthorized { invoice: invoice.clone(), txn_id: "s-aut-1".into(), amount_minor: *amount_minor }
        }
        Action::Reverse { key, purpose, amount_minor } => {
            let id = next_id(p, "s-cnl-");
            p.txns.push(txn(&id, TxnKind::CancelAuthorize, TxnStatus::Success, *amount_minor));
            Event::Moved {
                purpose: purpose.clone(),
                kind: MoveKind::Reverse,
                moved: Moved { key: key.clone(), txn_id: id, amount_minor: *amount_minor, unique_id: String::new() },
            }
        }
        Action::Refund { key, purpose, charge_id, amount_minor, .. } => {
            let id = next_id(p, "s-cnl-");
            // unzer lists a cancel of a transfer type's unpaid initial charge as cancel-authorize.
            let initial = p.kind.as_ref().is_ok_and(|k| k.funds_arrive())
                && p.txns
                    .iter()
                    .find(|t| t.kind == TxnKind::Charge)
                    .is_some_and(|t| Some(&t.id) == charge_id.as_ref() && t.status == TxnStatus::Pending);
            let kind = if initial { TxnKind::CancelAuthorize } else { TxnKind::CancelCharge };
            let mut t = txn(&id, kind, TxnStatus::Success, *amount_minor);
            t.parent = charge_id.clone().or_else(|| p.paid_charges().last().map(|c| c.id.clone()));
            p.txns.push(t);
            Event::Moved {
                purpose: purpose.clone(),
                kind: MoveKind::Refund,
                moved: Moved { key: key.clone(), txn_id: id, amount_minor: *amount_minor, unique_id: String::new() },
            }
        }
    }
}

pub(super) fn hold(amounts: &[i64]) -> PixiOrder {
    let lines: Vec<(i64, &str)> = amounts.iter().map(|a| (*a, "HAL")).collect();
    order(PixiStatus::Hold, &lines, &[])
}

/// A transfer the buyer made: a successful charge of its own.
pub(super) fn receive(p: &mut Payment, amount: i64) {
    let id = next_id(p, "s-chg-");
    p.txns.push(txn(&id, TxnKind::Charge, TxnStatus::Success, amount));
}

pub(super) fn released() -> Progress {
    Progress { released: Some(super::progress::Released { by_us: true, locked: false }), ..Progress::default() }
}
