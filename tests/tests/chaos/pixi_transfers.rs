//! The pixi channel's transfer and invoice plans: the unzer behaviours pixi-sync must follow
//! (CT-07) under the chaos — a prepayment paid in two transfers (the first one partial: the
//! shipping lock must stay), a prepayment cancelled after a partial transfer (what was owed is
//! reversed, what arrived refunded, nothing twice), invoice secured (one shipment per invoice,
//! with its invoiceId), plain invoice and SEPA direct debit secured (unzer refuses their
//! shipment: pixi-sync must never send one) — and their money invariants.

use sandbox::SandboxClient;
use sandbox::pixi::{Cancel, DocKind, OrderStatus, OrderView, Ship};
use sandbox::unzer::{PayKind, PaymentView, SeedOutcome, TxnStatus, TxnType};

use crate::pixi::{Order, Plan, USER};
use crate::report::Invariant;

/// The pixi payment method, unzer type and checkout outcome of a transfer plan.
pub fn checkout(plan: Plan) -> (&'static str, PayKind, SeedOutcome) {
    match plan {
        Plan::Prepay | Plan::PrepayCancel => ("VORKASSE", PayKind::Prepayment, SeedOutcome::Natural),
        Plan::SecuredInvoice => ("UNZERINV", PayKind::InvoiceSecured, SeedOutcome::Natural),
        Plan::PlainInvoice => ("UNZERINV", PayKind::Invoice, SeedOutcome::Natural),
        _ => ("UNZERDD", PayKind::SepaDirectDebitSecured, SeedOutcome::Charged),
    }
}

/// One warehouse/customer step of a transfer plan; `status`/`locked` as pixi shows the order.
pub async fn act(sb: &SandboxClient, o: &mut Order, status: OrderStatus, locked: bool) -> anyhow::Result<()> {
    let released = status == OrderStatus::Open && !locked;
    match (o.plan, o.stage) {
        // The buyer transfers part first; the order must stay locked until the rest arrives.
        (Plan::Prepay | Plan::PrepayCancel, 0) if status == OrderStatus::Open => {
            sb.unzer_receive_transfer(&o.pay_id, Some(o.partial)).await?;
            o.stage = 1;
        }
        (Plan::Prepay, 1) => {
            if released {
                o.unlocked_early = true;
            }
            sb.unzer_receive_transfer(&o.pay_id, Some(o.total - o.partial)).await?;
            o.stage = 2;
        }
        (Plan::Prepay, 2) if released => {
            sb.pixi_ship(USER, o.nr, &Ship::default()).await?;
            o.acted = true;
        }
        (Plan::PrepayCancel, 1) => {
            if released {
                o.unlocked_early = true;
            }
            sb.pixi_cancel(USER, o.nr, &Cancel::default()).await?;
            o.acted = true;
        }
        (Plan::SecuredInvoice | Plan::SecuredDebit, _) if released => {
            sb.pixi_ship(USER, o.nr, &Ship::default()).await?;
            o.acted = true;
        }
        // Plain invoice: delivered first, paid by the buyer afterwards.
        (Plan::PlainInvoice, 0) if released => {
            sb.pixi_ship(USER, o.nr, &Ship::default()).await?;
            o.stage = 1;
        }
        (Plan::PlainInvoice, 1) => {
            sb.unzer_receive_transfer(&o.pay_id, Some(o.total)).await?;
            o.acted = true;
        }
        _ => {}
    }
    Ok(())
}

/// The invariants of a transfer plan: `[twice, amounts, booked, finished]` as in `pixi.rs`.
pub fn check(o: &Order, view: &OrderView, pay: &PaymentView, out: &mut [Invariant; 4]) {
    let [twice, amounts, _, finished] = out;
    let nr = o.nr;
    let of = |k: TxnType| pay.transactions.iter().filter(move |t| t.kind == k && t.status == TxnStatus::Success);
    let ships: Vec<_> = of(TxnType::Shipment).collect();
    let invoices: Vec<_> = view.documents.iter().filter(|d| d.kind == DocKind::Invoice).collect();
    // Money pixi-sync never moves on these types: a charge (the receipts are the buyer's).
    let ours = of(TxnType::Charge).filter(|t| !t.payment_reference.is_empty()).count();
    twice
        .check(ours == 0, || format!("pixi order {nr} ({:?}): pixi-sync charged a transfer type {ours} times", o.plan));
    for inv in &invoices {
        let n = ships.iter().filter(|s| s.invoice_id == inv.nr).count();
        twice.check(n <= 1, || format!("pixi order {nr}: invoice {} shipped {n} times", inv.nr));
    }
    amounts.check(!o.unlocked_early, || format!("pixi order {nr} ({:?}): unlocked after a partial transfer", o.plan));
    let reversed: i64 = of(TxnType::CancelAuthorize).map(|t| t.amount_minor).sum();
    let refunded: i64 = of(TxnType::CancelCharge).map(|t| t.amount_minor).sum();
    let received: i64 = pay.received_minor;
    let captured = !invoices.is_empty() && invoices.iter().all(|d| d.captured);
    let done = match o.plan {
        Plan::Prepay => {
            amounts.check(reversed + refunded == 0, || {
                format!("pixi order {nr} (Prepay): cancelled {}", reversed + refunded)
            });
            o.acted && captured
        }
        Plan::PrepayCancel => {
            // What was owed is reversed on the initial charge, what arrived refunded: once each.
            amounts.check(refunded <= received && reversed + refunded <= o.total, || {
                format!("pixi order {nr} (PrepayCancel): reversed {reversed} + refunded {refunded}, received {received} of {}", o.total)
            });
            o.acted && reversed + refunded == o.total
        }
        Plan::SecuredInvoice => {
            amounts.check(ships.len() == invoices.len(), || {
                format!("pixi order {nr}: {} shipments for {} invoices", ships.len(), invoices.len())
            });
            o.acted && captured && ships.len() == invoices.len()
        }
        _ => {
            amounts.check(ships.is_empty(), || {
                format!("pixi order {nr} ({:?}): {} shipments unzer refuses for this type", o.plan, ships.len())
            });
            o.acted && captured && view.status == OrderStatus::Closed
        }
    };
    finished.check(done, || {
        format!(
            "pixi order {nr} ({:?}) not finished: status {:?}, stage {}, {} invoices captured {captured}, received {received}, reversed {reversed}, refunded {refunded}",
            o.plan,
            view.status,
            o.stage,
            invoices.len()
        )
    });
}
