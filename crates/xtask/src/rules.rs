//! The rule index. A rule is a bullet `- XX-NN statement` in `docs/rules/XX.md`, whose heading
//! says what the prefix covers. Its row in `docs/rules.md` lists the source files that name it
//! (outside tests: where it is implemented or enforced) and the tests whose function names carry
//! it (`xx_nn_…`: the tests that prove it). A test or a file naming a rule that is not in the
//! catalogue and a stale index are errors; rules without a test are listed at the end.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// One rule of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// `PX-13`.
    pub id: String,
    /// The statement, in the project's words.
    pub statement: String,
}

/// One prefix's catalogue file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prefix {
    /// `PX`.
    pub prefix: String,
    /// The file's heading (`PX — pixi-sync`).
    pub title: String,
    /// The paragraph under the heading.
    pub about: String,
    /// Its rules in file order.
    pub rules: Vec<Rule>,
}

/// Is `s` a rule id (`AB-12`)?
fn is_id(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 5
        && b[0].is_ascii_uppercase()
        && b[1].is_ascii_uppercase()
        && b[2] == b'-'
        && b[3].is_ascii_digit()
        && b[4].is_ascii_digit()
}

/// Reads `docs/rules/*.md`.
pub fn catalogue(root: &Path) -> Result<Vec<Prefix>, String> {
    let dir = root.join("docs/rules");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).map_err(|e| format!("{}: {e}", f.display()))?;
        let prefix = f.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let title = text.lines().find_map(|l| l.strip_prefix("# ")).unwrap_or(&prefix).trim().to_owned();
        let about = text
            .lines()
            .skip_while(|l| !l.starts_with("# "))
            .skip(1)
            .take_while(|l| !l.starts_with("- "))
            .collect::<Vec<_>>()
            .join(" ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let mut rules = Vec::new();
        for l in text.lines() {
            let Some(rest) = l.strip_prefix("- ") else { continue };
            let (id, statement) = rest.split_once(' ').unwrap_or((rest, ""));
            if !is_id(id) || !id.starts_with(&prefix) {
                return Err(format!("{}: `{l}` is not a bullet `- {prefix}-NN statement`", f.display()));
            }
            if statement.trim().len() < 10 {
                return Err(format!("{}: {id} needs a statement", f.display()));
            }
            rules.push(Rule { id: id.to_owned(), statement: statement.trim().to_owned() });
        }
        out.push(Prefix { prefix, title, about, rules });
    }
    Ok(out)
}

/// Where the code names rules: (rule id → source files outside tests, rule id → test names).
#[derive(Debug, Default)]
pub struct Mentions {
    /// Files (repository-relative) that name the rule outside tests.
    pub files: BTreeMap<String, BTreeSet<String>>,
    /// Test functions carrying the rule in their name, as `crate-relative-file::fn`.
    pub tests: BTreeMap<String, BTreeSet<String>>,
}

fn rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.filter_map(Result::ok) {
        let p = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if p.is_dir() {
            if !matches!(name.as_str(), "target" | ".git" | "node_modules") {
                rs_files(&p, out);
            }
        } else if name.ends_with(".rs") {
            out.push(p);
        }
    }
}

/// Rule ids in a line of text (`PX-13`, also inside `PX-13/PX-14`).
fn ids_in(line: &str) -> Vec<String> {
    let b = line.as_bytes();
    let mut out = Vec::new();
    for i in 0..b.len().saturating_sub(4) {
        let start_ok = i == 0 || !b[i - 1].is_ascii_alphanumeric();
        let end_ok = i + 5 >= b.len() || !b[i + 5].is_ascii_alphanumeric();
        if start_ok && end_ok && line.is_char_boundary(i) && line.is_char_boundary(i + 5) && is_id(&line[i..i + 5]) {
            out.push(line[i..i + 5].to_owned());
        }
    }
    out
}

/// Scans `crates/` and `tests/` for rule ids: in test function names, and elsewhere in
/// non-test code.
pub fn mentions(root: &Path) -> Mentions {
    let mut files = Vec::new();
    rs_files(&root.join("crates"), &mut files);
    rs_files(&root.join("tests"), &mut files);
    files.sort();
    let mut m = Mentions::default();
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else { continue };
        let rel = f.strip_prefix(root).unwrap_or(&f).to_string_lossy().into_owned();
        if rel.starts_with("crates/xtask/") {
            continue;
        }
        let test_file = rel.contains("/tests/")
            || rel.starts_with("tests/")
            || rel.ends_with("_tests.rs")
            || rel.contains("_tests/");
        let mut in_test_mod = false;
        let mut pending_test = 0u8;
        for line in text.lines() {
            let t = line.trim_start();
            if t.starts_with("#[cfg(test)]") {
                in_test_mod = true;
            }
            if t.starts_with("#[test]")
                || t.starts_with("#[tokio::test")
                || t.contains("::test]")
                || t.contains("::test(")
            {
                pending_test = 6;
                continue;
            }
            if pending_test > 0 {
                if let Some(rest) = t.split_once("fn ").map(|(_, r)| r) {
                    let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                    for part in name.split('_').collect::<Vec<_>>().windows(2) {
                        let candidate = format!("{}-{}", part[0].to_ascii_uppercase(), part[1]);
                        if is_id(&candidate) {
                            m.tests.entry(candidate).or_default().insert(format!("{rel}::{name}"));
                        }
                    }
                    pending_test = 0;
                } else {
                    pending_test -= 1;
                }
                continue;
            }
            if !(test_file || in_test_mod) {
                for id in ids_in(line) {
                    m.files.entry(id).or_default().insert(rel.clone());
                }
            }
        }
    }
    m
}

/// The problems that make the index wrong: ids named in code or tests that the catalogue does
/// not know, duplicate ids.
pub fn problems(catalogue: &[Prefix], m: &Mentions) -> Vec<String> {
    let mut out = Vec::new();
    let mut known = BTreeSet::new();
    for p in catalogue {
        for r in &p.rules {
            if !known.insert(r.id.clone()) {
                out.push(format!("{} appears twice in the catalogue", r.id));
            }
        }
    }
    let prefixes: BTreeSet<&str> = catalogue.iter().map(|p| p.prefix.as_str()).collect();
    for (id, where_) in m.tests.iter().chain(m.files.iter()) {
        // Only ids of our prefixes count (ISO codes and the like look the same).
        if prefixes.contains(&id[..2]) && !known.contains(id) {
            out.push(format!(
                "{id} is named in {} but is not in docs/rules/{}.md",
                where_.iter().next().map_or("", String::as_str),
                &id[..2]
            ));
        }
    }
    out
}

/// `docs/rules.md`.
pub fn index(root: &Path) -> Result<String, String> {
    let cat = catalogue(root)?;
    let m = mentions(root);
    let problems = problems(&cat, &m);
    if !problems.is_empty() {
        return Err(problems.join("\n"));
    }
    let mut s = String::from(
        "# Rules\n\nGenerated by `make docs` from `docs/rules/<PREFIX>.md` and the code; do not edit by hand (a\n\
         test compares it with what they say). Each rule is one behaviour, stated in `docs/rules/`; a test\n\
         proving it carries its id in its name (`px_13_…`). \"Named in\" lists the source files outside\n\
         tests that mention the rule: where it is implemented or enforced.\n\n| prefix | covers | rules |\n|---|---|---:|\n",
    );
    for p in &cat {
        let first = p.about.split_inclusive(". ").next().unwrap_or(&p.about).trim();
        let _ = writeln!(
            s,
            "| [{}](#{}) | {} | {} |",
            p.prefix,
            anchor(&p.title),
            first.replace('|', "\\|"),
            p.rules.len()
        );
    }
    for p in &cat {
        let _ = writeln!(
            s,
            "\n## {}\n\n{}\n\n| rule | statement | named in | proved by |\n|---|---|---|---|",
            p.title, p.about
        );
        for r in &p.rules {
            let files = m
                .files
                .get(&r.id)
                .map(|f| f.iter().map(|x| format!("`{x}`")).collect::<Vec<_>>().join("<br>"))
                .unwrap_or_default();
            let tests = m
                .tests
                .get(&r.id)
                .map(|f| {
                    f.iter()
                        .map(|x| format!("`{}`", x.rsplit("::").next().unwrap_or(x)))
                        .collect::<Vec<_>>()
                        .join("<br>")
                })
                .unwrap_or_default();
            let _ = writeln!(s, "| {} | {} | {} | {} |", r.id, r.statement.replace('|', "\\|"), files, tests);
        }
    }
    let untested: Vec<&str> =
        cat.iter().flat_map(|p| &p.rules).filter(|r| !m.tests.contains_key(&r.id)).map(|r| r.id.as_str()).collect();
    let _ = writeln!(s, "\n## Rules without a test\n");
    if untested.is_empty() {
        s.push_str("None: every rule has a test carrying its id.\n");
    } else {
        let _ = writeln!(s, "{}", untested.join(", "));
    }
    Ok(s)
}

fn anchor(title: &str) -> String {
    title
        .to_lowercase()
        .chars()
        .filter_map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                Some(c)
            } else if c == ' ' {
                Some('-')
            } else {
                None
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_found_inside_text_and_test_names() {
        assert_eq!(ids_in("see PX-13/PX-14 and (TG-02)."), ["PX-13", "PX-14", "TG-02"]);
        assert!(ids_in("CHF-10 XPX-13 PX-131").is_empty());
    }

    #[test]
    fn the_rule_index_is_what_make_docs_writes() {
        let root = crate::repo_root();
        let want = index(&root).unwrap_or_else(|e| panic!("the rule catalogue and the code disagree:\n{e}"));
        let have = std::fs::read_to_string(root.join("docs/rules.md")).unwrap_or_default();
        assert!(have == want, "docs/rules.md is stale: run `make docs` and commit it");
    }
}
