//! The calls that read pixi, one method each, turning rows into domain facts. Which columns
//! each reads, and why absent may mean NULL for some, is what the contract cases of the call
//! show (`crates/sandbox/contracts/pixi/<call>.json`).

use super::rows::{Cols, first_set};
use super::wire::Param;
use super::{PixiClient, PixiError, Revision, parse_revision};
use crate::domain::facts::{Bank, Doc, DocKind, Line, PixiOrder, PixiStatus};

/// One page of the change feed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangedOrders {
    /// (order number, payment method) of every changed order.
    pub orders: Vec<(i64, String)>,
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

/// A payment method as `pixiGetPaymenttypes` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentMethodRow {
    /// `Code`.
    pub code: String,
    /// `XMLTag`.
    pub xml_tag: String,
    /// `PaymentText`.
    pub text: String,
    /// `IniOrderStatus`: the status orders of the method are imported with (`HAL` = HOLD).
    pub ini_status: String,
}

/// An order header (`pixiGetOrderHeader`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Shop order number.
    pub external_nr: String,
    /// Shop.
    pub shop_id: String,
    /// Mandant.
    pub mandant: String,
    /// Customer.
    pub cust_key: i64,
    /// The billing address (`AddrRef`, the key `pixiGetAddress` takes).
    pub addr_ref: i64,
    /// Status.
    pub status: PixiStatus,
    /// Payment method code.
    pub payment_method: String,
    /// KK-ID (`ccpPayID`); NULL when the shop imported none.
    pub kk_id: Option<String>,
    /// Currency.
    pub currency: String,
    /// Order total.
    pub total_minor: i64,
    /// Shipping lock set.
    pub locked: bool,
    /// Merged with another order.
    pub merged: bool,
}

impl PixiClient {
    /// `pixiGetPaymenttypes`: every payment method (also the PX-01 credentials test).
    pub async fn payment_methods(&self) -> Result<Vec<PaymentMethodRow>, PixiError> {
        let op = "pixiGetPaymenttypes";
        let rows = first_set(self.read(op, &[]).await?);
        rows.iter()
            .map(|r| {
                let c = Cols::new(op, r);
                Ok(PaymentMethodRow {
                    code: c.text("Code")?,
                    xml_tag: c.str("XMLTag")?,
                    text: c.str("PaymentText")?,
                    ini_status: c.status("IniOrderStatus", 3)?,
                })
            })
            .collect()
    }

    /// `pixiGetChangedOrders` since `from` (pixi local time, inclusive; pixi's own `DateTimeTo`
    /// or one we formatted as `YYYY-MM-DDThh:mm:ss`).
    pub async fn changed_orders(&self, from: &str) -> Result<ChangedOrders, PixiError> {
        let op = "pixiGetChangedOrders";
        let rows = first_set(self.read(op, &[("DateTimeFrom", Param::PixiDateTime(from.to_owned()))]).await?);
        let mut out = ChangedOrders::default();
        for r in &rows {
            let c = Cols::new(op, r);
            out.orders.push((c.int("OrderNr")?, c.text("PaymentType")?));
            let to = c.datetime("DateTimeTo")?;
            if out.next_from.as_ref().is_none_or(|n| *n < to) {
                out.next_from = Some(to);
            }
        }
        Ok(out)
    }

    /// `pixiPayGetOrdersToAuthorize` for one payment method: every HOLD order, also those with
    /// many failed attempts; `row_count` where the revision has `RowCount` (else pixi's 30).
    pub async fn orders_to_authorize(&self, payment_code: &str, row_count: i64) -> Result<Vec<i64>, PixiError> {
        let op = "pixiPayGetOrdersToAuthorize";
        let mut params = vec![("PaymentCode", Param::Str(payment_code.to_owned())), ("ShowAll", Param::Bit(true))];
        if self.caps.pay_paging() {
            params.push(("RowCount", Param::Int(row_count)));
        }
        let rows = first_set(self.read(op, &params).await?);
        rows.iter().map(|r| Ok(Cols::new(op, r).int("OrderNr")?)).collect()
    }

    /// `pixiPayGetInvoicesToCapture` for one payment method: (invoice id, order number) of
    /// shipped invoices not yet captured, after `from_invoice_id` where the revision pages.
    pub async fn invoices_to_capture(
        &self,
        payment_code: &str,
        from_invoice_id: i64,
        row_count: i64,
    ) -> Result<Vec<(i64, i64)>, PixiError> {
        let op = "pixiPayGetInvoicesToCapture";
        let mut params = vec![("PaymentCode", Param::Str(payment_code.to_owned())), ("ShowAll", Param::Bit(true))];
        if self.caps.pay_paging() {
            params.push(("RowCount", Param::Int(row_count)));
            params.push(("FromInvoiceId", Param::Int(from_invoice_id)));
        }
        let rows = first_set(self.read(op, &params).await?);
        rows.iter()
            .map(|r| {
                let c = Cols::new(op, r);
                Ok((c.int("InvoiceId")?, c.int("OrderNr")?))
            })
            .collect()
    }

    /// `pixiGetOrderHeader`; `None` when pixi does not know the order.
    pub async fn order_header(&self, order_nr: i64) -> Result<Option<Header>, PixiError> {
        let op = "pixiGetOrderHeader";
        let rows = first_set(self.read(op, &[("OrderNr", Param::Int(order_nr))]).await?);
        let Some(r) = rows.first() else { return Ok(None) };
        let c = Cols::new(op, r);
        let status = c.code("OrderStatus", &["HOLD", "HAL", "OPEN", "CLOSED"])?;
        Ok(Some(Header {
            external_nr: c.text("OrderNrExternal")?,
            shop_id: c.text("ShopID")?,
            mandant: c.str("Mandant")?,
            cust_key: c.int("CustKey")?,
            addr_ref: c.int("AddrRef")?,
            status: PixiStatus::parse(&status)
                .ok_or_else(|| c.error("OrderStatus", kit::contract::Problem::Invalid("an order status".into())))?,
            payment_method: c.text("PaymentType")?,
            kk_id: c.opt("ccpPayID"),
            currency: c.currency("Currency")?,
            total_minor: c.money("OrderTotal")?,
            locked: c.yes_no("OrderLocked")?,
            merged: c.bit("IsMerged")?,
        }))
    }

    /// `pixiGetOrderline`: the order's lines.
    pub async fn order_lines(&self, order_nr: i64) -> Result<Vec<Line>, PixiError> {
        let op = "pixiGetOrderline";
        let rows = first_set(self.read(op, &[("OrderNR", Param::Int(order_nr))]).await?);
        rows.iter()
            .map(|r| {
                let c = Cols::new(op, r);
                Ok(Line {
                    key: c.int("OrderlineKey")?,
                    status: c.status("Status", 3)?,
                    amount_minor: c.money("Subtotal")?,
                })
            })
            .collect()
    }

    /// The order with lines and documents (not yet told manual or not: see
    /// [`PixiClient::classify_manual`]); `None` when pixi does not know it.
    pub async fn order(&self, order_nr: i64) -> Result<Option<PixiOrder>, PixiError> {
        let Some(h) = self.order_header(order_nr).await? else { return Ok(None) };
        let lines = self.order_lines(order_nr).await?;
        let docs = self.documents(order_nr).await?;
        Ok(Some(PixiOrder {
            order_nr,
            external_nr: h.external_nr,
            shop_id: h.shop_id,
            status: h.status,
            payment_method: h.payment_method,
            mandant: h.mandant,
            kk_id: h.kk_id,
            currency: h.currency,
            total_minor: h.total_minor,
            locked: h.locked,
            merged: h.merged,
            cust_key: h.cust_key,
            lines,
            docs,
        }))
    }

    /// `pixiGetInvoice` of one order: its invoices and credit notes (not classified manual).
    pub async fn documents(&self, order_nr: i64) -> Result<Vec<Doc>, PixiError> {
        let op = "pixiGetInvoice";
        let rows = first_set(self.read(op, &[("OrderNR", Param::Int(order_nr))]).await?);
        rows.iter().map(|r| Ok(doc(&Cols::new(op, r))?)).collect()
    }

    /// Every document after `start_key` (paged by `InvoiceKey`), for reconciliation.
    pub async fn all_documents(&self, start_key: i64, row_count: i64) -> Result<Vec<InvoiceRow>, PixiError> {
        let op = "pixiGetInvoice";
        let params = [("StartKey", Param::Int(start_key)), ("RowCount", Param::Int(row_count))];
        let rows = first_set(self.read(op, &params).await?);
        rows.iter()
            .map(|r| {
                let c = Cols::new(op, r);
                Ok(InvoiceRow {
                    key: c.int("InvoiceKey")?,
                    order_nr: c.int("OrderNr")?,
                    doc: doc(&c)?,
                    payment_method: c.text("PaymentType")?,
                })
            })
            .collect()
    }

    /// Tells each document written by hand from one pixi wrote for the order's lines, by the
    /// document's lines (`pixiGetInvoiceLines`), unless `known` already says (a document
    /// processed before is not manual; one flagged manual stays so): an invoice without any
    /// order line, or a credit note without a returned (RET) line, was written by hand.
    pub async fn classify_manual(
        &self,
        docs: &mut [Doc],
        known: impl Fn(&Doc) -> Option<bool>,
    ) -> Result<(), PixiError> {
        for d in docs {
            d.manual = match known(d) {
                Some(m) => m,
                None => {
                    let statuses = self.invoice_line_statuses(&d.nr).await?;
                    match d.kind {
                        DocKind::Invoice => statuses.is_empty(),
                        DocKind::CreditNote => !statuses.iter().any(|s| s == "RET"),
                    }
                }
            };
        }
        Ok(())
    }

    /// `pixiGetInvoiceLines`: the status of each order line on a document (special lines such
    /// as shipping costs are left out).
    pub async fn invoice_line_statuses(&self, invoice_nr: &str) -> Result<Vec<String>, PixiError> {
        let op = "pixiGetInvoiceLines";
        let rows = first_set(self.read(op, &[("InvoiceNr", Param::Str(invoice_nr.to_owned()))]).await?);
        rows.iter().map(|r| Ok(Cols::new(op, r).status("Status", 3)?)).collect()
    }

    /// The unzer payment id under the payment method's XML tag in the order XML the shop
    /// imported (`pixiImportFindXML` by shop order number), for orders whose KK-ID is empty.
    pub async fn import_payment_id(&self, external_nr: &str, xml_tag: &str) -> Result<Option<String>, PixiError> {
        let op = "pixiImportFindXML";
        let params = [("Id", Param::Str(external_nr.to_owned())), ("Type", Param::Str("order".into()))];
        let rows = first_set(self.read(op, &params).await?);
        for r in &rows {
            let xml = Cols::new(op, r).text("Request")?;
            if let Some(id) = payment_id(&xml, xml_tag) {
                return Ok(Some(id));
            }
        }
        Ok(None)
    }

    /// Texts of the order's comments (`pixiGetOrderComments`; RowCount is left at its
    /// default of 1000: the parameter exists only from 26.6).
    pub async fn comments(&self, order_nr: i64) -> Result<Vec<String>, PixiError> {
        let op = "pixiGetOrderComments";
        let rows = first_set(self.read(op, &[("OrderNr", Param::Int(order_nr))]).await?);
        rows.iter().map(|r| Ok(Cols::new(op, r).str("Comment")?)).collect()
    }

    /// The bank fields of one address (`pixiGetAddress`); `None` when pixi has no such
    /// address. Bank fields never written are NULL and read as empty.
    pub async fn address_bank(&self, addr_key: i64) -> Result<Option<Bank>, PixiError> {
        let op = "pixiGetAddress";
        let rows = first_set(self.read(op, &[("AddrKey", Param::Int(addr_key))]).await?);
        let Some(r) = rows.first() else { return Ok(None) };
        let c = Cols::new(op, r);
        c.int("AddrKey")?;
        let field = |name: &str| c.opt(name).unwrap_or_default();
        Ok(Some(Bank {
            holder: field("AccountOwner"),
            iban: field("IBAN"),
            bic: field("BIC"),
            reference: field("BankName"),
        }))
    }

    /// The bank fields of the order's billing address (header `AddrRef`, then the address).
    pub async fn bank_fields(&self, order_nr: i64) -> Result<Option<Bank>, PixiError> {
        match self.order_header(order_nr).await? {
            Some(h) => self.address_bank(h.addr_ref).await,
            None => Ok(None),
        }
    }

    /// `pixiCanChangeAddress`: the order's addresses may still be changed.
    pub async fn can_change_address(&self, order_nr: i64) -> Result<bool, PixiError> {
        let op = "pixiCanChangeAddress";
        let rows = first_set(self.read(op, &[("OrderNr", Param::Int(order_nr))]).await?);
        let r = rows
            .first()
            .ok_or_else(|| kit::contract::ContractError::new("pixi", op, "return", kit::contract::Problem::Missing))?;
        Ok(Cols::new(op, r).bit("return")?)
    }

    /// `pixiSysGetCurrentRevision`: the API revision installed.
    pub async fn revision(&self) -> Result<Revision, PixiError> {
        let op = "pixiSysGetCurrentRevision";
        let rows = first_set(self.read(op, &[]).await?);
        let missing =
            || kit::contract::ContractError::new("pixi", op, "CurrentRevision", kit::contract::Problem::Missing);
        let c = Cols::new(op, rows.first().ok_or_else(missing)?);
        let text = c.text("CurrentRevision")?;
        parse_revision(&text).ok_or_else(|| {
            c.error("CurrentRevision", kit::contract::Problem::Invalid("a dotted revision".into())).into()
        })
    }

    /// `pixiSysGetCallInfo`: whether `call` is installed on the database.
    pub async fn call_installed(&self, call: &str) -> Result<bool, PixiError> {
        let op = "pixiSysGetCallInfo";
        let rows = first_set(self.read(op, &[("CallName", Param::Str(call.to_owned()))]).await?);
        let missing =
            || kit::contract::ContractError::new("pixi", op, "StatusMessage", kit::contract::Problem::Missing);
        let status = Cols::new(op, rows.first().ok_or_else(missing)?).text("StatusMessage")?;
        Ok(!status.to_ascii_lowercase().contains("not installed"))
    }
}

/// A document row of `pixiGetInvoice` (credit notes come negative; made positive here). A NULL
/// `ShipDate` means not shipped yet; credit notes count as shipped.
fn doc(c: &Cols<'_>) -> Result<Doc, kit::contract::ContractError> {
    let kind = match c.code("DocumentType", &["R", "G"])?.as_str() {
        "G" => DocKind::CreditNote,
        _ => DocKind::Invoice,
    };
    Ok(Doc {
        nr: c.text("InvoiceNr")?,
        kind,
        total_minor: c.money("Total")?.abs(),
        paid_minor: c.money("PayedSum")?.abs(),
        shipped: kind == DocKind::CreditNote || c.opt("ShipDate").is_some(),
        manual: false,
    })
}

/// `<TAG>…<PAYMENT_ID>id</PAYMENT_ID>…</TAG>` in the import XML.
fn payment_id(xml: &str, tag: &str) -> Option<String> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    let inner = xml.split_once(&open).and_then(|(_, rest)| rest.split_once(&close)).map(|(inner, _)| inner)?;
    let id = inner.split_once("<PAYMENT_ID>")?.1.split_once("</PAYMENT_ID>")?.0.trim();
    (!id.is_empty()).then(|| id.to_owned())
}
