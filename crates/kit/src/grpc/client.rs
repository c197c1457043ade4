//! gRPC client plumbing: a channel wrapper that opens a CLIENT span per call, injects the W3C
//! `traceparent`, passes on the remaining deadline of the call being handled (`grpc-timeout`)
//! and adds the service's bearer token. Every payops client is built on it:
//! `TicketingServiceClient::new(kit::grpc::client::connect_lazy(url, token)?)`.

use std::task::{Context, Poll};
use std::time::Instant;

use futures::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};
use tonic::transport::{Channel, Endpoint};
use tower::Service;
use tracing::Instrument;

use super::layer::{current_deadline, format_grpc_timeout};
use crate::telemetry;

/// A channel that traces, propagates deadlines and authenticates.
#[derive(Clone)]
pub struct TracedChannel {
    inner: Channel,
    token: Option<http::HeaderValue>,
}

/// Errors building a client channel.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The URL is not a valid endpoint.
    #[error("invalid gRPC endpoint {0:?}")]
    InvalidUrl(String),
    /// The token contains characters a header cannot carry.
    #[error("invalid bearer token")]
    InvalidToken,
}

/// A lazily connecting channel to `url` (e.g. `http://ticketing-bridge:50051`).
pub fn connect_lazy(url: &str, token: Option<&SecretString>) -> Result<TracedChannel, ClientError> {
    let endpoint = Endpoint::from_shared(url.to_owned())
        .map_err(|_| ClientError::InvalidUrl(url.to_owned()))?
        .connect_timeout(std::time::Duration::from_secs(5))
        .tcp_nodelay(true);
    let token = token
        .map(|t| {
            http::HeaderValue::from_str(&format!("Bearer {}", t.expose_secret())).map_err(|_| ClientError::InvalidToken)
        })
        .transpose()?
        .map(|mut v| {
            v.set_sensitive(true);
            v
        });
    Ok(TracedChannel { inner: endpoint.connect_lazy(), token })
}

impl Service<http::Request<tonic::body::Body>> for TracedChannel {
    type Response = http::Response<tonic::body::Body>;
    type Error = tonic::transport::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: http::Request<tonic::body::Body>) -> Self::Future {
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let path = req.uri().path().trim_start_matches('/').to_owned();
        let (service, method) = path.split_once('/').map_or((path.as_str(), ""), |(s, m)| (s, m));
        let span = tracing::info_span!(
            "grpc.client",
            otel.name = %path,
            otel.kind = "client",
            rpc.system = "grpc",
            rpc.service = %service,
            rpc.method = %method,
        );
        let headers = req.headers_mut();
        span.in_scope(|| {
            let mut map = std::collections::HashMap::new();
            telemetry::inject(&mut map);
            for (k, v) in map {
                if let (Ok(k), Ok(v)) = (http::HeaderName::from_bytes(k.as_bytes()), http::HeaderValue::from_str(&v)) {
                    headers.insert(k, v);
                }
            }
        });
        if let (Some(deadline), false) = (current_deadline(), headers.contains_key("grpc-timeout")) {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if let Ok(v) = http::HeaderValue::from_str(&format_grpc_timeout(remaining)) {
                headers.insert("grpc-timeout", v);
            }
        }
        // A request that carries its own credential keeps it.
        if let (Some(token), false) = (&self.token, headers.contains_key(http::header::AUTHORIZATION)) {
            headers.insert(http::header::AUTHORIZATION, token.clone());
        }
        Box::pin(async move { inner.call(req).await }.instrument(span))
    }
}
