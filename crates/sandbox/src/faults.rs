//! Faults on demand (SB-05), per system and per operation: added latency, 5xx errors, hangs
//! (the client times out), connection resets, 429 bursts with `Retry-After`, and
//! **act-then-fail**: the operation takes effect, then the answer is an error, never arrives
//! or is cut off. Every random decision comes from a generator seeded with the sandbox seed,
//! the system and the operation, so a failing run replays exactly with the same seed and the
//! same request order. Every fault that fires is logged for the chaos report.

use std::collections::HashMap;
use std::future::Future;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::system::System;

/// How a failure shows itself to the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum FailMode {
    /// An HTTP error status (see [`FaultSpec::status`]).
    #[default]
    Error,
    /// No answer: the request hangs until the client gives up.
    Hang,
    /// The connection breaks in the middle of the response.
    Reset,
}

/// A fault rule. Rates are per mille (0..=1000) so no floats cross the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultSpec {
    /// The system it applies to.
    pub system: System,
    /// Operation name (e.g. `charge`, `create_ticket`) or `*` for every operation.
    pub operation: String,
    /// Latency added to every matching request, in milliseconds.
    pub latency_ms: u64,
    /// Extra latency for one request in 100 (a long tail), in milliseconds.
    pub tail_latency_ms: u64,
    /// Chance (per mille) that the request fails before anything happens.
    pub fail_before_per_mille: u16,
    /// How a failure before acting shows.
    pub fail_before_mode: FailMode,
    /// Chance (per mille) that the operation takes effect and then the answer fails.
    pub act_then_fail_per_mille: u16,
    /// How an act-then-fail shows.
    pub act_then_fail_mode: FailMode,
    /// HTTP status for `Error` failures (default 500).
    pub status: u16,
    /// The next `burst_429` matching requests get 429 with `Retry-After`.
    pub burst_429: u32,
    /// `Retry-After` seconds sent with injected 429s.
    pub retry_after_secs: u32,
    /// How long a hang lasts before the sandbox gives up itself, in milliseconds.
    pub hang_ms: u64,
    /// Stop after this many failures have fired (0 = unlimited).
    pub max_fires: u32,
}

impl Default for FaultSpec {
    fn default() -> Self {
        FaultSpec {
            system: System::Unzer,
            operation: "*".into(),
            latency_ms: 0,
            tail_latency_ms: 0,
            fail_before_per_mille: 0,
            fail_before_mode: FailMode::Error,
            act_then_fail_per_mille: 0,
            act_then_fail_mode: FailMode::Error,
            status: 500,
            burst_429: 0,
            retry_after_secs: 1,
            hang_ms: 30_000,
            max_fires: 0,
        }
    }
}

impl FaultSpec {
    /// A rule for `system` / `operation` with no effect yet.
    pub fn new(system: System, operation: &str) -> Self {
        FaultSpec { system, operation: operation.to_owned(), ..Default::default() }
    }

    /// Act-then-fail once, with `mode`.
    pub fn act_then_fail_once(system: System, operation: &str, mode: FailMode) -> Self {
        FaultSpec {
            act_then_fail_per_mille: 1000,
            act_then_fail_mode: mode,
            max_fires: 1,
            ..Self::new(system, operation)
        }
    }

    /// Fail before acting `times` times, with `mode`.
    pub fn fail_times(system: System, operation: &str, mode: FailMode, times: u32) -> Self {
        FaultSpec {
            fail_before_per_mille: 1000,
            fail_before_mode: mode,
            max_fires: times,
            ..Self::new(system, operation)
        }
    }

    /// Checks ranges; the message names the field.
    pub fn validate(&self) -> Result<(), String> {
        for (field, v) in [
            ("fail_before_per_mille", self.fail_before_per_mille),
            ("act_then_fail_per_mille", self.act_then_fail_per_mille),
        ] {
            if v > 1000 {
                return Err(format!("{field}: must be between 0 and 1000"));
            }
        }
        if !(400..=599).contains(&self.status) {
            return Err("status: must be an HTTP error status (400-599)".into());
        }
        if self.operation.is_empty() {
            return Err("operation: must not be empty (use * for all)".into());
        }
        Ok(())
    }
}

/// One fault that fired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FiredFault {
    /// When.
    pub at: DateTime<Utc>,
    /// Where.
    pub system: System,
    /// Which operation.
    pub operation: String,
    /// `fail_before`, `act_then_fail`, `burst_429` or `latency`.
    pub kind: String,
    /// How it showed (`error`, `hang`, `reset`, `429`).
    pub mode: String,
}

/// What to do with one request.
/// Non-HTTP simulators (the SMTP sink) read it directly; HTTP ones use [`guarded`].
#[derive(Debug, Default)]
pub(crate) struct Decision {
    /// Delay before anything else.
    pub(crate) latency: Duration,
    /// Fail before acting.
    pub(crate) before: Option<Failure>,
    /// Act, then fail.
    pub(crate) after: Option<Failure>,
}

/// How one request fails.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Failure {
    /// Error / hang / reset, with the HTTP status and the hang length in ms.
    Mode(FailMode, u16, u64),
    /// 429 with this many seconds of `Retry-After`.
    TooMany(u32),
}

/// Active rules, their generators and the log of fired faults.
pub struct Faults {
    seed: u64,
    state: Mutex<FaultState>,
}

#[derive(Default)]
struct FaultState {
    rules: Vec<(FaultSpec, u32)>,
    rngs: HashMap<(System, String), StdRng>,
    fired: Vec<FiredFault>,
}

impl Faults {
    /// No rules; decisions seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Faults { seed, state: Mutex::new(FaultState::default()) }
    }

    /// Adds a rule (a later rule for the same system and operation replaces the earlier one).
    pub fn add(&self, spec: FaultSpec) {
        let mut s = self.lock();
        s.rules.retain(|(r, _)| !(r.system == spec.system && r.operation == spec.operation));
        s.rules.push((spec, 0));
    }

    /// Removes every rule (the log is kept).
    pub fn clear(&self) {
        self.lock().rules.clear();
    }

    /// Active rules.
    pub fn rules(&self) -> Vec<FaultSpec> {
        self.lock().rules.iter().map(|(r, _)| r.clone()).collect()
    }

    /// Faults fired so far.
    pub fn fired(&self) -> Vec<FiredFault> {
        self.lock().fired.clone()
    }

    pub(crate) fn decide(&self, system: System, operation: &str, now: DateTime<Utc>) -> Decision {
        let seed = self.seed;
        let mut s = self.lock();
        let FaultState { rules, rngs, fired } = &mut *s;
        let Some((rule, fires)) = rules
            .iter_mut()
            .filter(|(r, _)| r.system == system && (r.operation == operation || r.operation == "*"))
            .max_by_key(|(r, _)| r.operation != "*")
        else {
            return Decision::default();
        };
        let rng = rngs.entry((system, operation.to_owned())).or_insert_with(|| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            (seed, system, operation).hash(&mut h);
            StdRng::seed_from_u64(h.finish())
        });
        let mut d = Decision { latency: Duration::from_millis(rule.latency_ms), ..Decision::default() };
        if rule.tail_latency_ms > 0 && rng.random_range(0..100) == 0 {
            d.latency += Duration::from_millis(rule.tail_latency_ms);
        }
        let exhausted = rule.max_fires > 0 && *fires >= rule.max_fires;
        let mut log = |kind: &str, mode: &str| {
            fired.push(FiredFault {
                at: now,
                system,
                operation: operation.to_owned(),
                kind: kind.into(),
                mode: mode.into(),
            });
        };
        if rule.burst_429 > 0 {
            rule.burst_429 -= 1;
            d.before = Some(Failure::TooMany(rule.retry_after_secs));
            log("burst_429", "429");
            return d;
        }
        if exhausted {
            return d;
        }
        if rule.fail_before_per_mille > 0 && rng.random_range(0..1000) < rule.fail_before_per_mille {
            *fires += 1;
            d.before = Some(Failure::Mode(rule.fail_before_mode, rule.status, rule.hang_ms));
            log("fail_before", mode_name(rule.fail_before_mode));
        } else if rule.act_then_fail_per_mille > 0 && rng.random_range(0..1000) < rule.act_then_fail_per_mille {
            *fires += 1;
            d.after = Some(Failure::Mode(rule.act_then_fail_mode, rule.status, rule.hang_ms));
            log("act_then_fail", mode_name(rule.act_then_fail_mode));
        }
        d
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FaultState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn mode_name(m: FailMode) -> &'static str {
    match m {
        FailMode::Error => "error",
        FailMode::Hang => "hang",
        FailMode::Reset => "reset",
    }
}

/// Runs `act` under the faults decided for (`system`, `operation`). `act` is the real
/// operation: it changes state and builds the normal response.
pub(crate) async fn guarded<F>(
    faults: &Faults,
    token: &CancellationToken,
    now: DateTime<Utc>,
    system: System,
    operation: &str,
    act: F,
) -> Response
where
    F: Future<Output = Response>,
{
    let d = faults.decide(system, operation, now);
    if !d.latency.is_zero() {
        tokio::time::sleep(d.latency).await;
    }
    if let Some(f) = d.before {
        return failure(f, token).await;
    }
    let response = act.await;
    match d.after {
        Some(f) => failure(f, token).await,
        None => response,
    }
}

async fn failure(f: Failure, token: &CancellationToken) -> Response {
    match f {
        Failure::TooMany(secs) => {
            let mut r = (StatusCode::TOO_MANY_REQUESTS, "Too Many Requests").into_response();
            r.headers_mut().insert("retry-after", HeaderValue::from(secs));
            r
        }
        Failure::Mode(FailMode::Error, status, _) => {
            let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (code, "injected fault").into_response()
        }
        Failure::Mode(FailMode::Hang, _, ms) => {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(ms)) => {}
                _ = token.cancelled() => {}
            }
            (StatusCode::GATEWAY_TIMEOUT, "injected hang ended").into_response()
        }
        Failure::Mode(FailMode::Reset, _, _) => {
            // Headers go out, then the body breaks: the client sees a cut connection.
            let stream = futures::stream::once(async {
                Err::<bytes::Bytes, std::io::Error>(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "injected reset",
                ))
            });
            Response::builder()
                .status(StatusCode::OK)
                .header("content-type", "application/json")
                .body(Body::from_stream(stream))
                .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(seed: u64) -> Vec<bool> {
        let f = Faults::new(seed);
        f.add(FaultSpec { fail_before_per_mille: 300, ..FaultSpec::new(System::Unzer, "charge") });
        (0..200).map(|_| f.decide(System::Unzer, "charge", Utc::now()).before.is_some()).collect()
    }

    #[test]
    fn decisions_replay_with_the_same_seed() {
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
        let hits = run(7).into_iter().filter(|b| *b).count();
        assert!((30..=90).contains(&hits), "about 30% of 200: {hits}");
    }

    #[test]
    fn max_fires_and_specific_rules_win() {
        let f = Faults::new(1);
        f.add(FaultSpec::fail_times(System::Nets, "*", FailMode::Error, 100));
        f.add(FaultSpec::act_then_fail_once(System::Nets, "start", FailMode::Hang));
        let d = f.decide(System::Nets, "start", Utc::now());
        assert!(d.before.is_none() && d.after.is_some());
        assert!(f.decide(System::Nets, "start", Utc::now()).after.is_none());
        assert!(f.decide(System::Nets, "status", Utc::now()).before.is_some());
        assert_eq!(f.fired().len(), 2);
    }

    #[test]
    fn invalid_specs_name_the_field() {
        let s = FaultSpec { fail_before_per_mille: 2000, ..FaultSpec::new(System::Pixi, "*") };
        assert!(s.validate().unwrap_err().starts_with("fail_before_per_mille"));
        let s = FaultSpec { status: 200, ..FaultSpec::new(System::Pixi, "*") };
        assert!(s.validate().unwrap_err().starts_with("status"));
    }
}
