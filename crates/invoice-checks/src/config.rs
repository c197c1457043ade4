//! The service's configuration, from environment variables (OP-01). Besides the shared ones of
//! `kit::config::CommonConfig` (`DATABASE_URL`, `NATS_URL`, `GRPC_ADDR` default `0.0.0.0:50055`,
//! `ADMIN_ADDR` default `0.0.0.0:9055`, …):
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `POSTFINANCE_TEST_URL` | `https://e-payment.postfinance.ch/ncol/test/` | TEST endpoints (must end in `/ncol/test/`) |
//! | `POSTFINANCE_PROD_URL` | `https://e-payment.postfinance.ch/ncol/prod/` | PROD endpoints (must end in `/ncol/prod/`) |
//! | `POSTFINANCE_ALLOW_HTTP` | false | accept `http://` for non-loopback hosts (a sandbox in compose) |
//! | `POSTFINANCE_TIMEOUT` | 30s | per DirectLink request |
//! | `POSTFINANCE_QUERY_ATTEMPTS` | 3 | tries per query (maintenance is never retried blindly) |
//! | `SWISSBILLING_TENANTS` and `SWISSBILLING_<T>_*` | none | the PostFinance accounts, see `postfinance::tenant` |
//! | `SWISSBILLING_REFRESH_EVERY` | 60s | refresh pass over pending levels |
//! | `SWISSBILLING_RESOLVE_EVERY` | 30s | resolver pass over maintenance with unknown outcome |
//! | `SWISSBILLING_RESOLVE_AFTER` | 30s | age at which an unknown outcome is probed |
//! | `SWISSBILLING_ESCALATE_AFTER` | 1h | age at which an outcome still unknown goes to a person (attention event) |
//! | `SWISSBILLING_DISCOVER_AFTER` | 15m | age at which a prepared order with neither return nor post-sale request is looked up by ORDERID (then doubling, at most every 6 h) |
//! | `SWISSBILLING_DISCOVER_FOR` | 48h | how long after preparing an order it is looked up |
//! | `PUBLIC_ADDR` | `0.0.0.0:8055` | public HTTP port: PostFinance's post-sale requests (`POST /postfinance/{tenant}/feedback`) |
//! | `MANUAL_EXPIRY_EVERY` | 60s | deadline job for open manual payments (MP-05) |
//! | `MANUAL_PAYMENTS_ZONE` | `Europe/Zurich` | zone of "today" for payment dates |
//! | `CALLERS` (`_FILE`) | required | gRPC callers with their permissions and tenants (`kit::grpc::auth`); managers hold `manual.payments.approve` … |

use std::time::Duration;

use chrono_tz::Tz;
use kit::config::{CommonConfig, ConfigError, Env};

use crate::postfinance::PostFinanceConfig;
use crate::postfinance::tenant::Tenants;

/// invoice-checks settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Shared settings.
    pub common: CommonConfig,
    /// The PostFinance adapter.
    pub postfinance: PostFinanceConfig,
    /// PostFinance accounts.
    pub tenants: Tenants,
    /// Refresh pass interval.
    pub refresh_every: Duration,
    /// Resolver pass interval.
    pub resolve_every: Duration,
    /// Age at which unknown outcomes are probed.
    pub resolve_after: Duration,
    /// Age at which an unknown outcome goes to a person.
    pub escalate_after: Duration,
    /// Age at which an order without return is looked up by ORDERID.
    pub discover_after: Duration,
    /// How long after preparing an order it is looked up.
    pub discover_for: Duration,
    /// Public HTTP port (post-sale requests).
    pub public_addr: std::net::SocketAddr,
    /// Deadline job interval.
    pub expiry_every: Duration,
    /// Zone of "today".
    pub zone: Tz,
}

impl Config {
    /// Reads the configuration; the error names the variable at fault.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let zone: String = env.or("MANUAL_PAYMENTS_ZONE", "Europe/Zurich".to_owned())?;
        let zone: Tz = zone
            .parse()
            .map_err(|_| ConfigError::new("MANUAL_PAYMENTS_ZONE", "not an IANA zone such as Europe/Zurich"))?;
        let positive = |var: &str, d: Duration| {
            if d.is_zero() { Err(ConfigError::new(var, "must be more than zero")) } else { Ok(d) }
        };
        if env.raw("MANAGER_TOKENS").is_some() || env.raw("MANAGER_TOKENS_FILE").is_some() {
            return Err(ConfigError::new(
                "MANAGER_TOKENS",
                "is replaced by CALLERS: a manager is a caller holding manual.* permissions",
            ));
        }
        Ok(Config {
            common: CommonConfig::from_env(env, "invoice-checks", 50055, 9055)?,
            postfinance: PostFinanceConfig::from_env(env)?,
            tenants: Tenants::from_env(env)?,
            refresh_every: positive(
                "SWISSBILLING_REFRESH_EVERY",
                env.duration_or("SWISSBILLING_REFRESH_EVERY", Duration::from_secs(60))?,
            )?,
            resolve_every: positive(
                "SWISSBILLING_RESOLVE_EVERY",
                env.duration_or("SWISSBILLING_RESOLVE_EVERY", Duration::from_secs(30))?,
            )?,
            resolve_after: env.duration_or("SWISSBILLING_RESOLVE_AFTER", Duration::from_secs(30))?,
            escalate_after: env.duration_or("SWISSBILLING_ESCALATE_AFTER", Duration::from_secs(3600))?,
            discover_after: positive(
                "SWISSBILLING_DISCOVER_AFTER",
                env.duration_or("SWISSBILLING_DISCOVER_AFTER", Duration::from_secs(15 * 60))?,
            )?,
            discover_for: env.duration_or("SWISSBILLING_DISCOVER_FOR", Duration::from_secs(48 * 3600))?,
            public_addr: env.or("PUBLIC_ADDR", std::net::SocketAddr::from(([0, 0, 0, 0], 8055)))?,
            expiry_every: positive(
                "MANUAL_EXPIRY_EVERY",
                env.duration_or("MANUAL_EXPIRY_EVERY", Duration::from_secs(60))?,
            )?,
            zone,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_bad_values_name_the_variable() {
        let base = [
            ("DATABASE_URL", "postgres://localhost/x"),
            ("NATS_URL", "nats://localhost:4222"),
            ("ALLOW_UNAUTHENTICATED", "local-only"),
        ];
        let c = Config::from_env(&Env::from_pairs(base)).unwrap();
        assert_eq!((c.common.grpc_addr.port(), c.common.admin_addr.port()), (50055, 9055));
        assert_eq!(c.common.db.schema, "invoice_checks");
        assert_eq!(c.zone, chrono_tz::Europe::Zurich);
        assert!(c.common.callers.is_none() && c.tenants.is_empty());
        for (var, value) in [
            ("MANUAL_PAYMENTS_ZONE", "Mars/Olympus"),
            ("MANUAL_EXPIRY_EVERY", "0s"),
            ("POSTFINANCE_PROD_URL", "https://x/ncol/test/"),
            ("SWISSBILLING_TENANTS", "Bad Name"),
            ("MANAGER_TOKENS", "x"),
        ] {
            let mut env = Env::from_pairs(base);
            env.set(var, value);
            assert_eq!(Config::from_env(&env).unwrap_err().var, var, "{var}={value}");
        }
    }
}
