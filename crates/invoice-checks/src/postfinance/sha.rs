//! PostFinance SHA-IN / SHA-OUT signatures, exactly as documented (contract cases in
//! `crates/sandbox/contracts/postfinance/`): take the parameters on the platform's list ([`super::signed`]), drop those with an
//! empty value, upper-case the **names** (values stay verbatim), sort by name — line items in
//! natural order, `ITEMID9` before `ITEMID10` (PostFinance's e-Commerce security page: "parameters
//! with an ID *XX* … should be in natural sort order") — append `NAME=value` followed by the
//! passphrase **after every pair**, hash with the account's algorithm (SHA-1, SHA-256 or
//! SHA-512) and write the digest in upper-case hex. SHA-OUT is compared case-insensitively and
//! in constant time.

use secrecy::{ExposeSecret, SecretString};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

use super::signed::{NOT_SIGNED, SHA_IN, SHA_IN_FAMILIES, SHA_OUT};

/// The hash algorithm configured in the merchant account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShaAlgorithm {
    /// SHA-1 (40 hex digits).
    Sha1,
    /// SHA-256 (64 hex digits).
    Sha256,
    /// SHA-512 (128 hex digits).
    Sha512,
}

impl std::str::FromStr for ShaAlgorithm {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_uppercase().replace('-', "").as_str() {
            "SHA1" => Ok(ShaAlgorithm::Sha1),
            "SHA256" => Ok(ShaAlgorithm::Sha256),
            "SHA512" => Ok(ShaAlgorithm::Sha512),
            _ => Err("expected SHA-1, SHA-256 or SHA-512".into()),
        }
    }
}

/// Whether the upper-cased `name` is on the SHA-IN list (`SHASIGN` and `PAYIDSUB` never are).
pub fn on_sha_in_list(name: &str) -> bool {
    if name == "SHASIGN" || NOT_SIGNED.contains(&name) {
        return false;
    }
    if SHA_IN.iter().any(|(n, _)| *n == name) {
        return true;
    }
    let base = name.trim_end_matches(|c: char| c.is_ascii_digit());
    base.len() < name.len() && SHA_IN_FAMILIES.iter().any(|(n, _)| *n == base)
}

/// Whether the upper-cased `name` is on the SHA-OUT list.
pub fn on_sha_out_list(name: &str) -> bool {
    SHA_OUT.iter().any(|(n, _)| *n == name)
}

/// Names in the platform's order: alphabetical, numbers compared as numbers.
pub fn natural(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    loop {
        match (x.first(), y.first()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(c), Some(d)) if c.is_ascii_digit() && d.is_ascii_digit() => {
                let nx = x.iter().take_while(|c| c.is_ascii_digit()).count();
                let ny = y.iter().take_while(|c| c.is_ascii_digit()).count();
                let zeros = |s: &[u8]| s.iter().take_while(|c| **c == b'0').count();
                let (tx, ty) = (&x[zeros(&x[..nx])..nx], &y[zeros(&y[..ny])..ny]);
                let o = tx.len().cmp(&ty.len()).then_with(|| tx.cmp(ty));
                if o != Ordering::Equal {
                    return o;
                }
                (x, y) = (&x[nx..], &y[ny..]);
            }
            (Some(c), Some(d)) if c != d => return c.cmp(d),
            _ => (x, y) = (&x[1..], &y[1..]),
        }
    }
}

/// The string to hash: listed parameters with a value, names upper-cased, sorted by name, each
/// `NAME=value` followed by the passphrase.
pub fn compose<'a>(
    params: impl IntoIterator<Item = (&'a str, &'a str)>,
    passphrase: &str,
    listed: fn(&str) -> bool,
) -> String {
    let mut pairs: Vec<(String, &str)> = params
        .into_iter()
        .map(|(k, v)| (k.to_ascii_uppercase(), v))
        .filter(|(k, v)| !v.is_empty() && listed(k))
        .collect();
    pairs.sort_by(|a, b| natural(&a.0, &b.0));
    let mut out = String::new();
    for (k, v) in pairs {
        out.push_str(&k);
        out.push('=');
        out.push_str(v);
        out.push_str(passphrase);
    }
    out
}

/// Upper-case hex digest of `bytes`.
pub fn digest(algorithm: ShaAlgorithm, bytes: &[u8]) -> String {
    match algorithm {
        ShaAlgorithm::Sha1 => hex::encode_upper(Sha1::digest(bytes)),
        ShaAlgorithm::Sha256 => hex::encode_upper(Sha256::digest(bytes)),
        ShaAlgorithm::Sha512 => hex::encode_upper(Sha512::digest(bytes)),
    }
}

/// `SHASIGN` of request `params` (SHA-IN, UTF-8 bytes).
pub fn sign_in<'a>(
    algorithm: ShaAlgorithm,
    params: impl IntoIterator<Item = (&'a str, &'a str)>,
    passphrase: &SecretString,
) -> String {
    digest(algorithm, compose(params, passphrase.expose_secret(), on_sha_in_list).as_bytes())
}

/// Whether `sent` is the SHA-OUT signature of feedback `params` (`SHASIGN` itself is ignored).
pub fn verify_out<'a>(
    algorithm: ShaAlgorithm,
    params: impl IntoIterator<Item = (&'a str, &'a str)>,
    passphrase: &SecretString,
    sent: &str,
) -> bool {
    let want = digest(algorithm, compose(params, passphrase.expose_secret(), on_sha_out_list).as_bytes());
    kit::grpc::auth::constant_time_eq(want.as_bytes(), sent.to_ascii_uppercase().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASS: &str = "Mysecretsig1875!?";

    fn secret() -> SecretString {
        SecretString::from(PASS)
    }

    #[test]
    fn ic_08_published_sha_vectors_of_external_apis_5_4() {
        let ecommerce =
            [("PSPID", "MyPSPID"), ("ORDERID", "1234"), ("AMOUNT", "1500"), ("CURRENCY", "EUR"), ("LANGUAGE", "en_US")];
        assert_eq!(
            compose(ecommerce, PASS, on_sha_in_list),
            "AMOUNT=1500Mysecretsig1875!?CURRENCY=EURMysecretsig1875!?LANGUAGE=en_USMysecretsig1875!?\
             ORDERID=1234Mysecretsig1875!?PSPID=MyPSPIDMysecretsig1875!?"
        );
        assert_eq!(sign_in(ShaAlgorithm::Sha1, ecommerce, &secret()), "F4CC376CD7A834D997B91598FA747825A238BE0A");
        assert_eq!(
            sign_in(ShaAlgorithm::Sha256, ecommerce, &secret()),
            "E019359BAA3456AE5A986B6AABD22CF1B3E09438739E97F17A7F61DF5A11B30F"
        );
        // (The published DirectLink vector signs CARDNO, which this adapter never sends.)
        // SHA-OUT: lower-case names as returned are upper-cased for the signature.
        let feedback = [
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
        ];
        assert!(verify_out(ShaAlgorithm::Sha1, feedback, &secret(), "209113288F93A9AB8E474EA78D899AFDBB874355"));
        assert!(verify_out(ShaAlgorithm::Sha1, feedback, &secret(), "209113288f93a9ab8e474ea78d899afdbb874355"));
        assert!(!verify_out(ShaAlgorithm::Sha1, feedback, &secret(), "209113288F93A9AB8E474EA78D899AFDBB874356"));
        assert!(!verify_out(
            ShaAlgorithm::Sha1,
            feedback,
            &SecretString::from("other"),
            "209113288F93A9AB8E474EA78D899AFDBB874355"
        ));
    }

    #[test]
    fn ic_12_worked_maintenance_example_in_sha_1_256_and_512() {
        // Empty ORDERID is excluded; PAYIDSUB and SHASIGN never count.
        let params = [
            ("PSPID", "MyPSPID"),
            ("USERID", "MyApiUser"),
            ("PSWD", "MyApiPass1"),
            ("PAYID", "1111111"),
            ("AMOUNT", "1500"),
            ("OPERATION", "SAS"),
            ("ORDERID", ""),
            ("PAYIDSUB", "3"),
            ("SHASIGN", "X"),
        ];
        assert_eq!(
            compose(params, PASS, on_sha_in_list),
            "AMOUNT=1500Mysecretsig1875!?OPERATION=SASMysecretsig1875!?PAYID=1111111Mysecretsig1875!?\
             PSPID=MyPSPIDMysecretsig1875!?PSWD=MyApiPass1Mysecretsig1875!?USERID=MyApiUserMysecretsig1875!?"
        );
        let cases = [
            (ShaAlgorithm::Sha1, "D5FF116BDD3C612557BDA70D545FE9CF4B3A165B"),
            (ShaAlgorithm::Sha256, "6C9E27B95E91C2561F0A219B293BDFE9FF12A0E0350A29455DAAA121DCCA7684"),
            (
                ShaAlgorithm::Sha512,
                "C6430EF27B94F1B1155FA084A045828AE5DC427392D5CBDA89DFC1DB2C10E6253EED834F11D96B850E00FAF23955E3157CD59F72CBC24211FA17CFD209D19FF7",
            ),
        ];
        for (alg, want) in cases {
            assert_eq!(sign_in(alg, params, &secret()), want, "{alg:?}");
        }
    }

    #[test]
    fn the_lists_decide_what_is_signed_and_names_are_case_insensitive() {
        for (name, listed) in [
            ("AMOUNT", true),
            ("PAYIDSUB", false),
            ("SHASIGN", false),
            ("ITEMID1", true),
            ("ITEMVATCODE12", true),
            ("TAXINCLUDED3", true),
            ("ITEMID", false),
            ("ECOM_BILLTO_POSTAL_NAME_LAST", true),
            ("MYOWNFIELD", false),
        ] {
            assert_eq!(on_sha_in_list(name), listed, "{name}");
        }
        assert_eq!(compose([("orderID", "a B"), ("PAYIDSUB", "3")], "x", on_sha_in_list), "ORDERID=a Bx");
        for (name, listed) in [
            ("ECOM_BILLTO_COMPANY", true),
            ("ECOM_BILLTO_POSTAL_NAME_PREFIX", true),
            ("ECOM_BILLTO_TELECOM_MOBILE_NUMBER", true),
            ("ECOM_BILLTO_TELECOM_PHONE_NUMBER", true),
            ("ECOM_SHIPTO_TELECOM_MOBILE_NUMBER", true),
            ("GENERIC_BL_DATA", false),
        ] {
            assert_eq!(on_sha_in_list(name), listed, "{name}");
        }
        let items = [("ITEMID10", "j"), ("ITEMID9", "i"), ("ITEMID1", "a"), ("ITEMNAME1", "n")];
        assert_eq!(compose(items, "", on_sha_in_list), "ITEMID1=aITEMID9=iITEMID10=jITEMNAME1=n");
        for (text, alg) in
            [("SHA-1", ShaAlgorithm::Sha1), ("sha256", ShaAlgorithm::Sha256), ("SHA-512", ShaAlgorithm::Sha512)]
        {
            assert_eq!(text.parse::<ShaAlgorithm>(), Ok(alg));
        }
        assert!("MD5".parse::<ShaAlgorithm>().is_err());
    }
}
