//! The pixi adapter against the contract cases (CT-02, CT-04, CT-05): the replay server knows
//! only `crates/sandbox/contracts/pixi/`; the driver builds the real `PixiClient` pointed at
//! it, calls the operation a case names with the case's `input` (and the installation revision
//! the input gives) and reports the outcome as JSON.

use std::collections::BTreeMap;

use kit::clock::ManualClock;
use kit::outbound::{Outbound, OutboundConfig};
use pixi_sync::domain::facts::{Bank, DocKind};
use pixi_sync::domain::quiet::QuietWindow;
use pixi_sync::pixi::{Caps, PixiClient, PixiError, PixiTarget, parse_revision};
use sandbox::contracts::{LoadedCase, check_adapter, field_name, load_partner};
use serde_json::{Value, json};

fn s(v: &Value, k: &str) -> String {
    v.get(k).and_then(Value::as_str).unwrap_or_default().to_owned()
}

fn i(v: &Value, k: &str) -> i64 {
    v.get(k).and_then(Value::as_i64).unwrap_or_default()
}

fn client(url: &str, input: &Value) -> PixiClient {
    let config = OutboundConfig { read_retries: 0, ..OutboundConfig::default() };
    PixiClient::new(
        Outbound::new("pixi", &config).unwrap(),
        PixiTarget {
            endpoint: format!("{url}/"),
            user: "shop-api".into(),
            password: "s3cret".to_owned().into(),
            tz: chrono_tz::Europe::Berlin,
        },
        ManualClock::at_default().shared(),
        QuietWindow::default(),
        Caps::of(input.get("revision").and_then(Value::as_str).and_then(parse_revision)),
    )
}

fn kind(k: DocKind) -> &'static str {
    if k == DocKind::Invoice { "invoice" } else { "credit_note" }
}

async fn call(c: &PixiClient, op: &str, x: &Value) -> Result<Value, PixiError> {
    let ok = |v: Value| {
        let mut v = v;
        v["status"] = json!("ok");
        v
    };
    Ok(match op {
        "pixiGetPaymenttypes" => {
            let m = c.payment_methods().await?;
            let list: Vec<Value> = m
                .iter()
                .map(|m| json!({"code": m.code, "xml_tag": m.xml_tag, "text": m.text, "ini_status": m.ini_status}))
                .collect();
            ok(json!({ "methods": list }))
        }
        "pixiGetChangedOrders" => {
            let ch = c.changed_orders(&s(x, "from")).await?;
            ok(json!({"orders": ch.orders, "next_from": ch.next_from}))
        }
        "pixiPayGetOrdersToAuthorize" => {
            ok(json!({"orders": c.orders_to_authorize(&s(x, "payment_code"), 5000).await?}))
        }
        "pixiPayGetInvoicesToCapture" => {
            ok(json!({"invoices": c.invoices_to_capture(&s(x, "payment_code"), i(x, "from_invoice_id"), 1000).await?}))
        }
        "pixiGetOrderHeader" => match c.order_header(i(x, "order_nr")).await? {
            None => json!({"status": "not_found"}),
            Some(h) => ok(json!({"header": {
                "external_nr": h.external_nr, "shop_id": h.shop_id, "mandant": h.mandant, "cust_key": h.cust_key,
                "addr_ref": h.addr_ref, "status": h.status.as_str(), "payment_method": h.payment_method,
                "kk_id": h.kk_id, "currency": h.currency, "total_minor": h.total_minor, "locked": h.locked,
                "merged": h.merged}})),
        },
        "pixiGetOrderline" => {
            let lines = c.order_lines(i(x, "order_nr")).await?;
            ok(json!({"lines": lines.iter().map(|l| json!([l.key, l.status, l.amount_minor])).collect::<Vec<_>>()}))
        }
        "pixiGetInvoice" if x.get("order_nr").is_some() => {
            let docs = c.documents(i(x, "order_nr")).await?;
            let list: Vec<Value> = docs
                .iter()
                .map(|d| json!({"nr": d.nr, "kind": kind(d.kind), "total_minor": d.total_minor, "paid_minor": d.paid_minor, "shipped": d.shipped}))
                .collect();
            ok(json!({ "documents": list }))
        }
        "pixiGetInvoice" => {
            let rows = c.all_documents(i(x, "start_key"), i(x, "row_count")).await?;
            let list: Vec<Value> = rows
                .iter()
                .map(|r| json!({"key": r.key, "order_nr": r.order_nr, "payment_method": r.payment_method, "nr": r.doc.nr, "kind": kind(r.doc.kind)}))
                .collect();
            ok(json!({ "rows": list }))
        }
        "pixiGetInvoiceLines" => ok(json!({"statuses": c.invoice_line_statuses(&s(x, "invoice_nr")).await?})),
        "pixiImportFindXML" => {
            ok(json!({"payment_id": c.import_payment_id(&s(x, "external_nr"), &s(x, "xml_tag")).await?}))
        }
        "pixiGetOrderComments" => ok(json!({"comments": c.comments(i(x, "order_nr")).await?})),
        "pixiGetAddress" => {
            let b = c.address_bank(i(x, "addr_key")).await?;
            ok(
                json!({"bank": b.map(|b| json!({"holder": b.holder, "iban": b.iban, "bic": b.bic, "reference": b.reference}))}),
            )
        }
        "pixiCanChangeAddress" => ok(json!({"can_change": c.can_change_address(i(x, "order_nr")).await?})),
        "pixiSysGetCurrentRevision" => {
            let r = c.revision().await?;
            ok(json!({"revision": r.iter().map(u32::to_string).collect::<Vec<_>>().join(".")}))
        }
        "pixiSysGetCallInfo" => ok(json!({"installed": c.call_installed(&s(x, "call")).await?})),
        "pixiPaySetAuthorizationStatus" => {
            c.set_authorized(i(x, "order_nr"), &s(x, "auth_id"), &s(x, "auth_code"), &s(x, "message")).await?;
            ok(json!({}))
        }
        "pixiReleaseOrder" => {
            ok(json!({"affected_rows": c.release_order(&s(x, "shop_id"), &s(x, "external_nr")).await?}))
        }
        "pixiSetOrderShippingLock" => {
            let locked = x.get("locked").and_then(Value::as_bool).unwrap_or(true);
            ok(json!({"return_code": c.set_order_lock(i(x, "order_nr"), locked, &s(x, "reason")).await?}))
        }
        "pixiChangeAddress" => {
            let b = &x["bank"];
            let bank =
                Bank { holder: s(b, "holder"), iban: s(b, "iban"), bic: s(b, "bic"), reference: s(b, "reference") };
            c.write_bank(i(x, "order_nr"), &bank).await?;
            ok(json!({}))
        }
        "pixiPaySetInvoiceCapture" => {
            let (pay_id, code, nr) = (s(x, "pay_id"), s(x, "pay_code"), s(x, "invoice_nr"));
            c.set_invoice_captured(&pay_id, &code, &nr, i(x, "amount_minor"), &s(x, "event"), &s(x, "message")).await?;
            ok(json!({}))
        }
        "pixiCACreateManualBooking" => {
            let at = chrono::NaiveDateTime::parse_from_str(&s(x, "at"), "%Y-%m-%dT%H:%M:%S").unwrap();
            let (event, doc, comment) = (s(x, "event"), s(x, "match_doc"), s(x, "comment"));
            c.manual_booking(i(x, "cust_key"), &event, i(x, "amount_minor"), &doc, &comment, at).await?;
            ok(json!({}))
        }
        "pixiCreateOrderComment" => {
            c.create_comment(i(x, "order_nr"), &s(x, "comment")).await?;
            ok(json!({}))
        }
        other => panic!("no driver arm for {other}"),
    })
}

/// The pixi driver: runs the case's operation against the replay server at `url`.
async fn drive(url: String, case: LoadedCase) -> Value {
    let op = case.operation.as_str();
    let before: BTreeMap<String, u64> = case
        .case
        .reads
        .iter()
        .map(|r| {
            let f = field_name(r);
            let n = kit::contract::violations("pixi", op, &f);
            (f, n)
        })
        .collect();
    let c = client(&url, &case.case.input);
    match call(&c, op, &case.case.input).await {
        Ok(v) => v,
        Err(PixiError::Contract(e)) => {
            let counted =
                kit::contract::violations("pixi", e.operation, &e.field) > before.get(&e.field).copied().unwrap_or(0);
            json!({"error": "contract", "field": e.field, "counted": counted})
        }
        Err(e) => json!({"error": e.class(), "detail": e.to_string()}),
    }
}

fn failure_case(c: &LoadedCase) -> bool {
    c.case.expect.get("error").is_some()
}

async fn run(filter: impl Fn(&LoadedCase) -> bool) -> Vec<String> {
    let all = load_partner("pixi").expect("pixi cases");
    let chosen: Vec<LoadedCase> = all.iter().filter(|c| filter(c)).cloned().collect();
    assert!(!chosen.is_empty());
    check_adapter(all, &chosen, drive).await
}

#[tokio::test]
async fn ct_02_pixi_adapter_sends_every_case_request_and_makes_the_expected_outcome_of_its_answer() {
    let lines: Vec<String> =
        run(|c| !failure_case(c)).await.into_iter().filter(|l| !l.contains(": answer with ")).collect();
    assert!(lines.is_empty(), "{} differences:\n{}", lines.len(), lines.join("\n"));
}

#[tokio::test]
async fn ct_04_pixi_adapter_classifies_every_failure_answer_refused_transient_or_unknown() {
    let lines = run(failure_case).await;
    assert!(lines.is_empty(), "{} differences:\n{}", lines.len(), lines.join("\n"));
}

#[tokio::test]
async fn ct_05_pixi_adapter_reads_every_needed_column_fail_closed_and_counts_the_violation() {
    let lines: Vec<String> =
        run(|c| !c.case.reads.is_empty()).await.into_iter().filter(|l| l.contains(": answer with ")).collect();
    assert!(lines.is_empty(), "{} differences:\n{}", lines.len(), lines.join("\n"));
}
