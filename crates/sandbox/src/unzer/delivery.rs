//! Webhook delivery (§1.7): every event is queued once per matching registration and POSTed
//! with the body `{event, publicKey, retrieveUrl, paymentId}` (no signature,
//! `Content-Type: text/plain`, as unzer's receivers must accept). An answer other than HTTP
//! 200 (or no answer within `timeout_ms`) is retried after `retry_delays_secs` of sandbox
//! time; duplicates are possible (`duplicate_per_mille`). Faults of operation `webhook` apply:
//! fail-before skips the attempt (recorded as failed), act-then-fail sends it but records a
//! failure, so the event is sent again.

use std::time::Duration;

use chrono::Duration as ChronoDuration;
use rand::Rng;
use serde_json::json;

use super::actors;
use super::model::{Attempt, Delivery, State};
use super::ops::Env;
use crate::faults::{FailMode, Failure};
use crate::shared::Shared;
use crate::system::System;

/// Whether registration `registered` covers `event` (`all`, the family, or the exact name).
pub(crate) fn matches(registered: &str, event: &str) -> bool {
    registered == "all"
        || registered == event
        || event.strip_prefix(registered).is_some_and(|rest| rest.starts_with('.'))
}

/// Queues `event` for every registration of `merchant` that covers it.
pub(crate) fn queue(
    st: &mut State,
    env: &Env,
    merchant: usize,
    event: &str,
    payment_id: Option<&str>,
    retrieve_url: &str,
) {
    let Some(m) = st.merchants.get(merchant) else { return };
    let mut body = json!({ "event": event, "publicKey": m.public_key, "retrieveUrl": retrieve_url });
    if let Some(id) = payment_id {
        body["paymentId"] = json!(id);
    }
    let body = body.to_string();
    let targets: Vec<(String, String)> =
        m.webhooks.iter().filter(|w| matches(&w.event, event)).map(|w| (w.id.clone(), w.url.clone())).collect();
    for (webhook_id, url) in targets {
        let dup = st.config.duplicate_per_mille;
        let copies = if dup > 0 && st.rng(env.seed).random_range(0..1000) < dup { 2 } else { 1 };
        for _ in 0..copies {
            let id = st.deliveries.len() as u64 + 1;
            st.deliveries.push(Delivery {
                id,
                webhook_id: webhook_id.clone(),
                url: url.clone(),
                event: event.to_owned(),
                payment_id: payment_id.map(str::to_owned),
                body: body.clone(),
                created_at: env.now,
                attempts: Vec::new(),
                delivered: false,
                given_up: false,
                next_attempt_at: Some(env.now),
                in_flight: false,
            });
        }
    }
    st.wake.notify_one();
}

/// Starts the background sender (stops with the sandbox).
pub(crate) fn start(shared: &Shared) {
    let s = shared.clone();
    let wake = Shared::lock(&s.0.unzer).wake.clone();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = s.0.token.cancelled() => break,
                _ = wake.notified() => {}
                _ = tokio::time::sleep(Duration::from_millis(100)) => {}
            }
            let auto = Shared::lock(&s.0.unzer).config.auto_deliver;
            if auto {
                // Each round runs on its own task so a receiver that hangs until the timeout
                // does not hold up the others (deliveries being sent are marked in flight).
                let round = s.clone();
                tokio::spawn(async move { run_due(&round).await });
            }
        }
    });
}

/// Sends every delivery that is due now (sandbox time) and returns the ids attempted.
pub(crate) async fn run_due(s: &Shared) -> Vec<u64> {
    let env = Env { now: s.now(), base: s.url(System::Unzer), seed: s.0.seed };
    let (jobs, timeout) = {
        let mut st = Shared::lock(&s.0.unzer);
        actors::expire(&mut st, &env);
        let mut jobs = Vec::new();
        for d in st.deliveries.iter_mut() {
            if !d.delivered && !d.given_up && !d.in_flight && d.next_attempt_at.is_some_and(|t| t <= env.now) {
                d.in_flight = true;
                jobs.push((d.id, d.url.clone(), d.body.clone()));
            }
        }
        (jobs, Duration::from_millis(st.config.timeout_ms))
    };
    let ids = jobs.iter().map(|j| j.0).collect();
    futures::future::join_all(jobs.into_iter().map(|(id, url, body)| attempt(s, id, url, body, timeout))).await;
    ids
}

async fn attempt(s: &Shared, id: u64, url: String, body: String, timeout: Duration) {
    let d = s.0.faults.decide(System::Unzer, "webhook", s.now());
    if !d.latency.is_zero() {
        tokio::time::sleep(d.latency).await;
    }
    let result = match d.before {
        Some(f) => Err(format!("injected fault before sending ({})", describe(f))),
        None => {
            let sent =
                s.0.http.post(&url).header("content-type", "text/plain").body(body).timeout(timeout).send().await;
            match (sent, d.after) {
                (Ok(r), None) => Ok(r.status().as_u16()),
                (Ok(r), Some(f)) => {
                    Err(format!("answer {} discarded by injected fault ({})", r.status().as_u16(), describe(f)))
                }
                (Err(e), _) => Err(format!("request failed: {e}")),
            }
        }
    };
    record(s, id, result);
}

fn describe(f: Failure) -> &'static str {
    match f {
        Failure::TooMany(_) => "429",
        Failure::Mode(FailMode::Error, ..) => "error",
        Failure::Mode(FailMode::Hang, ..) => "hang",
        Failure::Mode(FailMode::Reset, ..) => "reset",
    }
}

fn record(s: &Shared, id: u64, result: Result<u16, String>) {
    let now = s.now();
    let mut st = Shared::lock(&s.0.unzer);
    let delays = st.config.retry_delays_secs.clone();
    let Some(d) = st.deliveries.iter_mut().find(|d| d.id == id) else { return };
    d.in_flight = false;
    let (status, error) = match result {
        Ok(code) => (Some(code), None),
        Err(e) => (None, Some(e)),
    };
    d.attempts.push(Attempt { at: now, status, error });
    if status == Some(200) {
        d.delivered = true;
        d.next_attempt_at = None;
    } else if let Some(delay) = delays.get(d.attempts.len() - 1) {
        let delay = i64::try_from(*delay).ok().and_then(ChronoDuration::try_seconds).unwrap_or(ChronoDuration::days(1));
        d.next_attempt_at = Some(now + delay);
    } else {
        d.given_up = true;
        d.next_attempt_at = None;
    }
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn registrations_cover_their_family() {
        let cases = [
            ("all", "payment.completed", true),
            ("payment", "payment.completed", true),
            ("payment.completed", "payment.completed", true),
            ("payment.completed", "payment.canceled", false),
            ("charge", "chargeback", false),
            ("chargeback", "chargeback", true),
            ("authorize", "authorize.expired", true),
            ("types", "payment.pending", false),
        ];
        for (registered, event, expected) in cases {
            assert_eq!(matches(registered, event), expected, "{registered} / {event}");
        }
    }
}
