//! pixi-sync's configuration from the environment (OP-01). Besides the shared variables
//! (`DATABASE_URL`, `NATS_URL`, `GRPC_ADDR` default `0.0.0.0:50051`, `ADMIN_ADDR` default
//! `0.0.0.0:9051`, …, see the README):
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `PIXI_SYNC_SECRET_KEY` (or `_FILE`) | required | 32-byte key (64 hex digits or base64) that encrypts stored secrets |
//! | `PUBLIC_ADDR` | `0.0.0.0:8051` | public HTTP port: unzer webhooks and the error pages |
//! | `PUBLIC_BASE_URL` | unset | how the internet reaches `PUBLIC_ADDR` (e.g. `https://pixi-sync.example.com`); needed for webhook registration and error-page links |
//! | `UNZER_SANDBOX_BASE_URL` | `https://sbx-api.unzer.com` | unzer host for sandbox keys (`s-priv-…`) |
//! | `UNZER_PRODUCTION_BASE_URL` | `https://api.unzer.com` | unzer host for production keys (`p-priv-…`) |
//! | `POLL_INTERVAL` | `2s` | how often each tenant's pixi change feed is read |
//! | `FULL_SCAN_INTERVAL` | `5m` | how often HOLD orders and invoices to capture are listed in full |
//! | `METHOD_CHECK_INTERVAL` | `1h` | how often pixi's payment methods are checked for misconfiguration (PX-26) |
//! | `FOLLOW_INTERVAL` | `15m` | a released order is re-read this long after its last change without a pixi change, each further quiet look waiting twice as long … |
//! | `FOLLOW_MAX_INTERVAL` | `24h` | … up to this; an order that waits for a person (an open error) is not re-read until something changes |
//! | `LEASE_TTL` | `30s` | a replica's lease on a pixi API configuration (PX-41) |
//! | `ORDER_CONCURRENCY` | `8` | orders processed at once per pixi API configuration (each holds a pooled connection for its lock: keep it at least 2 below `DB_MAX_CONNECTIONS`) |
//! | `SYNC_BATCH` | `500` | orders taken per pass |
//! | `PIXI_TIMEOUT` | `30s` | per pixi request |
//! | `UNZER_TIMEOUT` | `20s` | per unzer request |
//! | `SMTP_TIMEOUT` | `20s` | per mail |
//! | `PIXI_QUIET_WINDOW` | `00:00-04:00` | local time without pixi requests (PX-22); the zone is per pixi API configuration |
//! | `RECONCILE_INTERVAL` | `6h` | scheduled reconciliation (PX-44): a job of its own under its own lease, resumable |
//! | `RECONCILE_BATCH` | `25` | orders a scheduled reconciliation checks per step (it resumes where it stopped) |
//! | `RECONCILE_LOOKBACK` | `30d` | orders changed within this period are reconciled |
//! | `UNKNOWN_ESCALATE_AFTER` | `30m` | an order whose partner calls stay unknown this long is flagged |
//! | `CALLERS` (or `_FILE`) | required | gRPC callers: `name:token:permissions:tenants` per line (`kit::grpc::auth`) |
//! | `CONSOLE_ADDR` | `0.0.0.0:8151` | the merchant console (CN-01): German web pages behind a login |
//! | `CONSOLE_SESSION_IDLE` | `30m` | a console session ends after this long unused |
//! | `CONSOLE_SESSION_MAX` | `10h` | and this long after the login, whatever happens |
//! | `CONSOLE_LOGIN_MAX_FAILURES` | `5` | failed logins per user name within the window before throttling (a client address gets four times as many) |
//! | `CONSOLE_LOGIN_WINDOW` | `15m` | window (and lock time) of the login throttle |
//! | `CONSOLE_SECURE_COOKIES` | `false` | mark the session cookie `Secure` (behind TLS; `X-Forwarded-Proto: https` sets it anyway) |
//! | `CONSOLE_BOOTSTRAP_ADMIN` | unset | login name of a payops operator (every tenant, role admin) created at start when the console has no user |
//! | `CONSOLE_BOOTSTRAP_ADMIN_PASSWORD` / `_FILE` | unset | its password (secret; required with `CONSOLE_BOOTSTRAP_ADMIN`) |
//! | `PASSWORD_HASH_MEMORY_KIB` | `19456` | argon2id memory cost of new console password hashes |
//! | `PASSWORD_HASH_ITERATIONS` | `2` | argon2id time cost of new console password hashes |

use std::net::SocketAddr;
use std::time::Duration;

use kit::config::{CommonConfig, ConfigError, Env};
use secrecy::SecretString;

use crate::domain::quiet::QuietWindow;

/// pixi-sync settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Shared settings.
    pub common: CommonConfig,
    /// Key for secrets at rest.
    pub secret_key: SecretString,
    /// Public HTTP listener.
    pub public_addr: SocketAddr,
    /// Public base URL.
    pub public_base_url: Option<String>,
    /// unzer host for sandbox keys (the host follows the key, as in unzer's SDKs).
    pub unzer_sandbox_base_url: String,
    /// unzer host for production keys.
    pub unzer_production_base_url: String,
    /// Change-feed polling interval.
    pub poll_interval: Duration,
    /// Full scan interval.
    pub full_scan_interval: Duration,
    /// Payment-method check interval.
    pub method_check_interval: Duration,
    /// Re-read interval of released orders.
    pub follow_interval: Duration,
    /// Longest wait between quiet looks at an order.
    pub follow_max_interval: Duration,
    /// Lease lifetime.
    pub lease_ttl: Duration,
    /// Orders at once per configuration.
    pub order_concurrency: usize,
    /// Orders per pass.
    pub batch: usize,
    /// pixi timeout.
    pub pixi_timeout: Duration,
    /// unzer timeout.
    pub unzer_timeout: Duration,
    /// SMTP timeout.
    pub smtp_timeout: Duration,
    /// The quiet window.
    pub quiet_window: QuietWindow,
    /// Reconciliation interval.
    pub reconcile_interval: Duration,
    /// Reconciliation lookback.
    pub reconcile_lookback: Duration,
    /// Orders per step of a scheduled reconciliation.
    pub reconcile_batch: usize,
    /// Unknown outcomes are flagged after this long.
    pub escalate_after: Duration,
    /// The console.
    pub console: ConsoleConfig,
}

/// The console's settings (CN-01).
#[derive(Debug, Clone)]
pub struct ConsoleConfig {
    /// Listener.
    pub addr: SocketAddr,
    /// Idle end of a session.
    pub session_idle: Duration,
    /// Absolute end of a session.
    pub session_max: Duration,
    /// Failed logins per user name within the window.
    pub max_failures: u32,
    /// Throttle window.
    pub failure_window: Duration,
    /// Always mark the cookie `Secure`.
    pub secure_cookies: bool,
    /// The operator created at start when there is no console user (name, password).
    pub bootstrap_admin: Option<(String, SecretString)>,
    /// argon2id memory cost (KiB).
    pub hash_memory_kib: u32,
    /// argon2id time cost.
    pub hash_iterations: u32,
}

impl ConsoleConfig {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let positive = |name: &str, default: u32| -> Result<u32, ConfigError> {
            let v: u32 = env.or(name, default)?;
            if v == 0 { Err(ConfigError::new(name, "must be positive")) } else { Ok(v) }
        };
        let session_idle = env.duration_or("CONSOLE_SESSION_IDLE", Duration::from_secs(30 * 60))?;
        let session_max = env.duration_or("CONSOLE_SESSION_MAX", Duration::from_secs(10 * 3600))?;
        if session_idle.is_zero() || session_idle > session_max {
            return Err(ConfigError::new("CONSOLE_SESSION_IDLE", "must be positive and at most CONSOLE_SESSION_MAX"));
        }
        let hash_memory_kib = positive("PASSWORD_HASH_MEMORY_KIB", 19_456)?;
        if hash_memory_kib < 8 {
            return Err(ConfigError::new("PASSWORD_HASH_MEMORY_KIB", "must be at least 8"));
        }
        let bootstrap_admin = match env.optional::<String>("CONSOLE_BOOTSTRAP_ADMIN")? {
            None => None,
            Some(name) => {
                let name = crate::domain::console::username(&name)
                    .map_err(|e| ConfigError::new("CONSOLE_BOOTSTRAP_ADMIN", e.to_string()))?;
                let password = env.secret("CONSOLE_BOOTSTRAP_ADMIN_PASSWORD")?;
                crate::domain::console::password(secrecy::ExposeSecret::expose_secret(&password))
                    .map_err(|e| ConfigError::new("CONSOLE_BOOTSTRAP_ADMIN_PASSWORD", e.to_string()))?;
                Some((name, password))
            }
        };
        Ok(ConsoleConfig {
            addr: env.or("CONSOLE_ADDR", SocketAddr::from(([0, 0, 0, 0], 8151)))?,
            session_idle,
            session_max,
            max_failures: positive("CONSOLE_LOGIN_MAX_FAILURES", 5)?,
            failure_window: env.duration_or("CONSOLE_LOGIN_WINDOW", Duration::from_secs(15 * 60))?,
            secure_cookies: env.bool_or("CONSOLE_SECURE_COOKIES", false)?,
            bootstrap_admin,
            hash_memory_kib,
            hash_iterations: positive("PASSWORD_HASH_ITERATIONS", 2)?,
        })
    }
}

impl Config {
    /// Reads the configuration; the error names the variable at fault.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let common = CommonConfig::from_env(env, "pixi-sync", 50051, 9051)?;
        let secret_key = env.secret("PIXI_SYNC_SECRET_KEY")?;
        crate::secrets::SecretBox::from_key(&secret_key)
            .map_err(|e| ConfigError::new("PIXI_SYNC_SECRET_KEY", e.to_string()))?;
        let public_base_url: Option<String> = env.optional("PUBLIC_BASE_URL")?;
        if let Some(u) = &public_base_url {
            match reqwest::Url::parse(u) {
                Ok(p) if matches!(p.scheme(), "http" | "https") => {}
                _ => return Err(ConfigError::new("PUBLIC_BASE_URL", "expected an http(s) URL")),
            }
        }
        if env.optional::<String>("UNZER_BASE_URL")?.is_some() {
            // One host cannot serve both key kinds: refuse the old variable rather than ignore it.
            return Err(ConfigError::new(
                "UNZER_BASE_URL",
                "replaced by UNZER_SANDBOX_BASE_URL and UNZER_PRODUCTION_BASE_URL (the host follows the key: s- sandbox, p- production)",
            ));
        }
        let url = |name: &str, default: &str| -> Result<String, ConfigError> {
            let u: String = env.or(name, default.to_owned())?;
            match reqwest::Url::parse(&u) {
                Ok(p) if matches!(p.scheme(), "http" | "https") => Ok(u),
                _ => Err(ConfigError::new(name, "expected an http(s) URL")),
            }
        };
        let unzer_sandbox_base_url = url("UNZER_SANDBOX_BASE_URL", "https://sbx-api.unzer.com")?;
        let unzer_production_base_url = url("UNZER_PRODUCTION_BASE_URL", "https://api.unzer.com")?;
        let order_concurrency: usize = env.or("ORDER_CONCURRENCY", 8)?;
        if !(1..=64).contains(&order_concurrency) {
            return Err(ConfigError::new("ORDER_CONCURRENCY", "must be between 1 and 64"));
        }
        if order_concurrency + 2 > common.db.max_connections as usize {
            return Err(ConfigError::new(
                "ORDER_CONCURRENCY",
                "must be at least 2 below DB_MAX_CONNECTIONS (each order holds a connection for its lock)",
            ));
        }
        let batch: usize = env.or("SYNC_BATCH", 500)?;
        if !(1..=10_000).contains(&batch) {
            return Err(ConfigError::new("SYNC_BATCH", "must be between 1 and 10000"));
        }
        let quiet_window = env.or("PIXI_QUIET_WINDOW", QuietWindow::default())?;
        let positive = |name: &str, d: Duration| {
            if d.is_zero() { Err(ConfigError::new(name, "must be positive")) } else { Ok(d) }
        };
        Ok(Config {
            secret_key,
            public_addr: env.or("PUBLIC_ADDR", SocketAddr::from(([0, 0, 0, 0], 8051)))?,
            public_base_url: public_base_url.map(|u| u.trim_end_matches('/').to_owned()),
            unzer_sandbox_base_url,
            unzer_production_base_url,
            poll_interval: positive("POLL_INTERVAL", env.duration_or("POLL_INTERVAL", Duration::from_secs(2))?)?,
            full_scan_interval: env.duration_or("FULL_SCAN_INTERVAL", Duration::from_secs(300))?,
            method_check_interval: env.duration_or("METHOD_CHECK_INTERVAL", Duration::from_secs(3600))?,
            follow_interval: env.duration_or("FOLLOW_INTERVAL", Duration::from_secs(900))?,
            follow_max_interval: env.duration_or("FOLLOW_MAX_INTERVAL", Duration::from_secs(86_400))?,
            lease_ttl: positive("LEASE_TTL", env.duration_or("LEASE_TTL", Duration::from_secs(30))?)?,
            order_concurrency,
            batch,
            pixi_timeout: positive("PIXI_TIMEOUT", env.duration_or("PIXI_TIMEOUT", Duration::from_secs(30))?)?,
            unzer_timeout: positive("UNZER_TIMEOUT", env.duration_or("UNZER_TIMEOUT", Duration::from_secs(20))?)?,
            smtp_timeout: positive("SMTP_TIMEOUT", env.duration_or("SMTP_TIMEOUT", Duration::from_secs(20))?)?,
            quiet_window,
            reconcile_interval: env.duration_or("RECONCILE_INTERVAL", Duration::from_secs(6 * 3600))?,
            reconcile_lookback: env.duration_or("RECONCILE_LOOKBACK", Duration::from_secs(30 * 86_400))?,
            reconcile_batch: {
                let b: usize = env.or("RECONCILE_BATCH", 25)?;
                if !(1..=1000).contains(&b) {
                    return Err(ConfigError::new("RECONCILE_BATCH", "must be between 1 and 1000"));
                }
                b
            },
            escalate_after: env.duration_or("UNKNOWN_ESCALATE_AFTER", Duration::from_secs(1800))?,
            console: ConsoleConfig::from_env(env)?,
            common,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Env {
        Env::from_pairs([
            ("DATABASE_URL", "postgres://localhost/x"),
            ("NATS_URL", "nats://localhost:4222"),
            ("CALLERS", "tests:0123456789abcdef0123:*:*"),
            ("PIXI_SYNC_SECRET_KEY", "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"),
        ])
    }

    #[test]
    fn defaults_and_ports() {
        let c = Config::from_env(&base()).unwrap();
        assert_eq!((c.common.grpc_addr.port(), c.common.admin_addr.port(), c.public_addr.port()), (50051, 9051, 8051));
        assert_eq!(c.poll_interval, Duration::from_secs(2));
        assert_eq!(c.common.db.schema, "pixi_sync");
        assert_eq!(
            (c.unzer_sandbox_base_url.as_str(), c.unzer_production_base_url.as_str()),
            ("https://sbx-api.unzer.com", "https://api.unzer.com"),
            "the SDKs' hosts"
        );
    }

    #[test]
    fn bad_values_name_the_variable() {
        let cases = [
            ("PIXI_SYNC_SECRET_KEY", "short"),
            ("PUBLIC_BASE_URL", "ftp://x"),
            ("ORDER_CONCURRENCY", "0"),
            ("ORDER_CONCURRENCY", "9"),
            ("SYNC_BATCH", "0"),
            ("PIXI_QUIET_WINDOW", "4-0"),
            ("POLL_INTERVAL", "0s"),
            ("PUBLIC_ADDR", "nowhere"),
            ("UNZER_SANDBOX_BASE_URL", "not a url"),
            ("UNZER_PRODUCTION_BASE_URL", "ftp://api.unzer.com"),
            ("UNZER_BASE_URL", "https://api.unzer.com"),
        ];
        for (var, value) in cases {
            let mut env = base();
            env.set(var, value);
            let err = Config::from_env(&env).unwrap_err();
            assert_eq!(err.var, var, "{var}={value}");
            assert!(!err.to_string().contains("00112233"), "never the key");
        }
        let mut env = base();
        env.set("PIXI_SYNC_SECRET_KEY", "");
        assert_eq!(Config::from_env(&env).unwrap_err().var, "PIXI_SYNC_SECRET_KEY");
    }
}
