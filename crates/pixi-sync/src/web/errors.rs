//! The error page (PX-31, the seed's "Fehler-Seite"): read-only, no login, behind an
//! unguessable token, refreshing every minute; German, in the look of the console (`/payops.css`
//! on this port, no inline style or script). Shows the tenant's open incidents of its pixi API
//! configurations (a call pixi refuses, credentials, a Mandant that never matches), the open
//! problems of orders (errors and hints apart) and the configuration problems in pixi; no
//! personal data.

use std::fmt::Write;

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use quick_xml::escape::escape;

use crate::grpc::Api;
use crate::secrets::token_hash;
use crate::store::{api_incidents, incidents, sync_state, tenants};

/// The page's own rules on top of the shared look.
pub(super) const CSS: &str = "main{max-width:70rem;margin:1rem auto;padding:0 1rem}\
    .banner{border-radius:.6rem;padding:.6rem .9rem;margin:.5rem 0;background:#fef2f2;color:#b91c1c;border:1px solid #fecaca}\
    tr.error td:first-child{border-left:4px solid #b91c1c}tr.hint td:first-child{border-left:4px solid #f59e0b}\
    .list td{white-space:normal;vertical-align:top}";

fn local(at: chrono::DateTime<chrono::Utc>) -> String {
    at.with_timezone(&chrono_tz::Europe::Berlin).format("%d.%m.%Y %H:%M").to_string()
}

/// `GET /errors/{token}`.
pub(super) async fn page(State(api): State<Api>, Path(token): Path<String>) -> Response {
    if token.len() < 32 || token.len() > 128 {
        return StatusCode::NOT_FOUND.into_response();
    }
    let tenant = match tenants::by_token_hash(&api.pool, &token_hash(&token)).await {
        Ok(Some(t)) => t,
        Ok(None) => return StatusCode::NOT_FOUND.into_response(),
        Err(_) => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
    };
    let (Ok(open), Ok(config), Ok(stopped)) = (
        incidents::open_of_tenant(&api.pool, tenant.id, 500).await,
        sync_state::config_problems(&api.pool, tenant.id).await,
        api_incidents::open_of_tenant(&api.pool, tenant.id).await,
    ) else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let name = escape(tenant.name.as_str());
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html><html lang=\"de\"><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"60\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><meta name=\"robots\" content=\"noindex\">\
         <title>Fehler-Seite {name} · payops pixi-sync</title><link rel=\"stylesheet\" href=\"/payops.css\">\
         <link rel=\"stylesheet\" href=\"/errors.css\"></head><body>\
         <header class=\"top\"><div class=\"brand\"><b>payops pixi-sync</b></div><span class=\"muted\">Fehler-Seite · {name}</span></header>\
         <main><p class=\"muted\">Stand {} · aktualisiert sich jede Minute</p>",
        local(api.clock.now())
    );
    if !stopped.is_empty() {
        html.push_str("<section class=\"card\"><h2>Störungen</h2>");
        for s in &stopped {
            let _ = write!(
                html,
                "<div class=\"banner\"><b>⛔ {} ({})</b><p>{}</p><small>seit {} · {}×</small></div>",
                escape(s.title.as_str()),
                escape(s.id.as_str()),
                escape(s.description.as_str()),
                local(s.first_seen),
                s.occurrences
            );
        }
        html.push_str("</section>");
    }
    html.push_str("<section class=\"card\"><h2>Problem-Bestellungen</h2>");
    if open.is_empty() {
        html.push_str("<p class=\"empty\">Keine offenen Probleme.</p>");
    } else {
        html.push_str(
            "<div class=\"scroll\"><table class=\"list\"><tr><th>Art</th><th>Bestellung</th><th>Dokument</th>\
             <th>Problem</th><th>Vorfall</th><th>seit</th><th>Anzahl</th></tr>",
        );
        for i in &open {
            let kind = if i.severity == "error" {
                "⛔ Fehler"
            } else {
                "ℹ️ Hinweis – Eingreifen (noch) nicht notwendig"
            };
            let _ = write!(
                html,
                "<tr class=\"{}\"><td>{kind}</td><td>{}</td><td>{}</td><td><b>{}</b><br><small>{}</small></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(i.severity.as_str()),
                i.order_nr,
                escape(i.document.as_deref().unwrap_or("")),
                escape(i.title.as_str()),
                escape(i.description.as_str()),
                escape(i.id.as_str()),
                local(i.first_seen),
                i.occurrences
            );
        }
        html.push_str("</table></div>");
    }
    html.push_str("</section>");
    if !config.is_empty() {
        html.push_str("<section class=\"card\"><h2>Konfigurationsfehler in pixi</h2><ul>");
        for c in &config {
            let _ =
                write!(html, "<li><b>{}</b>: {}</li>", escape(c.payment_method.as_str()), escape(c.message.as_str()));
        }
        html.push_str("</ul></section>");
    }
    html.push_str("</main></body></html>");
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::HeaderName::from_static("x-robots-tag"), "noindex"),
            (header::CONTENT_SECURITY_POLICY, webui::CSP),
        ],
        html,
    )
        .into_response()
}
