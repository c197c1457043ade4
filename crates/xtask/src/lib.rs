//! Repository tasks that are code rather than one Makefile line: the rule index in
//! `docs/rules.md`, generated from the rule catalogue (`docs/rules/<PREFIX>.md`, one bullet per
//! rule in the project's words) and from the code (which files name a rule, which tests prove
//! it).

pub mod rules;

use std::path::PathBuf;

/// The repository root (this crate sits in `crates/xtask`).
pub fn repo_root() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    here.parent().and_then(|p| p.parent()).map_or(here.clone(), PathBuf::from)
}
