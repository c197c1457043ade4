//! The gRPC adapters of `payops.hotline.v1`: thin — they authenticate the bearer token,
//! convert messages and call the same use cases as the page's HTTP API.

mod agents;
mod convert;
mod hotline;
mod status;
mod timeline;

use std::sync::Arc;

use tonic::Request;

use crate::error::{Error, Result};
use crate::service::Hotline;
use crate::service::auth::Session;

pub use agents::Agents;
pub use convert::{agent as agent_message, role as role_message};
pub use hotline::HotlineApi;
pub use timeline::Timeline;

/// The bearer token of a request, if any.
fn bearer<T>(request: &Request<T>) -> Option<String> {
    request
        .metadata()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(|t| t.trim().to_owned())
}

/// Authenticates the caller of `request` (every RPC but Login).
async fn session<T>(hotline: &Arc<Hotline>, request: &Request<T>) -> Result<Session> {
    let token = bearer(request).ok_or(Error::Unauthenticated)?;
    hotline.auth.authenticate(&token).await
}
