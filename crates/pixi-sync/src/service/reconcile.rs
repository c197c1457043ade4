//! The three-way reconciliation (PX-44): per order pixi-sync processed, pixi's invoices and
//! credit notes ↔ unzer's charges and refunds (found by invoiceId and by the idempotency key
//! carried as paymentReference) ↔ what pixi booked (the documents' paid sums, which the
//! capture marks and matched manual bookings set). Every mismatch is listed with order,
//! document and amounts, recorded as an incident (dashboard, mail, attention event) and
//! counted in a metric.

use kit::OrderId;
use proto::payops::pixi_sync::v1::OrderRef;
use uuid::Uuid;

use super::Worker;
use super::api::ApiCtx;
use crate::bus::{self, Subject};
use crate::domain::facts::{Doc, DocKind, TxnKind, TxnStatus};
use crate::domain::payment_type::{Family, PaymentType};
use crate::domain::progress::{ProblemNote, Progress, Severity, format_minor};
use crate::error::Error;
use crate::metrics as m;
use crate::store::orders::OrderRow;
use crate::store::reconciliation::{self, MismatchRow, RunRow};
use crate::store::{incidents, orders};
use crate::unzer::wire::TxnAnswer;

/// Runs the check for one configuration at once (on demand; the scheduled one is the resumable
/// job in [`super::reconcile_job`]).
pub async fn run(w: &Worker, ctx: &ApiCtx, trigger: &str) -> Result<(RunRow, Vec<MismatchRow>), Error> {
    let i = &w.0;
    let started = i.clock.now();
    let since =
        started - chrono::Duration::from_std(i.settings.reconcile_lookback).unwrap_or(chrono::Duration::days(30));
    let rows = orders::processed_since(&i.pool, ctx.api.id, since).await?;
    let mut found = Vec::new();
    let mut checked = 0;
    for row in &rows {
        if ctx.pixi.quiet_now() {
            return Err(Error::refused("QUIET_WINDOW", "no request goes to pixi between 00:00 and 04:00 local time"));
        }
        if let Some(m) = check_order(w, ctx, row).await? {
            checked += 1;
            found.extend(m);
        }
    }
    let run = RunRow {
        id: Uuid::now_v7(),
        tenant_id: ctx.api.tenant_id,
        pixi_api_id: ctx.api.id,
        trigger: trigger.to_owned(),
        started_at: started,
        finished_at: Some(i.clock.now()),
        orders_checked: checked,
        mismatches: i32::try_from(found.len()).unwrap_or(i32::MAX),
    };
    reconciliation::store(&i.pool, &run, &found).await?;
    flag_all(w, ctx, &found).await?;
    update_gauge(w).await;
    tracing::info!(pixi_api = %ctx.api.id, checked, mismatches = found.len(), trigger, "reconciliation finished");
    Ok((run, found))
}

/// Compares one order (pixi documents, unzer transactions, pixi bookings); `None` when the order
/// has no effective payment configuration. The caller checks the quiet window first.
pub(super) async fn check_order(w: &Worker, ctx: &ApiCtx, row: &OrderRow) -> Result<Option<Vec<MismatchRow>>, Error> {
    let i = &w.0;
    let Some(cfg) = row.payment_config_id.and_then(|id| ctx.configs.iter().find(|c| c.row.id == id)) else {
        return Ok(None);
    };
    let docs = ctx.pixi.documents(row.order_nr).await.map_err(|e| Error::Unavailable(format!("pixi: {e}")))?;
    let kinds = [TxnKind::Charge, TxnKind::CancelCharge, TxnKind::CancelAuthorize];
    let txns = i
        .unzer
        .transactions(&cfg.key, &row.payment_id, &kinds)
        .await
        .map_err(|e| Error::Unavailable(format!("unzer: {e}")))?;
    let payment =
        i.unzer.payment(&cfg.key, &row.payment_id).await.map_err(|e| Error::Unavailable(format!("unzer: {e}")))?;
    let scope = format!("{}:{}", ctx.api.id, row.order_nr);
    let kind = payment.kind.as_ref().ok().copied();
    let mut found = check(row, &scope, kind, &docs, &txns, &payment, cfg.row.tolerance_minor);
    for m in &mut found {
        m.incident_id = crate::domain::incident::mismatch_id(&ctx.api.id.to_string(), m.order_nr, &m.code, &m.document);
    }
    Ok(Some(found))
}

/// Counts and flags mismatches (incident, mail, attention event).
pub(super) async fn flag_all(w: &Worker, ctx: &ApiCtx, found: &[MismatchRow]) -> Result<(), Error> {
    for mm in found {
        metrics::counter!(m::MISMATCHES_FOUND, "code" => mm.code.clone()).increment(1);
        flag(w, ctx, mm).await?;
    }
    Ok(())
}

/// The gauge: mismatches of the latest finished run of every configuration.
pub(super) async fn update_gauge(w: &Worker) {
    match reconciliation::current_total(&w.0.pool).await {
        Ok(total) => metrics::gauge!(m::MISMATCHES).set(total as f64),
        Err(e) => tracing::warn!(error = %e, "cannot read the reconciliation total"),
    }
}

fn mismatch(
    row: &OrderRow,
    doc: &str,
    code: &str,
    pixi: i64,
    unzer: i64,
    booked: i64,
    description: String,
) -> MismatchRow {
    MismatchRow {
        order_nr: row.order_nr,
        document: doc.to_owned(),
        code: code.to_owned(),
        currency: row.currency.clone(),
        pixi_minor: pixi,
        unzer_minor: unzer,
        booked_minor: booked,
        description,
        incident_id: String::new(),
    }
}

/// The pure comparison of one order.
pub fn check(
    row: &OrderRow,
    scope: &str,
    kind: Option<PaymentType>,
    docs: &[Doc],
    txns: &[TxnAnswer],
    payment: &crate::domain::facts::Payment,
    tolerance: i64,
) -> Vec<MismatchRow> {
    let s: &Progress = &row.progress.0;
    let mut out = Vec::new();
    let ok = |t: &&TxnAnswer| t.status == TxnStatus::Success;
    let per_invoice = matches!(kind.map(PaymentType::family), Some(Family::PaylaterInvoice | Family::PaylaterDebit))
        || (kind.map(PaymentType::family) == Some(Family::Authorize) && row.mode == "expert");
    for d in docs {
        let booked = d.paid_minor;
        match d.kind {
            DocKind::Invoice => {
                let Some(p) = s.invoices.get(&d.nr) else {
                    if s.completed && d.shipped {
                        out.push(mismatch(
                            row,
                            &d.nr,
                            "NOT_PROCESSED",
                            d.total_minor,
                            0,
                            booked,
                            format!("invoice {} was never processed by pixi-sync", d.nr),
                        ));
                    }
                    continue;
                };
                if per_invoice && p.charge.is_some() {
                    let charged: i64 = txns
                        .iter()
                        .filter(ok)
                        .filter(|t| t.invoice_id.as_deref() == Some(d.nr.as_str()))
                        .map(|t| t.amount_minor)
                        .sum();
                    if (charged - d.total_minor).abs() > tolerance {
                        out.push(mismatch(
                            row,
                            &d.nr,
                            "CAPTURE_DIFFERS",
                            d.total_minor,
                            charged,
                            booked,
                            format!(
                                "invoice {} is {} in pixi but {} was captured at unzer",
                                d.nr,
                                format_minor(d.total_minor),
                                format_minor(charged)
                            ),
                        ));
                    }
                }
                if p.balanced && booked != d.total_minor {
                    out.push(mismatch(
                        row,
                        &d.nr,
                        "NOT_BOOKED",
                        d.total_minor,
                        0,
                        booked,
                        format!(
                            "invoice {} was marked captured by pixi-sync but pixi shows {} paid",
                            d.nr,
                            format_minor(booked)
                        ),
                    ));
                }
            }
            DocKind::CreditNote => {
                let prefix = format!("refund:{scope}:{}", d.nr);
                let refunded: i64 = txns
                    .iter()
                    .filter(ok)
                    .filter(|t| {
                        t.payment_reference
                            .as_deref()
                            .is_some_and(|r| r == prefix || r.starts_with(&format!("{prefix}:")))
                    })
                    .map(|t| t.amount_minor)
                    .sum();
                let known = s.credits.get(&d.nr);
                if known.is_some_and(|c| c.refunded_minor > 0 || c.booked) && refunded != d.total_minor {
                    out.push(mismatch(
                        row,
                        &d.nr,
                        "REFUND_DIFFERS",
                        d.total_minor,
                        refunded,
                        booked,
                        format!(
                            "credit note {} is {} in pixi but {} was refunded at unzer",
                            d.nr,
                            format_minor(d.total_minor),
                            format_minor(refunded)
                        ),
                    ));
                }
                if known.is_some_and(|c| c.booked) && booked != d.total_minor {
                    out.push(mismatch(
                        row,
                        &d.nr,
                        "NOT_BOOKED",
                        d.total_minor,
                        refunded,
                        booked,
                        format!(
                            "credit note {} was booked by pixi-sync but pixi shows {} matched",
                            d.nr,
                            format_minor(booked)
                        ),
                    ));
                }
                if known.is_none() && s.completed {
                    out.push(mismatch(
                        row,
                        &d.nr,
                        "NOT_PROCESSED",
                        d.total_minor,
                        refunded,
                        booked,
                        format!("credit note {} was never processed by pixi-sync", d.nr),
                    ));
                }
            }
        }
    }
    if s.completed {
        // For a transfer type the initial charge stays pending and every transfer is a charge
        // of its own: what unzer holds is the initial charge less the cancels of what was owed.
        let live: i64 = match payment.initial_charge() {
            Some(i) => i.amount_minor - payment.reversed_minor(),
            None => payment
                .txns
                .iter()
                .filter(|t| t.kind == TxnKind::Charge && t.status != TxnStatus::Error)
                .map(|t| t.amount_minor)
                .sum(),
        };
        let chargebacks: i64 = payment
            .txns
            .iter()
            .filter(|t| t.kind == TxnKind::Chargeback && t.status == TxnStatus::Success)
            .map(|t| t.amount_minor)
            .sum();
        let unzer_net = live - payment.refunded_minor() - chargebacks;
        let pixi_net: i64 =
            docs.iter().map(|d| if d.kind == DocKind::Invoice { d.total_minor } else { -d.total_minor }).sum();
        let booked: i64 =
            docs.iter().map(|d| if d.kind == DocKind::Invoice { d.paid_minor } else { -d.paid_minor }).sum();
        let by_hand = kind.map(PaymentType::family) == Some(Family::Prepayment) && s.manual_balance;
        if !by_hand && (unzer_net - pixi_net).abs() > tolerance {
            out.push(mismatch(
                row,
                "",
                "NET_DIFFERS",
                pixi_net,
                unzer_net,
                booked,
                format!(
                    "the closed order nets {} in pixi (invoices − credit notes) but {} at unzer (charges − refunds − chargebacks)",
                    format_minor(pixi_net),
                    format_minor(unzer_net)
                ),
            ));
        }
    }
    out
}

/// Records a mismatch as an incident of its order (dashboard, mail, attention event).
async fn flag(w: &Worker, ctx: &ApiCtx, mm: &MismatchRow) -> Result<(), Error> {
    let i = &w.0;
    let p = ProblemNote {
        code: format!("RECONCILE_{}", mm.code),
        doc: (!mm.document.is_empty()).then(|| mm.document.clone()),
        severity: Severity::Error,
        title: format!("reconciliation: {}", mm.code.to_ascii_lowercase().replace('_', " ")),
        description: mm.description.clone(),
        flagged: true,
    };
    let subject = Subject {
        order_id: OrderId::parse(mm.order_nr.to_string()).map_err(|e| Error::Corrupt(e.to_string()))?,
        order: OrderRef {
            tenant_id: ctx.api.tenant_id.to_string(),
            pixi_api_config_id: ctx.api.id.to_string(),
            order_nr: mm.order_nr,
            payment_id: String::new(),
        },
        currency: mm.currency.clone(),
    };
    let mut tx = i.pool.begin().await?;
    let new = incidents::record(
        &mut tx,
        &incidents::NewIncident {
            id: &mm.incident_id,
            tenant_id: ctx.api.tenant_id,
            pixi_api_id: ctx.api.id,
            order_nr: mm.order_nr,
            severity: "error",
            code: &p.code,
            document: p.doc.as_deref(),
            title: &p.title,
            description: &p.description,
        },
        i.clock.now(),
    )
    .await?;
    if new {
        let url = i.settings.public_base_url.clone().unwrap_or_default();
        i.outbox.add(&mut tx, bus::attention(&subject, &mm.incident_id, &p, &url)?).await?;
        orders::mark_error(&mut tx, ctx.api.id, mm.order_nr, i.clock.now()).await?;
    }
    tx.commit().await?;
    Ok(())
}
