//! The pixi part of the preflight (CT-06), per pixi API configuration, read-only: the
//! credentials, the API revision, every call pixi-sync makes installed, every column it reads
//! present (harmless reads through the adapter itself, so a missing column is named exactly as
//! the worker would meet it), the configured payment methods as pixi knows them, what pixi's
//! API cannot show (warnings saying what to check in pixi), and pixi's clock.

use chrono::{DateTime, Duration, Utc};
use kit::preflight::{Report, clock_offset};

use crate::pixi::{Caps, PixiClient, PixiError};
use crate::store::payment_configs::PaymentConfigRow;

/// Every call pixi-sync makes (`pixiSysGetCurrentRevision` is optional: without it pixi-sync
/// sends only the parameters every revision has). Of the seed's list, pixiGetOrderTotals,
/// pixiAddCustomerComment, pixiSetShippingLock (a customer-level lock), pixiGetItemInfo and
/// pixiGetCreditCardInfo are not needed; pixiGetPaymenttypes, pixiReleaseOrder,
/// pixiGetOrderComments and pixiChangeAddress are needed although the seed does not list them.
pub const CALLS: [&str; 19] = [
    "pixiGetPaymenttypes",
    "pixiGetChangedOrders",
    "pixiPayGetOrdersToAuthorize",
    "pixiPayGetInvoicesToCapture",
    "pixiGetOrderHeader",
    "pixiGetOrderline",
    "pixiGetInvoice",
    "pixiGetInvoiceLines",
    "pixiImportFindXML",
    "pixiGetOrderComments",
    "pixiGetAddress",
    "pixiCanChangeAddress",
    "pixiPaySetAuthorizationStatus",
    "pixiReleaseOrder",
    "pixiSetOrderShippingLock",
    "pixiChangeAddress",
    "pixiPaySetInvoiceCapture",
    "pixiCACreateManualBooking",
    "pixiCreateOrderComment",
];

fn unreachable(e: &PixiError) -> (String, &'static str) {
    match e {
        PixiError::Unauthorized => (
            "pixi refused the API user and password".into(),
            "enter the pixi API user and password pixi support gave you (pixi API configuration)",
        ),
        PixiError::QuietWindow => (
            "inside the nightly quiet window (00:00–04:00 pixi time) nothing is sent to pixi".into(),
            "run the preflight after 04:00 pixi time",
        ),
        PixiError::Contract(c) => (format!("pixi's answer breaks its contract: {c}"), "ask pixi support"),
        other => (format!("pixi cannot be asked: {other}"), "check the endpoint URL and the network path to pixi"),
    }
}

/// Runs the pixi checks of one configuration (`name`) into `report`; when pixi cannot be
/// asked at all, that one failure is the report's pixi part.
pub async fn check(
    client: &PixiClient,
    name: &str,
    configs: &[PaymentConfigRow],
    now: DateTime<Utc>,
    report: &mut Report,
) {
    let label = |c: &str| format!("pixi {name}: {c}");
    let methods = match client.payment_methods().await {
        Ok(m) => {
            report.ok(label("credentials"), format!("accepted ({} payment methods)", m.len()));
            m
        }
        Err(e) => {
            let (detail, fix) = unreachable(&e);
            report.fail(label("credentials"), detail, fix);
            return;
        }
    };
    let client = match client.revision().await {
        Ok(r) => {
            let caps = Caps::of(Some(r));
            let text = r.iter().map(u32::to_string).collect::<Vec<_>>().join(".");
            let what = if caps.lock_reason() {
                "lock reasons and paged payment lists are sent"
            } else if caps.pay_paging() {
                "paged payment lists are sent; lock reasons are pixi's own text (Reason exists from 23.03)"
            } else {
                "lock reasons are pixi's own text and the payment lists read pixi's default 30 rows (from 22.06 more)"
            };
            report.ok(label("API revision"), format!("{text}: {what}"));
            client.clone().with_caps(caps)
        }
        Err(e) => {
            report.warn(
                label("API revision"),
                format!("not known ({e}): pixi-sync sends only the parameters every revision has"),
                "ask pixi support to install pixiSysGetCurrentRevision",
            );
            client.clone()
        }
    };
    calls(&client, &label, report).await;
    columns(&client, &label, configs, now, report).await;
    for cfg in configs {
        let m = &cfg.payment_method;
        match methods.iter().find(|p| p.code.eq_ignore_ascii_case(m)) {
            None => report.fail(
                label(&format!("payment method {m}")),
                format!("pixi has no payment method {m}"),
                "configure the pixi payment method code exactly as pixi names it (pixiGetPaymenttypes Code)",
            ),
            Some(p) if p.ini_status != "HAL" => report.fail(
                label(&format!("payment method {m}")),
                format!(
                    "orders of {m} are imported with status {}, not HAL (HOLD): they can ship unchecked",
                    p.ini_status
                ),
                "ask pixi support to set the method's initial order status (IniOrderStatus) to HAL",
            ),
            Some(p) => report.ok(label(&format!("payment method {m}")), format!("imported on HOLD ({})", p.text)),
        }
    }
    unreadable(&label, configs, report);
    match client.server_date().await {
        Ok(Some(theirs)) => clock_offset(report, &format!("pixi {name}:"), (theirs - now).num_seconds(), 30, 300),
        Ok(None) => report.warn(label("clock offset"), "pixi's answer carries no Date header", "none needed"),
        Err(e) => report.warn(label("clock offset"), format!("not measured: {e}"), "run the preflight again"),
    }
}

async fn calls(client: &PixiClient, label: &impl Fn(&str) -> String, report: &mut Report) {
    let mut missing = Vec::new();
    for call in CALLS {
        match client.call_installed(call).await {
            Ok(true) => {}
            Ok(false) => missing.push(call),
            Err(e) => {
                report.warn(
                    label("calls installed"),
                    format!("cannot be asked ({e}); the column checks below still read through each call"),
                    "ask pixi support to install pixiSysGetCallInfo",
                );
                return;
            }
        }
    }
    if missing.is_empty() {
        report.ok(label("calls installed"), format!("all {} calls pixi-sync makes", CALLS.len()));
    }
    for call in missing {
        report.fail(
            label(&format!("call {call}")),
            format!("{call} is not installed"),
            format!("ask pixi support to install {call}"),
        );
    }
}

/// Reads through every read call once; a contract error names the column.
async fn columns(
    client: &PixiClient,
    label: &impl Fn(&str) -> String,
    configs: &[PaymentConfigRow],
    now: DateTime<Utc>,
    report: &mut Report,
) {
    let mut seen: Vec<&'static str> = Vec::new();
    let fail = |call: &'static str, e: PixiError, report: &mut Report| match e {
        PixiError::Contract(c) => report.fail(
            label(&format!("{call} columns")),
            format!("column {} {}", c.field, c.problem),
            format!("ask pixi support: {call} must answer {} (pixi-sync reads it)", c.field),
        ),
        other => report.fail(label(&format!("{call} columns")), format!("not read: {other}"), "see the calls above"),
    };
    let from = (now - Duration::days(7)).with_timezone(&client.tz()).format("%Y-%m-%dT%H:%M:%S").to_string();
    let mut order = None;
    match client.changed_orders(&from).await {
        Ok(c) => {
            seen.push("pixiGetChangedOrders");
            order = c.orders.first().map(|o| o.0);
        }
        Err(e) => fail("pixiGetChangedOrders", e, report),
    }
    if let Some(method) = configs.first().map(|c| c.payment_method.as_str()) {
        match client.orders_to_authorize(method, 1).await {
            Ok(o) => {
                seen.push("pixiPayGetOrdersToAuthorize");
                order = order.or(o.first().copied());
            }
            Err(e) => fail("pixiPayGetOrdersToAuthorize", e, report),
        }
        match client.invoices_to_capture(method, 0, 1).await {
            Ok(_) => seen.push("pixiPayGetInvoicesToCapture"),
            Err(e) => fail("pixiPayGetInvoicesToCapture", e, report),
        }
    }
    match client.all_documents(0, 1).await {
        Ok(rows) => {
            seen.push("pixiGetInvoice");
            order = order.or(rows.first().map(|r| r.order_nr));
        }
        Err(e) => fail("pixiGetInvoice", e, report),
    }
    let Some(nr) = order else {
        report.warn(
            label("order columns"),
            "no order in pixi to read header, lines and documents from",
            "run the preflight again once pixi has an order",
        );
        return;
    };
    let header = match client.order_header(nr).await {
        Ok(h) => {
            seen.push("pixiGetOrderHeader");
            h
        }
        Err(e) => {
            fail("pixiGetOrderHeader", e, report);
            None
        }
    };
    match client.order_lines(nr).await {
        Ok(_) => seen.push("pixiGetOrderline"),
        Err(e) => fail("pixiGetOrderline", e, report),
    }
    match client.documents(nr).await {
        Ok(docs) => {
            if let Some(d) = docs.first() {
                match client.invoice_line_statuses(&d.nr).await {
                    Ok(_) => seen.push("pixiGetInvoiceLines"),
                    Err(e) => fail("pixiGetInvoiceLines", e, report),
                }
            }
        }
        Err(e) => fail("pixiGetInvoice", e, report),
    }
    match client.comments(nr).await {
        Ok(_) => seen.push("pixiGetOrderComments"),
        Err(e) => fail("pixiGetOrderComments", e, report),
    }
    match client.can_change_address(nr).await {
        Ok(_) => seen.push("pixiCanChangeAddress"),
        Err(e) => fail("pixiCanChangeAddress", e, report),
    }
    if let Some(h) = header {
        match client.address_bank(h.addr_ref).await {
            Ok(_) => seen.push("pixiGetAddress"),
            Err(e) => fail("pixiGetAddress", e, report),
        }
        let tag = configs.first().map_or("", |c| c.xml_tag.as_str());
        match client.import_payment_id(&h.external_nr, tag).await {
            Ok(_) => seen.push("pixiImportFindXML"),
            Err(e) => fail("pixiImportFindXML", e, report),
        }
    }
    seen.dedup();
    report.ok(label("columns read"), format!("present in order {nr}: {}", seen.join(", ")));
}

/// What pixi's API does not show, as warnings saying exactly what to check in pixi (PX-26,
/// seed section 6.1).
fn unreadable(label: &impl Fn(&str) -> String, configs: &[PaymentConfigRow], report: &mut Report) {
    let methods: Vec<&str> = configs.iter().map(|c| c.payment_method.as_str()).collect();
    if methods.is_empty() {
        return;
    }
    let list = methods.join(", ");
    report.warn(
        label("payment methods not like credit cards, not auto-paid"),
        format!("pixi's API does not show how {list} behave(s) when pixi writes invoices and credit notes"),
        format!(
            "check in pixi Control Center > Tables > Payment Types for {list}: not a credit-card method (direct charge off), \
             no automatic payment or matching of invoices and credit notes ('CA Auto Create Payment' off, no paid mark); \
             only pixi support can change this table. pixi-sync flags a document pixi marked paid (PAID_BY_PIXI)"
        ),
    );
    report.warn(
        label("returns credited without a bank refund"),
        "pixi's API does not show whether a credit note was created with 'Keine DTAUS erzeugen'",
        "credit every return of these methods with 'Keine DTAUS erzeugen' ('Don't create SEPA transaction') ticked: \
         otherwise pixi also refunds by bank transfer — a second refund next to the one pixi-sync makes at unzer",
    );
}
