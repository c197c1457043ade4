//! Rate limiting and authentication, applied to every API call before it runs: one fixed
//! window per minute of the **sandbox clock** for the whole account (all keys share it), with
//! a sub-limit for ticket creation. Every answer carries `X-RateLimit-Total`,
//! `X-RateLimit-Remaining` and `X-RateLimit-Used-CurrentRequest`; over the limit → 429 with
//! `Retry-After` (seconds to the next window). Failed requests (401, 400, 404) count too; a
//! refused (429) request does not.

use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::state::State;

/// Calls counted in one finished or current window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FreshdeskRateWindow {
    /// Start of the minute (sandbox clock).
    pub start: DateTime<Utc>,
    /// Credits used.
    pub used: u32,
    /// Tickets created.
    pub created: u32,
    /// Requests refused with 429.
    pub refused: u32,
}

/// The rate-limit windows seen so far (the current one last).
#[derive(Debug, Clone, Default)]
pub(crate) struct RateWindow {
    pub(crate) windows: Vec<FreshdeskRateWindow>,
}

/// What a request costs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cost {
    /// Credits (1, plus 1 per `include`).
    pub(crate) credits: u32,
    /// It creates a ticket (counts against the create sub-limit).
    pub(crate) create: bool,
}

/// Rate-limit headers to put on the answer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RateHeaders {
    total: u32,
    remaining: u32,
    used: u32,
}

impl RateHeaders {
    /// Adds the three `X-RateLimit-*` headers to `r`.
    pub(crate) fn apply(self, mut r: Response) -> Response {
        let h = r.headers_mut();
        h.insert("x-ratelimit-total", HeaderValue::from(self.total));
        h.insert("x-ratelimit-remaining", HeaderValue::from(self.remaining));
        h.insert("x-ratelimit-used-currentrequest", HeaderValue::from(self.used));
        r
    }
}

impl RateWindow {
    /// The current window (opened when the minute changed).
    fn current(&mut self, now: DateTime<Utc>) -> &mut FreshdeskRateWindow {
        let start = minute_start(now);
        if self.windows.last().is_none_or(|w| w.start != start) {
            self.windows.push(FreshdeskRateWindow { start, used: 0, created: 0, refused: 0 });
        }
        let last = self.windows.len() - 1;
        &mut self.windows[last]
    }

    /// Counts a request costing `cost`, or answers with the seconds to wait.
    fn admit(
        &mut self,
        now: DateTime<Utc>,
        per_minute: u32,
        create_per_minute: u32,
        cost: Cost,
    ) -> Result<RateHeaders, u32> {
        let w = self.current(now);
        let over_total = w.used.saturating_add(cost.credits) > per_minute;
        let over_create = cost.create && w.created >= create_per_minute;
        if over_total || over_create {
            w.refused += 1;
            let next = w.start + Duration::minutes(1);
            let ms = (next - now).num_milliseconds().max(1);
            let secs = u32::try_from((ms + 999) / 1000).unwrap_or(60);
            return Err(secs);
        }
        w.used += cost.credits;
        if cost.create {
            w.created += 1;
        }
        Ok(RateHeaders { total: per_minute, remaining: per_minute - w.used, used: cost.credits })
    }
}

/// Start of the sandbox-clock minute containing `now`.
fn minute_start(now: DateTime<Utc>) -> DateTime<Utc> {
    let secs = now.timestamp();
    Utc.timestamp_opt(secs - secs.rem_euclid(60), 0).single().unwrap_or(now)
}

/// Rate limit, then authentication. `Ok` carries the headers for the real answer; `Err` is the
/// 429 or 401 to send (with headers).
pub(crate) fn gate(
    st: &mut State,
    headers: &HeaderMap,
    now: DateTime<Utc>,
    cost: Cost,
) -> Result<RateHeaders, Box<Response>> {
    let (total, create_total) = (st.config.per_minute, st.config.create_per_minute);
    let rate = match st.rate.admit(now, total, create_total, cost) {
        Ok(h) => h,
        Err(retry_after) => {
            let body = json!({
                "code": "rate_limit_exceeded",
                "message": "You have exceeded the limit of requests per minute",
            });
            let mut r = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
            r.headers_mut().insert("retry-after", HeaderValue::from(retry_after));
            let used = st.rate.windows.last().map_or(0, |w| w.used);
            return Err(Box::new(RateHeaders { total, remaining: total.saturating_sub(used), used: 0 }.apply(r)));
        }
    };
    if !authorised(st, headers) {
        let body =
            json!({ "code": "invalid_credentials", "message": "You have to be logged in to perform this action." });
        return Err(Box::new(rate.apply((StatusCode::UNAUTHORIZED, Json(body)).into_response())));
    }
    Ok(rate)
}

/// Basic auth with a configured API key as the user name (any password).
fn authorised(st: &State, headers: &HeaderMap) -> bool {
    let Some(encoded) = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic ").or_else(|| v.strip_prefix("basic ")))
    else {
        return false;
    };
    let Ok(decoded) = STANDARD.decode(encoded.trim()) else {
        return false;
    };
    let text = String::from_utf8_lossy(&decoded);
    let key = text.split(':').next().unwrap_or_default();
    !key.is_empty() && st.config.api_keys.iter().any(|k| k == key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn the_window_is_the_sandbox_minute_and_creates_have_their_own_cap() {
        let mut w = RateWindow::default();
        let read = Cost { credits: 1, create: false };
        let create = Cost { credits: 1, create: true };
        let t0 = at("2025-03-01T10:00:10Z");
        // (time, cost, expected: Ok(remaining) or Err(retry_after))
        let cases: [(DateTime<Utc>, Cost, Result<u32, u32>); 7] = [
            (t0, create, Ok(4)),
            (t0, create, Ok(3)),
            (t0, create, Err(50)),
            (t0, read, Ok(2)),
            (t0, Cost { credits: 2, create: false }, Ok(0)),
            (at("2025-03-01T10:00:59.500Z"), read, Err(1)),
            (at("2025-03-01T10:01:00Z"), create, Ok(4)),
        ];
        for (i, (now, cost, want)) in cases.into_iter().enumerate() {
            let got = w.admit(now, 5, 2, cost).map(|h| h.remaining);
            assert_eq!(got, want, "case {i}");
        }
        assert_eq!(w.windows.len(), 2);
        assert_eq!((w.windows[0].used, w.windows[0].created, w.windows[0].refused), (5, 2, 2));
    }
}
