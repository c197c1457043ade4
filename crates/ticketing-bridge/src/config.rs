//! The ticketing bridge's configuration (OP-01, TK-08): the shared settings (gRPC 50054, admin
//! 9054) plus the Freshdesk account, its rate limits, the retry policy and the defaults for
//! tickets opened from attention events. Every variable below is read and validated at start-up;
//! a bad value stops the service with one line naming it.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `FRESHDESK_DOMAIN` | — | the account's host, e.g. `acme.freshdesk.com` (the API is `https://<domain>/api/v2`) |
//! | `FRESHDESK_URL` | — | instead of the domain: a full base URL (the sandbox, a proxy); exactly one of the two |
//! | `FRESHDESK_API_KEY` / `_FILE` | required | the agent API key (secret; Basic `key:X`) |
//! | `FRESHDESK_TICKET_URL` | `<base>/a/tickets/{id}` | agent link of a ticket; `{id}` is replaced |
//! | `FRESHDESK_RATE_PER_MINUTE` | 200 | calls per minute the whole deployment allows itself (Growth plan; every replica shares it) |
//! | `FRESHDESK_CREATE_PER_MINUTE` | 80 | ticket creations per minute (the plan's create cap) |
//! | `FRESHDESK_INDEX_DELAY` | 10m | how long after a creation Freshdesk's search may still miss the ticket: an unknown creation is created again only once search has had this long ("a few minutes" documented) |
//! | `FRESHDESK_BURST` | 1 | calls allowed back to back after a quiet spell (1 = strictly spaced) |
//! | `FRESHDESK_TIMEOUT` | 10s | timeout of one HTTP call |
//! | `FRESHDESK_CONCURRENCY` | 3 | work items (orders) worked on at once by this process |
//! | `FRESHDESK_MAX_ATTEMPTS` | 8 | failed attempts (5xx, timeouts, auth) before the work is dead-lettered |
//! | `FRESHDESK_BACKOFF_BASE` | 1s | first retry delay; doubles per attempt, with jitter |
//! | `FRESHDESK_BACKOFF_MAX` | 5m | cap of the retry delay |
//! | `FRESHDESK_TICKET_TYPES` | `Question,Incident,Problem,Feature Request,Refund,Waschküche,Billing` | the account's ticket types |
//! | `FRESHDESK_GROUPS` | empty | groups callers may name, `name:id,…` (e.g. `hotline:43000000001`) |
//! | `FRESHDESK_REF_FIELD` | `cf_payops_ref` | text custom field holding the external reference |
//! | `FRESHDESK_ORDER_FIELD` | `cf_order_id` | text custom field for the order id; `none` to leave it out |
//! | `ATTENTION_TICKET_TYPE` | `Incident` | type of tickets opened from attention events (`none` for the account default) |
//! | `ATTENTION_GROUP` | unset | group name (from `FRESHDESK_GROUPS`) of tickets from attention events |
//! | `ATTENTION_REQUESTER_EMAIL` | `hotline@smarpay.eu` | requester of tickets from attention events (the seed's hotline address) |
//! | `ATTENTION_CONSUMER_CONCURRENCY` | 2 | orders whose attention events are taken in at once |
//! | `CREATE_TICKET_TIMEOUT` | 15s | how long CreateTicket may take when the caller sets no deadline |
//! | `CREATE_TICKET_RETRY_WAIT` | 10s | longest retry delay (Retry-After, backoff) a CreateTicket call waits for in-line; longer → UNAVAILABLE, work queued |
//! | `TICKETING_POLL` | 250ms | how often the worker looks for due work |
//!
//! Freshdesk's limits hold per account, so the replicas share one budget in the database: set
//! `FRESHDESK_RATE_PER_MINUTE` and `FRESHDESK_CREATE_PER_MINUTE` to the plan's limits whatever the
//! number of replicas, minus what other API users of the account (marketplace apps, scripts)
//! take; the preflight compares them with the plan's `X-RateLimit-Total`. A 429 pauses every
//! replica for `Retry-After` (nothing is lost). `DB_MAX_CONNECTIONS` must exceed
//! `FRESHDESK_CONCURRENCY + ATTENTION_CONSUMER_CONCURRENCY + 2`: every work item in flight holds
//! its order's lock on a pooled connection.

use std::time::Duration;

use kit::config::{CommonConfig, ConfigError, Env};
use secrecy::SecretString;

/// The default ticket types (Freshdesk's standard ones plus the hotline's).
pub const DEFAULT_TICKET_TYPES: &str = "Question,Incident,Problem,Feature Request,Refund,Waschküche,Billing";

/// Ticketing bridge settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Shared settings.
    pub common: CommonConfig,
    /// The Freshdesk account.
    pub freshdesk: FreshdeskConfig,
    /// Rate limits the bridge keeps to.
    pub rates: Rates,
    /// Retry policy of ticket work.
    pub retry: crate::domain::retry::RetryPolicy,
    /// Ticket types and groups callers may use.
    pub catalog: crate::domain::draft::Catalog,
    /// Defaults of tickets opened from attention events.
    pub attention: crate::domain::attention::AttentionDefaults,
    /// Work items worked on at once.
    pub concurrency: usize,
    /// Orders whose attention events are taken in at once.
    pub consumer_concurrency: usize,
    /// How long CreateTicket may take without a caller deadline.
    pub create_timeout: Duration,
    /// Longest retry delay a CreateTicket call waits for in-line.
    pub create_retry_wait: Duration,
    /// Worker poll interval.
    pub poll: Duration,
    /// How long after a creation Freshdesk's search may still miss the ticket.
    pub index_delay: Duration,
}

/// The Freshdesk account.
#[derive(Debug, Clone)]
pub struct FreshdeskConfig {
    /// API base, e.g. `https://acme.freshdesk.com` (no trailing slash).
    pub base_url: String,
    /// The API key (Basic auth user name).
    pub api_key: SecretString,
    /// Agent link template with `{id}`.
    pub ticket_url: String,
    /// Timeout of one call.
    pub timeout: Duration,
    /// Custom field of the external reference.
    pub ref_field: String,
    /// Custom field of the order id, if used.
    pub order_field: Option<String>,
}

/// Client-side rate limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rates {
    /// Calls per minute.
    pub per_minute: u32,
    /// Ticket creations per minute.
    pub create_per_minute: u32,
    /// Calls allowed back to back.
    pub burst: u32,
}

impl Config {
    /// Reads the configuration; the error names the variable at fault.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let common = CommonConfig::from_env(env, "ticketing-bridge", 50054, 9054)?;
        let freshdesk = freshdesk(env)?;
        let rates = Rates {
            per_minute: positive(env, "FRESHDESK_RATE_PER_MINUTE", 200)?,
            create_per_minute: positive(env, "FRESHDESK_CREATE_PER_MINUTE", 80)?,
            burst: positive(env, "FRESHDESK_BURST", 1)?,
        };
        if rates.create_per_minute > rates.per_minute {
            return Err(ConfigError::new("FRESHDESK_CREATE_PER_MINUTE", "must not exceed FRESHDESK_RATE_PER_MINUTE"));
        }
        let retry = crate::domain::retry::RetryPolicy {
            base: env.duration_or("FRESHDESK_BACKOFF_BASE", Duration::from_secs(1))?,
            max: env.duration_or("FRESHDESK_BACKOFF_MAX", Duration::from_secs(300))?,
            max_attempts: positive(env, "FRESHDESK_MAX_ATTEMPTS", 8)?,
        };
        if retry.base.is_zero() {
            return Err(ConfigError::new("FRESHDESK_BACKOFF_BASE", "must be positive"));
        }
        if retry.max < retry.base {
            return Err(ConfigError::new("FRESHDESK_BACKOFF_MAX", "must be at least FRESHDESK_BACKOFF_BASE"));
        }
        let catalog = crate::domain::draft::Catalog {
            ticket_types: list(env, "FRESHDESK_TICKET_TYPES", DEFAULT_TICKET_TYPES),
            groups: groups(env)?,
        };
        let attention = attention(env, &catalog)?;
        let concurrency = positive(env, "FRESHDESK_CONCURRENCY", 3)? as usize;
        let consumer_concurrency = positive(env, "ATTENTION_CONSUMER_CONCURRENCY", 2)? as usize;
        let needed = concurrency + consumer_concurrency + 2;
        if (common.db.max_connections as usize) <= needed {
            return Err(ConfigError::new(
                "DB_MAX_CONNECTIONS",
                format!(
                    "must exceed FRESHDESK_CONCURRENCY + ATTENTION_CONSUMER_CONCURRENCY + 2 = {needed} (each work item in flight holds a connection)"
                ),
            ));
        }
        Ok(Config {
            common,
            freshdesk,
            rates,
            retry,
            catalog,
            attention,
            concurrency,
            consumer_concurrency,
            create_timeout: env.duration_or("CREATE_TICKET_TIMEOUT", Duration::from_secs(15))?,
            create_retry_wait: env.duration_or("CREATE_TICKET_RETRY_WAIT", Duration::from_secs(10))?,
            poll: env.duration_or("TICKETING_POLL", Duration::from_millis(250))?,
            index_delay: env.duration_or("FRESHDESK_INDEX_DELAY", Duration::from_secs(600))?,
        })
    }

    /// The Freshdesk account as the preflight names it: its address, never the key.
    pub fn preflight_target(&self) -> String {
        self.freshdesk.base_url.clone()
    }

    /// What the bridge relies on in the account: the custom fields, every ticket type callers
    /// or attention tickets may use, the groups and the rates.
    pub fn preflight_expected(&self) -> crate::freshdesk::preflight::Expected {
        let mut ticket_types = self.catalog.ticket_types.clone();
        if let Some(t) = self.attention.ticket_type.as_ref().filter(|t| !ticket_types.contains(t)) {
            ticket_types.push(t.clone());
        }
        crate::freshdesk::preflight::Expected {
            ref_field: self.freshdesk.ref_field.clone(),
            order_field: self.freshdesk.order_field.clone(),
            ticket_types,
            groups: self.catalog.groups.clone(),
            rates: self.rates,
        }
    }

    /// A configuration for tests that start the bridge in-process (this crate's and other
    /// services'): `env` is a test environment's service variables (e.g.
    /// `TestEnv::service_env("ticketing_bridge")`), `freshdesk_url` the sandbox's Freshdesk URL
    /// and `api_key` a key added to the sandbox. Variables already set in `env` win; see
    /// [`test_env`] for what is filled in.
    pub fn for_tests(env: Env, freshdesk_url: &str, api_key: &str) -> Result<Self, ConfigError> {
        Config::from_env(&test_env(env, freshdesk_url, api_key))
    }
}

/// Fills in what an in-process test of the bridge needs, unless already set: the sandbox URL and
/// key, the sandbox account's groups, limits so high that a frozen `ManualClock` never blocks the
/// limiter, retries that are never waited for in-line (a deferred CreateTicket answers
/// UNAVAILABLE at once; tests then move the clock and drive the worker), a short poll, and an
/// indexing delay just above the sandbox's default (120 s), so tests that prove TK-03 run with
/// search lagging creation as in Freshdesk.
pub fn test_env(mut env: Env, freshdesk_url: &str, api_key: &str) -> Env {
    let defaults = [
        ("FRESHDESK_URL", freshdesk_url),
        ("FRESHDESK_API_KEY", api_key),
        ("FRESHDESK_GROUPS", "hotline:43000000001,payments:43000000002,billing:43000000003"),
        ("FRESHDESK_RATE_PER_MINUTE", "600000"),
        ("FRESHDESK_CREATE_PER_MINUTE", "600000"),
        ("FRESHDESK_BURST", "100000"),
        ("FRESHDESK_TIMEOUT", "5s"),
        ("CREATE_TICKET_RETRY_WAIT", "0s"),
        ("TICKETING_POLL", "50ms"),
        ("FRESHDESK_INDEX_DELAY", "150s"),
        ("ATTENTION_GROUP", "payments"),
    ];
    for (name, value) in defaults {
        if env.raw(name).is_none() {
            env.set(name, value);
        }
    }
    env
}

fn freshdesk(env: &Env) -> Result<FreshdeskConfig, ConfigError> {
    let base_url = match (env.raw("FRESHDESK_DOMAIN"), env.raw("FRESHDESK_URL")) {
        (Some(_), Some(_)) => {
            return Err(ConfigError::new("FRESHDESK_URL", "set either FRESHDESK_DOMAIN or FRESHDESK_URL, not both"));
        }
        (None, None) => {
            return Err(ConfigError::new("FRESHDESK_DOMAIN", "is required (or FRESHDESK_URL for a sandbox)"));
        }
        (Some(domain), None) => {
            let domain = domain.trim().trim_end_matches('/');
            let valid = !domain.is_empty()
                && domain.contains('.')
                && domain.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
            if !valid {
                return Err(ConfigError::new("FRESHDESK_DOMAIN", "expected a host name such as acme.freshdesk.com"));
            }
            format!("https://{domain}")
        }
        (None, Some(url)) => {
            let url = url.trim().trim_end_matches('/');
            let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
            if rest.is_none_or(|r| r.is_empty() || r.contains(char::is_whitespace)) {
                return Err(ConfigError::new("FRESHDESK_URL", "expected http(s)://host[:port]"));
            }
            url.to_owned()
        }
    };
    let ticket_url =
        env.raw("FRESHDESK_TICKET_URL").map_or_else(|| format!("{base_url}/a/tickets/{{id}}"), str::to_owned);
    if !ticket_url.contains("{id}") {
        return Err(ConfigError::new("FRESHDESK_TICKET_URL", "must contain {id}"));
    }
    let timeout = env.duration_or("FRESHDESK_TIMEOUT", Duration::from_secs(10))?;
    if timeout.is_zero() {
        return Err(ConfigError::new("FRESHDESK_TIMEOUT", "must be positive"));
    }
    let ref_field: String = env.or("FRESHDESK_REF_FIELD", "cf_payops_ref".to_owned())?;
    custom_field("FRESHDESK_REF_FIELD", &ref_field)?;
    let order_field = match env.raw("FRESHDESK_ORDER_FIELD").map(str::trim) {
        Some("none") => None,
        Some(f) => {
            custom_field("FRESHDESK_ORDER_FIELD", f)?;
            Some(f.to_owned())
        }
        None => Some("cf_order_id".to_owned()),
    };
    Ok(FreshdeskConfig {
        base_url,
        api_key: env.secret("FRESHDESK_API_KEY")?,
        ticket_url,
        timeout,
        ref_field,
        order_field,
    })
}

fn custom_field(var: &str, name: &str) -> Result<(), ConfigError> {
    let rest = name.strip_prefix("cf_").unwrap_or("");
    if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(ConfigError::new(var, "expected a custom field name such as cf_payops_ref"));
    }
    Ok(())
}

fn attention(
    env: &Env,
    catalog: &crate::domain::draft::Catalog,
) -> Result<crate::domain::attention::AttentionDefaults, ConfigError> {
    let ticket_type = match env.raw("ATTENTION_TICKET_TYPE").map(str::trim) {
        Some("none") => None,
        Some(t) => Some(t.to_owned()),
        None => Some("Incident".to_owned()),
    };
    if ticket_type.as_ref().is_some_and(|t| !catalog.ticket_types.contains(t)) {
        return Err(ConfigError::new("ATTENTION_TICKET_TYPE", "must be one of FRESHDESK_TICKET_TYPES (or none)"));
    }
    let group_id = match env.raw("ATTENTION_GROUP").map(str::trim) {
        None => None,
        Some(name) => Some(
            catalog
                .group_id(name)
                .ok_or_else(|| ConfigError::new("ATTENTION_GROUP", "must name a group of FRESHDESK_GROUPS"))?,
        ),
    };
    let requester_email: String = env.or("ATTENTION_REQUESTER_EMAIL", "hotline@smarpay.eu".to_owned())?;
    if !crate::domain::draft::is_email(&requester_email) {
        return Err(ConfigError::new("ATTENTION_REQUESTER_EMAIL", "expected an e-mail address"));
    }
    Ok(crate::domain::attention::AttentionDefaults { ticket_type, group_id, requester_email })
}

fn groups(env: &Env) -> Result<Vec<(String, u64)>, ConfigError> {
    let Some(raw) = env.raw("FRESHDESK_GROUPS") else { return Ok(Vec::new()) };
    raw.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (name, id) = pair
                .split_once(':')
                .ok_or_else(|| ConfigError::new("FRESHDESK_GROUPS", "expected name:id pairs separated by commas"))?;
            let id: u64 = id
                .trim()
                .parse()
                .map_err(|_| ConfigError::new("FRESHDESK_GROUPS", format!("group {name:?} needs a numeric id")))?;
            if name.trim().is_empty() {
                return Err(ConfigError::new("FRESHDESK_GROUPS", "group names must not be empty"));
            }
            Ok((name.trim().to_owned(), id))
        })
        .collect()
}

fn list(env: &Env, name: &str, default: &str) -> Vec<String> {
    env.raw(name).unwrap_or(default).split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect()
}

fn positive(env: &Env, name: &str, default: u32) -> Result<u32, ConfigError> {
    let v: u32 = env.or(name, default)?;
    if v == 0 {
        return Err(ConfigError::new(name, "must be at least 1"));
    }
    Ok(v)
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
