//! unzer webhooks: a per-tenant secret in the URL (unzer cannot sign), the body taken as a
//! trigger only. The handler does no database work on the hot path: tenant secrets and known
//! public keys are cached for a minute, and the trigger is queued in memory for the next
//! worker pass (503 when the queue is full, so unzer retries).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use super::json_error;
use crate::grpc::{Api, webhook_secret_aad};
use crate::metrics as m;
use crate::service::triggers::Trigger;
use crate::store::{payment_configs, tenants};
use crate::unzer::wire::WebhookBody;

/// How long cached secrets and keys are trusted.
const TTL: Duration = Duration::from_secs(60);

/// Tenant secrets and known public keys, cached.
#[derive(Default)]
pub struct Cache {
    /// Tenant → (webhook secret, cached at); `None` for unknown tenants.
    secrets: Mutex<HashMap<Uuid, (Option<SecretString>, Instant)>>,
    /// (tenant, public key) → (known, cached at).
    keys: Mutex<HashMap<(Uuid, String), (bool, Instant)>>,
}

fn fresh(at: Instant) -> bool {
    at.elapsed() < TTL
}

impl Cache {
    async fn secret(&self, api: &Api, tenant: Uuid) -> Result<Option<SecretString>, sqlx::Error> {
        if let Some((s, at)) = self.secrets.lock().unwrap_or_else(|p| p.into_inner()).get(&tenant)
            && fresh(*at)
        {
            return Ok(s.clone());
        }
        let secret = tenants::get(&api.pool, tenant)
            .await?
            .and_then(|t| api.secrets.open(&t.webhook_secret_enc, &webhook_secret_aad(t.id)).ok());
        self.secrets.lock().unwrap_or_else(|p| p.into_inner()).insert(tenant, (secret.clone(), Instant::now()));
        Ok(secret)
    }

    async fn known(&self, api: &Api, tenant: Uuid, public_key: &str) -> Result<bool, sqlx::Error> {
        let k = (tenant, public_key.to_owned());
        if let Some((known, at)) = self.keys.lock().unwrap_or_else(|p| p.into_inner()).get(&k)
            && fresh(*at)
        {
            return Ok(*known);
        }
        let known = !payment_configs::by_public_key(&api.pool, tenant, public_key).await?.is_empty();
        self.keys.lock().unwrap_or_else(|p| p.into_inner()).insert(k, (known, Instant::now()));
        Ok(known)
    }
}

fn refused() -> Response {
    metrics::counter!(m::WEBHOOKS, "outcome" => "refused").increment(1);
    StatusCode::NOT_FOUND.into_response()
}

fn unavailable() -> Response {
    let mut r = StatusCode::SERVICE_UNAVAILABLE.into_response();
    r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
    r
}

fn accepted() -> Response {
    metrics::counter!(m::WEBHOOKS, "outcome" => "accepted").increment(1);
    StatusCode::OK.into_response()
}

/// `POST /unzer/webhooks/{tenant_id}/{secret}`.
pub(super) async fn receive(
    State((api, cache)): State<(Api, std::sync::Arc<Cache>)>,
    Path((tenant_id, secret)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let Ok(tenant) = Uuid::parse_str(&tenant_id) else { return refused() };
    let expected = match cache.secret(&api, tenant).await {
        Ok(Some(s)) => s,
        Ok(None) => return refused(),
        Err(e) => {
            tracing::warn!(error = %e, "webhook: database");
            return unavailable();
        }
    };
    if !kit::grpc::auth::constant_time_eq(expected.expose_secret().as_bytes(), secret.as_bytes()) {
        tracing::warn!(tenant_id = %tenant, "webhook with a wrong secret refused");
        return refused();
    }
    let Ok(hook) = serde_json::from_slice::<WebhookBody>(&body) else {
        return json_error(
            StatusCode::BAD_REQUEST,
            "the body is not an unzer webhook",
            &[("body", "must be a JSON object")],
        );
    };
    // `types` events and the like carry no payment: nothing to do.
    let Some(payment_id) = hook.payment_id.filter(|p| !p.is_empty() && p.len() <= 64) else { return accepted() };
    match cache.known(&api, tenant, &hook.public_key).await {
        Ok(true) => {}
        Ok(false) => {
            tracing::info!(tenant_id = %tenant, event = %hook.event, "webhook for an unknown public key ignored");
            return accepted();
        }
        Err(e) => {
            tracing::warn!(error = %e, "webhook: database");
            return unavailable();
        }
    }
    let trigger = Trigger { tenant_id: tenant, payment_id, event: hook.event, at: api.clock.now() };
    if !api.worker.0.triggers.push(trigger) {
        tracing::warn!("webhook trigger queue full; asking unzer to retry");
        return unavailable();
    }
    api.worker.wake();
    accepted()
}
