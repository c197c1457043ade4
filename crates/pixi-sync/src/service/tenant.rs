//! Incidents of a tenant's pixi API configuration (issue 18): what stops part of a tenant's
//! work without being about one order — a discovery call pixi refuses for good (not installed,
//! an answer without a needed column), credentials pixi refuses (a changed password), a payment
//! configuration whose Mandant never matches the orders of its method. Raised once with a
//! stable `PXT-` id, shown on the error page and the console, mailed once, counted in
//! `payops_pixi_sync_tenant_incidents_open{code}` (alert `PayopsPixiSyncTenantIncident`);
//! resolved by itself when the cause is gone.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::Worker;
use super::api::ApiCtx;
use crate::domain::incident::api_incident_id;
use crate::metrics as m;
use crate::pixi::PixiError;
use crate::store::api_incidents::{self, Raise};

/// A discovery call pixi refuses for good.
pub const CALL_FAILED: &str = "DISCOVERY_CALL_FAILED";
/// pixi refuses the configuration's credentials.
pub const CREDENTIALS: &str = "CREDENTIALS_REFUSED";
/// Orders of a configured payment method arrive with another Mandant than configured.
pub const MANDANT: &str = "MANDANT_MISMATCH";
/// Every code (the gauge reports each, zero included, so a resolved incident shows as 0).
pub const CODES: [&str; 3] = [CALL_FAILED, CREDENTIALS, MANDANT];

async fn raise(w: &Worker, ctx: &ApiCtx, code: &str, subject: &str, title: &str, description: &str) {
    let id = api_incident_id(&ctx.api.id.to_string(), code, subject);
    let r = Raise { id: &id, tenant_id: ctx.api.tenant_id, pixi_api_id: ctx.api.id, code, subject, title, description };
    match api_incidents::raise(&w.0.pool, &r, w.0.clock.now()).await {
        Ok(true) => {
            metrics::counter!(m::TENANT_INCIDENTS, "code" => code.to_owned()).increment(1);
            tracing::error!(incident_id = %id, pixi_api = %ctx.api.id, code, subject, "tenant incident: {title}");
            gauge(w).await;
        }
        Ok(false) => {}
        Err(e) => tracing::warn!(error = %e, code, "cannot record the tenant incident"),
    }
}

async fn resolve(w: &Worker, ctx: &ApiCtx, code: &str, subject: Option<&str>) {
    match api_incidents::resolve(&w.0.pool, ctx.api.id, code, subject, w.0.clock.now()).await {
        Ok(ids) if !ids.is_empty() => {
            tracing::info!(incidents = ?ids, pixi_api = %ctx.api.id, code, "tenant incident resolved");
            gauge(w).await;
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, code, "cannot resolve the tenant incident"),
    }
}

/// Sets the open-incident gauge from the database (every replica reports the same).
pub async fn gauge(w: &Worker) {
    match api_incidents::open_counts(&w.0.pool).await {
        Ok(counts) => {
            for code in CODES {
                let n = counts.iter().find(|(c, _)| c == code).map_or(0, |(_, n)| *n);
                metrics::gauge!(m::TENANT_INCIDENTS_OPEN, "code" => code).set(n as f64);
            }
        }
        Err(e) => tracing::warn!(error = %e, "cannot count open tenant incidents"),
    }
}

/// Whether discovery call `call` is due: one that failed for good is asked again only after
/// `wait` (its incident's last occurrence), not at every poll.
pub async fn call_due(w: &Worker, ctx: &ApiCtx, call: &str, now: DateTime<Utc>, wait: Duration) -> bool {
    let open = api_incidents::open_of_tenant(&w.0.pool, ctx.api.tenant_id).await.unwrap_or_default();
    let since = now - chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::minutes(5));
    !open
        .iter()
        .any(|i| i.pixi_api_id == ctx.api.id && i.code == CALL_FAILED && i.subject == call && i.last_seen > since)
}

/// A discovery call answered: its incident (and refused credentials) are resolved.
pub async fn call_ok(w: &Worker, ctx: &ApiCtx, calls: &[&str]) {
    for call in calls {
        resolve(w, ctx, CALL_FAILED, Some(call)).await;
    }
    resolve(w, ctx, CREDENTIALS, None).await;
}

/// A discovery call failed for good (`e` is not transient): the incident says which call and
/// what to do.
pub async fn call_failed(w: &Worker, ctx: &ApiCtx, call: &str, e: &PixiError) {
    if matches!(e, PixiError::Unauthorized) {
        let title = "pixi lehnt die Zugangsdaten ab";
        let description = format!(
            "Die pixi SOAP API lehnt Benutzer oder Passwort der pixi API Konfiguration „{}“ ab (wurde das Passwort \
             geändert?). Für diese pixi API bearbeitet die App nichts, bis die Zugangsdaten in der Konsole unter \
             „pixi API“ korrigiert sind (beim pixi Support erfragen). / pixi refuses the credentials; nothing is \
             processed until they are corrected.",
            ctx.api.name
        );
        raise(w, ctx, CREDENTIALS, "", title, &description).await;
        return;
    }
    let title = format!("pixi-Aufruf {call} schlägt fehl");
    let description = format!(
        "pixi beantwortet den SOAP API-Call {call} der pixi API Konfiguration „{}“ nicht verwendbar: {e}. Die App \
         arbeitet über die anderen Wege weiter (Änderungsliste, vollständige Suche), sieht neue Bestellungen und \
         Rechnungen aber später oder gar nicht. Bitte den pixi Support bitten, den Call {call} auf der Datenbank \
         zu installieren bzw. zu prüfen. / pixi refuses the call {call}; ask pixi support to install or fix it.",
        ctx.api.name
    );
    raise(w, ctx, CALL_FAILED, call, &title, &description).await;
}

/// An order of `method` arrived with `seen` as its Mandant, but the method's configurations
/// name other Mandants and never processed an order: most likely a typo in the configuration.
pub async fn mandant_mismatch(w: &Worker, ctx: &ApiCtx, method: &str, seen: &str) {
    let mut configured: Vec<&str> = ctx
        .configs
        .iter()
        .filter(|c| c.row.payment_method.eq_ignore_ascii_case(method.trim()))
        .map(|c| c.row.mandant.as_str())
        .collect();
    if configured.is_empty()
        || ctx.configs.iter().any(|c| c.row.payment_method.eq_ignore_ascii_case(method.trim()) && c.row.processed > 0)
    {
        return;
    }
    configured.sort_unstable();
    let title = format!("Mandant der Konfiguration {method} passt nicht");
    let description = format!(
        "Bestellungen mit der Zahlart {method} kommen aus pixi mit dem Mandanten {seen}, die Konfiguration erwartet \
         {}. Diese Bestellungen bearbeitet die App nicht (sie bleiben auf HOLD). Bitte den Mandanten im \
         Konfigurations-Center prüfen. / Orders of {method} arrive with mandant {seen}; the configuration says {}.",
        configured.join(", "),
        configured.join(", ")
    );
    raise(w, ctx, MANDANT, &method.trim().to_ascii_uppercase(), &title, &description).await;
}

/// An order of `method` matched a configuration that had processed none before: a Mandant
/// incident of the method is over.
pub async fn mandant_ok(w: &Worker, ctx: &ApiCtx, method: &str) {
    resolve(w, ctx, MANDANT, Some(&method.trim().to_ascii_uppercase())).await;
}
