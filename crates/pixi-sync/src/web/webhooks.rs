//! unzer webhooks: secret in the URL, body as a trigger only.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;
use uuid::Uuid;

use super::json_error;
use crate::grpc::{Api, webhook_secret_aad};
use crate::metrics as m;
use crate::store::{orders, payment_configs, sync_state, tenants};
use crate::unzer::wire::WebhookBody;

fn refused() -> Response {
    metrics::counter!(m::WEBHOOKS, "outcome" => "refused").increment(1);
    StatusCode::NOT_FOUND.into_response()
}

/// `POST /unzer/webhooks/{tenant_id}/{secret}`.
pub(super) async fn receive(
    State(api): State<Api>,
    Path((tenant_id, secret)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let Ok(tenant_id) = Uuid::parse_str(&tenant_id) else { return refused() };
    let tenant = match tenants::get(&api.pool, tenant_id).await {
        Ok(Some(t)) => t,
        Ok(None) => return refused(),
        Err(e) => {
            tracing::warn!(error = %e, "webhook: database");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let Ok(expected) = api.secrets.open(&tenant.webhook_secret_enc, &webhook_secret_aad(tenant.id)) else {
        return refused();
    };
    if !kit::grpc::auth::constant_time_eq(expected.expose_secret().as_bytes(), secret.as_bytes()) {
        tracing::warn!(tenant_id = %tenant.id, "webhook with a wrong secret refused");
        return refused();
    }
    let Ok(hook) = serde_json::from_slice::<WebhookBody>(&body) else {
        return json_error(
            StatusCode::BAD_REQUEST,
            "the body is not an unzer webhook",
            &[("body", "must be a JSON object")],
        );
    };
    let Some(payment_id) = hook.payment_id.filter(|p| !p.is_empty() && p.len() <= 64) else {
        // `types` events and the like carry no payment: nothing to do.
        metrics::counter!(m::WEBHOOKS, "outcome" => "accepted").increment(1);
        return StatusCode::OK.into_response();
    };
    let known = payment_configs::by_public_key(&api.pool, tenant.id, &hook.public_key).await.map(|c| !c.is_empty());
    if !matches!(known, Ok(true)) {
        tracing::info!(tenant_id = %tenant.id, event = %hook.event, "webhook for an unknown public key ignored");
        metrics::counter!(m::WEBHOOKS, "outcome" => "accepted").increment(1);
        return StatusCode::OK.into_response();
    }
    let now = api.clock.now();
    let stored = async {
        sync_state::trigger(&api.pool, tenant.id, &payment_id, &hook.event, now).await?;
        orders::touch_payment(&api.pool, tenant.id, &payment_id, now).await
    }
    .await;
    match stored {
        Ok(n) => {
            metrics::counter!(m::WEBHOOKS, "outcome" => "accepted").increment(1);
            tracing::info!(tenant_id = %tenant.id, event = %hook.event, orders = n, "webhook: orders due now");
            api.worker.wake();
            StatusCode::OK.into_response()
        }
        Err(e) => {
            tracing::warn!(error = %e, "webhook: database");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}
