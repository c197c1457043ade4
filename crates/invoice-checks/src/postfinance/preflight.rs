//! Preflight of one PostFinance account (CT-06): what can be checked without moving money.
//!
//! One signed, harmless DirectLink query — by an ORDERID no shop uses (`PREFLIGHT-…`) — goes
//! through every check the platform makes before it looks for the order: the PSPID exists in
//! the tenant's environment (50001118), the caller's IP is allowed (50001116), the SHA-IN
//! signature made with the DirectLink passphrase and the configured algorithm matches (50001184),
//! USERID/PSWD are right (50001119) and the user may use the API (50001186). "Unknown order"
//! (50001130) therefore proves all of them; any other answer names what to fix. The answer is
//! read with the adapter's own fail-closed reader, so a field it needs (`NCERROR`) that the
//! endpoint leaves out fails the preflight by name. The e-Commerce SHA-IN and SHA-OUT
//! passphrases only sign the payment page and its feedback, which cannot be exercised without
//! opening a payment: they are reported as to be confirmed on the account's test pages.

use kit::preflight::Report;

use super::tenant::Tenant;
use super::wire::{NOT_IN_CORRECT_STATUS, UNKNOWN_ORDER, Verdict};
use super::{CallFailure, Lookup, PostFinance};

/// The ORDERID of the harmless query (no shop order looks like it: ours are checked against
/// `[A-Za-z0-9_-]` too, but a real one would at worst be read, never changed).
pub const PROBE_ORDER: &str = "PREFLIGHT-PAYOPS-0000";

/// Checks `tenant`'s account at its environment's endpoint.
pub async fn run(client: &PostFinance, tenant: &Tenant) -> Report {
    let mut r = Report::new(format!(
        "PostFinance {} ({} {}, PSPID {})",
        tenant.name,
        tenant.env.as_str(),
        client.base(tenant.env),
        tenant.pspid
    ));
    r.ok("environment", format!("{} tenant talks to {} only", tenant.env.as_str(), client.base(tenant.env)));
    let signed = "PSPID, caller IP, DirectLink user and password, DirectLink SHA-IN passphrase";
    match client.query(tenant, &Lookup::OrderId(PROBE_ORDER.to_owned())).await {
        Ok(reply) => match (reply.verdict(), reply.ncerror.as_str()) {
            (Verdict::NotFound, UNKNOWN_ORDER) | (Verdict::Ok, _) => {
                r.ok(signed.to_owned(), format!("a signed query by ORDERID was accepted (NCERROR {})", reply.ncerror));
                r.ok("answer fields", "the answer carries what the adapter reads (NCERROR)");
            }
            (_, code) => {
                let (check, fix) = refusal(code);
                r.fail(check, format!("PostFinance answered NCERROR {code} {}", reply.ncerror_plus), fix);
            }
        },
        Err(CallFailure::Contract(e)) => r.fail(
            format!("answer field {}", e.field),
            format!("the query answer {}", e.problem),
            "the endpoint does not answer like PostFinance DirectLink: check POSTFINANCE_TEST_URL / POSTFINANCE_PROD_URL",
        ),
        Err(e) => r.fail(
            "endpoint reachable",
            format!("querydirect.asp: {e}"),
            "check the network path to PostFinance and POSTFINANCE_TEST_URL / POSTFINANCE_PROD_URL",
        ),
    }
    r.warn(
        "e-Commerce SHA-IN and SHA-OUT passphrases",
        "they sign the payment page and its feedback; checking them would open a payment",
        "compare them with Configuration > Technical information > Data and origin verification / Transaction \
         feedback, or post a test form to testsha_utf8.asp of the TEST environment",
    );
    r
}

/// The check a refusal names, and how to fix it.
fn refusal(ncerror: &str) -> (&'static str, &'static str) {
    match ncerror {
        "50001118" => ("PSPID", "the PSPID is unknown in this environment: check SWISSBILLING_<T>_PSPID and _ENV"),
        "50001116" => (
            "caller IP",
            "add this host's outgoing IP address in Technical information > Data and origin verification > DirectLink",
        ),
        "50001184" => (
            "DirectLink SHA-IN passphrase",
            "the signature does not match: set SWISSBILLING_<T>_SHA_IN_DIRECTLINK and _SHA_ALGORITHM as in the \
             account's DirectLink checks",
        ),
        "50001119" => ("DirectLink user and password", "check SWISSBILLING_<T>_USERID and _PSWD (an API user)"),
        "50001186" => {
            ("DirectLink user may use the API", "tick \"Special user for API\" for the user in the back office")
        }
        NOT_IN_CORRECT_STATUS => ("harmless query", "unexpected answer to a query; ask PostFinance merchant help"),
        _ => ("signed query", "an unexpected refusal: see NCERRORPLUS and PostFinance's error list"),
    }
}

/// The `preflight` sub-command: every configured tenant (or the one named), one table each;
/// exit 1 when a check failed, 2 when the configuration is invalid.
pub async fn command(env: &kit::config::Env, tenant: Option<&str>) -> std::process::ExitCode {
    use std::process::ExitCode;
    let config = match crate::config::Config::from_env(env) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let client = match PostFinance::new(config.postfinance.clone()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("preflight: cannot build the HTTP client: {e}");
            return ExitCode::FAILURE;
        }
    };
    let tenants: Vec<_> = config.tenants.names().into_iter().filter(|n| tenant.is_none_or(|t| t == n)).collect();
    if tenants.is_empty() {
        eprintln!("preflight: no such tenant configured (SWISSBILLING_TENANTS)");
        return ExitCode::from(2);
    }
    let mut passed = true;
    for name in tenants {
        let Some(t) = config.tenants.get(&name) else { continue };
        let report = run(&client, &t).await;
        print!("{}", report.table());
        passed &= report.passed();
    }
    if passed { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
