//! SE-09: the supply-chain policy in `deny.toml` holds for the workspace as locked, and every
//! duplicate it allows says why.

use std::process::Command;

use crate::tools;

#[test]
fn se_09_cargo_deny_passes_licences_bans_and_sources_and_every_allowed_duplicate_has_a_reason() {
    let policy = std::fs::read_to_string(tools::path("deny.toml")).expect("deny.toml");
    let skips: Vec<&str> = policy.lines().filter(|l| l.trim_start().starts_with("{ crate = ")).collect();
    assert!(!skips.is_empty(), "deny.toml lists its allowed duplicates");
    for line in &skips {
        let reason = line.split("reason = \"").nth(1).map(|r| r.trim_end_matches(['"', ' ', '}', ','])).unwrap_or("");
        assert!(reason.len() >= 15, "an allowed duplicate without a reason: {line}");
    }
    assert!(policy.contains("multiple-versions = \"deny\""), "a new duplicate fails the check");
    let out = Command::new("cargo")
        .args(["deny", "--log-level", "error", "check", "licenses", "bans", "sources"])
        .current_dir(tools::path("."))
        .output()
        .expect("cargo deny runs (deploy/tools/install.sh installs it)");
    assert!(
        out.status.success(),
        "cargo deny check failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
