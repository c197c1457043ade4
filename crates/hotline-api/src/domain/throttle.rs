//! The login throttle (HL-03, SE-05): after `max_failures` failures on one key within the
//! window — a user name from one client address, or one client address across all names (with
//! a higher limit) — further attempts on that key are refused until enough failures have aged
//! out. The same name from another address is not affected, so nobody can lock an agent out
//! from afar. Unknown user names count like known ones, so the throttle tells an attacker
//! nothing about which accounts exist.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// The throttle's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The attempt may be checked.
    Allowed,
    /// Refused; retry after this many seconds.
    Locked {
        /// Seconds until an attempt is allowed again.
        retry_after_secs: u64,
    },
}

/// Decides from the failure times (any order) of one key inside the window.
pub fn decide(failures: &[DateTime<Utc>], now: DateTime<Utc>, max_failures: u32, window: Duration) -> Verdict {
    let window = chrono::Duration::from_std(window).unwrap_or(chrono::Duration::MAX);
    let mut recent: Vec<DateTime<Utc>> = failures.iter().copied().filter(|t| *t > now - window && *t <= now).collect();
    if recent.len() < max_failures as usize {
        return Verdict::Allowed;
    }
    recent.sort();
    // Allowed again once enough failures have left the window.
    let pivot = recent[recent.len() - max_failures as usize];
    let until = pivot + window;
    let secs = (until - now).num_seconds().max(1);
    Verdict::Locked { retry_after_secs: u64::try_from(secs).unwrap_or(1) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hl_03_throttle_table() {
        let now = DateTime::parse_from_rfc3339("2026-01-05T10:00:00Z").unwrap().to_utc();
        let m = |mins: i64| now - chrono::Duration::minutes(mins);
        let w = Duration::from_secs(15 * 60);
        let cases: Vec<(Vec<DateTime<Utc>>, Verdict)> = vec![
            (vec![], Verdict::Allowed),
            (vec![m(1), m(2), m(3), m(4)], Verdict::Allowed),
            (vec![m(1), m(2), m(3), m(4), m(5)], Verdict::Locked { retry_after_secs: 10 * 60 }),
            (vec![m(1), m(2), m(3), m(4), m(20)], Verdict::Allowed),
            (vec![m(0), m(1), m(2), m(3), m(14), m(14)], Verdict::Locked { retry_after_secs: 60 }),
        ];
        for (failures, want) in cases {
            assert_eq!(decide(&failures, now, 5, w), want, "{failures:?}");
        }
    }
}
