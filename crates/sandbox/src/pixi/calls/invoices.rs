//! Invoice calls: the invoice list (invoices `R` and credit notes `G`) and invoice lines.

use super::super::model::{DocKind, Install};
use super::super::params::{Args, Ty, opt, req};
use super::super::wire::{Fault, Row};
use super::{Call, Ctx, Sets, null, row_count, same};

pub(super) const GET_INVOICE: Call = Call {
    name: "pixiGetInvoice",
    params: &[
        opt("ShopID", Ty::Str),
        opt("OrderNR", Ty::Int),
        opt("RowCount", Ty::Int),
        opt("StartKey", Ty::Int),
        opt("InvDateFrom", Ty::DateTime),
        opt("InvDateTo", Ty::DateTime),
    ],
    run: invoice,
};

/// Documents with `InvoiceKey` > `StartKey`, at most `RowCount`; `TotalRows` = rows returned.
fn invoice(inst: &mut Install, a: &Args, _: &Ctx) -> Result<Sets, Fault> {
    let start = a.int("StartKey").unwrap_or(0);
    let picked: Vec<_> = inst
        .docs
        .values()
        .filter(|d| d.key > start)
        .filter(|d| a.int("OrderNR").filter(|n| *n != 0).is_none_or(|n| d.order_nr == n))
        .filter(|d| a.datetime("InvDateFrom").is_none_or(|t| d.created >= t))
        .filter(|d| a.datetime("InvDateTo").is_none_or(|t| d.created <= t))
        .filter_map(|d| inst.orders.get(&d.order_nr).map(|o| (d, o)))
        .filter(|(_, o)| a.text("ShopID").is_none_or(|s| same(s, &o.shop_id)))
        .take(row_count(a, 1000))
        .collect();
    let total_rows = i64::try_from(picked.len()).unwrap_or(i64::MAX);
    let rows = picked
        .into_iter()
        .map(|(d, o)| {
            let credit = d.kind == DocKind::CreditNote;
            let sign = if credit { -1 } else { 1 };
            Row::new()
                .i("InvoiceKey", d.key)
                .s("InvoiceNr", &d.nr)
                .s("DocumentType", if credit { "G" } else { "R" })
                .i("OrderNr", o.order_nr)
                .s("OrderNrExternal", &o.order_nr_external)
                .s("ShopID", &o.shop_id)
                .i("CustKey", d.cust_key)
                .d("InvDate", d.created)
                .od("ShipDate", d.shipped)
                .m("Total", sign * d.total_minor)
                .m("ShipCost", d.ship_cost_minor)
                .m("PayedSum", sign * d.paid_minor)
                .b("Paid", d.paid_minor > 0 && d.paid_minor >= d.total_minor)
                .od("PaidDate", d.paid_date)
                .s("PaymentType", &o.payment_code)
                .opt("ccpPayID", o.kk_id.clone())
                .s("Currency", &o.currency)
                .i("TotalRows", total_rows)
        })
        .collect();
    Ok(vec![rows])
}

pub(super) const GET_INVOICE_LINES: Call = Call {
    name: "pixiGetInvoiceLines",
    params: &[req("InvoiceNr", Ty::Str), opt("IncludeSpecialInvLines", Ty::Bit)],
    run: invoice_lines,
};

/// The lines of one document; with `IncludeSpecialInvLines=1` also the shipping-cost line.
fn invoice_lines(inst: &mut Install, a: &Args, _: &Ctx) -> Result<Sets, Fault> {
    let nr = a.text("InvoiceNr").ok_or_else(|| null("InvoiceNr"))?;
    let (Some(d), special) = (inst.doc_by_nr(nr), a.bit("IncludeSpecialInvLines").unwrap_or(false)) else {
        return Ok(vec![Vec::new()]);
    };
    let Some(o) = inst.orders.get(&d.order_nr) else { return Ok(vec![Vec::new()]) };
    let base = || Row::new().s("InvoiceNr", &d.nr).i("OrderNr", o.order_nr);
    let mut rows: Vec<Row> = o
        .lines
        .iter()
        .filter(|l| d.line_keys.contains(&l.key))
        .map(|l| {
            base()
                .i("OrderlineKey", l.key)
                .i("BoxNr", d.key)
                .s("ItemNr", &l.ean)
                .s("ArtNr", &l.item_nr)
                .s("EanUpc", &l.ean)
                .s("ArtName", &l.name)
                .s("ItemText", &l.name)
                .i("ItemQty", l.qty)
                .i("OrderQty", l.qty)
                .m("Price", l.price_minor)
                .s("Status", l.status.as_str())
                .s("ItemVAT", "1")
                .m("ShipCost", d.ship_cost_minor)
        })
        .collect();
    if special && d.ship_cost_minor > 0 {
        rows.push(
            base()
                .s("ArtNr", "ZZZ")
                .s("ArtName", "Versandkosten")
                .s("ItemText", "Versandkosten")
                .i("ItemQty", 1)
                .i("OrderQty", 1)
                .m("Price", d.ship_cost_minor)
                .s("ItemVAT", "1")
                .m("ShipCost", d.ship_cost_minor),
        );
    }
    Ok(vec![rows])
}
