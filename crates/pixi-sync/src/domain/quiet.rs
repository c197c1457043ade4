//! The nightly quiet window of a pixi installation (PX-22): no request goes to pixi between
//! 00:00 and 04:00 local time (default zone Europe/Berlin), because pixi backs up the database
//! then. Pure: callers pass the time from the service clock.

use std::str::FromStr;

use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// A daily window `[start, end)` in local time of a zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietWindow {
    /// Local start (inclusive).
    pub start: NaiveTime,
    /// Local end (exclusive).
    pub end: NaiveTime,
}

impl Default for QuietWindow {
    fn default() -> Self {
        QuietWindow { start: NaiveTime::MIN, end: NaiveTime::from_hms_opt(4, 0, 0).unwrap_or(NaiveTime::MIN) }
    }
}

impl FromStr for QuietWindow {
    type Err = String;

    /// `HH:MM-HH:MM`, e.g. `00:00-04:00`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (a, b) = s.split_once('-').ok_or("expected HH:MM-HH:MM, e.g. 00:00-04:00")?;
        let parse = |t: &str| NaiveTime::parse_from_str(t.trim(), "%H:%M").map_err(|_| format!("invalid time {t:?}"));
        let (start, end) = (parse(a)?, parse(b)?);
        if start == end {
            return Err("the window must not be empty".into());
        }
        Ok(QuietWindow { start, end })
    }
}

impl QuietWindow {
    /// True when `at` falls into the window in zone `tz`.
    pub fn contains(&self, at: DateTime<Utc>, tz: Tz) -> bool {
        let local = at.with_timezone(&tz).time();
        if self.start < self.end {
            local >= self.start && local < self.end
        } else {
            local >= self.start || local < self.end
        }
    }

    /// When the window that contains `at` ends (`at` itself when outside the window). On DST
    /// days a local end time that does not exist is taken at the first instant after it.
    pub fn ends_after(&self, at: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
        if !self.contains(at, tz) {
            return at;
        }
        let local = at.with_timezone(&tz);
        let mut day = local.date_naive();
        if self.start > self.end && local.time() >= self.start {
            day = day.succ_opt().unwrap_or(day);
        }
        first_instant_at_or_after(tz, day, self.end).unwrap_or(at + Duration::hours(4))
    }
}

/// The first UTC instant whose local time in `tz` on `day` is at or after `time`.
fn first_instant_at_or_after(tz: Tz, day: NaiveDate, time: NaiveTime) -> Option<DateTime<Utc>> {
    let mut t = day.and_time(time);
    for _ in 0..180 {
        match tz.from_local_datetime(&t) {
            LocalResult::Single(d) => return Some(d.with_timezone(&Utc)),
            LocalResult::Ambiguous(a, _) => return Some(a.with_timezone(&Utc)),
            LocalResult::None => t += Duration::minutes(1),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    #[test]
    fn px_22_window_is_midnight_to_four_local_time_table() {
        let w = QuietWindow::default();
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        let cases = [
            // winter: UTC+1
            ("2026-01-05T22:59:59Z", false),
            ("2026-01-05T23:00:00Z", true),
            ("2026-01-06T02:59:59Z", true),
            ("2026-01-06T03:00:00Z", false),
            // summer: UTC+2
            ("2026-07-01T21:59:00Z", false),
            ("2026-07-01T22:00:00Z", true),
            ("2026-07-02T01:59:00Z", true),
            ("2026-07-02T02:00:00Z", false),
            // spring forward (2026-03-29, 02:00 → 03:00 local): 00:00 local = 23:00Z
            ("2026-03-28T23:00:00Z", true),
            ("2026-03-29T01:30:00Z", true),
            ("2026-03-29T02:00:00Z", false),
            // fall back (2026-10-25, 03:00 → 02:00 local): 00:00 local = 22:00Z
            ("2026-10-24T22:00:00Z", true),
            ("2026-10-25T02:59:00Z", true),
            ("2026-10-25T03:00:00Z", false),
        ];
        for (at, inside) in cases {
            assert_eq!(w.contains(utc(at), berlin), inside, "{at}");
        }
    }

    #[test]
    fn px_22_work_resumes_at_four_local_time() {
        let w = QuietWindow::default();
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        let cases = [
            ("2026-01-06T00:30:00Z", "2026-01-06T03:00:00Z"),
            ("2026-07-02T00:30:00Z", "2026-07-02T02:00:00Z"),
            ("2026-03-29T00:30:00Z", "2026-03-29T02:00:00Z"),
            ("2026-10-25T01:00:00Z", "2026-10-25T03:00:00Z"),
            ("2026-01-06T12:00:00Z", "2026-01-06T12:00:00Z"),
        ];
        for (at, end) in cases {
            assert_eq!(w.ends_after(utc(at), berlin), utc(end), "{at}");
        }
        let zurich_like: Tz = "America/New_York".parse().unwrap();
        assert!(w.contains(utc("2026-01-06T06:00:00Z"), zurich_like));
    }

    #[test]
    fn windows_parse_and_wrap_midnight() {
        let w: QuietWindow = "23:00-01:30".parse().unwrap();
        let tz: Tz = "UTC".parse().unwrap();
        assert!(w.contains(utc("2026-01-05T23:30:00Z"), tz));
        assert!(w.contains(utc("2026-01-06T01:00:00Z"), tz));
        assert!(!w.contains(utc("2026-01-06T01:30:00Z"), tz));
        assert_eq!(w.ends_after(utc("2026-01-05T23:30:00Z"), tz), utc("2026-01-06T01:30:00Z"));
        for bad in ["", "00:00", "25:00-04:00", "04:00-04:00"] {
            assert!(bad.parse::<QuietWindow>().is_err(), "{bad}");
        }
    }
}
