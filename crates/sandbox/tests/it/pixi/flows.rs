//! The ERP state machine through the SOAP calls: release, invoices, captures, bookings,
//! locks, comments, bank fields, the change feed, act-then-fail.

use reqwest::StatusCode;
use sandbox::pixi::{Cancel, CreditNoteRequest, DocKind, LineStatus, OrderStatus, SeedOrder, Ship};
use sandbox::{FailMode, FaultSpec, System};

use super::{PASS, USER, envelope, open, order, pixi, rows};

#[tokio::test]
async fn sb_02_pixi_release_moves_hold_to_open_and_hal_lines_to_ang() {
    let p = pixi().await;
    let nr = p.seed(order("UNZERCC", &[1000, 2500])).await;
    let ext = p.admin.pixi_order(USER, nr).await.unwrap().order_nr_external;
    let header = p.call("pixiGetOrderHeader", &[("OrderNr", &nr.to_string())]).await;
    assert_eq!(rows(&header, 1)[0]["OrderStatus"], "HOLD");
    assert_eq!(rows(&header, 1)[0]["ccpPayID"], "s-pay-4711");

    let body = p.call("pixiReleaseOrder", &[("ShopId", "DEM"), ("OrderNrExternal", &ext)]).await;
    let r = &rows(&body, 1)[0];
    assert_eq!((r["ReturnCode"].as_str(), r["AffectedRows"].as_str()), ("OK", "2"));

    let header = p.call("pixiGetOrderHeader", &[("OrderNr", &nr.to_string())]).await;
    assert_eq!(rows(&header, 1)[0]["OrderStatus"], "OPEN");
    let lines = p.call("pixiGetOrderline", &[("OrderNR", &nr.to_string())]).await;
    let statuses: Vec<String> = rows(&lines, 1).iter().map(|l| l["Status"].clone()).collect();
    assert_eq!(statuses, ["ANG", "ANG"]);

    let again = p.call("pixiReleaseOrder", &[("ShopId", "DEM"), ("OrderNrExternal", &ext)]).await;
    assert_eq!(rows(&again, 1)[0]["AffectedRows"], "0");
    let unknown = p.call("pixiReleaseOrder", &[("ShopId", "DEM"), ("OrderNrExternal", "nope")]).await;
    assert_eq!(rows(&unknown, 1)[0]["ReturnCode"], "ERROR");
}

#[tokio::test]
async fn sb_02_pixi_invoices_to_capture_lists_only_shipped_invoices_paged_by_from_invoice_id() {
    let p = pixi().await;
    let (a, b, c) = (
        p.seed(open("UNZERCC", &[1000])).await,
        p.seed(open("UNZERCC", &[2000])).await,
        p.seed(open("UNZERCC", &[3000])).await,
    );
    let other = p.seed(open("UNZERPP", &[500])).await;
    let inv_a = p.admin.pixi_ship(USER, a, &Ship::default()).await.unwrap();
    let inv_b = p.admin.pixi_ship(USER, b, &Ship { shipped: false, ..Ship::default() }).await.unwrap();
    let inv_c = p.admin.pixi_ship(USER, c, &Ship::default()).await.unwrap();
    p.admin.pixi_ship(USER, other, &Ship::default()).await.unwrap();
    assert_eq!(p.admin.pixi_order(USER, b).await.unwrap().lines[0].status, LineStatus::Ein);

    let ids = |xml: &str| rows(xml, 1).iter().map(|r| r["InvoiceNr"].clone()).collect::<Vec<_>>();
    let all = p.call("pixiPayGetInvoicesToCapture", &[("PaymentCode", "UNZERCC")]).await;
    assert_eq!(ids(&all), [inv_a.nr.clone(), inv_c.nr.clone()]);
    assert_eq!(rows(&all, 1)[0]["Total"], "10.0000");
    let from = inv_a.key.to_string();
    let page = p.call("pixiPayGetInvoicesToCapture", &[("PaymentCode", "UNZERCC"), ("FromInvoiceId", &from)]).await;
    assert_eq!(ids(&page), std::slice::from_ref(&inv_c.nr));
    let limited = p.call("pixiPayGetInvoicesToCapture", &[("PaymentCode", "UNZERCC"), ("RowCount", "1")]).await;
    assert_eq!(ids(&limited), std::slice::from_ref(&inv_a.nr));

    p.admin.pixi_ship_out(USER, &inv_b.nr).await.unwrap();
    let after = p.call("pixiPayGetInvoicesToCapture", &[("PaymentCode", "UNZERCC")]).await;
    assert_eq!(ids(&after), [inv_a.nr, inv_b.nr, inv_c.nr]);
}

#[tokio::test]
async fn sb_02_pixi_row_count_and_failed_authorisations_limit_orders_to_authorize() {
    let p = pixi().await;
    let mut nrs = Vec::new();
    for _ in 0..3 {
        nrs.push(p.seed(order("UNZERCC", &[1000])).await);
    }
    let listed = |xml: &str| rows(xml, 1).iter().map(|r| r["OrderNr"].parse::<i64>().unwrap()).collect::<Vec<_>>();
    let two = p.call("pixiPayGetOrdersToAuthorize", &[("PaymentCode", "UNZERCC"), ("RowCount", "2")]).await;
    assert_eq!(listed(&two), nrs[..2]);

    let first = nrs[0].to_string();
    for _ in 0..4 {
        p.call("pixiPaySetAuthorizationStatus", &[("OrderNr", &first), ("Success", "0"), ("AuthCode", "DECLINED")])
            .await;
    }
    let visible = p.call("pixiPayGetOrdersToAuthorize", &[("PaymentCode", "UNZERCC")]).await;
    assert_eq!(listed(&visible), nrs[1..]);
    let all = p.call("pixiPayGetOrdersToAuthorize", &[("PaymentCode", "UNZERCC"), ("ShowAll", "1")]).await;
    assert_eq!(listed(&all), nrs);
    assert_eq!(rows(&all, 1)[0]["ccpSetFailTries"], "4");

    let second = nrs[1].to_string();
    p.call("pixiPaySetAuthorizationStatus", &[("OrderNr", &second), ("Success", "1"), ("AuthID", "s-pay-9")]).await;
    let view = p.admin.pixi_order(USER, nrs[1]).await.unwrap();
    assert_eq!((view.status, view.kk_id.as_deref()), (OrderStatus::Open, Some("s-pay-9")));
}

#[tokio::test]
async fn sb_02_pixi_set_invoice_capture_marks_paid_and_success_0_resets_the_paid_sum() {
    let p = pixi().await;
    let nr = p.seed(SeedOrder { ship_cost_minor: 495, ..open("UNZERCC", &[1990]) }).await;
    let inv = p.admin.pixi_ship(USER, nr, &Ship::default()).await.unwrap();
    assert_eq!(inv.total_minor, 2485);
    let mark = |success: &'static str, event: &'static str| {
        vec![
            ("PayID", "s-chg-1"),
            ("PayCode", "CC"),
            ("InvoiceNr", inv.nr.as_str()),
            ("CaptureSum", "24.85"),
            ("Success", success),
            ("EventID", event),
            ("Message", "Amount of 24.85 EUR was captured"),
            ("SetRemainingOrdersToHAL", "0"),
        ]
    };
    let (number, text) = p.sql_error("pixiPaySetInvoiceCapture", &mark("1", "")).await;
    assert_eq!((number.as_str(), text.as_str()), ("50000", "@EventID is mandatory when @Success = 1"));

    p.call("pixiPaySetInvoiceCapture", &mark("1", "UZE")).await;
    let view = p.admin.pixi_order(USER, nr).await.unwrap();
    let doc = &view.documents[0];
    assert_eq!((doc.captured, doc.paid_minor), (true, 2485));
    assert_eq!((view.bookings[0].event_id.as_str(), view.bookings[0].effect_minor), ("UZE", 2485));
    assert_eq!(view.customer_balance_minor, 0);
    let listed = p.call("pixiGetInvoice", &[("OrderNR", &nr.to_string())]).await;
    assert_eq!((rows(&listed, 1)[0]["PayedSum"].as_str(), rows(&listed, 1)[0]["Paid"].as_str()), ("24.8500", "1"));

    p.call("pixiPaySetInvoiceCapture", &mark("0", "")).await;
    let doc = p.admin.pixi_order(USER, nr).await.unwrap().documents[0].clone();
    assert_eq!((doc.captured, doc.paid_minor, doc.fail_tries), (false, 0, 1));
    let again = p.call("pixiPayGetInvoicesToCapture", &[("PaymentCode", "UNZERCC")]).await;
    assert_eq!(rows(&again, 1)[0]["InvoiceNr"], inv.nr);
}

#[tokio::test]
async fn sb_02_pixi_change_feed_shows_changes_after_a_timestamp() {
    let p = pixi().await;
    let nr = p.seed(open("UNZERCC", &[1000, 2000])).await;
    // DateTimeFrom is inclusive: a change in the very millisecond of the answer's DateTimeTo is
    // listed again by the next call. A second between the seed and the first call keeps the
    // order's creation out of the next answer whatever the timing.
    p.admin.advance_clock(1).await.unwrap();
    let first = p.call("pixiGetChangedOrders", &[("DateTimeFrom", "2000-01-01 00:00:00")]).await;
    let orders = rows(&first, 1);
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0]["OrderNr"], nr.to_string());
    let types: Vec<String> = rows(&first, 2).iter().map(|c| c["ChangeType"].clone()).collect();
    assert_eq!(types, ["CORDER", "CORDERL", "CORDERL"]);
    let to = orders[0]["DateTimeTo"].clone();

    p.admin.advance_clock(60).await.unwrap();
    let inv = p.admin.pixi_ship(USER, nr, &Ship { lines: None, ..Ship::default() }).await.unwrap();
    let next = p.call("pixiGetChangedOrders", &[("DateTimeFrom", &to)]).await;
    let changes: Vec<(String, String)> = rows(&next, 2)
        .iter()
        .map(|c| (c["ChangeType"].clone(), c.get("Param1").cloned().unwrap_or_default()))
        .collect();
    assert!(!changes.iter().any(|(t, _)| t == "CORDER"), "{changes:?}");
    assert!(changes.contains(&("IORDER".into(), inv.nr.clone())), "{changes:?}");
    assert!(changes.contains(&("SORDER".into(), inv.nr.clone())), "{changes:?}");
    assert!(changes.contains(&("UORDER".into(), String::new())), "order closed: {changes:?}");
    assert_eq!(rows(&next, 1)[0]["OrderNr"], nr.to_string());
    let missing = p.sql_error("pixiGetChangedOrders", &[]).await;
    assert_eq!(missing.0, "201");
    assert!(missing.1.contains("@DateTimeFrom"));
}

#[tokio::test]
async fn sb_05_pixi_act_then_fail_on_set_invoice_capture_leaves_the_invoice_captured() {
    let p = pixi().await;
    let nr = p.seed(open("UNZERCC", &[1000])).await;
    let inv = p.admin.pixi_ship(USER, nr, &Ship::default()).await.unwrap();
    p.admin
        .add_fault(&FaultSpec::act_then_fail_once(System::Pixi, "pixiPaySetInvoiceCapture", FailMode::Error))
        .await
        .unwrap();
    let params = [
        ("PayID", "s-chg-1"),
        ("PayCode", "CC"),
        ("InvoiceNr", inv.nr.as_str()),
        ("CaptureSum", "10.00"),
        ("Success", "1"),
        ("EventID", "UZE"),
        ("Message", "captured"),
        ("SetRemainingOrdersToHAL", "0"),
    ];
    let (status, _) = p.post("/", USER, PASS, envelope("pixiPaySetInvoiceCapture", &params)).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    let view = p.admin.pixi_order(USER, nr).await.unwrap();
    assert!(view.documents[0].captured);
    assert_eq!(view.documents[0].paid_minor, 1000);
    assert_eq!(view.bookings.len(), 1);
    let fired = p.admin.fired_faults().await.unwrap();
    assert_eq!((fired[0].operation.as_str(), fired[0].kind.as_str()), ("pixiPaySetInvoiceCapture", "act_then_fail"));
}

#[tokio::test]
async fn sb_02_pixi_prepayment_lock_transfer_data_and_comments_are_written() {
    let p = pixi().await;
    let nr = p.seed(order("VORKASSE", &[5000])).await;
    let n = nr.to_string();
    p.call("pixiPaySetAuthorizationStatus", &[("OrderNr", &n), ("Success", "1")]).await;
    let lock =
        p.call("pixiSetOrderShippingLock", &[("OrderNr", &n), ("Locked", "1"), ("Reason", "Warten auf Zahlung")]).await;
    assert_eq!(rows(&lock, 1)[0]["ReturnCode"], "OK");
    let again = p.call("pixiSetOrderShippingLock", &[("OrderNr", &n), ("Locked", "1")]).await;
    assert_eq!(rows(&again, 1)[0]["ReturnCode"], "INFO");
    assert_eq!(rows(&p.call("pixiCanChangeAddress", &[("OrderNr", &n)]).await, 1)[0]["return"], "1");
    let bank = [
        ("OrderNr", n.as_str()),
        ("AccountOwner", "Unzer E-Com GmbH"),
        ("IBAN", "DE89370400440532013000"),
        ("BIC", "COBADEFFXXX"),
        ("BankName", "3010.1234.5678"),
    ];
    assert_eq!(rows(&p.call("pixiChangeAddress", &bank).await, 1)[0]["ReturnCode"], "OK");
    let comment = p.call("pixiCreateOrderComment", &[("OrderNr", &n), ("Comment", "unzer: Vorkasse angelegt")]).await;
    assert_eq!(rows(&comment, 1)[0]["ReturnCode"], "OK");

    let header = &rows(&p.call("pixiGetOrderHeader", &[("OrderNr", &n)]).await, 1)[0];
    assert_eq!((header["OrderLocked"].as_str(), header["IBAN"].as_str()), ("Y", "DE89370400440532013000"));
    let comments = rows(&p.call("pixiGetOrderComments", &[("OrderNr", &n)]).await, 1);
    assert_eq!(
        (comments[0]["Comment"].as_str(), comments[0]["CreateEmp"].as_str()),
        ("unzer: Vorkasse angelegt", "API")
    );
    let err = p.admin.pixi_ship(USER, nr, &Ship::default()).await.unwrap_err();
    assert!(err.to_string().contains("shipping lock"), "{err}");

    let unlock = p.call("pixiSetOrderShippingLock", &[("OrderNr", &n), ("Locked", "0")]).await;
    assert_eq!(rows(&unlock, 1)[0]["ReturnCode"], "OK");
    let view = p.admin.pixi_order(USER, nr).await.unwrap();
    assert_eq!(
        (view.status, view.lock.locked, view.lock.reason.as_str()),
        (OrderStatus::Open, false, "Order was unlocked by API")
    );
    assert_eq!(view.billing.account_holder.as_deref(), Some("Unzer E-Com GmbH"));
    assert_eq!(view.billing.bank_name.as_deref(), Some("3010.1234.5678"));
    assert_eq!(view.comments.len(), 1);
}

#[tokio::test]
async fn sb_02_pixi_order_closes_once_every_line_is_shipped_cancelled_or_returned() {
    let p = pixi().await;
    let nr = p.seed(open("UNZERCC", &[1000, 2000, 3000])).await;
    let keys: Vec<i64> = p.admin.pixi_order(USER, nr).await.unwrap().lines.iter().map(|l| l.key).collect();
    p.admin.pixi_cancel(USER, nr, &Cancel { lines: Some(vec![keys[0]]), status: LineStatus::Nlb }).await.unwrap();
    p.admin.pixi_ship(USER, nr, &Ship { lines: Some(vec![keys[1]]), ..Ship::default() }).await.unwrap();
    assert_eq!(p.admin.pixi_order(USER, nr).await.unwrap().status, OrderStatus::Open);
    p.admin.pixi_ship(USER, nr, &Ship::default()).await.unwrap();
    let credit = p
        .admin
        .pixi_credit_note(USER, nr, &CreditNoteRequest { lines: vec![keys[2]], ..Default::default() })
        .await
        .unwrap();
    assert_eq!((credit.kind, credit.total_minor, credit.paid_by_pixi), (DocKind::CreditNote, 3000, false));
    let view = p.admin.pixi_order(USER, nr).await.unwrap();
    let statuses: Vec<LineStatus> = view.lines.iter().map(|l| l.status).collect();
    assert_eq!(statuses, [LineStatus::Nlb, LineStatus::Aus, LineStatus::Ret]);
    assert_eq!((view.status, view.total_minor), (OrderStatus::Closed, 5000));

    let invoices = rows(&p.call("pixiGetInvoice", &[("OrderNR", &nr.to_string())]).await, 1);
    let docs: Vec<(&str, &str)> = invoices.iter().map(|r| (r["DocumentType"].as_str(), r["Total"].as_str())).collect();
    assert_eq!(docs, [("R", "20.0000"), ("R", "30.0000"), ("G", "-30.0000")]);
    assert_eq!(invoices[0]["TotalRows"], "3");
}

#[tokio::test]
async fn sb_02_pixi_manual_orders_carry_p_numbers_and_no_unzer_id() {
    let p = pixi().await;
    let nr = p.seed(SeedOrder { manual: true, ..order("UNZERCC", &[1000]) }).await;
    let header = &rows(&p.call("pixiGetOrderHeader", &[("OrderNr", &nr.to_string())]).await, 1)[0];
    assert_eq!(header["OrderNrExternal"], format!("P{nr}"));
    assert!(!header.contains_key("ccpPayID"));
    let external = format!("P{nr}");
    let xml = &rows(&p.call("pixiImportFindXML", &[("Id", &external), ("Type", "order")]).await, 1)[0]["Request"];
    assert!(xml.contains("<UNZERCARD></UNZERCARD>"), "{xml}");
}
