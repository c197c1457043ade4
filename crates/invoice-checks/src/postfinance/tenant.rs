//! Tenants: the PostFinance accounts this service works for, from configuration. A tenant lives
//! in exactly one environment (TEST or PROD, IC-15): its environment picks the endpoint, a
//! transaction remembers the environment it was made in, and a PSPID may not be configured in
//! both. Its account options (IC-17) are configuration too.
//!
//! Variables, for `SWISSBILLING_TENANTS=shop-a,shop-b` (names `[a-z0-9-]`, upper-cased with `_`
//! for the variable names, e.g. `SHOP_A`):
//!
//! | variable | meaning |
//! |---|---|
//! | `SWISSBILLING_<T>_ENV` | `test` or `prod` (required) |
//! | `SWISSBILLING_<T>_PSPID` | PSPID, at most 50 characters (required) |
//! | `SWISSBILLING_<T>_USERID` | DirectLink API user (required) |
//! | `SWISSBILLING_<T>_PSWD` (`_FILE`) | its password (secret, required) |
//! | `SWISSBILLING_<T>_SHA_IN_DIRECTLINK` (`_FILE`) | SHA-IN passphrase of "Checks for DirectLink" (secret) |
//! | `SWISSBILLING_<T>_SHA_IN_ECOM` (`_FILE`) | SHA-IN passphrase of "Checks for e-Commerce" (secret) |
//! | `SWISSBILLING_<T>_SHA_OUT` (`_FILE`) | SHA-OUT passphrase (secret) |
//! | `SWISSBILLING_<T>_SHA_ALGORITHM` | `SHA-1`, `SHA-256` (default) or `SHA-512` |
//! | `SWISSBILLING_<T>_B2B` | B2B merchant: company names mandatory (IC-06), default false |
//! | `SWISSBILLING_<T>_PARTIAL_MAINTENANCE` | account option, default false |
//! | `SWISSBILLING_<T>_MULTIPLE_MAINTENANCE` | account option, default false |
//! | `SWISSBILLING_<T>_REFUNDS` | account option, default false |

use std::collections::BTreeMap;
use std::sync::Arc;

use kit::config::{ConfigError, Env};
use secrecy::SecretString;

use super::sha::ShaAlgorithm;
use crate::domain::swissbilling::{AccountOptions, PfEnv};

/// One configured PostFinance account.
#[derive(Debug, Clone)]
pub struct Tenant {
    /// Tenant name (as in requests).
    pub name: String,
    /// The environment the account lives in.
    pub env: PfEnv,
    /// `PSPID`.
    pub pspid: String,
    /// API user `USERID`.
    pub userid: String,
    /// API user password `PSWD`.
    pub pswd: SecretString,
    /// DirectLink SHA-IN passphrase.
    pub sha_in_directlink: SecretString,
    /// e-Commerce SHA-IN passphrase.
    pub sha_in_ecom: SecretString,
    /// SHA-OUT passphrase.
    pub sha_out: SecretString,
    /// Hash algorithm of the account.
    pub algorithm: ShaAlgorithm,
    /// B2B merchant.
    pub b2b: bool,
    /// Account options.
    pub options: AccountOptions,
}

/// Every configured tenant by name.
#[derive(Debug, Clone, Default)]
pub struct Tenants(BTreeMap<String, Arc<Tenant>>);

impl Tenants {
    /// Tenants from a list (tests, tools).
    pub fn from_list(list: Vec<Tenant>) -> Self {
        Tenants(list.into_iter().map(|t| (t.name.clone(), Arc::new(t))).collect())
    }

    /// The tenant called `name`.
    pub fn get(&self, name: &str) -> Option<Arc<Tenant>> {
        self.0.get(name).cloned()
    }

    /// Tenant names, sorted.
    pub fn names(&self) -> Vec<String> {
        self.0.keys().cloned().collect()
    }

    /// Number of tenants.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when none is configured.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Reads `SWISSBILLING_TENANTS` and each tenant's variables.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let list: String = env.or("SWISSBILLING_TENANTS", String::new())?;
        let mut tenants = Vec::new();
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            if !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
                return Err(ConfigError::new("SWISSBILLING_TENANTS", format!("tenant {name:?}: use a-z, 0-9 and '-'")));
            }
            if tenants.iter().any(|t: &Tenant| t.name == name) {
                return Err(ConfigError::new("SWISSBILLING_TENANTS", format!("tenant {name:?} is listed twice")));
            }
            tenants.push(tenant(env, name)?);
        }
        for (i, t) in tenants.iter().enumerate() {
            if let Some(other) = tenants[..i].iter().find(|o| o.pspid == t.pspid && o.env != t.env) {
                return Err(ConfigError::new(
                    format!("SWISSBILLING_{}_ENV", var(&t.name)),
                    format!(
                        "PSPID {} is configured in {} (tenant {}) and {} (tenant {}); an account lives in one environment",
                        t.pspid,
                        other.env.as_str(),
                        other.name,
                        t.env.as_str(),
                        t.name
                    ),
                ));
            }
        }
        Ok(Tenants::from_list(tenants))
    }
}

fn var(name: &str) -> String {
    name.to_ascii_uppercase().replace('-', "_")
}

fn tenant(env: &Env, name: &str) -> Result<Tenant, ConfigError> {
    let p = format!("SWISSBILLING_{}", var(name));
    let v = |s: &str| format!("{p}_{s}");
    let env_name: String = env.required(&v("ENV"))?;
    let pf_env = PfEnv::parse(&env_name).ok_or_else(|| ConfigError::new(v("ENV"), "expected test or prod"))?;
    let pspid: String = env.required(&v("PSPID"))?;
    if pspid.chars().count() > 50 || pspid.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ConfigError::new(v("PSPID"), "at most 50 characters, no spaces (PostFinance: PSPID length 50)"));
    }
    Ok(Tenant {
        name: name.to_owned(),
        env: pf_env,
        pspid,
        userid: env.required(&v("USERID"))?,
        pswd: env.secret(&v("PSWD"))?,
        sha_in_directlink: env.secret(&v("SHA_IN_DIRECTLINK"))?,
        sha_in_ecom: env.secret(&v("SHA_IN_ECOM"))?,
        sha_out: env.secret(&v("SHA_OUT"))?,
        algorithm: env.or(&v("SHA_ALGORITHM"), ShaAlgorithm::Sha256)?,
        b2b: env.bool_or(&v("B2B"), false)?,
        options: AccountOptions {
            partial_maintenance: env.bool_or(&v("PARTIAL_MAINTENANCE"), false)?,
            multiple_maintenance: env.bool_or(&v("MULTIPLE_MAINTENANCE"), false)?,
            refunds: env.bool_or(&v("REFUNDS"), false)?,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(name: &str, env: &str, pspid: &str) -> Vec<(String, String)> {
        let p = format!("SWISSBILLING_{}", var(name));
        [
            ("ENV", env),
            ("PSPID", pspid),
            ("USERID", "api"),
            ("PSWD", "pw"),
            ("SHA_IN_DIRECTLINK", "dl"),
            ("SHA_IN_ECOM", "in"),
            ("SHA_OUT", "out"),
        ]
        .into_iter()
        .map(|(k, v)| (format!("{p}_{k}"), v.to_owned()))
        .collect()
    }

    #[test]
    fn ic_15_a_pspid_lives_in_one_environment_and_options_are_configuration() {
        let mut pairs = base("shop-a", "prod", "smarpay");
        pairs.extend(base("shop-b", "test", "smarpayTEST"));
        pairs.push(("SWISSBILLING_TENANTS".into(), "shop-a, shop-b".into()));
        pairs.push(("SWISSBILLING_SHOP_A_REFUNDS".into(), "true".into()));
        let t = Tenants::from_env(&Env::from_pairs(pairs.clone())).unwrap();
        let a = t.get("shop-a").unwrap();
        assert_eq!((a.env, a.options.refunds, a.options.partial_maintenance), (PfEnv::Prod, true, false));
        assert_eq!(t.get("shop-b").unwrap().env, PfEnv::Test);
        assert!(!format!("{a:?}").contains("dl"), "secrets never in Debug");

        let mut same = base("shop-a", "prod", "smarpay");
        same.extend(base("shop-b", "test", "smarpay"));
        same.push(("SWISSBILLING_TENANTS".into(), "shop-a,shop-b".into()));
        let err = Tenants::from_env(&Env::from_pairs(same)).unwrap_err();
        assert_eq!(err.var, "SWISSBILLING_SHOP_B_ENV");

        let mut bad = base("shop-a", "staging", "x");
        bad.push(("SWISSBILLING_TENANTS".into(), "shop-a".into()));
        assert_eq!(Tenants::from_env(&Env::from_pairs(bad)).unwrap_err().var, "SWISSBILLING_SHOP_A_ENV");
        let mut missing = base("shop-a", "prod", "x");
        missing.retain(|(k, _)| !k.ends_with("_SHA_OUT"));
        missing.push(("SWISSBILLING_TENANTS".into(), "shop-a".into()));
        assert_eq!(Tenants::from_env(&Env::from_pairs(missing)).unwrap_err().var, "SWISSBILLING_SHOP_A_SHA_OUT");
        assert!(Tenants::from_env(&Env::default()).unwrap().is_empty());
    }
}
