//! The hotline's preflight (CT-06): read-only checks against the configured PGW and
//! smallinvoice, as `payops-hotline-api preflight` and `HotlineService.Preflight`. Nothing is
//! created: PGW's day listing of today (the key is accepted, the answer has every field the
//! hotline reads), smallinvoice's token, one contact and its invoices (the sort key and the
//! fields), the rate-limit headers. PGW publishes no documentation, so what the hotline
//! assumes about it and cannot check from here is listed as WARN, to be confirmed with the
//! gateway's operator.

use chrono::NaiveDate;
use kit::preflight::Report;

use crate::pgw::{PgwClient, PgwError};
use crate::smallinvoice::{SiError, SmallinvoiceClient};

/// What PGW's operator must confirm, as (check, what we assume, why it matters). Our PGW
/// contract (`crates/sandbox/openapi/pgw.yaml`) is our own; these are its assumptions that
/// move money or change what an agent tells a tenant.
pub const PGW_TO_CONFIRM: [(&str, &str, &str); 6] = [
    (
        "PGW: recovery reads the current code",
        "after POST …/transactions/{id}/codes, GET /transactions/{id} shows the new code as `code` (origin generated, issued_at = the generation)",
        "a generation whose answer was lost is settled by reading the transaction; if PGW showed an older code, an admin's next click would make a second code",
    ),
    (
        "PGW: Idempotency-Key on code generation",
        "POST …/codes with the same Idempotency-Key replays the first generation (200, Idempotent-Replayed: true); how long keys are kept; same key for another transaction is refused",
        "the key is sent but not relied on; if PGW honours it, a repeated generation can never make a second code",
    ),
    (
        "PGW: what a failed generation means",
        "a 4xx from POST …/codes means no code was created; a timeout, 429 or 5xx may have created one",
        "a 4xx is shown as refused and never settled by reading PGW",
    ),
    (
        "PGW: payment statuses",
        "completed, failed and cancelled, nothing else; a completed payment always carries its code",
        "any other status is shown as unknown for that payment (counted in payops_contract_violations_total)",
    ),
    (
        "PGW: searches and day listings",
        "a search without match is 200 with empty items (never 404); `date` is the Europe/Zurich day; the day listing is unpaged, completed payments only, with `total`",
        "'not found' is what the agent tells the tenant; a paged listing would undercount the day",
    ),
    (
        "PGW: amounts and times",
        "amounts are decimal CHF strings (\"3.50\"); times RFC 3339 with the Zurich offset; `date`/`time` local",
        "amounts are converted exactly into Rappen; a JSON float or another currency is refused",
    ),
];

/// Runs every check; the targets name the accounts (never a key or secret).
pub async fn run(pgw: &PgwClient, si: &SmallinvoiceClient, today: NaiveDate, target: &str) -> Report {
    let mut r = Report::new(format!("hotline-api {target}"));
    pgw_checks(&mut r, pgw, today).await;
    smallinvoice_checks(&mut r, si).await;
    for (check, assumed, why) in PGW_TO_CONFIRM {
        r.warn(check, format!("unconfirmed: {assumed}"), format!("confirm with PGW's operator ({why})"));
    }
    r
}

async fn pgw_checks(r: &mut Report, pgw: &PgwClient, today: NaiveDate) {
    match pgw.day(today).await {
        Ok(day) => {
            r.ok("PGW API key", format!("accepted (GET /days/{today}/transactions answered)"));
            if day.payments.is_empty() {
                r.warn(
                    "PGW answer fields",
                    "items and total are there; no payment today, so the payment fields were not seen",
                    "run the preflight again on a day with payments",
                );
            } else {
                r.ok(
                    "PGW answer fields",
                    format!(
                        "items, total and every payment field the hotline reads ({} payments today)",
                        day.payments.len()
                    ),
                );
            }
        }
        Err(e) => {
            let (check, detail, fix) = match &e {
                PgwError::Refused { status: 401, code, .. } => (
                    "PGW API key",
                    format!("refused: 401 {code}"),
                    "set PGW_API_KEY to the key of the configured environment (PROD and TEST keys differ)".to_owned(),
                ),
                PgwError::Refused { status: 404, code, .. } => (
                    "PGW API key",
                    format!("no PGW API at this address: 404 {code}"),
                    "PGW_BASE_URL must be the API root (…/api/v1) and PGW_ENVIRONMENT prod or test".to_owned(),
                ),
                PgwError::Refused { status, code, .. } => (
                    "PGW API key",
                    format!("refused: {status} {code}"),
                    "check PGW_BASE_URL and PGW_ENVIRONMENT".to_owned(),
                ),
                PgwError::Unavailable(d) => (
                    "PGW API key",
                    format!("not reachable: {d}"),
                    "check PGW_BASE_URL and the network path to PGW".to_owned(),
                ),
                PgwError::Contract(c) => (
                    "PGW answer fields",
                    format!("the day listing breaks its contract: {} {}", c.field, c.problem),
                    format!("PGW no longer sends `{}`: confirm the contract with PGW's operator", c.field),
                ),
            };
            if check == "PGW answer fields" {
                r.ok("PGW API key", format!("accepted (GET /days/{today}/transactions answered)"));
            }
            r.fail(check, detail, fix);
        }
    }
    if pgw.environment() == "prod" {
        r.ok("PGW environment", "prod: lookups and code generation use PGW PROD");
    } else {
        r.warn(
            "PGW environment",
            format!("{}: codes can only be generated in PROD", pgw.environment()),
            "set PGW_ENVIRONMENT=prod for the hotline",
        );
    }
}

fn si_fail(r: &mut Report, check: &str, e: &SiError) {
    let fix = match e {
        SiError::Unauthorized(_) => {
            "set SMALLINVOICE_CLIENT_ID / SMALLINVOICE_CLIENT_SECRET to an API client (smallinvoice → API) with the scopes contact and invoice"
        }
        SiError::Refused { status: 403, .. } => "give the API client the scopes contact and invoice",
        SiError::Refused { code: Some(2102), .. } => "smallinvoice refuses the sort key the hotline sends: report it",
        SiError::Refused { status: 402, .. } => "the smallinvoice plan's limit is reached: upgrade the plan",
        SiError::Contract(_) => "smallinvoice's answer changed: the adapter needs this field",
        SiError::RateLimited(_) => "the hourly budget is spent; run the preflight again after the reset",
        _ => "check SMALLINVOICE_BASE_URL and the network path to smallinvoice",
    };
    let detail = match e {
        SiError::Contract(c) => format!("the answer breaks its contract: {} {}", c.field, c.problem),
        other => other.to_string(),
    };
    r.fail(check, detail, fix);
}

async fn smallinvoice_checks(r: &mut Report, si: &SmallinvoiceClient) {
    match si.authenticate().await {
        Ok(lifetime) => {
            r.ok("smallinvoice token", format!("client credentials accepted; token valid {} s", lifetime.as_secs()))
        }
        Err(e) => {
            si_fail(r, "smallinvoice token", &e);
            return;
        }
    }
    let contact = match si.search_contacts("", 1).await {
        Ok(found) => {
            r.ok(
                "smallinvoice contacts",
                format!("GET /contacts answered with every field the hotline reads ({} read)", found.len()),
            );
            found.into_iter().next()
        }
        Err(e) => {
            si_fail(r, "smallinvoice contacts", &e);
            None
        }
    };
    match contact {
        Some(c) => match si.invoices(c.id).await {
            Ok(list) => r.ok(
                "smallinvoice invoices",
                format!(
                    "sort=-number accepted, every field the hotline reads present ({} invoices of contact {})",
                    list.len(),
                    c.id
                ),
            ),
            Err(e) => si_fail(r, "smallinvoice invoices", &e),
        },
        None => r.warn(
            "smallinvoice invoices",
            "no contact to list invoices of; not checked",
            "run it against the real account",
        ),
    }
    match si.budget() {
        Some(b) => r.ok(
            "smallinvoice rate limit",
            format!("{} of {} calls left, resets in {} s", b.remaining, b.limit, b.reset_secs),
        ),
        None => r.warn(
            "smallinvoice rate limit",
            "no X-Rate-Limit-Limit/-Remaining/-Reset headers seen (the documentation says every answer has them)",
            "without them a spent budget is only noticed by its 429",
        ),
    }
}

/// `payops-hotline-api preflight`: reads the same environment as the service (no database
/// needed), runs the checks, prints the table and exits 1 when a check failed (2 on a
/// configuration error, naming the variable).
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
    let clients = PgwClient::new(&config.pgw)
        .and_then(|p| SmallinvoiceClient::new(&config.smallinvoice, clock.clone()).map(|s| (p, s)));
    let (pgw, si) = match clients {
        Ok(c) => c,
        Err(e) => {
            eprintln!("preflight: cannot build the HTTP clients: {e}");
            return ExitCode::FAILURE;
        }
    };
    let today = clock.now().with_timezone(&config.timezone).date_naive();
    let report = run(&pgw, &si, today, &config.preflight_target()).await;
    print!("{}", report.table());
    if report.passed() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
