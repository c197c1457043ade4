//! The gRPC adapters of `payops.hotline.v1`: thin — they authenticate the bearer token,
//! convert messages and call the same use cases as the page's HTTP API.

mod agents;
mod convert;
mod hotline;
pub mod permissions;
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

/// The caller of `request` (every RPC but Login): the session the kit's layer authenticated
/// (see `service::auth::GrpcAuthenticator`); with `ALLOW_UNAUTHENTICATED=local-only` a bearer
/// token is still honoured, and without one the caller is the local one.
async fn session<T>(hotline: &Arc<Hotline>, request: &Request<T>) -> Result<Session> {
    let principal = request.extensions().get::<kit::grpc::Principal>().ok_or(Error::Unauthenticated)?;
    if let Some(s) = principal.context::<Session>() {
        return Ok(s.clone());
    }
    match bearer(request) {
        Some(token) => hotline.auth.authenticate(&token).await,
        None => {
            let name = principal.subject.clone();
            let actor = crate::domain::agent::Actor {
                display_name: name.clone(),
                name,
                role: crate::domain::agent::Role::Service,
                agent_id: None,
            };
            Ok(Session { actor, kind: crate::service::auth::SessionKind::Service, csrf_token: None, token_hash: None })
        }
    }
}
