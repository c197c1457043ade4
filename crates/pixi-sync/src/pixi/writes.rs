//! The calls that change something in pixi, one method each. Each is sent once; its error
//! class (see the module docs of [`super`]) tells the journal whether nothing happened
//! (refused, transient) or pixi must be asked first (unknown).

use chrono::NaiveDateTime;
use kit::contract::{ContractError, Problem};

use super::rows::{Cols, first_set};
use super::wire::{Param, Row};
use super::{PixiClient, PixiError};
use crate::domain::facts::Bank;

/// `Message` of the pay calls is `varchar(200)` (pixi's CCP log).
const MESSAGE_MAX: usize = 200;
/// `Reason` of `pixiSetOrderShippingLock` is `varchar(255)`.
const REASON_MAX: usize = 255;
/// `Comment` of `pixiCACreateManualBooking` is `varchar(512)`.
const COMMENT_MAX: usize = 512;

fn clip(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// `ReturnCode` OK or INFO (nothing to change) → the code; ERROR → a refusal with pixi's
/// `ErrorMessage`; anything else, or no row, is a contract error.
fn return_code(op: &'static str, sets: Vec<Vec<Row>>) -> Result<String, PixiError> {
    let rows = first_set(sets);
    let r = rows.first().ok_or_else(|| ContractError::new("pixi", op, "ReturnCode", Problem::Missing))?;
    let c = Cols::new(op, r);
    let code = c.code("ReturnCode", &["OK", "INFO", "ERROR"])?;
    if code == "ERROR" {
        let message = c.opt("ErrorMessage").unwrap_or_default();
        return Err(PixiError::Refused { code: "ReturnCode=ERROR".into(), message });
    }
    Ok(code)
}

impl PixiClient {
    /// `pixiPaySetAuthorizationStatus` with Success=1: records the payment (`AuthID` → ccpPayID,
    /// `AuthCode` → ccpLastAuthCode) and releases the order (HOLD → OPEN). No result columns.
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
                ("Message", Param::Str(clip(message, MESSAGE_MAX))),
            ],
        )
        .await
        .map(|_| ())
    }

    /// `pixiReleaseOrder`: HOLD → OPEN without recording a payment; the lines released.
    pub async fn release_order(&self, shop_id: &str, external_nr: &str) -> Result<i64, PixiError> {
        let op = "pixiReleaseOrder";
        let params =
            [("ShopId", Param::Str(shop_id.to_owned())), ("OrderNrExternal", Param::Str(external_nr.to_owned()))];
        let rows = first_set(self.write(op, &params).await?);
        let r = rows.first().ok_or_else(|| ContractError::new("pixi", op, "ReturnCode", Problem::Missing))?;
        let c = Cols::new(op, r);
        if c.code("ReturnCode", &["OK", "ERROR"])? == "ERROR" {
            return Err(PixiError::Refused {
                code: "ReturnCode=ERROR".into(),
                message: format!("order {external_nr} not released"),
            });
        }
        Ok(c.int("AffectedRows")?)
    }

    /// `pixiSetOrderShippingLock`; `OK` or `INFO` (it already was so). `Reason` and `UserName`
    /// only where the revision has them (23.03); older ones write their own reason text.
    pub async fn set_order_lock(&self, order_nr: i64, locked: bool, reason: &str) -> Result<String, PixiError> {
        let op = "pixiSetOrderShippingLock";
        let mut params = vec![("OrderNr", Param::Int(order_nr)), ("Locked", Param::Bit(locked))];
        if self.caps.lock_reason() {
            params.push(("Reason", Param::Str(clip(reason, REASON_MAX))));
            params.push(("UserName", Param::Str("payops".into())));
        }
        return_code(op, self.write(op, &params).await?)
    }

    /// The prepayment transfer data into the billing address (PX-12): `pixiCanChangeAddress`
    /// first (pixi refuses address changes once goods are packed), then `pixiChangeAddress`.
    pub async fn write_bank(&self, order_nr: i64, bank: &Bank) -> Result<String, PixiError> {
        if !self.can_change_address(order_nr).await? {
            return Err(PixiError::Refused {
                code: "pixiCanChangeAddress=0".into(),
                message: format!("the addresses of order {order_nr} can no longer be changed"),
            });
        }
        let op = "pixiChangeAddress";
        let params = [
            ("OrderNr", Param::Int(order_nr)),
            ("AddrType", Param::Str("B".into())),
            ("AccountOwner", Param::Str(bank.holder.clone())),
            ("IBAN", Param::Str(bank.iban.clone())),
            ("BIC", Param::Str(bank.bic.clone())),
            ("BankName", Param::Str(bank.reference.clone())),
        ];
        return_code(op, self.write(op, &params).await?)
    }

    /// `pixiPaySetInvoiceCapture` with Success=1: marks the invoice captured and books `event`
    /// in the customer account. `pay_id` is the payment provider's unique transaction id.
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
                ("Message", Param::Str(clip(message, MESSAGE_MAX))),
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
        let op = "pixiCACreateManualBooking";
        let params = [
            ("CustKey", Param::Int(cust_key)),
            ("EventID", Param::Str(event.to_owned())),
            ("Amount", Param::Money(amount_minor)),
            ("EventDate", Param::DateTime(at)),
            ("Comment", Param::Str(clip(comment, COMMENT_MAX))),
            ("MatchToInvoiceNr", Param::Str(match_doc.to_owned())),
        ];
        return_code(op, self.write(op, &params).await?)
    }

    /// `pixiCreateOrderComment` (PX-21).
    pub async fn create_comment(&self, order_nr: i64, comment: &str) -> Result<String, PixiError> {
        let op = "pixiCreateOrderComment";
        let params = [
            ("OrderNr", Param::Int(order_nr)),
            ("Comment", Param::Str(comment.to_owned())),
            ("UserName", Param::Str("payops".into())),
        ];
        return_code(op, self.write(op, &params).await?)
    }
}
