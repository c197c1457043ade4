//! The public HTTP port (`PUBLIC_ADDR`): PostFinance's server-to-server post-sale request
//! ("Direct HTTP server-to-server request" in the account's Technical information, e-Commerce
//! Advanced §9.3), configured per account as `https://<host>/postfinance/<tenant>/feedback`.
//! It carries the return's feedback parameters signed with SHA-OUT, by POST or GET (the account
//! chooses), deferred and possibly more than once per order; each is verified and recorded like
//! the browser return, so an order whose return never arrived is still recorded.
//!
//! Answers: 200 when recorded (or already known), 400 for a bad signature or unreadable
//! parameters (recorded as a security event), 422 when the order does not match what was
//! prepared, 404 for an unknown tenant, 503 when the database is unavailable (PostFinance sends
//! a failed request again later).

use axum::Router;
use axum::extract::{DefaultBodyLimit, Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::error::Error;
use crate::service::swissbilling::SwissBilling;

/// Largest post-sale request accepted (the feedback parameters are a few hundred bytes).
const MAX_BODY: usize = 16 * 1024;

/// The public routes.
pub fn router(sb: SwissBilling) -> Router {
    Router::new()
        .route("/postfinance/{tenant}/feedback", get(feedback).post(feedback))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(sb)
}

async fn feedback(
    State(sb): State<SwissBilling>,
    Path(tenant): Path<String>,
    Form(params): Form<Vec<(String, String)>>,
) -> Response {
    match sb.notification(&tenant, &params).await {
        Ok(_) => (StatusCode::OK, "OK").into_response(),
        Err(Error::Invalid(_)) => (StatusCode::BAD_REQUEST, "refused").into_response(),
        Err(Error::Refused(r)) => (StatusCode::UNPROCESSABLE_ENTITY, r.reason).into_response(),
        Err(Error::NotFound(_)) => (StatusCode::NOT_FOUND, "unknown tenant").into_response(),
        Err(e) => {
            tracing::warn!(tenant, error = %e, "post-sale request not recorded; PostFinance will send it again");
            (StatusCode::SERVICE_UNAVAILABLE, "retry later").into_response()
        }
    }
}
