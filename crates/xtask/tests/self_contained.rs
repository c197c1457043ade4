//! The repository explains itself: no file in it points at documents outside it (the team's
//! requirement folders beside the checkout), so a newcomer with only this repository can follow
//! every reference.

use std::path::{Path, PathBuf};

/// Folders that are not the project's own text.
const SKIP: [&str; 5] = [".git", "target", "node_modules", ".cargo", "vendor"];

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        let name = e.file_name();
        if p.is_dir() {
            if !SKIP.iter().any(|s| name == *s) {
                files(&p, out);
            }
        } else {
            out.push(p);
        }
    }
}

#[test]
fn no_file_points_outside_the_repository() {
    let root = xtask::repo_root();
    let mut all = Vec::new();
    files(&root, &mut all);
    // Spelled in halves so this file does not find itself: the folder beside the checkout, and
    // the names of the documents kept there (requirements per service, wire facts, the team's
    // guides, the user's original documents).
    let mut outside = vec![["../", "shared"].concat(), ["seeds", "/"].concat()];
    for name in [
        "00-architecture",
        "10-pixi-sync",
        "20-terminal-gateway",
        "30-hotline-api",
        "40-ticketing-bridge",
        "50-invoice-checks",
        "60-sandbox",
        "70-operations",
        "80-partner-contracts",
        "85-security",
        "90-pixi-console",
        "external-apis",
        "BENCHMARKS",
        "RELIABILITY",
        "STYLE",
    ] {
        outside.push(format!("{name}.{}", "md"));
    }
    let mut hits = Vec::new();
    for f in all {
        let Ok(text) = std::fs::read_to_string(&f) else { continue };
        for (n, line) in text.lines().enumerate() {
            if outside.iter().any(|o| line.contains(o.as_str())) {
                hits.push(format!("{}:{}: {}", f.strip_prefix(&root).unwrap_or(&f).display(), n + 1, line.trim()));
            }
        }
    }
    assert!(hits.is_empty(), "references to documents outside the repository:\n{}", hits.join("\n"));
}
