//! Placeholder for the SMTP sink.

use axum::Router;
use tokio::net::TcpListener;

use crate::shared::Shared;

/// Sink state.
#[derive(Debug, Default)]
pub struct State {}

/// Serves SMTP on `listener`.
pub async fn serve(_listener: TcpListener, shared: Shared) {
    shared.0.token.cancelled().await;
}

/// Admin routes under `/admin/smtp`.
pub fn admin(_shared: Shared) -> Router {
    Router::new()
}
