//! The terminal gateway's configuration (gRPC 50052, admin 9052). Besides the shared variables
//! (README "Configuration"):
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `NETS_BASE_URL` | `https://connectcloud.aws.nets.eu` | Connect@Cloud base URL (test: `https://connectcloud-test.aws.nets.eu`, or the sandbox) |
//! | `CREDENTIALS_KEY` / `CREDENTIALS_KEY_FILE` | required | 32-byte key (64 hex digits or base64) sealing tenants' Nets passwords |
//! | `PAYMENT_TIMEOUT` | `120s` | time the customer has before the gateway cancels on the terminal (TG-22) |
//! | `PAYMENT_GRACE` | `30s` | after the timeout, how long the terminal's answer to the cancel is awaited before the payment is closed as timed out, unconfirmed (TG-32) |
//! | `NETS_LOGIN_TIMEOUT` | `10s` | login call |
//! | `NETS_REQUEST_TIMEOUT` | `10s` | terminal list, terminal state and cancel calls (NaviPartner: 10 s) |
//! | `NETS_LOOKUP_TIMEOUT` | `60s` | the last-result lookup (NaviPartner: 60 s) |
//! | `NETS_LOOKUP_DELAY` | `5s` | wait after a lost answer before the lookup (NaviPartner: a lookup right after it does not find it) |
//! | `NETS_PURCHASE_TIMEOUT` | `300s` | the blocking purchase call (NaviPartner: 300 s); the engine lets go of it earlier, at `PAYMENT_TIMEOUT` + `PAYMENT_GRACE` |
//! | `NETS_VOID_TIMEOUT` | `60s` | void call (NaviPartner: 60 s) |
//! | `TERMINAL_HOLD_LIMIT` | `15m` | how long a payment given up on keeps its terminal waiting for Nets' final word, after which it lets go with an attention event |
//! | `DB_RECORD_CONNECTIONS` | `8` | connections reserved for recording what terminals answered (a pool of its own beside `DB_MAX_CONNECTIONS`, so an approval is never queued behind new payments; count both against Postgres `max_connections`; with 500 terminals paying back to back on a 2-core box, 8 and 12 gave the same watcher latency: the answers waited for Postgres's cores, which the start lane's size decides, see `k8s/README.md`) |
//! | `SUPERVISOR_CONCURRENCY` | `16` | payments the supervisor works on at once |
//! | `SUPERVISOR_INTERVAL` | `1s` | how often waiting payments are checked for deadlines, dead trackers and lost answers |
//! | `LEASE_DURATION` | `30s` | how long a replica's claim on a waiting payment lasts without renewal |
//! | `STATUS_TIMEOUT` | `3s` | bound on reading live terminal status for ListTerminals |
//! | `ATTENTION_AFTER_FAILURES` | `3` | failures in a row on one terminal that raise an attention event |
//! | `INSTANCE_ID` | host name + random | name of this replica in payment leases |
//! | `CALLERS` / `_FILE` | required | gRPC callers: `name:token:permissions:tenants` per line (`kit::grpc::auth`) |

use std::time::Duration;

use kit::config::{CommonConfig, ConfigError, Env};
use secrecy::SecretString;

use crate::nets::NetsTimeouts;
use crate::store::credentials::Sealer;

/// Terminal gateway settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Shared settings.
    pub common: CommonConfig,
    /// Connect@Cloud base URL.
    pub nets_base_url: String,
    /// Seals tenants' passwords.
    pub sealer: Sealer,
    /// Nets call timeouts.
    pub nets_timeouts: NetsTimeouts,
    /// The customer's time (TG-22).
    pub payment_timeout: Duration,
    /// Wait for the cancel's answer after the timeout.
    pub payment_grace: Duration,
    /// Supervisor period.
    pub supervisor_interval: Duration,
    /// Lease length.
    pub lease: Duration,
    /// Live status bound.
    pub status_timeout: Duration,
    /// Failures in a row that raise attention.
    pub attention_after_failures: i32,
    /// Wait after a lost answer before the lookup.
    pub lookup_delay: Duration,
    /// How long a payment given up on keeps its terminal.
    pub hold_limit: Duration,
    /// Payments the supervisor works on at once.
    pub supervisor_concurrency: usize,
    /// Connections of the record pool (`DB_RECORD_CONNECTIONS`).
    pub record_connections: u32,
    /// This replica's name.
    pub instance_id: String,
}

impl Config {
    /// Reads the configuration; the error names the variable at fault.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let common = CommonConfig::from_env(env, "terminal-gateway", 50052, 9052)?;
        let nets_base_url: String = env.or("NETS_BASE_URL", "https://connectcloud.aws.nets.eu".to_owned())?;
        if !(nets_base_url.starts_with("https://") || nets_base_url.starts_with("http://")) {
            return Err(ConfigError::new("NETS_BASE_URL", "expected an http(s):// URL"));
        }
        let key: SecretString = env.secret("CREDENTIALS_KEY")?;
        let sealer = Sealer::from_key(&key).map_err(|e| ConfigError::new("CREDENTIALS_KEY", e.to_string()))?;
        let positive = |name: &str, d: Duration| {
            if d.is_zero() { Err(ConfigError::new(name, "must be greater than zero")) } else { Ok(d) }
        };
        let nets_timeouts = NetsTimeouts {
            login: positive("NETS_LOGIN_TIMEOUT", env.duration_or("NETS_LOGIN_TIMEOUT", Duration::from_secs(10))?)?,
            request: positive(
                "NETS_REQUEST_TIMEOUT",
                env.duration_or("NETS_REQUEST_TIMEOUT", Duration::from_secs(10))?,
            )?,
            lookup: positive("NETS_LOOKUP_TIMEOUT", env.duration_or("NETS_LOOKUP_TIMEOUT", Duration::from_secs(60))?)?,
            purchase: positive(
                "NETS_PURCHASE_TIMEOUT",
                env.duration_or("NETS_PURCHASE_TIMEOUT", Duration::from_secs(300))?,
            )?,
            void: positive("NETS_VOID_TIMEOUT", env.duration_or("NETS_VOID_TIMEOUT", Duration::from_secs(60))?)?,
        };
        let payment_timeout =
            positive("PAYMENT_TIMEOUT", env.duration_or("PAYMENT_TIMEOUT", Duration::from_secs(120))?)?;
        let payment_grace = positive("PAYMENT_GRACE", env.duration_or("PAYMENT_GRACE", Duration::from_secs(30))?)?;
        if nets_timeouts.purchase < payment_timeout + payment_grace {
            return Err(ConfigError::new(
                "NETS_PURCHASE_TIMEOUT",
                "must be at least PAYMENT_TIMEOUT + PAYMENT_GRACE, or the purchase call gives up before the gateway does",
            ));
        }
        let attention_after_failures: i32 = env.or("ATTENTION_AFTER_FAILURES", 3)?;
        if attention_after_failures < 1 {
            return Err(ConfigError::new("ATTENTION_AFTER_FAILURES", "must be at least 1"));
        }
        let lease = positive("LEASE_DURATION", env.duration_or("LEASE_DURATION", Duration::from_secs(30))?)?;
        let supervisor_interval =
            positive("SUPERVISOR_INTERVAL", env.duration_or("SUPERVISOR_INTERVAL", Duration::from_secs(1))?)?;
        if supervisor_interval * 3 > lease {
            return Err(ConfigError::new("LEASE_DURATION", "must be at least three SUPERVISOR_INTERVALs"));
        }
        let supervisor_concurrency: usize = env.or("SUPERVISOR_CONCURRENCY", 16)?;
        if supervisor_concurrency == 0 {
            return Err(ConfigError::new("SUPERVISOR_CONCURRENCY", "must be at least 1"));
        }
        let record_connections: u32 = env.or("DB_RECORD_CONNECTIONS", 8)?;
        if record_connections == 0 {
            return Err(ConfigError::new("DB_RECORD_CONNECTIONS", "must be at least 1"));
        }
        let lookup_delay = env.duration_or("NETS_LOOKUP_DELAY", Duration::from_secs(5))?;
        let hold_limit =
            positive("TERMINAL_HOLD_LIMIT", env.duration_or("TERMINAL_HOLD_LIMIT", Duration::from_secs(900))?)?;
        let instance_id = env.raw("INSTANCE_ID").map_or_else(default_instance, str::to_owned);
        Ok(Config {
            common,
            nets_base_url,
            sealer,
            nets_timeouts,
            payment_timeout,
            payment_grace,
            supervisor_interval,
            lease,
            status_timeout: positive("STATUS_TIMEOUT", env.duration_or("STATUS_TIMEOUT", Duration::from_secs(3))?)?,
            attention_after_failures,
            lookup_delay,
            hold_limit,
            supervisor_concurrency,
            record_connections,
            instance_id,
        })
    }
}

fn default_instance() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "terminal-gateway".into());
    format!("{host}-{}", &uuid::Uuid::new_v4().simple().to_string()[..8])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Env {
        Env::from_pairs([
            ("DATABASE_URL", "postgres://localhost/x"),
            ("NATS_URL", "nats://localhost:4222"),
            ("CALLERS", "tests:0123456789abcdef0123:*:*"),
            ("CREDENTIALS_KEY", "0000000000000000000000000000000000000000000000000000000000000000"),
        ])
    }

    #[test]
    fn nets_timeouts_default_to_the_integrators_values() {
        let t = Config::from_env(&base()).unwrap().nets_timeouts;
        let secs = |d: Duration| d.as_secs();
        assert_eq!(
            (secs(t.login), secs(t.request), secs(t.lookup), secs(t.purchase), secs(t.void)),
            (10, 10, 60, 300, 60),
            "NaviPartner's EFTNETSCloudProtocol timeouts"
        );
        assert_eq!(Config::from_env(&base()).unwrap().lookup_delay, Duration::from_secs(5));
    }

    #[test]
    fn tg_22_timeout_defaults_to_120_seconds_and_is_configurable() {
        let c = Config::from_env(&base()).unwrap();
        assert_eq!(c.payment_timeout, Duration::from_secs(120));
        assert_eq!(c.common.grpc_addr.port(), 50052);
        let mut env = base();
        env.set("PAYMENT_TIMEOUT", "90s");
        assert_eq!(Config::from_env(&env).unwrap().payment_timeout, Duration::from_secs(90));
    }

    #[test]
    fn bad_values_name_their_variable() {
        let cases = [
            ("CREDENTIALS_KEY", "short", "CREDENTIALS_KEY"),
            ("NETS_BASE_URL", "ftp://x", "NETS_BASE_URL"),
            ("PAYMENT_TIMEOUT", "0s", "PAYMENT_TIMEOUT"),
            ("PAYMENT_TIMEOUT", "400s", "NETS_PURCHASE_TIMEOUT"),
            ("ATTENTION_AFTER_FAILURES", "0", "ATTENTION_AFTER_FAILURES"),
            ("LEASE_DURATION", "2s", "LEASE_DURATION"),
            ("SUPERVISOR_CONCURRENCY", "0", "SUPERVISOR_CONCURRENCY"),
            ("NETS_LOOKUP_TIMEOUT", "0s", "NETS_LOOKUP_TIMEOUT"),
        ];
        for (var, value, named) in cases {
            let mut env = base();
            env.set(var, value);
            let err = Config::from_env(&env).unwrap_err();
            assert_eq!(err.var, named, "{var}={value}");
            assert!(!err.to_string().contains("0000000000"), "no secret in errors");
        }
        let mut env = base();
        env.set("CREDENTIALS_KEY", "");
        assert_eq!(Config::from_env(&env).unwrap_err().var, "CREDENTIALS_KEY");
    }
}
