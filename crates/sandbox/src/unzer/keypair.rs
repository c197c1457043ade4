//! `GET /v1/keypair` (`unzerdev/php-sdk` `Keypair.php`, `KeypairTest.php`): the key pair of
//! the calling key — its public key and the payment types it may use (with the private key
//! only when called with it). Allowed with either key, as the SDK's integration test fetches
//! it with the public key too.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use axum::routing::get;
use serde_json::json;

use super::http::{Access, Ctx, run};
use super::kind::PayKind;
use super::wire::{ApiError, codes};
use crate::shared::Shared;
use crate::system::System;

/// The route.
pub(crate) fn routes() -> Router<Shared> {
    Router::new().route("/v1/keypair", get(keypair))
}

async fn keypair(State(s): State<Shared>, headers: HeaderMap, uri: Uri) -> Response {
    let inner = s.clone();
    s.guard(System::Unzer, "keypair", async move {
        let ctx = Ctx::new(&inner, headers, &uri);
        let private = !super::auth::is_public(&Shared::lock(&inner.0.unzer), &ctx.headers);
        run(&inner, &ctx, Access::Public, |st, _env, caller| {
            let m =
                st.merchants.get(caller.merchant).ok_or_else(|| ApiError::bad(codes::GENERAL, "merchant vanished"))?;
            let types: Vec<&str> = PayKind::ALL.iter().map(|k| k.name()).collect();
            let mut v = json!({
                "publicKey": m.public_key,
                "availablePaymentTypes": types,
                "cof": false,
                "validateBasket": false,
            });
            if private {
                v["privateKey"] = json!(m.private_key);
            }
            Ok(v)
        })
    })
    .await
}
