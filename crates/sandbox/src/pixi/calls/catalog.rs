//! Catalogue-like calls: the imported order XML, items and payment methods.

use std::fmt::Write;

use quick_xml::escape::escape;

use super::super::model::{Install, Order};
use super::super::params::{Args, Ty, opt, req};
use super::super::wire::{Fault, Row, datetime, money};
use super::{Call, Ctx, Sets, null, same};

pub(super) const IMPORT_FIND_XML: Call = Call {
    name: "pixiImportFindXML",
    params: &[req("Id", Ty::Str), req("Type", Ty::Str), opt("Channel", Ty::Int)],
    run: import_find_xml,
};

/// The import log of an openTRANS order found by its `ORDER_ID` (the shop order number,
/// `Type` = `order`): `Request` is the XML the shop sent, with the payment method's XML tag
/// carrying the unzer payment id. Items (`Type` = `item`) are not imported in the sandbox.
fn import_find_xml(inst: &mut Install, a: &Args, _: &Ctx) -> Result<Sets, Fault> {
    let id = a.text("Id").ok_or_else(|| null("Id"))?;
    let rows = match a.text("Type").map(str::to_ascii_lowercase).as_deref() {
        Some("order") => inst
            .order_by_external(id, None)
            .map(|o| {
                Row::new()
                    .opt("Error", None::<String>)
                    .s("Status", "OK")
                    .s("Request", import_xml(inst, o))
                    .opt("Response", None::<String>)
                    .i("XMLLogKey", o.order_nr - 100_000)
                    .d("CreateDate", o.created)
                    .d("UpdateDate", o.created)
            })
            .into_iter()
            .collect(),
        Some("item") => Vec::new(),
        _ => return Err(Fault::raise("@Type must be 'order' or 'item'")),
    };
    Ok(vec![rows])
}

fn import_xml(inst: &Install, o: &Order) -> String {
    let tag = inst
        .payment_methods
        .get(&o.payment_code)
        .map(|m| if m.xml_tag.is_empty() { m.code.clone() } else { m.xml_tag.clone() })
        .unwrap_or_else(|| o.payment_code.clone());
    let mut x = String::from(r#"<?xml version="1.0" encoding="UTF-8"?><ORDER version="1.0" type="standard">"#);
    let _ = write!(
        x,
        "<ORDER_HEADER><ORDER_INFO><ORDER_ID>{}</ORDER_ID><ORDER_DATE>{}</ORDER_DATE><SHOPID>{}</SHOPID>\
         <PRICE_CURRENCY>{}</PRICE_CURRENCY><PAYMENT><{tag}>",
        escape(o.order_nr_external.as_str()),
        datetime(o.order_date),
        escape(o.shop_id.as_str()),
        escape(o.currency.as_str()),
    );
    if let Some(id) = &o.import_payment_id {
        let _ = write!(x, "<PAYMENT_ID>{}</PAYMENT_ID>", escape(id.as_str()));
    }
    let _ = write!(x, "</{tag}></PAYMENT></ORDER_INFO></ORDER_HEADER><ORDER_ITEM_LIST>");
    for l in &o.lines {
        let _ = write!(
            x,
            "<ORDER_ITEM><LINE_ITEM_ID>{}</LINE_ITEM_ID><ARTICLE_ID><SUPPLIER_AID>{}</SUPPLIER_AID>\
             <DESCRIPTION_SHORT>{}</DESCRIPTION_SHORT></ARTICLE_ID><QUANTITY>{}</QUANTITY>\
             <ARTICLE_PRICE><PRICE_AMOUNT>{}</PRICE_AMOUNT></ARTICLE_PRICE></ORDER_ITEM>",
            l.key,
            escape(l.item_nr.as_str()),
            escape(l.name.as_str()),
            l.qty,
            money(l.price_minor)
        );
    }
    let _ = write!(
        x,
        "</ORDER_ITEM_LIST><ORDER_SUMMARY><TOTAL_ITEM_NUM>{}</TOTAL_ITEM_NUM><TOTAL_AMOUNT>{}</TOTAL_AMOUNT>\
         </ORDER_SUMMARY></ORDER>",
        o.lines.len(),
        money(o.lines.iter().map(|l| l.total_minor()).sum::<i64>() + o.ship_cost_minor)
    );
    x
}

pub(super) const GET_ITEM_INFO: Call = Call {
    name: "pixiGetItemInfo",
    params: &[
        opt("LocID", Ty::Str),
        opt("EANUPC", Ty::Str),
        opt("ItemKey", Ty::Int),
        opt("ItemXML", Ty::Str),
        opt("ItemNrInt", Ty::Str),
        opt("ItemNrSuppl", Ty::Str),
        opt("ConsiderFavouriteSupplier", Ty::Bit),
    ],
    run: item_info,
};

fn item_info(inst: &mut Install, a: &Args, _: &Ctx) -> Result<Sets, Fault> {
    let wanted =
        a.text("ItemXML").map(|x| (tag_values(x, "ITEMKEY"), tag_values(x, "EAN"), tag_values(x, "ITEMNRINT")));
    let rows = inst
        .items
        .values()
        .filter(|i| a.int("ItemKey").is_none_or(|k| i.key == k))
        .filter(|i| a.text("EANUPC").is_none_or(|e| i.ean == e))
        .filter(|i| a.text("ItemNrInt").is_none_or(|n| i.nr == n))
        .filter(|i| {
            wanted.as_ref().is_none_or(|(keys, eans, nrs)| {
                keys.contains(&i.key.to_string()) || eans.contains(&i.ean) || nrs.contains(&i.nr)
            })
        })
        .map(|i| {
            Row::new()
                .i("ItemKey", i.key)
                .s("ItemNrInt", &i.nr)
                .s("EANUPC", &i.ean)
                .s("ItemName", &i.name)
                .m("Price", i.price_minor)
                .s("VAT", "19.00")
                .b("Enabled", true)
                .s("LocID", a.text("LocID").unwrap_or("001"))
        })
        .collect();
    Ok(vec![rows])
}

/// Values of `<TAG>value</TAG>` in a simple item-list XML.
fn tag_values(xml: &str, tag: &str) -> Vec<String> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find(&open) {
        let after = &rest[i + open.len()..];
        let Some(j) = after.find(&close) else { break };
        out.push(after[..j].trim().to_owned());
        rest = &after[j..];
    }
    out
}

pub(super) const GET_PAYMENTTYPES: Call = Call {
    name: "pixiGetPaymenttypes",
    params: &[
        opt("Code", Ty::Str),
        opt("TagXML", Ty::Str),
        opt("PaymentText", Ty::Str),
        opt("IniOrderStatus", Ty::Str),
    ],
    run: paymenttypes,
};

/// Exactly the documented columns: the misconfigurations pixi-sync must not rely on reading
/// (direct charge, automatic payment marks) are behaviours of the simulated installation, not
/// columns of this answer.
fn paymenttypes(inst: &mut Install, a: &Args, _: &Ctx) -> Result<Sets, Fault> {
    let rows = inst
        .payment_methods
        .values()
        .filter(|m| a.text("Code").is_none_or(|c| same(c, &m.code)))
        .filter(|m| a.text("TagXML").is_none_or(|t| same(t, &m.xml_tag)))
        .filter(|m| a.text("PaymentText").is_none_or(|t| same(t, &m.text)))
        .filter(|m| a.text("IniOrderStatus").is_none_or(|s| same(s, &m.ini_status)))
        .map(|m| {
            Row::new()
                .s("Code", &m.code)
                .s("XMLTag", &m.xml_tag)
                .s("PaymentText", &m.text)
                .s("IniOrderStatus", &m.ini_status)
        })
        .collect();
    Ok(vec![rows])
}
