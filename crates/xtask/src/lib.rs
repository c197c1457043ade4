//! Repository tasks that are code rather than one Makefile line: the rule index in
//! `docs/rules.md`, generated from the rule catalogue (`docs/rules/<PREFIX>.md`, one bullet per
//! rule in the project's words) and from the code (which files name a rule, which tests prove
//! it).

pub mod rules;

use std::path::PathBuf;

/// The repository root (this crate sits in `crates/xtask`). Cargo names the package directory
/// at run time too (`cargo run`, `cargo test`); that one wins over the directory the binary was
/// compiled in, because clones sharing one build cache (CI's fresh clone next to the working
/// copy) may run a binary built in the other.
pub fn repo_root() -> PathBuf {
    let here =
        std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    here.parent().and_then(|p| p.parent()).map_or(here.clone(), PathBuf::from)
}
