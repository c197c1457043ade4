//! Manual payments (`docs/rules/MP.md`): payments made outside the platform that a manager confirms —
//! merchants (MP-01), offers (MP-02, MP-05), the payment state machine (MP-03 … MP-06, MP-10)
//! and the exact fee arithmetic (MP-08).

pub mod fees;
pub mod merchant;
pub mod offer;
pub mod payment;

pub use fees::Fees;
pub use merchant::{Merchant, MerchantInput};
pub use offer::{Offer, OfferInput};
pub use payment::{Adjust, Command, DecideError, Event, Payment, State};

kit::id_type!(MerchantId, 64, "A manual-payment merchant id.");
kit::id_type!(OfferId, 64, "An offer id.");
kit::id_type!(CustomerId, 64, "A customer id in the platform's CRM.");

#[cfg(test)]
pub(crate) mod fixtures {
    //! Shared test values.

    use kit::money::{Currency, Money};

    use super::merchant::{Merchant, MerchantInput};
    use crate::domain::RawMoney;

    /// A CHF merchant that also takes EUR, with `percent` commission and `fee`.
    pub(crate) fn merchant_with(percent: &str, fee: Money) -> Merchant {
        Merchant::parse(&MerchantInput {
            merchant_id: "cash-desk".into(),
            name: "Barzahlung".into(),
            commission_percent: percent.into(),
            fixed_fee: Some(RawMoney { minor: fee.minor(), currency: fee.currency().to_string() }),
            account_currency: "CHF".into(),
            fallback_currency: "CHF".into(),
            supported_currencies: vec!["CHF".into(), "EUR".into()],
            ..Default::default()
        })
        .unwrap_or_else(|v| panic!("fixture merchant invalid: {v:?}"))
    }

    /// The default fixture: 2.5 % and CHF 0.30.
    pub(crate) fn merchant() -> Merchant {
        merchant_with("2.5", Money::new(30, Currency::CHF))
    }
}
