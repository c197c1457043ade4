//! hotline-api's adapters against the partner contract cases (CT-02, CT-04, CT-05): PGW and
//! smallinvoice, each driven by the real client against a replay server that knows nothing
//! but `crates/sandbox/contracts/<partner>/`.

mod pgw;
mod smallinvoice;

use std::collections::BTreeMap;
use std::future::Future;

use kit::contract::{label, violations};
use sandbox::contracts::{LoadedCase, check_adapter, load_partner};
use serde_json::Value;

/// The violation counts of the fields `case` reads, before the adapter runs.
pub fn counts_before(system: &str, case: &LoadedCase) -> BTreeMap<String, u64> {
    case.case
        .reads
        .iter()
        .map(|r| {
            let field = r.split('!').next().unwrap_or(r);
            (label(field), violations(system, &case.operation, field))
        })
        .collect()
}

/// Runs `pick`ed cases of `partner` through `drive`; returns the failure lines about
/// mutations (`answer with …`, CT-05) and the others apart.
pub async fn run<F, Fut>(partner: &str, pick: impl Fn(&LoadedCase) -> bool, drive: F) -> (Vec<String>, Vec<String>)
where
    F: Fn(String, LoadedCase) -> Fut,
    Fut: Future<Output = Value>,
{
    let all = load_partner(partner).unwrap();
    let cases: Vec<LoadedCase> = all.iter().filter(|c| pick(c)).cloned().collect();
    assert!(!cases.is_empty(), "{partner}: no case picked");
    let failures = check_adapter(all, &cases, drive).await;
    failures.into_iter().partition(|f| f.contains(": answer with "))
}
