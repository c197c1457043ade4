//! One method per pixi call pixi-sync uses, turning rows into domain facts.

use chrono::NaiveDateTime;

use super::wire::{Param, Row, flag, money};
use super::{PixiClient, PixiError};
use crate::domain::facts::{Bank, Doc, DocKind, Line, PixiOrder, PixiStatus};

/// One page of the change feed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangedOrders {
    /// (order number, payment method, status) of every changed order.
    pub orders: Vec<(i64, String, String)>,
    /// pixi's `DateTimeTo`, the next `DateTimeFrom` (absent when nothing changed).
    pub next_from: Option<String>,
}

/// An invoice or credit note of the installation (reconciliation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceRow {
    /// `InvoiceKey`.
    pub key: i64,
    /// The order.
    pub order_nr: i64,
    /// The document.
    pub doc: Doc,
    /// Payment method.
    pub payment_method: String,
}

/// A payment method as pixi knows it (PX-26 flags included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentMethodRow {
    /// Code.
    pub code: String,
    /// XML tag.
    pub xml_tag: String,
    /// Name.
    pub text: String,
    /// Behaves like a credit-card method.
    pub direct_charge: bool,
    /// Marks documents paid automatically.
    pub auto_paid: bool,
}

fn first_set(mut sets: Vec<Vec<Row>>) -> Vec<Row> {
    if sets.is_empty() { Vec::new() } else { sets.swap_remove(0) }
}

fn int(row: &Row, col: &str) -> Option<i64> {
    row.get(col).and_then(|v| v.trim().parse().ok())
}

fn text(row: &Row, col: &str) -> String {
    row.get(col).map(|v| v.trim().to_owned()).unwrap_or_default()
}

/// `ReturnCode` OK/INFO → Ok; ERROR → a refusal with pixi's message.
fn return_code(sets: Vec<Vec<Row>>) -> Result<String, PixiError> {
    let rows = first_set(sets);
    let row = rows.first().ok_or_else(|| PixiError::Unavailable("answer without ReturnCode".into()))?;
    match text(row, "ReturnCode").to_ascii_uppercase().as_str() {
        "OK" => Ok("OK".into()),
        "INFO" => Ok("INFO".into()),
        "ERROR" => Err(PixiError::Fault { code: "ReturnCode=ERROR".into(), message: text(row, "ErrorMessage") }),
        other => Err(PixiError::Unavailable(format!("unknown ReturnCode {other:?}"))),
    }
}

impl PixiClient {
    /// Test call for PX-01 and the payment methods (PX-26): `pixiGetPaymenttypes`.
    pub async fn payment_methods(&self) -> Result<Vec<PaymentMethodRow>, PixiError> {
        let rows = first_set(self.read("pixiGetPaymenttypes", &[]).await?);
        Ok(rows
            .iter()
            .map(|r| PaymentMethodRow {
                code: text(r, "Code"),
                xml_tag: text(r, "XMLTag"),
                text: text(r, "PaymentText"),
                direct_charge: r.get("DirectCharge").is_some_and(|v| flag(v)),
                auto_paid: r.get("AutoPaid").is_some_and(|v| flag(v)),
            })
            .collect())
    }

    /// `pixiGetChangedOrders` since `from` (pixi local time, inclusive).
    pub async fn changed_orders(&self, from: &str) -> Result<ChangedOrders, PixiError> {
        let sets = self
            .read(
                "pixiGetChangedOrders",
                &[("DateTimeFrom", Param::Raw(from.to_owned())), ("skipGetXMLValue", Param::Bit(true))],
            )
            .await?;
        let rows = first_set(sets);
        let next_from = rows.iter().filter_map(|r| r.get("DateTimeTo")).max().cloned();
        let orders = rows
            .iter()
            .filter_map(|r| Some((int(r, "OrderNr")?, text(r, "PaymentType"), text(r, "OrderStatus"))))
            .collect();
        Ok(ChangedOrders { orders, next_from })
    }

    /// `pixiPayGetOrdersToAuthorize` for one payment method (every HOLD order, also those
    /// with many failed attempts).
    pub async fn orders_to_authorize(&self, payment_code: &str, row_count: i64) -> Result<Vec<i64>, PixiError> {
        let rows = first_set(
            self.read(
                "pixiPayGetOrdersToAuthorize",
                &[
                    ("PaymentCode", Param::Str(payment_code.to_owned())),
                    ("ShowAll", Param::Bit(true)),
                    ("RowCount", Param::Int(row_count)),
                ],
            )
            .await?,
        );
        Ok(rows.iter().filter_map(|r| int(r, "OrderNr")).collect())
    }

    /// `pixiPayGetInvoicesToCapture` for one payment method after `from_invoice_id`:
    /// (invoice id, order number) of shipped invoices not yet captured.
    pub async fn invoices_to_capture(
        &self,
        payment_code: &str,
        from_invoice_id: i64,
        row_count: i64,
    ) -> Result<Vec<(i64, i64)>, PixiError> {
        let rows = first_set(
            self.read(
                "pixiPayGetInvoicesToCapture",
                &[
                    ("PaymentCode", Param::Str(payment_code.to_owned())),
                    ("ShowAll", Param::Bit(true)),
                    ("RowCount", Param::Int(row_count)),
                    ("FromInvoiceId", Param::Int(from_invoice_id)),
                ],
            )
            .await?,
        );
        Ok(rows.iter().filter_map(|r| Some((int(r, "InvoiceId")?, int(r, "OrderNr")?))).collect())
    }

    /// The order with lines and documents (`pixiGetOrderHeader`, `pixiGetOrderline`,
    /// `pixiGetInvoice`); `None` when pixi does not know it.
    pub async fn order(&self, order_nr: i64) -> Result<Option<PixiOrder>, PixiError> {
        let header = first_set(self.read("pixiGetOrderHeader", &[("OrderNr", Param::Int(order_nr))]).await?);
        let Some(h) = header.into_iter().next() else { return Ok(None) };
        let status = PixiStatus::parse(&text(&h, "OrderStatus"))
            .ok_or_else(|| PixiError::Unavailable(format!("unknown order status {:?}", text(&h, "OrderStatus"))))?;
        let lines = first_set(
            self.read("pixiGetOrderline", &[("OrderNR", Param::Int(order_nr)), ("RowCount", Param::Int(1000))]).await?,
        );
        let docs = self.documents(order_nr).await?;
        let kk = text(&h, "ccpPayID");
        Ok(Some(PixiOrder {
            order_nr,
            external_nr: text(&h, "OrderNrExternal"),
            shop_id: text(&h, "ShopID"),
            status,
            payment_method: text(&h, "PaymentType"),
            mandant: text(&h, "Mandant"),
            kk_id: (!kk.is_empty()).then_some(kk),
            currency: text(&h, "Currency"),
            total_minor: h.get("OrderTotal").and_then(|v| money(v)).unwrap_or(0),
            locked: h.get("OrderLocked").is_some_and(|v| flag(v)),
            merged: h.get("IsMerged").is_some_and(|v| flag(v)),
            cust_key: int(&h, "CustKey").unwrap_or(0),
            lines: lines
                .iter()
                .filter_map(|r| {
                    Some(Line {
                        key: int(r, "OrderlineKey")?,
                        status: text(r, "Status").to_ascii_uppercase(),
                        amount_minor: r.get("Subtotal").and_then(|v| money(v)).unwrap_or(0),
                    })
                })
                .collect(),
            docs,
        }))
    }

    /// The order's invoices and credit notes (`pixiGetInvoice`).
    pub async fn documents(&self, order_nr: i64) -> Result<Vec<Doc>, PixiError> {
        let rows = first_set(
            self.read("pixiGetInvoice", &[("OrderNR", Param::Int(order_nr)), ("RowCount", Param::Int(1000))]).await?,
        );
        Ok(rows.iter().filter_map(doc).collect())
    }

    /// Every document after `start_key` (paged by `InvoiceKey`), for reconciliation.
    pub async fn all_documents(&self, start_key: i64, row_count: i64) -> Result<Vec<InvoiceRow>, PixiError> {
        let rows = first_set(
            self.read("pixiGetInvoice", &[("StartKey", Param::Int(start_key)), ("RowCount", Param::Int(row_count))])
                .await?,
        );
        Ok(rows
            .iter()
            .filter_map(|r| {
                Some(InvoiceRow {
                    key: int(r, "InvoiceKey")?,
                    order_nr: int(r, "OrderNr")?,
                    doc: doc(r)?,
                    payment_method: text(r, "PaymentType"),
                })
            })
            .collect())
    }

    /// The unzer payment id under the payment method's XML tag in the imported order XML
    /// (`pixiImportFindXML`), for orders whose KK-ID is empty.
    pub async fn import_payment_id(&self, order_nr: i64, xml_tag: &str) -> Result<Option<String>, PixiError> {
        let rows = first_set(self.read("pixiImportFindXML", &[("OrderNr", Param::Int(order_nr))]).await?);
        let Some(xml) = rows.first().and_then(|r| r.get("XML")) else { return Ok(None) };
        let open = format!("<{xml_tag}>");
        let close = format!("</{xml_tag}>");
        let inner = xml.split_once(&open).and_then(|(_, rest)| rest.split_once(&close)).map(|(inner, _)| inner);
        let id = inner
            .and_then(|i| i.split_once("<PAYMENT_ID>"))
            .and_then(|(_, rest)| rest.split_once("</PAYMENT_ID>"))
            .map(|(id, _)| id.trim().to_owned())
            .filter(|id| !id.is_empty());
        Ok(id)
    }

    /// Texts of the order's comments (`pixiGetOrderComments`).
    pub async fn comments(&self, order_nr: i64) -> Result<Vec<String>, PixiError> {
        let rows = first_set(
            self.read("pixiGetOrderComments", &[("OrderNr", Param::Int(order_nr)), ("RowCount", Param::Int(1000))])
                .await?,
        );
        Ok(rows.iter().map(|r| text(r, "Comment")).collect())
    }

    /// The bank fields of the billing address (`pixiGetAddress`).
    pub async fn bank_fields(&self, order_nr: i64) -> Result<Option<Bank>, PixiError> {
        let rows = first_set(
            self.read("pixiGetAddress", &[("OrderNr", Param::Int(order_nr)), ("AddrType", Param::Str("B".into()))])
                .await?,
        );
        Ok(rows.first().map(|r| Bank {
            holder: text(r, "AccountOwner"),
            iban: text(r, "IBAN"),
            bic: text(r, "BIC"),
            reference: text(r, "BankName"),
        }))
    }

    /// `pixiPaySetAuthorizationStatus` with Success=1: records the payment and releases the
    /// order (HOLD → OPEN).
    pub async fn set_authorized(
        &self,
        order_nr: i64,
        auth_id: &str,
        auth_code: &str,
        message: &str,
    ) -> Result<(), PixiError> {
        self.write(
            "pixiPaySetAuthorizationStatus",
            &[
                ("OrderNr", Param::Int(order_nr)),
                ("Success", Param::Bit(true)),
                ("AuthID", Param::Str(auth_id.to_owned())),
                ("AuthCode", Param::Str(auth_code.to_owned())),
                ("Message", Param::Str(message.to_owned())),
            ],
        )
        .await
        .map(|_| ())
    }

    /// `pixiReleaseOrder`: HOLD → OPEN without recording a payment.
    pub async fn release_order(&self, shop_id: &str, external_nr: &str) -> Result<i64, PixiError> {
        let sets = self
            .write(
                "pixiReleaseOrder",
                &[("ShopId", Param::Str(shop_id.to_owned())), ("OrderNrExternal", Param::Str(external_nr.to_owned()))],
            )
            .await?;
        let rows = first_set(sets);
        let row = rows.first().ok_or_else(|| PixiError::Unavailable("answer without ReturnCode".into()))?;
        if text(row, "ReturnCode").eq_ignore_ascii_case("OK") {
            Ok(int(row, "AffectedRows").unwrap_or(0))
        } else {
            Err(PixiError::Fault {
                code: "ReturnCode=ERROR".into(),
                message: format!("order {external_nr} not released"),
            })
        }
    }

    /// `pixiSetOrderShippingLock`.
    pub async fn set_order_lock(&self, order_nr: i64, locked: bool, reason: &str) -> Result<String, PixiError> {
        return_code(
            self.write(
                "pixiSetOrderShippingLock",
                &[
                    ("OrderNr", Param::Int(order_nr)),
                    ("Locked", Param::Bit(locked)),
                    ("Reason", Param::Str(reason.to_owned())),
                    ("UserName", Param::Str("payops".into())),
                ],
            )
            .await?,
        )
    }

    /// `pixiChangeAddress` with the bank fields of the billing address (PX-12).
    pub async fn write_bank(&self, order_nr: i64, bank: &Bank) -> Result<String, PixiError> {
        return_code(
            self.write(
                "pixiChangeAddress",
                &[
                    ("OrderNr", Param::Int(order_nr)),
                    ("AddrType", Param::Str("B".into())),
                    ("AccountOwner", Param::Str(bank.holder.clone())),
                    ("IBAN", Param::Str(bank.iban.clone())),
                    ("BIC", Param::Str(bank.bic.clone())),
                    ("BankName", Param::Str(bank.reference.clone())),
                ],
            )
            .await?,
        )
    }

    /// `pixiPaySetInvoiceCapture` with Success=1: marks the invoice captured and books
    /// `event` in the customer account (one booking; no manual booking besides it).
    pub async fn set_invoice_captured(
        &self,
        pay_id: &str,
        pay_code: &str,
        invoice_nr: &str,
        amount_minor: i64,
        event: &str,
        message: &str,
    ) -> Result<(), PixiError> {
        self.write(
            "pixiPaySetInvoiceCapture",
            &[
                ("PayID", Param::Str(pay_id.to_owned())),
                ("PayCode", Param::Str(pay_code.to_owned())),
                ("InvoiceNr", Param::Str(invoice_nr.to_owned())),
                ("CaptureSum", Param::Money(amount_minor)),
                ("Success", Param::Bit(true)),
                ("EventID", Param::Str(event.to_owned())),
                ("Message", Param::Str(message.to_owned())),
                ("SetRemainingOrdersToHAL", Param::Bit(false)),
            ],
        )
        .await
        .map(|_| ())
    }

    /// `pixiCACreateManualBooking` matched to a document.
    pub async fn manual_booking(
        &self,
        cust_key: i64,
        event: &str,
        amount_minor: i64,
        match_doc: &str,
        comment: &str,
        at: NaiveDateTime,
    ) -> Result<String, PixiError> {
        return_code(
            self.write(
                "pixiCACreateManualBooking",
                &[
                    ("CustKey", Param::Int(cust_key)),
                    ("EventID", Param::Str(event.to_owned())),
                    ("Amount", Param::Money(amount_minor)),
                    ("EventDate", Param::DateTime(at)),
                    ("Comment", Param::Str(comment.to_owned())),
                    ("MatchToInvoiceNr", Param::Str(match_doc.to_owned())),
                ],
            )
            .await?,
        )
    }

    /// `pixiCreateOrderComment` (PX-21).
    pub async fn create_comment(&self, order_nr: i64, comment: &str) -> Result<String, PixiError> {
        return_code(
            self.write(
                "pixiCreateOrderComment",
                &[
                    ("OrderNr", Param::Int(order_nr)),
                    ("Comment", Param::Str(comment.to_owned())),
                    ("UserName", Param::Str("payops".into())),
                ],
            )
            .await?,
        )
    }
}

/// A document row of `pixiGetInvoice` (credit notes come negative; made positive here).
fn doc(r: &Row) -> Option<Doc> {
    let kind = match text(r, "DocumentType").as_str() {
        "G" => DocKind::CreditNote,
        _ => DocKind::Invoice,
    };
    Some(Doc {
        nr: text(r, "InvoiceNr"),
        kind,
        total_minor: r.get("Total").and_then(|v| money(v))?.abs(),
        paid_minor: r.get("PayedSum").and_then(|v| money(v)).unwrap_or(0).abs(),
        shipped: kind == DocKind::CreditNote || r.get("ShipDate").is_some_and(|v| !v.trim().is_empty()),
    })
}
