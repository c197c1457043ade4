//! When to try ticket work again (TK-05): on 429 after Freshdesk's `Retry-After` (not counted
//! as a failed attempt: it is flow control, so a rate-limit storm delays work but never
//! dead-letters it); after an unknown creation that search cannot see yet, once the indexing
//! delay has passed (not counted either); on 5xx, timeouts, broken connections and auth
//! failures after a capped exponential backoff with jitter, until `max_attempts` failures send
//! the work to the dead-letter list; a refusal (400 validation) is dead-lettered at once, since
//! repeating it cannot help.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// Retry settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Delay after the first failure.
    pub base: Duration,
    /// Largest delay.
    pub max: Duration,
    /// Failures before dead-lettering.
    pub max_attempts: u32,
}

/// How a failure should be treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureClass {
    /// 429: wait as told.
    RateLimited {
        /// Freshdesk's `Retry-After`.
        retry_after: Duration,
    },
    /// Not a failure: look again after this (Freshdesk's search has not indexed a recent
    /// creation yet, so "not found" proves nothing before then).
    Wait {
        /// Until the attempt is older than the indexing delay.
        retry_after: Duration,
    },
    /// 5xx, timeout, transport, auth: back off and try again.
    Transient,
    /// Refused as invalid: trying again cannot help.
    Permanent,
}

/// What happens next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Try again at this time.
    RetryAt(DateTime<Utc>),
    /// Give up: dead letter.
    DeadLetter,
}

impl RetryPolicy {
    /// The delay after failure number `attempt` (from 1): `base · 2^(attempt-1)` capped at
    /// `max`, then "equal jitter": half of it fixed, half random (`jitter` in 0..1), so
    /// replicas that failed together do not retry together.
    pub fn backoff(&self, attempt: u32, jitter: f64) -> Duration {
        let exp = attempt.saturating_sub(1).min(30);
        let full = self.base.saturating_mul(1u32 << exp).min(self.max);
        let half = full / 2;
        half + half.mul_f64(jitter.clamp(0.0, 1.0))
    }

    /// What to do after a failure of class `class`, when `failures` failed attempts (counting
    /// this one, 429s excluded) have been made.
    pub fn next(&self, failures: u32, class: FailureClass, now: DateTime<Utc>, jitter: f64) -> Next {
        match class {
            FailureClass::Permanent => Next::DeadLetter,
            FailureClass::RateLimited { retry_after } | FailureClass::Wait { retry_after } => {
                Next::RetryAt(now + to_chrono(retry_after))
            }
            FailureClass::Transient if failures >= self.max_attempts => Next::DeadLetter,
            FailureClass::Transient => Next::RetryAt(now + to_chrono(self.backoff(failures, jitter))),
        }
    }
}

/// Whether a synchronous call waits in-line for a retry due after `delay`: only when the delay
/// is at most `max_wait` and ends before the call's remaining time runs out.
pub fn should_wait(delay: Duration, max_wait: Duration, remaining: Duration) -> bool {
    delay <= max_wait && delay < remaining
}

/// A std duration as a chrono one (saturating).
pub fn to_chrono(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy { base: Duration::from_secs(1), max: Duration::from_secs(60), max_attempts: 4 }
    }

    #[test]
    fn tk_05_backoff_is_capped_exponential_with_equal_jitter() {
        let p = policy();
        let cases = [
            (1, 0.0, 500),
            (1, 1.0, 1000),
            (2, 0.0, 1000),
            (3, 0.5, 3000),
            (6, 1.0, 32_000),
            (7, 0.0, 30_000),
            (7, 1.0, 60_000),
            (40, 1.0, 60_000),
        ];
        for (attempt, jitter, ms) in cases {
            assert_eq!(p.backoff(attempt, jitter), Duration::from_millis(ms), "attempt {attempt} jitter {jitter}");
        }
    }

    #[test]
    fn tk_05_next_step_table() {
        let p = policy();
        let now = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let at = |s: i64| Next::RetryAt(now + chrono::Duration::seconds(s));
        let limited = FailureClass::RateLimited { retry_after: Duration::from_secs(42) };
        let cases = [
            (1, FailureClass::Transient, at(1)),
            (3, FailureClass::Transient, at(4)),
            (4, FailureClass::Transient, Next::DeadLetter),
            (1, FailureClass::Permanent, Next::DeadLetter),
            (0, limited, at(42)),
            (99, limited, at(42)),
            (99, FailureClass::Wait { retry_after: Duration::from_secs(300) }, at(300)),
        ];
        for (failures, class, want) in cases {
            assert_eq!(p.next(failures, class, now, 1.0), want, "{failures} {class:?}");
        }
    }

    #[test]
    fn sync_wait_decision_table() {
        let s = Duration::from_secs;
        let cases = [
            (s(1), s(10), s(5), true),
            (s(11), s(10), s(60), false),
            (s(5), s(10), s(5), false),
            (s(0), s(0), s(1), true),
        ];
        for (delay, max, remaining, want) in cases {
            assert_eq!(should_wait(delay, max, remaining), want, "{delay:?} {max:?} {remaining:?}");
        }
    }
}
