//! The error page (PX-31): read-only, no login, behind an unguessable token, refreshing every
//! minute. Shows the open incidents (errors and hints) and configuration problems; no personal
//! data.

use std::fmt::Write;

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use quick_xml::escape::escape;

use crate::grpc::Api;
use crate::secrets::token_hash;
use crate::store::{incidents, sync_state, tenants};

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
    let (Ok(open), Ok(config)) = (
        incidents::open_of_tenant(&api.pool, tenant.id, 500).await,
        sync_state::config_problems(&api.pool, tenant.id).await,
    ) else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let now = api.clock.now();
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html><html lang=\"de\"><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"60\">\
         <meta name=\"robots\" content=\"noindex\"><title>payops pixi-sync – Fehler {}</title>\
         <style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left}}\
         .error{{color:#b00}}.hint{{color:#a60}}</style></head><body><h1>Problem-Bestellungen / problem orders: {}</h1>\
         <p>Stand / as of {} UTC · aktualisiert sich jede Minute / refreshes every minute</p>",
        escape(tenant.name.as_str()),
        escape(tenant.name.as_str()),
        now.format("%Y-%m-%d %H:%M:%S")
    );
    if open.is_empty() {
        html.push_str("<p>Keine offenen Probleme. / No open problems.</p>");
    } else {
        html.push_str(
            "<table><tr><th>Vorfall / incident</th><th>Art / kind</th><th>Bestellung / order</th><th>Dokument</th>\
             <th>Problem</th><th>seit / since</th><th>Anzahl / count</th></tr>",
        );
        for i in &open {
            let kind = if i.severity == "error" { "Fehler / error" } else { "Hinweis / hint" };
            let _ = write!(
                html,
                "<tr class=\"{}\"><td>{}</td><td>{kind}</td><td>{}</td><td>{}</td><td>{}<br><small>{}</small></td><td>{}</td><td>{}</td></tr>",
                escape(i.severity.as_str()),
                escape(i.id.as_str()),
                i.order_nr,
                escape(i.document.as_deref().unwrap_or("")),
                escape(i.title.as_str()),
                escape(i.description.as_str()),
                i.first_seen.format("%Y-%m-%d %H:%M"),
                i.occurrences
            );
        }
        html.push_str("</table>");
    }
    if !config.is_empty() {
        html.push_str("<h2>Konfigurationsfehler / configuration errors</h2><ul>");
        for c in &config {
            let _ = write!(html, "<li>{}: {}</li>", escape(c.payment_method.as_str()), escape(c.message.as_str()));
        }
        html.push_str("</ul>");
    }
    html.push_str("</body></html>");
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::HeaderName::from_static("x-robots-tag"), "noindex"),
        ],
        html,
    )
        .into_response()
}
