//! The merchant's SwissBilling parameter table ("Eingabeparameter"): every SwissBilling parameter with
//! its maximum length and whether it is mandatory (IC-05). Numbered families (`ITEMIDX`) are
//! listed without the `X`.

/// One row of the seed's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    /// PostFinance parameter name (family name for item fields).
    pub param: &'static str,
    /// Maximum length in characters (digits for numbers).
    pub max: usize,
    /// "Pflichtfeld".
    pub mandatory: bool,
}

const fn f(param: &'static str, max: usize, mandatory: bool) -> FieldSpec {
    FieldSpec { param, max, mandatory }
}

/// Maximum length of `EMAIL`. The seed's table says 6 ("Länge: 6"), which no e-mail address
/// fits: a documentation error (the neighbouring AMOUNT row also says 6). We use the limit of
/// PostFinance's e-Commerce parameter list for `EMAIL` (AN, 50 characters) instead.
pub const EMAIL_MAX: usize = 50;

/// Maximum length of `ORDERID`. The seed says 50; the platform's parameter list says AN 30
/// (Ogone "RatePay" integration guide, https://expydoc.com/doc/6616918/ratepay: "ORDERID Y AN 30 …
/// AMOUNT Y N 15"; the ePDQ client's documentation of `orderID`: "our system can accept up to 30
/// characters", `digitickets/omnipay-barclays-epdq: src/Omnipay/BarclaysEpdq/Message/
/// EssentialCompletePurchaseResponse.php @ d93c1500353085a9e05aa88f1419e07aeafc0749`), and a
/// recorded request with a 49-character ORDERID was refused by the platform (open-forms VCR
/// cassette `test_payment_request_invalid_order_id`). An id of 31-50 characters would pass a
/// check at 50 and fail at PostFinance, so the platform's limit applies.
pub const ORDERID_MAX: usize = 30;

/// Most digits of `AMOUNT` (×100): N 15 on the platform's parameter list (same sources as
/// [`ORDERID_MAX`]). The seed's "Länge: 6" for AMOUNT is the same copy error as its "Länge: 6"
/// for EMAIL (the neighbouring row): taken literally it would refuse every order from
/// CHF 10'000.00. Both are treated alike: the platform's limit applies.
pub const AMOUNT_DIGITS: usize = 15;

/// The seed's table, row by row (with the EMAIL, ORDERID and AMOUNT corrections above).
pub const TABLE: &[FieldSpec] = &[
    f("PSPID", 50, true),
    f("ORDERID", ORDERID_MAX, true),
    f("EMAIL", EMAIL_MAX, true),
    f("AMOUNT", AMOUNT_DIGITS, true),
    f("CURRENCY", 3, true),
    f("LANGUAGE", 5, false),
    f("REF_CUSTOMERID", 20, false),
    f("ECOM_BILLTO_COMPANY", 50, false),
    f("ECOM_BILLTO_POSTAL_NAME_PREFIX", 4, false),
    f("ECOM_BILLTO_POSTAL_NAME_LAST", 35, true),
    f("ECOM_BILLTO_POSTAL_NAME_FIRST", 35, true),
    f("ECOM_BILLTO_POSTAL_STREET_NUMBER", 10, true),
    f("ECOM_BILLTO_POSTAL_STREET_LINE1", 35, true),
    f("ECOM_BILLTO_POSTAL_STREET_LINE2", 35, false),
    f("ECOM_BILLTO_POSTAL_POSTALCODE", 5, true),
    f("ECOM_BILLTO_POSTAL_CITY", 25, true),
    f("ECOM_BILLTO_POSTAL_COUNTRYCODE", 2, true),
    f("ECOM_BILLTO_TELECOM_MOBILE_NUMBER", 20, false),
    f("ECOM_BILLTO_TELECOM_PHONE_NUMBER", 20, false),
    f("ECOM_SHIPTO_COMPANY", 50, false),
    f("ECOM_SHIPTO_POSTAL_NAME_PREFIX", 4, false),
    f("ECOM_SHIPTO_POSTAL_NAME_FIRST", 35, true),
    f("ECOM_SHIPTO_POSTAL_NAME_LAST", 35, true),
    f("ECOM_SHIPTO_POSTAL_STREET_NUMBER", 10, true),
    f("ECOM_SHIPTO_POSTAL_STREET_LINE1", 35, true),
    f("ECOM_SHIPTO_POSTAL_STREET_LINE2", 35, false),
    f("ECOM_SHIPTO_POSTAL_POSTALCODE", 5, true),
    f("ECOM_SHIPTO_POSTAL_CITY", 25, true),
    f("ECOM_SHIPTO_POSTAL_COUNTRYCODE", 2, true),
    f("ECOM_SHIPTO_TELECOM_MOBILE_NUMBER", 20, false),
    f("ECOM_SHIPTO_TELECOM_PHONE_NUMBER", 20, false),
    f("GENERIC_BL_DATA", 50, false),
    f("ITEMID", 15, true),
    f("ITEMNAME", 40, true),
    // Characters of the decimal in francs as sent (`39.99`), see `postfinance::hosted`.
    f("ITEMPRICE", 10, true),
    f("ITEMVATCODE", 6, true),
    f("ITEMQUANT", 4, true),
    f("ITEMCATEGORY", 50, true),
    f("TAXINCLUDED", 1, true),
];

/// The row of `param` (a family name for item fields).
pub fn spec(param: &str) -> Option<FieldSpec> {
    TABLE.iter().find(|s| s.param == param).copied()
}

/// SwissBilling's item categories (`ITEMCATEGORYX` accepts only these, IC-04).
pub const CATEGORIES: [&str; 23] = [
    "ComputersAndSoftware",
    "Electronics",
    "Phones",
    "Appliances",
    "HomeAndGarden",
    "Fashion",
    "HealthAndBeauty",
    "Jewellery",
    "Sport",
    "LeisureAndHobbies",
    "CarsAndMotorbikes",
    "Furniture",
    "KidsAndBaby",
    "VideoGamesAndConsoles",
    "ToysAndGames",
    "Pets",
    "FoodAndDrink",
    "GiftAndFlowers",
    "Entertainment",
    "Travel",
    "AuctionsAndGroupBuying",
    "ServicesForIndividuals",
    "ServicesForProfessionals",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ic_05_table_holds_the_seed_lengths_with_the_email_orderid_and_amount_corrections() {
        let cases = [
            ("PSPID", 50, true),
            ("ORDERID", 30, true),
            ("EMAIL", 50, true),
            ("AMOUNT", 15, true),
            ("ECOM_BILLTO_POSTAL_NAME_LAST", 35, true),
            ("ECOM_BILLTO_POSTAL_STREET_NUMBER", 10, true),
            ("ECOM_BILLTO_POSTAL_POSTALCODE", 5, true),
            ("ECOM_BILLTO_POSTAL_CITY", 25, true),
            ("ECOM_BILLTO_POSTAL_COUNTRYCODE", 2, true),
            ("ECOM_BILLTO_TELECOM_PHONE_NUMBER", 20, false),
            ("ECOM_BILLTO_COMPANY", 50, false),
            ("ITEMID", 15, true),
            ("ITEMNAME", 40, true),
            ("ITEMPRICE", 10, true),
            ("ITEMVATCODE", 6, true),
            ("ITEMQUANT", 4, true),
            ("ITEMCATEGORY", 50, true),
        ];
        for (param, max, mandatory) in cases {
            assert_eq!(spec(param), Some(FieldSpec { param, max, mandatory }), "{param}");
        }
        assert_eq!(spec("NOPE"), None);
        assert_eq!(CATEGORIES.len(), 23);
    }
}
