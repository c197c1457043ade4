//! Which parameters this adapter signs, and why — its own table, not shared with the simulator
//! (both are held to the contract cases, whose signatures were computed from the platform's
//! published lists). A parameter signed here that the platform leaves out, or the reverse,
//! breaks the signature ("unknown order/1/s"), so every entry names its source line.
//!
//! Source of every line number: the platform's `SHA-IN_params_24092019.txt` and
//! `SHA-OUT_params.txt` as copied in `open-formulieren/open-forms:
//! src/openforms/payments/contrib/ogone/signing.py @ 44ee2ef9572ccee44099488eba9bb120f35b6a90`
//! (SHA-IN L81-467, SHA-OUT L469-542); the same lists are the appendix of the e-Commerce
//! Advanced guide (`marlon-be/marlon-ogone: documentation/Ogone_e-Com-ADV_EN.pdf @
//! d4062f98e7b54212d1df640a0fdc4b0e898cafaf`, appendix 17). PostFinance's own DirectLink guide
//! of 2014 lists fewer names (it lacks `ECOM_BILLTO_COMPANY`, `ECOM_BILLTO_POSTAL_NAME_PREFIX`,
//! `ECOM_BILLTO_TELECOM_*` and `ECOM_SHIPTO_TELECOM_MOBILE_NUMBER`); PostFinance's e-payment
//! documentation is on the same platform (`e-payment-postfinance.ecom-psp.com`), whose current
//! list has them.
//!
//! Sent but **not signed**: `GENERIC_BL_DATA` (the merchant's blacklist field; on no published
//! SHA-IN list — only `GENERIC_BL` is, L262), `PAYIDSUB` (not on the SHA-IN list; DirectLink
//! guide §5.1 sends it beside the signed parameters) and `SHASIGN` itself.

/// Parameters this adapter sends that are on no SHA-IN list, so never signed.
pub(crate) const NOT_SIGNED: &[&str] = &["GENERIC_BL_DATA", "PAYIDSUB"];

/// Single parameters this adapter sends that are on the SHA-IN list, with their line in
/// `signing.py`.
pub(crate) const SHA_IN: &[(&str, u16)] = &[
    ("ACCEPTURL", 88),
    ("AMOUNT", 126),
    ("BRAND", 137),
    ("CANCELURL", 150),
    ("CURRENCY", 172),
    ("DECLINEURL", 190),
    ("ECOM_BILLTO_COMPANY", 197),
    ("ECOM_BILLTO_POSTAL_CITY", 198),
    ("ECOM_BILLTO_POSTAL_COUNTRYCODE", 199),
    ("ECOM_BILLTO_POSTAL_NAME_FIRST", 201),
    ("ECOM_BILLTO_POSTAL_NAME_LAST", 202),
    ("ECOM_BILLTO_POSTAL_NAME_PREFIX", 203),
    ("ECOM_BILLTO_POSTAL_POSTALCODE", 204),
    ("ECOM_BILLTO_POSTAL_STREET_LINE1", 205),
    ("ECOM_BILLTO_POSTAL_STREET_LINE2", 206),
    ("ECOM_BILLTO_POSTAL_STREET_NUMBER", 208),
    ("ECOM_BILLTO_TELECOM_MOBILE_NUMBER", 209),
    ("ECOM_BILLTO_TELECOM_PHONE_NUMBER", 210),
    ("ECOM_SHIPTO_COMPANY", 228),
    ("ECOM_SHIPTO_POSTAL_CITY", 231),
    ("ECOM_SHIPTO_POSTAL_COUNTRYCODE", 232),
    ("ECOM_SHIPTO_POSTAL_NAME_FIRST", 234),
    ("ECOM_SHIPTO_POSTAL_NAME_LAST", 235),
    ("ECOM_SHIPTO_POSTAL_NAME_PREFIX", 236),
    ("ECOM_SHIPTO_POSTAL_POSTALCODE", 237),
    ("ECOM_SHIPTO_POSTAL_STREET_LINE1", 239),
    ("ECOM_SHIPTO_POSTAL_STREET_LINE2", 240),
    ("ECOM_SHIPTO_POSTAL_STREET_NUMBER", 241),
    ("ECOM_SHIPTO_TELECOM_MOBILE_NUMBER", 243),
    ("ECOM_SHIPTO_TELECOM_PHONE_NUMBER", 244),
    ("EMAIL", 247),
    ("EXCEPTIONURL", 248),
    ("LANGUAGE", 300),
    ("OPERATION", 364),
    ("ORDERID", 365),
    ("PAYID", 381),
    ("PM", 383),
    ("PSPID", 391),
    ("PSWD", 392),
    ("REF_CUSTOMERID", 401),
    ("USERID", 457),
];

/// Numbered families this adapter sends (`ITEMID1`, `ITEMID2` …; `*XX*` in the published list).
pub(crate) const SHA_IN_FAMILIES: &[(&str, u16)] = &[
    ("ITEMCATEGORY", 286),
    ("ITEMID", 291),
    ("ITEMNAME", 292),
    ("ITEMPRICE", 293),
    ("ITEMQUANT", 294),
    ("ITEMVATCODE", 298),
    ("TAXINCLUDED", 435),
];

/// The SHA-OUT list: every feedback parameter the platform signs (a return or post-sale request
/// may carry any of them, depending on the account's "dynamic" feedback selection).
pub(crate) const SHA_OUT: &[(&str, u16)] = &[
    ("AAVADDRESS", 476),
    ("AAVCHECK", 477),
    ("AAVMAIL", 478),
    ("AAVNAME", 479),
    ("AAVPHONE", 480),
    ("AAVZIP", 481),
    ("ACCEPTANCE", 482),
    ("ALIAS", 483),
    ("AMOUNT", 484),
    ("BIC", 485),
    ("BIN", 486),
    ("BRAND", 487),
    ("CARDNO", 488),
    ("CCCTY", 489),
    ("CN", 490),
    ("COLLECTOR_BIC", 491),
    ("COLLECTOR_IBAN", 492),
    ("COMPLETIONID", 493),
    ("COMPLUS", 494),
    ("CREATION_STATUS", 495),
    ("CREDITDEBIT", 496),
    ("CURRENCY", 497),
    ("CVCCHECK", 498),
    ("DCC_COMMPERCENTAGE", 499),
    ("DCC_CONVAMOUNT", 500),
    ("DCC_CONVCCY", 501),
    ("DCC_EXCHRATE", 502),
    ("DCC_EXCHRATESOURCE", 503),
    ("DCC_EXCHRATETS", 504),
    ("DCC_INDICATOR", 505),
    ("DCC_MARGINPERCENTAGE", 506),
    ("DCC_VALIDHOURS", 507),
    ("DEVICEID", 508),
    ("DIGESTCARDNO", 509),
    ("ECI", 510),
    ("ED", 511),
    ("EMAIL", 512),
    ("ENCCARDNO", 513),
    ("FXAMOUNT", 514),
    ("FXCURRENCY", 515),
    ("IP", 516),
    ("IPCTY", 517),
    ("MANDATEID", 518),
    ("MOBILEMODE", 519),
    ("NBREMAILUSAGE", 520),
    ("NBRIPUSAGE", 521),
    ("NBRIPUSAGE_ALLTX", 522),
    ("NBRUSAGE", 523),
    ("NCERROR", 524),
    ("ORDERID", 525),
    ("PAYID", 526),
    ("PAYIDSUB", 527),
    ("PAYMENT_REFERENCE", 528),
    ("PM", 529),
    ("REQUESTCOMPLETIONID", 530),
    ("SCORING", 532),
    ("SCO_CATEGORY", 531),
    ("SEQUENCETYPE", 533),
    ("SIGNDATE", 534),
    ("STATUS", 535),
    ("SUBBRAND", 536),
    ("SUBSCRIPTION_ID", 537),
    ("TICKET", 538),
    ("TRXDATE", 539),
    ("VC", 540),
];
