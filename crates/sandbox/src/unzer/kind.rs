//! The payment types pixi-sync supports (PX-06) and what each allows: authorize or
//! charge only, redirect, bank transfer, shipment, paylater cancels.

use serde::{Deserialize, Serialize};

use super::wire::codes;

/// The payment types pixi-sync supports (PX-06), with unzer's path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PayKind {
    /// Credit and debit card.
    Card,
    /// PayPal (redirect).
    Paypal,
    /// SEPA direct debit secured.
    SepaDirectDebitSecured,
    /// Paylater invoice.
    PaylaterInvoice,
    /// Paylater installment.
    PaylaterInstallment,
    /// Paylater direct debit.
    PaylaterDirectDebit,
    /// Invoice (deprecated).
    Invoice,
    /// Invoice secured (deprecated).
    InvoiceSecured,
    /// Prepayment: the customer transfers the money.
    Prepayment,
    /// SOFORT (redirect).
    Sofort,
    /// EPS (redirect).
    Eps,
    /// iDEAL (redirect).
    Ideal,
    /// giropay (redirect).
    Giropay,
    /// Alipay (redirect).
    Alipay,
    /// Przelewy24 (redirect).
    Przelewy24,
    /// Apple Pay.
    Applepay,
}

impl PayKind {
    /// Every supported kind.
    pub const ALL: [PayKind; 16] = [
        PayKind::Card,
        PayKind::Paypal,
        PayKind::SepaDirectDebitSecured,
        PayKind::PaylaterInvoice,
        PayKind::PaylaterInstallment,
        PayKind::PaylaterDirectDebit,
        PayKind::Invoice,
        PayKind::InvoiceSecured,
        PayKind::Prepayment,
        PayKind::Sofort,
        PayKind::Eps,
        PayKind::Ideal,
        PayKind::Giropay,
        PayKind::Alipay,
        PayKind::Przelewy24,
        PayKind::Applepay,
    ];

    /// The path name (`/v1/types/<name>`).
    pub fn name(self) -> &'static str {
        match self {
            PayKind::Card => "card",
            PayKind::Paypal => "paypal",
            PayKind::SepaDirectDebitSecured => "sepa-direct-debit-secured",
            PayKind::PaylaterInvoice => "paylater-invoice",
            PayKind::PaylaterInstallment => "paylater-installment",
            PayKind::PaylaterDirectDebit => "paylater-direct-debit",
            PayKind::Invoice => "invoice",
            PayKind::InvoiceSecured => "invoice-secured",
            PayKind::Prepayment => "prepayment",
            PayKind::Sofort => "sofort",
            PayKind::Eps => "eps",
            PayKind::Ideal => "ideal",
            PayKind::Giropay => "giropay",
            PayKind::Alipay => "alipay",
            PayKind::Przelewy24 => "przelewy24",
            PayKind::Applepay => "applepay",
        }
    }

    /// Parses a path name.
    pub fn from_name(s: &str) -> Option<PayKind> {
        PayKind::ALL.into_iter().find(|k| k.name() == s)
    }

    /// The id infix (`IdStrings.php`).
    pub fn code(self) -> &'static str {
        match self {
            PayKind::Card => "crd",
            PayKind::Paypal => "ppl",
            PayKind::SepaDirectDebitSecured => "dds",
            PayKind::PaylaterInvoice => "piv",
            PayKind::PaylaterInstallment => "pit",
            PayKind::PaylaterDirectDebit => "pdd",
            PayKind::Invoice => "ivc",
            PayKind::InvoiceSecured => "ivs",
            PayKind::Prepayment => "ppy",
            PayKind::Sofort => "sft",
            PayKind::Eps => "eps",
            PayKind::Ideal => "idl",
            PayKind::Giropay => "gro",
            PayKind::Alipay => "ali",
            PayKind::Przelewy24 => "p24",
            PayKind::Applepay => "apl",
        }
    }

    /// Supports `POST /v1/payments/authorize` (the others are charge-only).
    pub fn can_authorize(self) -> bool {
        matches!(
            self,
            PayKind::Card
                | PayKind::Paypal
                | PayKind::Applepay
                | PayKind::PaylaterInvoice
                | PayKind::PaylaterInstallment
                | PayKind::PaylaterDirectDebit
        )
    }

    /// The customer is redirected (transaction pending until the redirect completes).
    pub fn redirect(self) -> bool {
        matches!(
            self,
            PayKind::Paypal
                | PayKind::Sofort
                | PayKind::Eps
                | PayKind::Ideal
                | PayKind::Giropay
                | PayKind::Alipay
                | PayKind::Przelewy24
        )
    }

    /// The money arrives later by bank transfer (charge pending until then).
    pub fn funds_arrive(self) -> bool {
        matches!(self, PayKind::Prepayment | PayKind::Invoice | PayKind::InvoiceSecured)
    }

    /// Accepts shipment notices: only invoice secured (its shipment activates the insurance
    /// and starts the payment term; `InvoiceSecuredTest.php`).
    pub fn shippable(self) -> bool {
        self == PayKind::InvoiceSecured
    }

    /// The code and reason a shipment of this type is refused with (`InvoiceTest.php`,
    /// `PrepaymentTest.php`: `API.360.000.004`; `SepaDirectDebitSecuredTest.php`:
    /// `COR.700.400.800`, the insurance was activated with the charge).
    pub fn shipment_refusal(self) -> (&'static str, &'static str) {
        match self {
            PayKind::SepaDirectDebitSecured => {
                (codes::INSURANCE_ALREADY_ACTIVATED, "the insurance is already activated")
            }
            PayKind::PaylaterInvoice | PayKind::PaylaterInstallment | PayKind::PaylaterDirectDebit => {
                (codes::SHIP_NOT_ALLOWED, "the charge starts the payment term")
            }
            _ => (codes::SHIP_NOT_ALLOWED, "the type has no shipment"),
        }
    }

    /// Insured types: need a customer, and an invoiceId before shipment.
    pub fn secured(self) -> bool {
        matches!(
            self,
            PayKind::InvoiceSecured
                | PayKind::SepaDirectDebitSecured
                | PayKind::PaylaterInvoice
                | PayKind::PaylaterInstallment
                | PayKind::PaylaterDirectDebit
        )
    }

    /// Paylater types: payment-level cancels, the charge starts the payment term.
    pub fn paylater(self) -> bool {
        matches!(self, PayKind::PaylaterInvoice | PayKind::PaylaterInstallment | PayKind::PaylaterDirectDebit)
    }
}
