//! The unzer part of pixi-sync's preflight (CT-06), per payment configuration, read-only:
//! the private key is accepted (`GET /v1/keypair`), it is paired with the configured public
//! key, the webhooks pixi-sync needs are registered for the tenant's URL (or a warning when
//! `PUBLIC_BASE_URL` is unset: prepayment receipts then wait for the follow-up polling), and
//! unzer's clock (its `Date` header) agrees with ours. Nothing here moves money; no check
//! prints a key or the webhook URL (it carries the tenant's secret).

use chrono::{DateTime, Utc};
use kit::preflight::{Report, clock_offset};

use super::{EVENTS, PrivateKey, UnzerClient, UnzerError};

/// What to check for one payment configuration.
#[derive(Debug, Clone)]
pub struct Target<'a> {
    /// The private key.
    pub key: &'a PrivateKey,
    /// The public key configured beside it.
    pub public_key: &'a str,
    /// The tenant's webhook URL (`None` without `PUBLIC_BASE_URL`).
    pub webhook_url: Option<&'a str>,
}

fn failure(e: &UnzerError) -> (String, &'static str) {
    match e {
        UnzerError::Unauthorized(code) => (
            format!("unzer refused the private key ({code})"),
            "enter the private key of this merchant from unzer Insights (s- for the sandbox, p- for production)",
        ),
        UnzerError::Contract(c) => (
            format!("unzer's answer lacks what pixi-sync needs: {c}"),
            "ask unzer support; pixi-sync cannot read this answer",
        ),
        other => (format!("unzer cannot be asked: {other}"), "check the network path to unzer and the base URLs"),
    }
}

/// Runs the unzer checks into `report`; `now` is this host's clock.
pub async fn check(client: &UnzerClient, t: &Target<'_>, now: DateTime<Utc>, report: &mut Report) {
    let host = if t.key.is_production() { "production" } else { "sandbox" };
    let pair = match client.keypair(t.key).await {
        Ok(p) => {
            report.ok("unzer private key accepted", format!("{host} host, {} payment types", p.payment_types.len()));
            p
        }
        Err(e) => {
            let (detail, fix) = failure(&e);
            report.fail("unzer private key accepted", detail, fix);
            return;
        }
    };
    if pair.public_key == t.public_key {
        report.ok("unzer key pair consistent", "the public key belongs to the private key");
    } else {
        report.fail(
            "unzer key pair consistent",
            format!(
                "the private key belongs to public key {}, not to the configured {}",
                pair.public_key, t.public_key
            ),
            "configure the public key of the same key pair (unzer Insights)",
        );
    }
    match t.webhook_url {
        None => report.warn(
            "unzer webhooks registered",
            "PUBLIC_BASE_URL is unset: unzer cannot reach pixi-sync, so a prepayment's money is seen only when the order is read again (FOLLOW_INTERVAL)",
            "set PUBLIC_BASE_URL to how the internet reaches pixi-sync's public port, then save the payment configuration again",
        ),
        Some(url) => match client.webhooks(t.key).await {
            Ok(hooks) => {
                let missing: Vec<&str> = EVENTS
                    .into_iter()
                    .filter(|e| !hooks.iter().any(|w| w.url == url && (w.event == *e || w.event == "all")))
                    .collect();
                if missing.is_empty() {
                    report.ok("unzer webhooks registered", format!("{} for this tenant's URL", EVENTS.join(", ")));
                } else {
                    report.fail(
                        "unzer webhooks registered",
                        format!("not registered for this tenant's URL: {}", missing.join(", ")),
                        "save the payment configuration again (it registers the missing events)",
                    );
                }
            }
            Err(e) => {
                let (detail, fix) = failure(&e);
                report.fail("unzer webhooks registered", detail, fix);
            }
        },
    }
    clock_offset(report, "unzer", (pair.date - now).num_seconds(), 30, 300);
}
