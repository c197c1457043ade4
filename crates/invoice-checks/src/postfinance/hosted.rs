//! The hosted payment page (e-Commerce, IC-08): the signed form the shop's page posts to
//! `orderstandard_utf8.asp` for a checked order (PM/BRAND SwissBilling, AMOUNT ×100, every
//! SwissBilling parameter of the merchant's parameter table, authorisation only), and the verification of the
//! feedback PostFinance signs with SHA-OUT — the customer's browser return and the
//! server-to-server post-sale request carry the same parameters.
//!
//! `ITEMPRICEn` is a decimal in francs (`39.99`) while `AMOUNT` is ×100: public integrators of
//! this platform send it that way (Netresearch_OPS `OpenInvoiceNl.php`:
//! `number_format($item->getBasePriceInclTax(), 2, '.', '')` with `TAXINCLUDED=1`; the ePDQ
//! client `EssentialPurchaseRequest.php`: `AMOUNT` integer, `ITEMPRICE` `formatCurrency`),
//! and the e-Commerce Advanced guide §10.5 gives it as a number, not "×100" as it does for
//! AMOUNT. Seed 004's example `ITEMPRICE1=3999` does not say which unit it is in.

use kit::contract::{ContractError, Fields, Problem, decimal_minor, minor_decimal};
use kit::money::{Currency, Money};

use super::SYSTEM;
use super::sha::{sign_in, verify_out};
use super::tenant::Tenant;
use crate::domain::swissbilling::CheckedOrder;

/// Where the customer's browser comes back to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReturnUrls {
    /// `ACCEPTURL`.
    pub accept: String,
    /// `DECLINEURL`.
    pub decline: String,
    /// `EXCEPTIONURL`.
    pub exception: String,
    /// `CANCELURL`.
    pub cancel: String,
}

/// The form fields in order, without `SHASIGN`. Empty values are left out (the platform treats
/// them as absent and SHA-IN skips them).
pub fn form(order: &CheckedOrder, tenant: &Tenant, urls: &ReturnUrls) -> Vec<(String, String)> {
    let mut f: Vec<(String, String)> = Vec::new();
    let mut put = |k: &str, v: &str| {
        if !v.is_empty() {
            f.push((k.to_owned(), v.to_owned()));
        }
    };
    put("PSPID", &tenant.pspid);
    put("ORDERID", &order.order_id);
    put("AMOUNT", &order.amount.minor().to_string());
    put("CURRENCY", order.amount.currency().as_str());
    put("LANGUAGE", &order.language);
    put("PM", "SwissBilling");
    put("BRAND", "SwissBilling");
    put("OPERATION", "RES");
    put("EMAIL", &order.email);
    put("REF_CUSTOMERID", &order.customer_id);
    let a = &order.address;
    for side in ["BILLTO", "SHIPTO"] {
        put(&format!("ECOM_{side}_COMPANY"), &a.company);
        put(&format!("ECOM_{side}_POSTAL_NAME_PREFIX"), &a.name_prefix);
        put(&format!("ECOM_{side}_POSTAL_NAME_FIRST"), &a.first_name);
        put(&format!("ECOM_{side}_POSTAL_NAME_LAST"), &a.last_name);
        put(&format!("ECOM_{side}_POSTAL_STREET_NUMBER"), &a.street_number);
        put(&format!("ECOM_{side}_POSTAL_STREET_LINE1"), &a.street_line1);
        put(&format!("ECOM_{side}_POSTAL_STREET_LINE2"), &a.street_line2);
        put(&format!("ECOM_{side}_POSTAL_POSTALCODE"), &a.postal_code);
        put(&format!("ECOM_{side}_POSTAL_CITY"), &a.city);
        put(&format!("ECOM_{side}_POSTAL_COUNTRYCODE"), &a.country_code);
        put(&format!("ECOM_{side}_TELECOM_MOBILE_NUMBER"), &a.mobile_number);
        put(&format!("ECOM_{side}_TELECOM_PHONE_NUMBER"), &a.phone_number);
    }
    put("GENERIC_BL_DATA", &order.generic_bl_data);
    for (i, item) in order.items.iter().enumerate() {
        let n = i + 1;
        put(&format!("ITEMID{n}"), &item.item_id);
        put(&format!("ITEMNAME{n}"), &item.name);
        put(&format!("ITEMPRICE{n}"), &minor_decimal(item.unit_price.minor(), 2));
        put(&format!("ITEMQUANT{n}"), &item.quantity.to_string());
        put(&format!("ITEMVATCODE{n}"), &item.vat_code);
        put(&format!("ITEMCATEGORY{n}"), &item.category);
        put(&format!("TAXINCLUDED{n}"), "1");
    }
    put("ACCEPTURL", &urls.accept);
    put("DECLINEURL", &urls.decline);
    put("EXCEPTIONURL", &urls.exception);
    put("CANCELURL", &urls.cancel);
    f
}

/// `form` with its `SHASIGN` (SHA-IN with the tenant's e-Commerce passphrase) appended.
pub fn signed_form(order: &CheckedOrder, tenant: &Tenant, urls: &ReturnUrls) -> Vec<(String, String)> {
    let mut f = form(order, tenant, urls);
    let shasign = sign_in(tenant.algorithm, f.iter().map(|(k, v)| (k.as_str(), v.as_str())), &tenant.sha_in_ecom);
    f.push(("SHASIGN".into(), shasign));
    f
}

/// What verified feedback says (a browser return or a post-sale request).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnData {
    /// `orderID`.
    pub order_id: String,
    /// `PAYID`.
    pub payid: u64,
    /// `STATUS`.
    pub status: u16,
    /// `amount` (minor units).
    pub amount: Money,
    /// `PM`.
    pub pm: String,
    /// `BRAND`.
    pub brand: String,
    /// `NCERROR`.
    pub ncerror: String,
}

/// Why feedback was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReturnError {
    /// No `SHASIGN`, or it does not match: a security event.
    #[error("{0}")]
    BadSignature(&'static str),
    /// Signed, but a parameter the logic needs is missing or unreadable (counted, CT-05).
    #[error(transparent)]
    Contract(#[from] ContractError),
}

/// Verifies the SHA-OUT signature of feedback `params` and reads it; `operation` (`return`,
/// `notification`) names it in contract-violation metrics. Parameter names may come in any
/// case; only parameters on the SHA-OUT list are signed (PARAMPLUS pairs are not).
pub fn verify_feedback(
    tenant: &Tenant,
    params: &[(String, String)],
    operation: &'static str,
) -> Result<ReturnData, ReturnError> {
    let shasigns: Vec<&str> =
        params.iter().filter(|(k, _)| k.eq_ignore_ascii_case("SHASIGN")).map(|(_, v)| v.as_str()).collect();
    let sent = match shasigns.as_slice() {
        [] => return Err(ReturnError::BadSignature("SHASIGN is missing")),
        [one] => *one,
        _ => return Err(ReturnError::BadSignature("SHASIGN appears more than once")),
    };
    // A name twice (in any case) could sign one value and show another.
    let mut names: Vec<String> = params.iter().map(|(k, _)| k.to_ascii_uppercase()).collect();
    names.sort();
    if names.windows(2).any(|w| w[0] == w[1]) {
        return Err(ReturnError::BadSignature("a parameter appears more than once"));
    }
    let signed =
        params.iter().filter(|(k, _)| !k.eq_ignore_ascii_case("SHASIGN")).map(|(k, v)| (k.as_str(), v.as_str()));
    if !verify_out(tenant.algorithm, signed, &tenant.sha_out, sent) {
        return Err(ReturnError::BadSignature("SHASIGN does not match the SHA-OUT signature"));
    }
    let f = Fields::new(SYSTEM, operation, |n: &str| {
        params.iter().find(|(k, _)| k.eq_ignore_ascii_case(n)).map(|(_, v)| v.as_str())
    });
    let currency =
        Currency::parse(f.text("currency")?).map_err(|_| f.error("currency", Problem::Invalid("a currency".into())))?;
    let amount = decimal_minor(f.text("amount")?, 2)
        .ok_or_else(|| f.error("amount", Problem::Invalid("an amount with 2 decimals".into())))?;
    let payid = u64::try_from(f.int("PAYID")?)
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| f.error("PAYID", Problem::Invalid("a PAYID".into())))?;
    let status = u16::try_from(f.int("STATUS")?).map_err(|_| f.error("STATUS", Problem::WrongType("a status")))?;
    Ok(ReturnData {
        order_id: f.text("orderID")?.to_owned(),
        payid,
        status,
        amount: Money::new(amount, currency),
        pm: f.opt("PM").unwrap_or_default().to_owned(),
        brand: f.opt("BRAND").unwrap_or_default().to_owned(),
        ncerror: f.opt("NCERROR").unwrap_or_default().to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use crate::postfinance::signed::{NOT_SIGNED, SHA_IN, SHA_IN_FAMILIES};

    #[test]
    fn every_parameter_the_form_sends_is_on_the_sha_in_table_or_named_unsigned() {
        let known = |name: &str| {
            let base = name.trim_end_matches(|c: char| c.is_ascii_digit());
            SHA_IN.iter().any(|(n, _)| *n == name)
                || (base.len() < name.len() && SHA_IN_FAMILIES.iter().any(|(n, _)| *n == base))
                || NOT_SIGNED.contains(&name)
        };
        let names = [
            "PSPID",
            "ORDERID",
            "AMOUNT",
            "CURRENCY",
            "LANGUAGE",
            "PM",
            "BRAND",
            "OPERATION",
            "EMAIL",
            "REF_CUSTOMERID",
            "GENERIC_BL_DATA",
            "ITEMID12",
            "ITEMPRICE1",
            "TAXINCLUDED3",
            "ACCEPTURL",
            "DECLINEURL",
            "EXCEPTIONURL",
            "CANCELURL",
            "ECOM_SHIPTO_TELECOM_PHONE_NUMBER",
            "USERID",
            "PSWD",
            "PAYID",
            "PAYIDSUB",
        ];
        for n in names {
            assert!(known(n), "{n}");
        }
    }
}
