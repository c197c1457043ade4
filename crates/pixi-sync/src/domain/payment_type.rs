//! The unzer payment types pixi-sync supports (PX-06), how each one's money flows, and which
//! processing family it belongs to. Deprecated names map to their successors; anything else
//! is a configuration error, never a crash.
//!
//! The old installment secured (`ins`, and `hdd`, `php-sdk` `IdStrings.php`) is a different
//! product from paylater installment (`pit`): authorize → charge → shipment, cancels per
//! transaction with `amountGross`/`amountNet`/`amountVat` (`Cancellation.php` L146-156). The
//! seed supports only "Unzer Installment (Paylater)", so `ins` is refused as an unsupported
//! type with a message saying so, rather than processed as `pit` (which would never report
//! its shipment and cancel with the wrong fields).

use std::fmt;

/// A supported unzer payment type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PaymentType {
    /// SEPA direct debit secured (was "direct debit secured" / "guaranteed").
    SepaDirectDebitSecured,
    /// Paylater direct debit.
    PaylaterDirectDebit,
    /// Invoice (deprecated at unzer, still processed).
    Invoice,
    /// Invoice secured (deprecated at unzer, still processed; was "invoice guaranteed").
    InvoiceSecured,
    /// Paylater invoice (no re-authorisation through pixi).
    PaylaterInvoice,
    /// Paylater installment.
    PaylaterInstallment,
    /// Prepayment (Vorkasse): the customer transfers the money.
    Prepayment,
    /// PayPal.
    Paypal,
    /// Credit and debit card.
    Card,
    /// SOFORT.
    Sofort,
    /// EPS.
    Eps,
    /// iDEAL.
    Ideal,
    /// giropay.
    Giropay,
    /// Alipay.
    Alipay,
    /// Przelewy24.
    Przelewy24,
    /// Apple Pay.
    Applepay,
}

/// Why a payment type was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported unzer payment type {0:?}{hint}", hint = hint(.0))]
pub struct UnsupportedType(pub String);

/// What to tell the operator about a type that looks like a supported one.
fn hint(name: &str) -> &'static str {
    let n = name.to_ascii_lowercase();
    if n.contains("-ins-")
        || n.contains("-hdd-")
        || n.contains("installment-secured")
        || n.contains("installment secured")
    {
        ": this is the old Unzer installment secured; pixi-sync supports Unzer Installment (Paylater, paylater-installment) only"
    } else {
        ""
    }
}

/// How pixi-sync processes a payment type; the mode matters only for [`Family::Authorize`]
/// (PX-07).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// card, paypal, applepay: authorised at checkout; STANDARD captures at release, EXPERT per
    /// invoice.
    Authorize,
    /// sofort, eps, ideal, giropay, alipay, przelewy24: charged at checkout (the shop captured).
    Charged,
    /// prepayment: charged at checkout, pending until the customer's transfer arrives.
    Prepayment,
    /// paylater invoice and installment: authorised; each invoice is charged (which starts the
    /// payment period); the account is balanced when the order is CLOSED.
    PaylaterInvoice,
    /// paylater direct debit: authorised; each invoice is charged and balanced at once.
    PaylaterDebit,
    /// invoice (`ivc`): charged at checkout, the buyer transfers later; unzer refuses a
    /// shipment (`API.360.000.004`): balanced once the money arrived in full and the order is
    /// CLOSED.
    Invoice,
    /// invoice secured (`ivs`/`ivg`): charged at checkout; each invoice is reported as a
    /// shipment with its invoiceId (starts the insurance and the payment period); balanced when
    /// CLOSED.
    InvoiceSecured,
    /// SEPA direct debit secured: charged (and insured) at checkout; unzer refuses a shipment
    /// (`COR.700.400.800`): each invoice is balanced at once.
    SecuredDebit,
}

impl PaymentType {
    /// Every supported type.
    pub const ALL: [PaymentType; 16] = [
        PaymentType::SepaDirectDebitSecured,
        PaymentType::PaylaterDirectDebit,
        PaymentType::Invoice,
        PaymentType::InvoiceSecured,
        PaymentType::PaylaterInvoice,
        PaymentType::PaylaterInstallment,
        PaymentType::Prepayment,
        PaymentType::Paypal,
        PaymentType::Card,
        PaymentType::Sofort,
        PaymentType::Eps,
        PaymentType::Ideal,
        PaymentType::Giropay,
        PaymentType::Alipay,
        PaymentType::Przelewy24,
        PaymentType::Applepay,
    ];

    /// unzer's current name (`/v1/types/<name>`).
    pub fn name(self) -> &'static str {
        match self {
            PaymentType::SepaDirectDebitSecured => "sepa-direct-debit-secured",
            PaymentType::PaylaterDirectDebit => "paylater-direct-debit",
            PaymentType::Invoice => "invoice",
            PaymentType::InvoiceSecured => "invoice-secured",
            PaymentType::PaylaterInvoice => "paylater-invoice",
            PaymentType::PaylaterInstallment => "paylater-installment",
            PaymentType::Prepayment => "prepayment",
            PaymentType::Paypal => "paypal",
            PaymentType::Card => "card",
            PaymentType::Sofort => "sofort",
            PaymentType::Eps => "eps",
            PaymentType::Ideal => "ideal",
            PaymentType::Giropay => "giropay",
            PaymentType::Alipay => "alipay",
            PaymentType::Przelewy24 => "przelewy24",
            PaymentType::Applepay => "applepay",
        }
    }

    /// Parses a type name, accepting the deprecated names and spellings (case-insensitive,
    /// spaces or underscores for hyphens).
    pub fn from_name(name: &str) -> Result<PaymentType, UnsupportedType> {
        let n = name.trim().to_ascii_lowercase().replace([' ', '_'], "-");
        let t = match n.as_str() {
            "sepa-direct-debit-secured"
            | "direct-debit-secured"
            | "sepa-direct-debit-guaranteed"
            | "direct-debit-guaranteed" => PaymentType::SepaDirectDebitSecured,
            "paylater-direct-debit" => PaymentType::PaylaterDirectDebit,
            "invoice" => PaymentType::Invoice,
            "invoice-secured" | "invoice-guaranteed" => PaymentType::InvoiceSecured,
            "paylater-invoice" => PaymentType::PaylaterInvoice,
            "paylater-installment" => PaymentType::PaylaterInstallment,
            "prepayment" => PaymentType::Prepayment,
            "paypal" => PaymentType::Paypal,
            "card" => PaymentType::Card,
            "sofort" | "sofortueberweisung" => PaymentType::Sofort,
            "eps" => PaymentType::Eps,
            "ideal" => PaymentType::Ideal,
            "giropay" => PaymentType::Giropay,
            "alipay" => PaymentType::Alipay,
            "przelewy24" | "p24" => PaymentType::Przelewy24,
            "applepay" | "apple-pay" => PaymentType::Applepay,
            _ => return Err(UnsupportedType(name.to_owned())),
        };
        Ok(t)
    }

    /// The type of a payment-type id such as `s-crd-k3j9x0q2m1ab` (the infix of unzer's
    /// `IdStrings.php`; deprecated infixes map to their successors).
    pub fn from_type_id(type_id: &str) -> Result<PaymentType, UnsupportedType> {
        let infix = type_id.split('-').nth(1).unwrap_or_default();
        let t = match infix {
            "dds" | "ddg" => PaymentType::SepaDirectDebitSecured,
            "pdd" => PaymentType::PaylaterDirectDebit,
            "ivc" => PaymentType::Invoice,
            "ivs" | "ivg" => PaymentType::InvoiceSecured,
            "piv" => PaymentType::PaylaterInvoice,
            "pit" => PaymentType::PaylaterInstallment,
            "ppy" => PaymentType::Prepayment,
            "ppl" => PaymentType::Paypal,
            "crd" => PaymentType::Card,
            "sft" => PaymentType::Sofort,
            "eps" => PaymentType::Eps,
            "idl" => PaymentType::Ideal,
            "gro" => PaymentType::Giropay,
            "ali" => PaymentType::Alipay,
            "p24" => PaymentType::Przelewy24,
            "apl" => PaymentType::Applepay,
            _ => return Err(UnsupportedType(type_id.to_owned())),
        };
        Ok(t)
    }

    /// The processing family.
    pub fn family(self) -> Family {
        match self {
            PaymentType::Card | PaymentType::Paypal | PaymentType::Applepay => Family::Authorize,
            PaymentType::Sofort
            | PaymentType::Eps
            | PaymentType::Ideal
            | PaymentType::Giropay
            | PaymentType::Alipay
            | PaymentType::Przelewy24 => Family::Charged,
            PaymentType::Prepayment => Family::Prepayment,
            PaymentType::PaylaterInvoice | PaymentType::PaylaterInstallment => Family::PaylaterInvoice,
            PaymentType::PaylaterDirectDebit => Family::PaylaterDebit,
            PaymentType::Invoice => Family::Invoice,
            PaymentType::InvoiceSecured => Family::InvoiceSecured,
            PaymentType::SepaDirectDebitSecured => Family::SecuredDebit,
        }
    }

    /// unzer documents a re-authorisation (`PATCH …/authorize`) for the type and pixi-sync
    /// uses it: paylater installment and direct debit. Paylater invoice has one too, but the
    /// seed says it cannot be re-authorised through pixi; cards have none.
    pub fn reauthorizes(self) -> bool {
        matches!(self, PaymentType::PaylaterInstallment | PaymentType::PaylaterDirectDebit)
    }

    /// Authorised at checkout (the others are charged at checkout).
    pub fn authorizes(self) -> bool {
        matches!(self.family(), Family::Authorize | Family::PaylaterInvoice | Family::PaylaterDebit)
    }

    /// The customer is redirected at checkout; a pending transaction waits for them.
    pub fn redirects(self) -> bool {
        matches!(
            self,
            PaymentType::Paypal
                | PaymentType::Sofort
                | PaymentType::Eps
                | PaymentType::Ideal
                | PaymentType::Giropay
                | PaymentType::Alipay
                | PaymentType::Przelewy24
        )
    }

    /// The money arrives later by bank transfer; the charge is pending until then and carries
    /// the transfer data (PX-12).
    pub fn funds_arrive(self) -> bool {
        matches!(self.family(), Family::Prepayment | Family::Invoice | Family::InvoiceSecured)
    }

    /// The mode setting has an effect (PX-07: none for invoice-type methods).
    pub fn mode_applies(self) -> bool {
        self.family() == Family::Authorize
    }
}

impl fmt::Display for PaymentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn px_06_every_supported_type_round_trips_by_name() {
        for t in PaymentType::ALL {
            assert_eq!(PaymentType::from_name(t.name()), Ok(t), "{t}");
        }
    }

    #[test]
    fn px_06_deprecated_names_and_ids_map_to_their_successors() {
        let names: &[(&str, PaymentType)] = &[
            ("direct debit secured", PaymentType::SepaDirectDebitSecured),
            ("Direct-Debit-Secured", PaymentType::SepaDirectDebitSecured),
            ("sepa_direct_debit_guaranteed", PaymentType::SepaDirectDebitSecured),
            ("invoice-guaranteed", PaymentType::InvoiceSecured),
            ("P24", PaymentType::Przelewy24),
            ("Apple Pay", PaymentType::Applepay),
        ];
        for (name, want) in names {
            assert_eq!(PaymentType::from_name(name), Ok(*want), "{name}");
        }
        let ids: &[(&str, PaymentType)] = &[
            ("s-crd-k3j9x0q2m1ab", PaymentType::Card),
            ("p-ppl-x", PaymentType::Paypal),
            ("s-dds-1", PaymentType::SepaDirectDebitSecured),
            ("s-ddg-1", PaymentType::SepaDirectDebitSecured),
            ("s-ivg-1", PaymentType::InvoiceSecured),
            ("s-ivs-1", PaymentType::InvoiceSecured),
            ("s-ivc-1", PaymentType::Invoice),
            ("s-piv-1", PaymentType::PaylaterInvoice),
            ("s-pit-1", PaymentType::PaylaterInstallment),
            ("s-pdd-1", PaymentType::PaylaterDirectDebit),
            ("s-ppy-1", PaymentType::Prepayment),
            ("s-sft-1", PaymentType::Sofort),
            ("s-eps-1", PaymentType::Eps),
            ("s-idl-1", PaymentType::Ideal),
            ("s-gro-1", PaymentType::Giropay),
            ("s-ali-1", PaymentType::Alipay),
            ("s-p24-1", PaymentType::Przelewy24),
            ("s-apl-1", PaymentType::Applepay),
        ];
        for (id, want) in ids {
            assert_eq!(PaymentType::from_type_id(id), Ok(*want), "{id}");
        }
    }

    #[test]
    fn px_06_installment_secured_is_not_paylater_installment_but_a_clear_configuration_error() {
        for bad in ["s-ins-4ntbw6eemh0l", "p-ins-1", "s-hdd-1"] {
            let e = PaymentType::from_type_id(bad).unwrap_err().to_string();
            assert!(e.contains("old Unzer installment secured") && e.contains("paylater-installment"), "{bad}: {e}");
        }
        let e = PaymentType::from_name("installment-secured").unwrap_err().to_string();
        assert!(e.contains("old Unzer installment secured"), "{e}");
        assert_eq!(PaymentType::from_type_id("s-pit-1"), Ok(PaymentType::PaylaterInstallment));
    }

    #[test]
    fn px_06_unsupported_types_are_a_clear_error_not_a_crash() {
        for bad in ["twint", "sepa-direct-debit", "", "bitcoin"] {
            let err = PaymentType::from_name(bad).unwrap_err();
            assert!(err.to_string().contains("unsupported unzer payment type"), "{bad}");
        }
        for bad in ["s-twt-1", "s-sdd-1", "s-pfc-1", "garbage", ""] {
            assert!(PaymentType::from_type_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn px_07_the_mode_applies_only_to_authorising_card_like_types() {
        let applies: Vec<PaymentType> = PaymentType::ALL.into_iter().filter(|t| t.mode_applies()).collect();
        assert_eq!(applies, [PaymentType::Paypal, PaymentType::Card, PaymentType::Applepay]);
        for t in [PaymentType::PaylaterInvoice, PaymentType::PaylaterInstallment, PaymentType::Invoice] {
            assert!(!t.mode_applies(), "{t}");
        }
    }

    #[test]
    fn families_table() {
        let cases = [
            (PaymentType::Card, Family::Authorize, true, false),
            (PaymentType::Prepayment, Family::Prepayment, false, true),
            (PaymentType::Invoice, Family::Invoice, false, true),
            (PaymentType::InvoiceSecured, Family::InvoiceSecured, false, true),
            (PaymentType::PaylaterInvoice, Family::PaylaterInvoice, true, false),
            (PaymentType::PaylaterDirectDebit, Family::PaylaterDebit, true, false),
            (PaymentType::SepaDirectDebitSecured, Family::SecuredDebit, false, false),
            (PaymentType::Sofort, Family::Charged, false, false),
        ];
        for (t, family, authorizes, funds) in cases {
            assert_eq!((t.family(), t.authorizes(), t.funds_arrive()), (family, authorizes, funds), "{t}");
        }
    }
}
