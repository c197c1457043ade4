//! Placeholder for the unzer simulator; replaced by its module folder.

use axum::Router;

use crate::shared::Shared;

/// Simulator state.
#[derive(Debug, Default)]
pub struct State {}

/// The simulator's routes.
pub fn router(_shared: Shared) -> Router {
    Router::new()
}

/// Admin routes under `/admin/unzer`.
pub fn admin(_shared: Shared) -> Router {
    Router::new()
}

/// Loads demo data.
pub fn demo(_shared: &Shared) {}

/// Starts the webhook delivery task.
pub fn start_webhook_sender(_shared: &Shared) {}
