//! Preflight (CT-06): a read-only check of what a service needs from a partner, per tenant —
//! credentials, calls installed, answer fields present, webhooks and groups configured, the
//! clock offset — as one table of checks with how to fix each failure. Services run it as a
//! `preflight` sub-command of their binary and as a gRPC method; nothing in it moves money.

use std::fmt::Write as _;

use proto::payops::common::v1 as pb;

/// The verdict of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    /// Holds.
    Ok,
    /// Works, but should be looked at.
    Warn,
    /// Does not hold.
    Fail,
}

impl Verdict {
    /// `OK`, `WARN`, `FAIL`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ok => "OK",
            Verdict::Warn => "WARN",
            Verdict::Fail => "FAIL",
        }
    }
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// What was checked.
    pub check: String,
    /// The verdict.
    pub verdict: Verdict,
    /// What was seen (never a secret).
    pub detail: String,
    /// How to fix it (empty when it holds).
    pub fix: String,
}

/// A preflight report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// What was checked (partner and tenant).
    pub target: String,
    /// The checks, in the order run.
    pub checks: Vec<Check>,
}

impl Report {
    /// An empty report for `target`.
    pub fn new(target: impl Into<String>) -> Self {
        Report { target: target.into(), checks: Vec::new() }
    }

    /// Adds a check that holds.
    pub fn ok(&mut self, check: impl Into<String>, detail: impl Into<String>) {
        self.push(Verdict::Ok, check, detail, "");
    }

    /// Adds a warning.
    pub fn warn(&mut self, check: impl Into<String>, detail: impl Into<String>, fix: impl Into<String>) {
        self.push(Verdict::Warn, check, detail, fix);
    }

    /// Adds a failure.
    pub fn fail(&mut self, check: impl Into<String>, detail: impl Into<String>, fix: impl Into<String>) {
        self.push(Verdict::Fail, check, detail, fix);
    }

    /// Adds a check.
    pub fn push(
        &mut self,
        verdict: Verdict,
        check: impl Into<String>,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) {
        self.checks.push(Check { check: check.into(), verdict, detail: detail.into(), fix: fix.into() });
    }

    /// Adds every check of `other`.
    pub fn extend(&mut self, other: Report) {
        self.checks.extend(other.checks);
    }

    /// No check failed.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.verdict != Verdict::Fail)
    }

    /// The failed checks.
    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| c.verdict == Verdict::Fail)
    }

    /// The report as a plain-text table (check, result, detail, how to fix).
    pub fn table(&self) -> String {
        let w = self.checks.iter().map(|c| c.check.chars().count()).max().unwrap_or(5).max(5);
        let mut s = format!("preflight: {}\n", self.target);
        let _ = writeln!(s, "{:<w$}        detail / how to fix", "check");
        for c in &self.checks {
            let _ = writeln!(s, "{:<w$}  {:<4}  {}", c.check, c.verdict.as_str(), c.detail);
            if !c.fix.is_empty() {
                let _ = writeln!(s, "{:<w$}        fix: {}", "", c.fix);
            }
        }
        let failed = self.failures().count();
        let _ = writeln!(
            s,
            "{}",
            if failed == 0 { "preflight passed".to_owned() } else { format!("preflight FAILED: {failed} check(s)") }
        );
        s
    }

    /// The report as its protobuf message.
    pub fn to_proto(&self) -> pb::PreflightReport {
        pb::PreflightReport {
            target: self.target.clone(),
            ok: self.passed(),
            checks: self
                .checks
                .iter()
                .map(|c| pb::PreflightCheck {
                    check: c.check.clone(),
                    verdict: match c.verdict {
                        Verdict::Ok => pb::PreflightVerdict::Ok,
                        Verdict::Warn => pb::PreflightVerdict::Warn,
                        Verdict::Fail => pb::PreflightVerdict::Fail,
                    } as i32,
                    detail: c.detail.clone(),
                    fix: c.fix.clone(),
                })
                .collect(),
        }
    }
}

/// Clock offset check: `partner_now - our_now` in seconds, warn beyond `warn_secs`, fail
/// beyond `fail_secs`.
pub fn clock_offset(report: &mut Report, partner: &str, offset_secs: i64, warn_secs: i64, fail_secs: i64) {
    let check = format!("{partner} clock offset");
    let detail = format!("{offset_secs:+} s against this host");
    let fix = "synchronise the host clock (NTP); the partner's clock is the reference for its timestamps";
    if offset_secs.abs() > fail_secs {
        report.fail(check, detail, fix);
    } else if offset_secs.abs() > warn_secs {
        report.warn(check, detail, fix);
    } else {
        report.ok(check, detail);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ct_06_a_report_fails_when_one_check_fails_and_says_how_to_fix_it() {
        let mut r = Report::new("pixi demo");
        r.ok("credentials", "accepted");
        clock_offset(&mut r, "pixi", 5, 30, 300);
        assert!(r.passed());
        r.fail("call pixiGetOrderHeader installed", "not installed", "ask pixi support to install it");
        assert!(!r.passed());
        let t = r.table();
        assert!(t.contains("FAIL") && t.contains("fix: ask pixi support") && t.contains("preflight FAILED: 1"), "{t}");
        let p = r.to_proto();
        assert!(!p.ok);
        assert_eq!(p.checks[2].verdict, pb::PreflightVerdict::Fail as i32);
    }
}
