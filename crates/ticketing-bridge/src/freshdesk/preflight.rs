//! The bridge's preflight (CT-06): read-only checks against the configured Freshdesk account,
//! one `GET /api/v2/ticket_fields` (any agent allowed to view fields or create tickets may call
//! it) and one search — the API key is accepted; the custom field holding the external
//! reference exists as a text field (named `cf_payops_ref` or, as the endpoint's documented
//! sample names custom fields, `payops_ref`) and search takes it; the order field, every ticket
//! type callers may use and every configured group exist; the rate-limit headers are there and
//! the configured rates fit the plan. Nothing is created.

use kit::preflight::Report;

use super::{Freshdesk, FreshdeskError, wire};
use crate::config::Rates;

/// What the bridge is configured to rely on.
#[derive(Debug, Clone)]
pub struct Expected {
    /// Custom field of the external reference (`cf_payops_ref`).
    pub ref_field: String,
    /// Custom field of the order id, if used.
    pub order_field: Option<String>,
    /// Ticket types callers and attention tickets may use.
    pub ticket_types: Vec<String>,
    /// Groups callers may name: (name, id).
    pub groups: Vec<(String, u64)>,
    /// The configured rates.
    pub rates: Rates,
}

/// `payops-ticketing-bridge preflight`: reads the same environment as the service, runs the
/// checks with a limiter of its own (three calls; no database needed), prints the table and
/// exits 1 when a check failed (2 on a configuration error, naming the variable).
pub async fn command(env: &kit::config::Env) -> std::process::ExitCode {
    use std::process::ExitCode;
    let config = match crate::config::Config::from_env(env) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let clock = match kit::clock::from_env(env).await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let limiter = std::sync::Arc::new(super::Limiter::local(clock, config.rates));
    let fd = match Freshdesk::new(&config.freshdesk, limiter) {
        Ok(fd) => fd,
        Err(e) => {
            eprintln!("preflight: cannot build the HTTP client: {e}");
            return ExitCode::FAILURE;
        }
    };
    let report = run(&fd, &config.preflight_target(), &config.preflight_expected()).await;
    print!("{}", report.table());
    if report.passed() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

/// The create sub-limit of each plan's per-minute total (developers.freshdesk.com/api/#ratelimit:
/// Growth 200/80, Pro 400/160, Enterprise 700/280, purchased 1000/400 and 2000/800).
fn plan_create_limit(total: u32) -> Option<u32> {
    [(200, 80), (400, 160), (700, 280), (1000, 400), (2000, 800)].into_iter().find(|(t, _)| *t == total).map(|p| p.1)
}

/// Runs every check; `target` names the account (never the key).
pub async fn run(fd: &Freshdesk, target: &str, expected: &Expected) -> Report {
    let mut r = Report::new(format!("freshdesk {target}"));
    let fields = match fd.ticket_fields().await {
        Ok(f) => {
            r.ok("API key", "accepted (GET /api/v2/ticket_fields answered)");
            f
        }
        Err(e) => {
            let (detail, fix) = match &e {
                FreshdeskError::Auth { status, code } => (
                    format!("refused: {status} {code}"),
                    "set FRESHDESK_API_KEY to the API key of an agent who may view ticket fields (profile settings)",
                ),
                FreshdeskError::NotFound => (
                    "no Freshdesk API at this address (404)".to_owned(),
                    "set FRESHDESK_DOMAIN to <account>.freshdesk.com (custom domains do not serve the v2 API)",
                ),
                FreshdeskError::Contract { field, .. } => (
                    format!("the answer breaks its contract: {field}"),
                    "check FRESHDESK_URL points at Freshdesk itself, not at a proxy that rewrites answers",
                ),
                other => (format!("no usable answer: {other}"), "check FRESHDESK_DOMAIN and the network path to it"),
            };
            r.fail("API key", detail, fix);
            return r;
        }
    };
    custom_field(&mut r, &fields, "reference field", &expected.ref_field, true);
    if let Some(order) = &expected.order_field {
        custom_field(&mut r, &fields, "order field", order, false);
    }
    let missing: Vec<&str> =
        expected.ticket_types.iter().filter(|t| !fields.ticket_types.contains(t)).map(String::as_str).collect();
    if missing.is_empty() {
        r.ok("ticket types", format!("all {} configured types exist", expected.ticket_types.len()));
    } else {
        r.fail(
            "ticket types",
            format!("not in the account: {}", missing.join(", ")),
            "add them under Admin → Ticket Fields → Type, or drop them from FRESHDESK_TICKET_TYPES / ATTENTION_TICKET_TYPE",
        );
    }
    groups(&mut r, &fields, &expected.groups);
    rates(&mut r, &fields, expected.rates);
    match fd.find_by_reference(&expected.ref_field, "payops-preflight").await {
        Ok(_) => r.ok("search by reference", format!("search accepts {}", expected.ref_field)),
        Err(FreshdeskError::Invalid(errors)) => r.fail(
            "search by reference",
            format!("search refuses {}: {}", expected.ref_field, super::summary(&errors)),
            "the reference field must be a custom text field Freshdesk's filter API can search",
        ),
        Err(e) => r.warn("search by reference", format!("not checked: {e}"), "run the preflight again"),
    }
    r
}

fn custom_field(r: &mut Report, fields: &wire::AccountFields, what: &str, name: &str, search: bool) {
    let check = format!("{what} {name}");
    match fields.custom(name) {
        Some(f) if matches!(f.kind.as_str(), "custom_text" | "custom_paragraph") => {
            r.ok(check, format!("exists as {} ({})", f.name, f.kind));
        }
        Some(f) => r.fail(
            check,
            format!("{} is a {} field", f.name, f.kind),
            "the field must be a single-line text custom field",
        ),
        None => r.fail(
            check,
            "no such ticket field in the account",
            if search {
                "create a single-line text custom field whose API name is this one (Admin → Ticket Fields), or set FRESHDESK_REF_FIELD; without it no ticket can be found again after a lost answer"
            } else {
                "create a single-line text custom field whose API name is this one, or set FRESHDESK_ORDER_FIELD=none"
            },
        ),
    }
}

fn groups(r: &mut Report, fields: &wire::AccountFields, expected: &[(String, u64)]) {
    if expected.is_empty() {
        r.ok("groups", "none configured");
        return;
    }
    let mut missing = Vec::new();
    let mut renamed = Vec::new();
    for (name, id) in expected {
        match fields.groups.iter().find(|(_, gid)| gid == id) {
            None => missing.push(format!("{name}:{id}")),
            Some((actual, _)) if actual != name => renamed.push(format!("{name}:{id} is called {actual}")),
            Some(_) => {}
        }
    }
    if !missing.is_empty() {
        r.fail(
            "groups",
            format!("not in the account: {}", missing.join(", ")),
            "fix the ids in FRESHDESK_GROUPS (the group choices of GET /api/v2/ticket_fields list them)",
        );
    } else if !renamed.is_empty() {
        r.warn("groups", renamed.join(", "), "rename the group in FRESHDESK_GROUPS to match the account");
    } else {
        r.ok("groups", format!("all {} configured groups exist", expected.len()));
    }
}

fn rates(r: &mut Report, fields: &wire::AccountFields, configured: Rates) {
    let total = fields.rate_total;
    r.ok("rate-limit headers", format!("the plan allows {total} calls/min ({} left now)", fields.rate_remaining));
    let fix =
        "lower FRESHDESK_RATE_PER_MINUTE / FRESHDESK_CREATE_PER_MINUTE to the plan's limits (all replicas share them)";
    if configured.per_minute > total {
        r.warn(
            "configured rate",
            format!(
                "FRESHDESK_RATE_PER_MINUTE={} exceeds the plan's {total}: expect 429 pauses",
                configured.per_minute
            ),
            fix,
        );
    } else if let Some(create) = plan_create_limit(total).filter(|c| configured.create_per_minute > *c) {
        r.warn(
            "configured rate",
            format!(
                "FRESHDESK_CREATE_PER_MINUTE={} exceeds the plan's create limit {create}",
                configured.create_per_minute
            ),
            fix,
        );
    } else {
        r.ok(
            "configured rate",
            format!(
                "{} calls, {} creations per minute fit the plan",
                configured.per_minute, configured.create_per_minute
            ),
        );
    }
}
