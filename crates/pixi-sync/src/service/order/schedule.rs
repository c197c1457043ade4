//! When an order is looked at again and where it stands on the dashboard: the retry backoff
//! after failures, the escalation of calls whose outcome stays unknown, the growing wait between
//! quiet looks at a followed order (pixi load, issue 18), the dashboard state.

use std::time::Duration;

use crate::domain::decide::Wait;
use crate::domain::progress::Progress;

/// The number of consecutive failed tries after which the retries have lasted `after`.
pub fn escalation_attempts(after: Duration) -> i32 {
    let mut total = Duration::ZERO;
    for k in 0..1000 {
        total += retry_delay(k);
        if total >= after {
            return k + 1;
        }
    }
    1000
}

/// The wait before quiet look number `quiet + 1` at a followed order: `FOLLOW_INTERVAL`
/// doubling with each quiet look, at most `FOLLOW_MAX_INTERVAL`.
pub fn follow_delay(settings: &super::super::Settings, quiet: i32) -> Duration {
    let exp = u32::try_from(quiet.clamp(0, 16)).unwrap_or(0);
    settings
        .follow_interval
        .saturating_mul(2u32.pow(exp))
        .min(settings.follow_max_interval.max(settings.follow_interval))
}

/// Backoff after `attempts` failed tries: 10 s doubling, at most 10 minutes.
pub fn retry_delay(attempts: i32) -> Duration {
    let exp = u32::try_from(attempts.clamp(0, 6)).unwrap_or(0);
    (Duration::from_secs(10) * 2u32.pow(exp)).min(Duration::from_secs(600))
}

/// The dashboard state of an order.
pub fn state(s: &Progress, wait: Wait) -> &'static str {
    if s.has_problem("MERGED", None) {
        "not_processed"
    } else if s.released.is_none() {
        "waiting"
    } else if s.completed && wait == Wait::Done {
        "completed"
    } else if s.released.as_ref().is_some_and(|r| r.locked) && !s.prepay_lifted {
        "locked"
    } else {
        "released"
    }
}
