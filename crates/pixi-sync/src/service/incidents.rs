//! Incidents (PX-32): recorded once per stable id with the attention event (PX-33), then one
//! mail per error through the tenant's SMTP configuration (hints are shown, not mailed). A mail
//! that fails is retried with a growing wait; one raised before the tenant had an SMTP
//! configuration waits for it. The incident id is in the mail, on the dashboard and in the logs.

use std::time::Duration;

use sqlx::PgConnection;

use super::Worker;
use super::api::ApiCtx;
use crate::bus::{self, Subject};
use crate::domain::progress::{ProblemNote, Severity};
use crate::domain::settings::TlsMode;
use crate::error::Error;
use crate::mail::SmtpTarget;
use crate::metrics as m;
use crate::store::{incidents, smtp};

/// Records incident `id` of order `nr` inside the commit's transaction; a new incident also
/// gets its attention event.
pub(super) async fn record(
    w: &Worker,
    tx: &mut PgConnection,
    ctx: &ApiCtx,
    nr: i64,
    id: &str,
    p: &ProblemNote,
    subject: &Subject,
) -> Result<(), Error> {
    let i = &w.0;
    let severity = if p.severity == Severity::Error { "error" } else { "hint" };
    let new = incidents::record(
        tx,
        &incidents::NewIncident {
            id,
            tenant_id: ctx.api.tenant_id,
            pixi_api_id: ctx.api.id,
            order_nr: nr,
            severity,
            code: &p.code,
            document: p.doc.as_deref(),
            title: &p.title,
            description: &p.description,
        },
        i.clock.now(),
    )
    .await?;
    if new {
        let url = i.settings.public_base_url.clone().unwrap_or_default();
        i.outbox.add(tx, bus::attention(subject, id, p, &url)?).await?;
        metrics::counter!(m::INCIDENTS, "severity" => severity).increment(1);
        if p.severity == Severity::Error {
            tracing::error!(incident_id = id, order_nr = nr, code = %p.code, title = %p.title, "incident");
        } else {
            tracing::warn!(incident_id = id, order_nr = nr, code = %p.code, title = %p.title, "hint");
        }
    }
    Ok(())
}

/// The mail of an incident.
pub fn mail_text(inc: &incidents::IncidentRow) -> (String, String) {
    let kind = if inc.severity == "error" { "Fehler / error" } else { "Hinweis / hint" };
    let subject = format!("[payops unzer] {kind} {}: {} (Bestellung {})", inc.id, inc.title, inc.order_nr);
    let doc = inc.document.as_deref().map(|d| format!("Dokument / document: {d}\n")).unwrap_or_default();
    let body = format!(
        "payops pixi-sync hat ein Problem festgestellt / found a problem.\n\n\
         Vorfall / incident: {}\n\
         Bestellung / pixi order: {}\n\
         {doc}\
         Art / kind: {kind} ({})\n\n\
         {}\n\n\
         {}\n\n\
         Bitte nennen Sie die Vorfall-Nummer {} bei Rückfragen. / Please quote incident {} when asking for support.\n",
        inc.id, inc.order_nr, inc.code, inc.title, inc.description, inc.id, inc.id
    );
    (subject, body)
}

/// Sends the mails that are due; returns how many went out.
pub(super) async fn mail_pass(w: &Worker) -> usize {
    let i = &w.0;
    let now = i.clock.now();
    let stale = now - chrono::Duration::from_std(i.settings.smtp_timeout * 2).unwrap_or(chrono::Duration::minutes(1));
    let claimed = match incidents::claim_mail(&i.pool, now, stale, 50).await {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "cannot claim incident mails");
            return 0;
        }
    };
    let mut sent = 0;
    for inc in claimed {
        let outcome = send_one(w, &inc).await;
        let (state, retry, label) = match outcome {
            Ok(true) => ("sent", None, "sent"),
            Ok(false) => ("no_config", None, "no_config"),
            Err(e) => {
                let wait = mail_retry_delay(inc.mail_attempts);
                tracing::warn!(incident_id = %inc.id, error = %e, attempts = inc.mail_attempts, wait_secs = wait.as_secs(), "incident mail failed; retrying later");
                (
                    "pending",
                    Some(now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::minutes(1))),
                    "failed",
                )
            }
        };
        metrics::counter!(m::MAILS, "outcome" => label).increment(1);
        if state == "sent" {
            sent += 1;
        }
        if let Err(e) = incidents::mail_done(&i.pool, &inc.id, state, i.clock.now(), retry).await {
            tracing::warn!(incident_id = %inc.id, error = %e, "cannot record the mail outcome");
        }
    }
    sent + api_mail_pass(w, now, stale).await
}

/// The mail of a tenant incident (a pixi API configuration's, not an order's).
pub fn api_mail_text(inc: &crate::store::api_incidents::ApiIncidentRow) -> (String, String) {
    let subject = format!("[payops unzer] Fehler / error {}: {}", inc.id, inc.title);
    let body = format!(
        "payops pixi-sync hat eine Störung festgestellt / found a problem.\n\n\
         Vorfall / incident: {}\n\
         Art / kind: Fehler der pixi API Konfiguration / configuration error ({})\n\n\
         {}\n\n\
         {}\n\n\
         Die Störung bleibt offen, bis die Ursache behoben ist; sie steht auf der Fehler-Seite und in der Konsole.\n\
         Bitte nennen Sie die Vorfall-Nummer {} bei Rückfragen. / Please quote incident {} when asking for support.\n",
        inc.id, inc.code, inc.title, inc.description, inc.id, inc.id
    );
    (subject, body)
}

async fn api_mail_pass(w: &Worker, now: chrono::DateTime<chrono::Utc>, stale: chrono::DateTime<chrono::Utc>) -> usize {
    let i = &w.0;
    let claimed = match crate::store::api_incidents::claim_mail(&i.pool, now, stale, 50).await {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "cannot claim tenant incident mails");
            return 0;
        }
    };
    let mut sent = 0;
    for inc in claimed {
        let (subject, body) = api_mail_text(&inc);
        let outcome = send_text(w, inc.tenant_id, &subject, &body).await;
        let (state, retry, label) = match outcome {
            Ok(true) => ("sent", None, "sent"),
            Ok(false) => ("no_config", None, "no_config"),
            Err(e) => {
                let wait = mail_retry_delay(inc.mail_attempts);
                tracing::warn!(incident_id = %inc.id, error = %e, wait_secs = wait.as_secs(), "tenant incident mail failed; retrying later");
                (
                    "pending",
                    Some(now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::minutes(1))),
                    "failed",
                )
            }
        };
        metrics::counter!(m::MAILS, "outcome" => label).increment(1);
        if state == "sent" {
            sent += 1;
        }
        if let Err(e) = crate::store::api_incidents::mail_done(&i.pool, &inc.id, state, i.clock.now(), retry).await {
            tracing::warn!(incident_id = %inc.id, error = %e, "cannot record the mail outcome");
        }
    }
    sent
}

/// Sends one mail through the tenant's SMTP configuration; false when it has none.
async fn send_text(w: &Worker, tenant_id: uuid::Uuid, subject: &str, body: &str) -> Result<bool, Error> {
    let Some(cfg) = smtp::get(&w.0.pool, tenant_id).await? else { return Ok(false) };
    let target = target(w, &cfg)?;
    w.0.mailer.send(&target, subject, body).await.map_err(|e| Error::Unavailable(e.to_string()))?;
    Ok(true)
}

/// The wait after the `attempts`-th failed mail: one minute, doubling, at most an hour.
pub fn mail_retry_delay(attempts: i32) -> Duration {
    let exp = u32::try_from(attempts.saturating_sub(1).clamp(0, 6)).unwrap_or(0);
    (Duration::from_secs(60) * 2u32.pow(exp)).min(Duration::from_secs(3600))
}

async fn send_one(w: &Worker, inc: &incidents::IncidentRow) -> Result<bool, Error> {
    let i = &w.0;
    let Some(cfg) = smtp::get(&i.pool, inc.tenant_id).await? else { return Ok(false) };
    let target = target(w, &cfg)?;
    let (subject, body) = mail_text(inc);
    i.mailer.send(&target, &subject, &body).await.map_err(|e| Error::Unavailable(e.to_string()))?;
    tracing::info!(incident_id = %inc.id, "incident mail sent");
    Ok(true)
}

/// The SMTP target of a stored configuration.
pub fn target(w: &Worker, cfg: &smtp::SmtpRow) -> Result<SmtpTarget, Error> {
    let password = match &cfg.password_enc {
        Some(enc) => Some(w.0.secrets.open(enc, &crate::grpc::smtp_password_aad(cfg.tenant_id))?),
        None => None,
    };
    Ok(SmtpTarget {
        host: cfg.host.clone(),
        port: u16::try_from(cfg.port).map_err(|_| Error::Corrupt("smtp port".into()))?,
        tls: TlsMode::parse(&cfg.tls_mode).ok_or_else(|| Error::Corrupt("smtp tls mode".into()))?,
        user: cfg.username.clone(),
        password,
        sender: cfg.sender.clone(),
        recipient: cfg.recipient.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn px_32_mail_retries_wait_longer_each_time_up_to_an_hour() {
        let waits: Vec<u64> = (1..=9).map(|a| mail_retry_delay(a).as_secs()).collect();
        assert_eq!(waits, [60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
    }
}
