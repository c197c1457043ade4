//! The hotline-api configuration (OP-01): the shared settings (gRPC 50053, admin 9053) plus the
//! web port, the partners and the agent-security settings. Every variable:
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `WEB_ADDR` | `0.0.0.0:8053` | the portal page and its HTTP/JSON API |
//! | `TRUSTED_PROXIES` | unset | comma-separated CIDR ranges of the proxies in front of the portal and the gRPC port; only when the peer is one of them is the client address read from `X-Forwarded-For` (the rightmost address not in these ranges). Replaces `WEB_TRUST_FORWARDED_FOR`, which is refused at start |
//! | `WEB_SECURE_COOKIES` | `false` | mark the session cookie `Secure` (set when served behind TLS; a request with `X-Forwarded-Proto: https` gets it anyway) |
//! | `PGW_BASE_URL` | required | PGW API root, e.g. `https://pgw.smarpay.example/api/v1` |
//! | `PGW_ENVIRONMENT` | `prod` | `prod` or `test`; the hotline queries PROD, codes exist only there |
//! | `PGW_API_KEY` / `_FILE` | required | `X-API-Key` of that environment (secret) |
//! | `PGW_TIMEOUT` | `4s` | per request; reads are retried on timeouts and 502–504 |
//! | `PGW_GENERATION_GRACE` | `60s` | a code generation whose answer was lost is not called "not done" (and may not be sent again) until this long after it was sent: PGW may still be working on it |
//! | `SMALLINVOICE_BASE_URL` | `https://api.smallinvoice.com/v2` | smallinvoice API v2 root |
//! | `SMALLINVOICE_CLIENT_ID` | required | OAuth client id |
//! | `SMALLINVOICE_CLIENT_SECRET` / `_FILE` | required | OAuth client secret (secret) |
//! | `SMALLINVOICE_TIMEOUT` | `5s` | per request |
//! | `TICKETING_URL` | required | gRPC URL of ticketing-bridge, e.g. `http://ticketing-bridge:50054` |
//! | `TICKETING_TOKEN` / `_FILE` | unset | bearer token for ticketing-bridge (secret) |
//! | `HOTLINE_EMAIL` | `hotline@smarpay.eu` | requester of tickets without a tenant contact |
//! | `LOCAL_TIMEZONE` | `Europe/Zurich` | the zone of "a day" (daily overview, default dates) |
//! | `SESSION_TTL` | `10h` | how long a login lasts at most |
//! | `SESSION_IDLE` | `30m` | a session unused this long ends (SE-06), whatever `SESSION_TTL` says |
//! | `LOGIN_MAX_FAILURES` | `5` | failures per user name and client address within the window before that address is throttled for that name (a client address gets four times as many across all names); other addresses can still log in (SE-05) |
//! | `LOGIN_FAILURE_WINDOW` | `15m` | window (and lock time) of the login throttle |
//! | `PASSWORD_HASH_MEMORY_KIB` | `19456` | argon2id memory cost of new hashes |
//! | `PASSWORD_HASH_ITERATIONS` | `2` | argon2id time cost of new hashes |
//! | `BOOTSTRAP_ADMIN` | unset | user name of an admin created at start-up when no agent exists |
//! | `BOOTSTRAP_ADMIN_PASSWORD` / `_FILE` | unset | its password (secret; required with `BOOTSTRAP_ADMIN`) |
//! | `PIXI_SYNC_DASHBOARD_URL` | `http://localhost:8151/bestellungen/{order_id}` | link to an order in the pixi-sync console; `{order_id}` is replaced by the pixi order number (HL-41); without it the link opens the console's start page |
//! | `PIXI_SYNC_ERRORS_URL` | `http://localhost:8051/errors` | link to the pixi-sync error page (HL-41) |
//! | `TIMELINE_MEMORY_ORDERS` | `20000` | order timelines kept in memory per replica (about 2 KB per order of 10 events); a read is answered from memory only when that shows every event committed before it (`service::timeline_view`); `0` reads every timeline from the database |
//! | `LOOKUP_RETENTION` | `7d` | how long B2C lookups (personal data) are kept for their tickets |
//! | `B2B_PROBLEM_TYPES` | our list (`domain::b2b::PROBLEM_TYPES`) | `;`-separated problem types the B2B form offers; the seed names none, any non-empty type is accepted, the tenant-side type is always added last (HL-24) |
//! | `CALLERS` / `_FILE` | required | gRPC callers (services, tools) with their permissions (`kit::grpc::auth`); agents log in |
//!
//! plus the shared `DATABASE_URL`, `DB_SCHEMA`, `NATS_URL`, `EVENTS_PREFIX`, `EVENTS_STREAM`,
//! `GRPC_ADDR`, `ADMIN_ADDR`, `LOG_FORMAT`, `RUST_LOG`, `OTEL_*`, `SHUTDOWN_GRACE`.

use std::net::SocketAddr;
use std::time::Duration;

use chrono_tz::Tz;
use kit::config::{CommonConfig, ConfigError, Env};
use secrecy::SecretString;

/// PGW settings.
#[derive(Debug, Clone)]
pub struct PgwConfig {
    /// API root without the environment segment.
    pub base_url: String,
    /// `prod` or `test`.
    pub environment: String,
    /// `X-API-Key`.
    pub api_key: SecretString,
    /// Per-request timeout.
    pub timeout: Duration,
    /// See `PGW_GENERATION_GRACE`.
    pub generation_grace: Duration,
}

/// smallinvoice settings.
#[derive(Debug, Clone)]
pub struct SmallinvoiceConfig {
    /// API root, ending in `/v2`.
    pub base_url: String,
    /// OAuth client id.
    pub client_id: String,
    /// OAuth client secret.
    pub client_secret: SecretString,
    /// Per-request timeout.
    pub timeout: Duration,
}

/// Agent login and password settings.
#[derive(Debug, Clone)]
pub struct SecurityConfig {
    /// Session lifetime.
    pub session_ttl: Duration,
    /// A session unused this long ends.
    pub session_idle: Duration,
    /// Failures allowed within the window.
    pub max_failures: u32,
    /// Throttle window.
    pub failure_window: Duration,
    /// argon2id memory cost in KiB.
    pub hash_memory_kib: u32,
    /// argon2id iterations.
    pub hash_iterations: u32,
    /// `Secure` session cookies.
    pub secure_cookies: bool,
    /// The proxies whose `X-Forwarded-For` is believed (SE-05).
    pub trusted_proxies: Vec<crate::domain::client_addr::Cidr>,
}

/// hotline-api settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Shared settings.
    pub common: CommonConfig,
    /// The web listener.
    pub web_addr: SocketAddr,
    /// PGW.
    pub pgw: PgwConfig,
    /// smallinvoice.
    pub smallinvoice: SmallinvoiceConfig,
    /// ticketing-bridge gRPC URL.
    pub ticketing_url: String,
    /// ticketing-bridge token.
    pub ticketing_token: Option<SecretString>,
    /// Requester address when the tenant gave no contact.
    pub hotline_email: String,
    /// Zone of "a day".
    pub timezone: Tz,
    /// Login and password settings.
    pub security: SecurityConfig,
    /// Admin created at start-up when there is no agent yet.
    pub bootstrap_admin: Option<(String, SecretString)>,
    /// pixi-sync dashboard link template.
    pub pixi_sync_dashboard_url: String,
    /// pixi-sync error page link.
    pub pixi_sync_errors_url: String,
    /// Retention of B2C lookups.
    pub lookup_retention: Duration,
    /// See `TIMELINE_MEMORY_ORDERS`.
    pub timeline_memory_orders: usize,
    /// Problem types the B2B form offers (empty: the default list).
    pub problem_types: Vec<String>,
}

impl Config {
    /// Reads the configuration; the error names the variable at fault.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let common = CommonConfig::from_env(env, "hotline-api", 50053, 9053)?;
        let environment: String = env.or("PGW_ENVIRONMENT", "prod".to_owned())?;
        if environment != "prod" && environment != "test" {
            return Err(ConfigError::new("PGW_ENVIRONMENT", "expected prod or test"));
        }
        let pgw = PgwConfig {
            base_url: url(env, "PGW_BASE_URL", None)?.trim_end_matches('/').to_owned(),
            environment,
            api_key: env.secret("PGW_API_KEY")?,
            timeout: env.duration_or("PGW_TIMEOUT", Duration::from_secs(4))?,
            generation_grace: env.duration_or("PGW_GENERATION_GRACE", Duration::from_secs(60))?,
        };
        let smallinvoice = SmallinvoiceConfig {
            base_url: url(env, "SMALLINVOICE_BASE_URL", Some("https://api.smallinvoice.com/v2"))?
                .trim_end_matches('/')
                .to_owned(),
            client_id: env.required("SMALLINVOICE_CLIENT_ID")?,
            client_secret: env.secret("SMALLINVOICE_CLIENT_SECRET")?,
            timeout: env.duration_or("SMALLINVOICE_TIMEOUT", Duration::from_secs(5))?,
        };
        let hotline_email: String = env.or("HOTLINE_EMAIL", "hotline@smarpay.eu".to_owned())?;
        if !crate::domain::contact::is_email(&hotline_email) {
            return Err(ConfigError::new("HOTLINE_EMAIL", "expected an e-mail address"));
        }
        let tz_name: String = env.or("LOCAL_TIMEZONE", "Europe/Zurich".to_owned())?;
        let timezone: Tz = tz_name
            .parse()
            .map_err(|_| ConfigError::new("LOCAL_TIMEZONE", "expected an IANA zone such as Europe/Zurich"))?;
        let security = SecurityConfig {
            session_ttl: env.duration_or("SESSION_TTL", Duration::from_secs(10 * 3600))?,
            max_failures: positive(env, "LOGIN_MAX_FAILURES", 5)?,
            failure_window: env.duration_or("LOGIN_FAILURE_WINDOW", Duration::from_secs(15 * 60))?,
            hash_memory_kib: positive(env, "PASSWORD_HASH_MEMORY_KIB", 19_456)?,
            hash_iterations: positive(env, "PASSWORD_HASH_ITERATIONS", 2)?,
            secure_cookies: env.bool_or("WEB_SECURE_COOKIES", false)?,
            session_idle: env.duration_or("SESSION_IDLE", Duration::from_secs(30 * 60))?,
            trusted_proxies: crate::domain::client_addr::parse_list(env.raw("TRUSTED_PROXIES").unwrap_or(""))
                .map_err(|e| ConfigError::new("TRUSTED_PROXIES", e))?,
        };
        if env.raw("WEB_TRUST_FORWARDED_FOR").is_some() {
            return Err(ConfigError::new(
                "WEB_TRUST_FORWARDED_FOR",
                "replaced by TRUSTED_PROXIES (the CIDR ranges of the proxies in front of the portal)",
            ));
        }
        if security.session_idle.is_zero() {
            return Err(ConfigError::new("SESSION_IDLE", "must be longer than 0s"));
        }
        if security.hash_memory_kib < 8 {
            return Err(ConfigError::new("PASSWORD_HASH_MEMORY_KIB", "must be at least 8"));
        }
        let bootstrap_admin = match env.raw("BOOTSTRAP_ADMIN") {
            None => None,
            Some(name) => {
                crate::domain::agent::Username::parse(name)
                    .map_err(|e| ConfigError::new("BOOTSTRAP_ADMIN", e.to_string()))?;
                Some((name.to_owned(), env.secret("BOOTSTRAP_ADMIN_PASSWORD")?))
            }
        };
        Ok(Config {
            common,
            web_addr: env.or("WEB_ADDR", SocketAddr::from(([0, 0, 0, 0], 8053)))?,
            pgw,
            smallinvoice,
            ticketing_url: url(env, "TICKETING_URL", None)?,
            ticketing_token: env.secret_optional("TICKETING_TOKEN")?,
            hotline_email,
            timezone,
            security,
            bootstrap_admin,
            pixi_sync_dashboard_url: url(
                env,
                "PIXI_SYNC_DASHBOARD_URL",
                Some("http://localhost:8151/bestellungen/{order_id}"),
            )?,
            pixi_sync_errors_url: url(env, "PIXI_SYNC_ERRORS_URL", Some("http://localhost:8051/errors"))?,
            lookup_retention: env.duration_or("LOOKUP_RETENTION", Duration::from_secs(7 * 86_400))?,
            timeline_memory_orders: env.or("TIMELINE_MEMORY_ORDERS", 20_000usize)?,
            problem_types: env
                .raw("B2B_PROBLEM_TYPES")
                .map(|v| v.split(';').map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()).collect())
                .unwrap_or_default(),
        })
    }
}

impl Config {
    /// The partner accounts as the preflight names them: addresses, never a key or secret.
    pub fn preflight_target(&self) -> String {
        format!(
            "(pgw {}/{}, smallinvoice {} client {})",
            self.pgw.base_url, self.pgw.environment, self.smallinvoice.base_url, self.smallinvoice.client_id
        )
    }
}

fn url(env: &Env, name: &str, default: Option<&str>) -> Result<String, ConfigError> {
    let value: String = match default {
        Some(d) => env.or(name, d.to_owned())?,
        None => env.required(name)?,
    };
    if !(value.starts_with("http://") || value.starts_with("https://")) {
        return Err(ConfigError::new(name, "expected an http:// or https:// URL"));
    }
    Ok(value)
}

fn positive(env: &Env, name: &str, default: u32) -> Result<u32, ConfigError> {
    let v = env.or(name, default)?;
    if v == 0 {
        return Err(ConfigError::new(name, "must be at least 1"));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Env {
        Env::from_pairs([
            ("DATABASE_URL", "postgres://localhost/x"),
            ("NATS_URL", "nats://localhost:4222"),
            ("CALLERS", "tests:0123456789abcdef0123:*:*"),
            ("PGW_BASE_URL", "http://pgw/api/v1"),
            ("PGW_API_KEY", "k"),
            ("SMALLINVOICE_CLIENT_ID", "c"),
            ("SMALLINVOICE_CLIENT_SECRET", "s"),
            ("TICKETING_URL", "http://tb:50054"),
        ])
    }

    #[test]
    fn defaults_and_bad_values_name_the_variable() {
        let c = Config::from_env(&base()).unwrap();
        assert_eq!(c.web_addr.port(), 8053);
        assert_eq!(c.common.grpc_addr.port(), 50053);
        assert_eq!(c.timezone, chrono_tz::Europe::Zurich);
        assert_eq!(c.pgw.environment, "prod");
        assert_eq!(c.security.session_idle, Duration::from_secs(30 * 60));
        assert!(c.security.trusted_proxies.is_empty());
        for (var, value) in [
            ("PGW_ENVIRONMENT", "staging"),
            ("PGW_BASE_URL", "ftp://x"),
            ("LOCAL_TIMEZONE", "Mars/Olympus"),
            ("HOTLINE_EMAIL", "nope"),
            ("LOGIN_MAX_FAILURES", "0"),
            ("BOOTSTRAP_ADMIN", "A B"),
            ("WEB_ADDR", "x"),
            ("TRUSTED_PROXIES", "10.0.0.0/8, proxy"),
            ("SESSION_IDLE", "0s"),
            ("WEB_TRUST_FORWARDED_FOR", "true"),
        ] {
            let mut env = base();
            env.set(var, value);
            assert_eq!(Config::from_env(&env).unwrap_err().var, var, "{var}={value}");
        }
        for missing in ["PGW_BASE_URL", "PGW_API_KEY", "SMALLINVOICE_CLIENT_SECRET", "TICKETING_URL"] {
            let mut env = base();
            env.set(missing, "");
            assert!(Config::from_env(&env).unwrap_err().var.starts_with(missing), "{missing}");
        }
        let mut env = base();
        env.set("BOOTSTRAP_ADMIN", "admin");
        assert_eq!(Config::from_env(&env).unwrap_err().var, "BOOTSTRAP_ADMIN_PASSWORD");
    }
}
