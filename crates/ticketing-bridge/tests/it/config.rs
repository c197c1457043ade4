//! The Freshdesk account is configuration and the key a secret (TK-08), checked on the wire.

use base64::Engine;
use sandbox::System;

use crate::helpers::{KEY, TestApp, b2c};

#[tokio::test]
async fn tk_08_the_configured_key_goes_in_basic_auth_and_a_wrong_key_loses_nothing() {
    let mut app = TestApp::spawn_with(&[("FRESHDESK_API_KEY", "not-the-key")]).await;
    let err = app.client().await.create_ticket(b2c("req-key", "4711")).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::Unavailable, "401 is a configuration fault: queued, retried");
    let seen = app.admin.requests(Some(System::Freshdesk)).await.unwrap();
    let expected = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("not-the-key:X"));
    assert_eq!(seen[0].headers["authorization"], expected);
    assert_eq!(seen[0].status, 401);
    assert!(app.tickets().await.is_empty());
    assert!(!app.metrics().await.contains("not-the-key"));

    // The operator fixes the key (a new configuration); the queued work goes through.
    app.reconfigure(&[("FRESHDESK_API_KEY", KEY)]).await;
    app.advance(5);
    assert_eq!(app.dispatcher.tick().await.unwrap(), 1);
    assert_eq!(app.tickets_with("req:req-key").await.len(), 1);
    app.stop().await;
}
