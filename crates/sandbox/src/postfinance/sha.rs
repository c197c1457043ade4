//! PostFinance SHA signatures (`crates/sandbox/contracts/postfinance/`): take the parameters on the
//! platform's SHA-IN (or SHA-OUT) list, drop empty values, upper-case the names, keep the values
//! verbatim, sort by name, append `NAME=value` **followed by the passphrase** for each, hash
//! with the account's algorithm and write the digest in upper-case hex.

use serde::{Deserialize, Serialize};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

use super::sha_lists::{SHA_IN, SHA_IN_FAMILIES, SHA_OUT};

/// Hash algorithm configured in the merchant account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum ShaAlgorithm {
    /// SHA-1 (40 hex digits).
    #[serde(rename = "SHA-1")]
    Sha1,
    /// SHA-256 (64 hex digits).
    #[default]
    #[serde(rename = "SHA-256")]
    Sha256,
    /// SHA-512 (128 hex digits).
    #[serde(rename = "SHA-512")]
    Sha512,
}

/// Whether the upper-cased `name` is on the SHA-IN list.
pub fn on_sha_in_list(name: &str) -> bool {
    if name == "SHASIGN" || name == "PAYIDSUB" {
        return false;
    }
    if SHA_IN.contains(&name) {
        return true;
    }
    let base = name.trim_end_matches(|c: char| c.is_ascii_digit());
    base.len() < name.len() && SHA_IN_FAMILIES.contains(&base)
}

/// Whether the upper-cased `name` is on the SHA-OUT list.
pub fn on_sha_out_list(name: &str) -> bool {
    SHA_OUT.contains(&name)
}

/// The string to hash: listed, non-empty parameters, names upper-cased, sorted, each
/// `NAME=value` followed by the passphrase.
pub fn compose(params: &[(String, String)], passphrase: &str, listed: fn(&str) -> bool) -> String {
    let mut pairs: Vec<(String, &str)> = params
        .iter()
        .map(|(k, v)| (k.to_ascii_uppercase(), v.as_str()))
        .filter(|(k, v)| !v.is_empty() && listed(k))
        .collect();
    pairs.sort_by(|a, b| natural(&a.0, &b.0));
    pairs.iter().map(|(k, v)| format!("{k}={v}{passphrase}")).collect()
}

/// Names in the platform's order: alphabetical, with numbers compared as numbers, so line
/// items run `ITEMID9`, `ITEMID10` (the e-Commerce security page: "parameters with an ID *XX*
/// … should be in natural sort order … ITEM 9, ITEM 10, ITEM 11").
pub fn natural(a: &str, b: &str) -> std::cmp::Ordering {
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    loop {
        match (x.first(), y.first()) {
            (None, None) => return std::cmp::Ordering::Equal,
            (None, Some(_)) => return std::cmp::Ordering::Less,
            (Some(_), None) => return std::cmp::Ordering::Greater,
            (Some(c), Some(d)) if c.is_ascii_digit() && d.is_ascii_digit() => {
                let nx = x.iter().take_while(|c| c.is_ascii_digit()).count();
                let ny = y.iter().take_while(|c| c.is_ascii_digit()).count();
                let (dx, dy) = (&x[..nx], &y[..ny]);
                let strip = |s: &[u8]| -> usize { s.iter().take_while(|c| **c == b'0').count() };
                let (tx, ty) = (&dx[strip(dx)..], &dy[strip(dy)..]);
                let o = tx.len().cmp(&ty.len()).then_with(|| tx.cmp(ty));
                if o != std::cmp::Ordering::Equal {
                    return o;
                }
                x = &x[nx..];
                y = &y[ny..];
            }
            (Some(c), Some(d)) => {
                if c != d {
                    return c.cmp(d);
                }
                x = &x[1..];
                y = &y[1..];
            }
        }
    }
}

/// Upper-case hex digest of `bytes`.
pub fn digest(algorithm: ShaAlgorithm, bytes: &[u8]) -> String {
    match algorithm {
        ShaAlgorithm::Sha1 => hex::encode_upper(Sha1::digest(bytes)),
        ShaAlgorithm::Sha256 => hex::encode_upper(Sha256::digest(bytes)),
        ShaAlgorithm::Sha512 => hex::encode_upper(Sha512::digest(bytes)),
    }
}

/// SHA-IN signature of `params` (UTF-8 bytes), as a merchant computes `SHASIGN`.
pub fn sign_in(algorithm: ShaAlgorithm, params: &[(String, String)], passphrase: &str) -> String {
    digest(algorithm, compose(params, passphrase, on_sha_in_list).as_bytes())
}

/// SHA-OUT signature of feedback `params` (UTF-8 bytes).
pub fn sign_out(algorithm: ShaAlgorithm, params: &[(String, String)], passphrase: &str) -> String {
    digest(algorithm, compose(params, passphrase, on_sha_out_list).as_bytes())
}

/// ISO-8859-1 bytes of `s` (characters beyond U+00FF become `?`), for the non-UTF-8 page.
pub fn latin1(s: &str) -> Vec<u8> {
    s.chars().map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?')).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASS: &str = "Mysecretsig1875!?";

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn published_vectors_match() {
        let ecommerce = p(&[
            ("PSPID", "MyPSPID"),
            ("ORDERID", "1234"),
            ("AMOUNT", "1500"),
            ("CURRENCY", "EUR"),
            ("LANGUAGE", "en_US"),
        ]);
        let directlink = p(&[
            ("PSPID", "MyPSPID"),
            ("ORDERID", "1234"),
            ("AMOUNT", "1500"),
            ("CURRENCY", "EUR"),
            ("CARDNO", "4111111111111111"),
            ("OPERATION", "RES"),
        ]);
        let feedback = p(&[
            ("orderID", "12"),
            ("currency", "EUR"),
            ("amount", "15"),
            ("PM", "CreditCard"),
            ("ACCEPTANCE", "1234"),
            ("STATUS", "9"),
            ("CARDNO", "XXXXXXXXXXXX1111"),
            ("PAYID", "32100123"),
            ("NCERROR", "0"),
            ("BRAND", "VISA"),
        ]);
        let cases: [(&str, String, &str); 4] = [
            (
                "e-Commerce SHA-1",
                sign_in(ShaAlgorithm::Sha1, &ecommerce, PASS),
                "F4CC376CD7A834D997B91598FA747825A238BE0A",
            ),
            (
                "e-Commerce SHA-256",
                sign_in(ShaAlgorithm::Sha256, &ecommerce, PASS),
                "E019359BAA3456AE5A986B6AABD22CF1B3E09438739E97F17A7F61DF5A11B30F",
            ),
            (
                "DirectLink SHA-1",
                sign_in(ShaAlgorithm::Sha1, &directlink, PASS),
                "2B459D4D3AF0C678695AE77EE5BF0C83CA6F0AD8",
            ),
            (
                "SHA-OUT SHA-1",
                sign_out(ShaAlgorithm::Sha1, &feedback, PASS),
                "209113288F93A9AB8E474EA78D899AFDBB874355",
            ),
        ];
        for (name, got, want) in cases {
            assert_eq!(got, want, "{name}");
        }
        assert_eq!(
            compose(&ecommerce, PASS, on_sha_in_list),
            "AMOUNT=1500Mysecretsig1875!?CURRENCY=EURMysecretsig1875!?LANGUAGE=en_USMysecretsig1875!?ORDERID=1234Mysecretsig1875!?PSPID=MyPSPIDMysecretsig1875!?"
        );
    }

    #[test]
    fn worked_maintenance_example_matches_in_all_three_algorithms() {
        let params = p(&[
            ("PSPID", "MyPSPID"),
            ("USERID", "MyApiUser"),
            ("PSWD", "MyApiPass1"),
            ("PAYID", "1111111"),
            ("AMOUNT", "1500"),
            ("OPERATION", "SAS"),
            ("ORDERID", ""),
        ]);
        assert_eq!(
            compose(&params, PASS, on_sha_in_list),
            "AMOUNT=1500Mysecretsig1875!?OPERATION=SASMysecretsig1875!?PAYID=1111111Mysecretsig1875!?PSPID=MyPSPIDMysecretsig1875!?PSWD=MyApiPass1Mysecretsig1875!?USERID=MyApiUserMysecretsig1875!?"
        );
        for (alg, want) in [
            (ShaAlgorithm::Sha1, "D5FF116BDD3C612557BDA70D545FE9CF4B3A165B"),
            (ShaAlgorithm::Sha256, "6C9E27B95E91C2561F0A219B293BDFE9FF12A0E0350A29455DAAA121DCCA7684"),
            (
                ShaAlgorithm::Sha512,
                "C6430EF27B94F1B1155FA084A045828AE5DC427392D5CBDA89DFC1DB2C10E6253EED834F11D96B850E00FAF23955E3157CD59F72CBC24211FA17CFD209D19FF7",
            ),
        ] {
            assert_eq!(sign_in(alg, &params, PASS), want, "{alg:?}");
        }
    }

    #[test]
    fn the_list_decides_what_is_signed() {
        for (name, listed) in [
            ("AMOUNT", true),
            ("PAYIDSUB", false),
            ("SHASIGN", false),
            ("ITEMID1", true),
            ("ITEMVATCODE12", true),
            ("ITEMID", false),
            ("TAXINCLUDED3", true),
            ("ECOM_BILLTO_POSTAL_NAME_LAST", true),
            ("MYOWNFIELD", false),
        ] {
            assert_eq!(on_sha_in_list(name), listed, "{name}");
        }
        // Lower-case names are upper-cased; values stay as sent; PAYIDSUB never counts.
        let a = p(&[("orderID", "a B"), ("PAYIDSUB", "3")]);
        assert_eq!(compose(&a, "x", on_sha_in_list), "ORDERID=a Bx");
        assert!(!on_sha_in_list("GENERIC_BL_DATA") && on_sha_in_list("GENERIC_BL"));
        assert!(on_sha_in_list("ECOM_BILLTO_COMPANY") && on_sha_in_list("ECOM_SHIPTO_TELECOM_MOBILE_NUMBER"));
    }

    #[test]
    fn line_items_are_signed_in_natural_order() {
        let items = p(&[("ITEMID10", "j"), ("ITEMID9", "i"), ("ITEMID1", "a"), ("ITEMNAME1", "n")]);
        assert_eq!(compose(&items, "", on_sha_in_list), "ITEMID1=aITEMID9=iITEMID10=jITEMNAME1=n");
    }
}
