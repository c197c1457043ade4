//! The run's report: every fault injected (by the suite: kills, broker and database restarts,
//! sandbox fault rules; and by the sandbox: each fault that actually fired) and every invariant
//! with what it checked and what broke. Printed as two tables; the run fails on any violation.

use std::collections::BTreeMap;
use std::fmt::Write;

/// One invariant's result.
#[derive(Debug, Clone)]
pub struct Invariant {
    /// Short name, e.g. "no unzer charge twice".
    pub name: String,
    /// How many things it looked at (documents, payments, tickets …).
    pub checked: usize,
    /// Each violation, precisely (order, document, amounts).
    pub violations: Vec<String>,
}

impl Invariant {
    /// A named invariant with nothing checked yet.
    pub fn new(name: &str) -> Self {
        Invariant { name: name.to_owned(), checked: 0, violations: Vec::new() }
    }

    /// Counts one check; records `violation` when `ok` is false.
    pub fn check(&mut self, ok: bool, violation: impl FnOnce() -> String) {
        self.checked += 1;
        if !ok {
            self.violations.push(violation());
        }
    }
}

/// Faults and invariants of one run.
#[derive(Debug, Default)]
pub struct Report {
    /// (kind, target) → count, for faults the suite caused.
    pub injected: BTreeMap<(String, String), usize>,
    /// (system/operation, kind/mode) → count, for faults the sandbox fired.
    pub fired: BTreeMap<(String, String), usize>,
    /// Every invariant checked.
    pub invariants: Vec<Invariant>,
    /// Free-form lines (workload summary, phase durations).
    pub notes: Vec<String>,
}

impl Report {
    /// Counts one injected fault.
    pub fn injected(&mut self, kind: &str, target: &str) {
        *self.injected.entry((kind.to_owned(), target.to_owned())).or_default() += 1;
    }

    /// Number of violations over all invariants.
    pub fn violations(&self) -> usize {
        self.invariants.iter().map(|i| i.violations.len()).sum()
    }

    /// The tables as text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "\n| fault injected | target | count |\n|---|---|---:|");
        for ((kind, target), n) in &self.injected {
            let _ = writeln!(out, "| {kind} | {target} | {n} |");
        }
        for ((op, how), n) in &self.fired {
            let _ = writeln!(out, "| sandbox fired: {how} | {op} | {n} |");
        }
        let _ = writeln!(out, "\n| invariant | checked | violations | result |\n|---|---:|---:|---|");
        for i in &self.invariants {
            let result = if i.violations.is_empty() { "held" } else { "VIOLATED" };
            let _ = writeln!(out, "| {} | {} | {} | {result} |", i.name, i.checked, i.violations.len());
        }
        for i in self.invariants.iter().filter(|i| !i.violations.is_empty()) {
            let _ = writeln!(out, "\n{} — violations:", i.name);
            for v in i.violations.iter().take(20) {
                let _ = writeln!(out, "  - {v}");
            }
            if i.violations.len() > 20 {
                let _ = writeln!(out, "  … and {} more", i.violations.len() - 20);
            }
        }
        for n in &self.notes {
            let _ = writeln!(out, "{n}");
        }
        out
    }
}
