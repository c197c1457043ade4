//! Webhook registration and delivery to a local axum receiver, with retries after non-200.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use axum::routing::post;
use sandbox::unzer::ConfigPatch;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::{code, unzer};

#[tokio::test]
async fn unzer_webhooks_register_list_and_delete() {
    let u = unzer().await;
    let (status, v) = u.post("/v1/webhooks", json!({ "url": "http://127.0.0.1:9/hook", "event": "payment" })).await;
    assert_eq!(status, 200, "{v}");
    assert!(v["id"].as_str().unwrap().starts_with("s-whk-"));
    let (status, v) = u
        .post("/v1/webhooks", json!({ "url": "http://127.0.0.1:9/hook", "eventList": ["charge.succeeded", "types"] }))
        .await;
    assert_eq!((status, v["events"].as_array().map(Vec::len)), (200, Some(2)), "{v}");
    let (status, v) = u.post("/v1/webhooks", json!({ "url": "http://127.0.0.1:9/hook", "event": "payment" })).await;
    assert_eq!((status, code(&v)), (400, "API.510.310.009"), "{v}");
    let (status, v) = u.post("/v1/webhooks", json!({ "url": "http://127.0.0.1:9/hook", "event": "nonsense" })).await;
    assert_eq!((status, code(&v)), (400, "API.500.300.999"), "{v}");
    let (_, v) = u.get("/v1/webhooks").await;
    assert_eq!(v["events"].as_array().unwrap().len(), 3);
    let (status, v) = u.call(reqwest::Method::DELETE, "/v1/webhooks/s-whk-1", Some(&u.private), None).await;
    assert_eq!((status, v["id"].as_str()), (200, Some("s-whk-1")));
    let (status, v) = u.call(reqwest::Method::DELETE, "/v1/webhooks/s-whk-1", Some(&u.private), None).await;
    assert_eq!((status, code(&v)), (404, "API.510.310.008"));
    let (status, v) = u.call(reqwest::Method::DELETE, "/v1/webhooks", Some(&u.private), None).await;
    assert_eq!((status, v["events"].as_array().map(Vec::len)), (200, Some(2)));
    let (status, v) = u.call(reqwest::Method::GET, "/v1/webhooks", Some(&u.public), None).await;
    assert_eq!((status, code(&v)), (403, "API.710.000.005"));
}

/// A webhook receiver answering 500 to the first `fail_first` calls, then 200.
async fn receiver(fail_first: u32) -> (String, mpsc::UnboundedReceiver<(HeaderMap, String)>) {
    #[derive(Clone)]
    struct Rx {
        tx: mpsc::UnboundedSender<(HeaderMap, String)>,
        calls: Arc<AtomicU32>,
        fail_first: u32,
    }
    async fn hook(State(rx): State<Rx>, headers: HeaderMap, body: String) -> AxumStatus {
        let n = rx.calls.fetch_add(1, Ordering::SeqCst);
        rx.tx.send((headers, body)).unwrap();
        if n < rx.fail_first { AxumStatus::INTERNAL_SERVER_ERROR } else { AxumStatus::OK }
    }
    let (tx, rx) = mpsc::unbounded_channel();
    let app = axum::Router::new().route("/hook", post(hook)).with_state(Rx {
        tx,
        calls: Arc::new(AtomicU32::new(0)),
        fail_first,
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, rx)
}

async fn next(rx: &mut mpsc::UnboundedReceiver<(HeaderMap, String)>) -> (HeaderMap, Value) {
    let (h, body) = tokio::time::timeout(Duration::from_secs(10), rx.recv()).await.expect("webhook arrives").unwrap();
    (h, serde_json::from_str(&body).unwrap())
}

#[tokio::test]
async fn unzer_webhook_is_delivered_to_a_receiver_and_retried_after_a_non_200() {
    let u = unzer().await;
    u.admin
        .unzer_set_config(&ConfigPatch {
            auto_deliver: Some(false),
            retry_delays_secs: Some(vec![60]),
            ..ConfigPatch::default()
        })
        .await
        .unwrap();
    let (url, mut rx) = receiver(1).await;
    let (status, _) = u.post("/v1/webhooks", json!({ "url": url, "event": "payment.completed" })).await;
    assert_eq!(status, 200);
    let type_id = u.card().await;
    let (_, v) = u
        .post("/v1/payments/charges", json!({ "amount": 5, "currency": "EUR", "resources": { "typeId": type_id } }))
        .await;
    let pay = v["resources"]["paymentId"].as_str().unwrap().to_owned();

    let sent = u.admin.unzer_run_deliveries().await.unwrap();
    assert_eq!(sent.len(), 1, "only payment.completed is registered: {sent:?}");
    assert_eq!((sent[0].attempts[0].status, sent[0].delivered), (Some(500), false));
    let (headers, body) = next(&mut rx).await;
    assert_eq!(
        body,
        json!({ "event": "payment.completed", "publicKey": u.public, "retrieveUrl": format!("{}/v1/payments/{pay}", u.base), "paymentId": pay })
    );
    assert_eq!(headers["content-type"], "text/plain");
    assert!(!headers.keys().any(|k| k.as_str().contains("signature")), "no signature: {headers:?}");

    assert!(u.admin.unzer_run_deliveries().await.unwrap().is_empty(), "the retry is not due yet");
    u.admin.advance_clock(61).await.unwrap();
    let sent = u.admin.unzer_run_deliveries().await.unwrap();
    assert_eq!(sent.len(), 1);
    assert_eq!((sent[0].attempts.len(), sent[0].attempts[1].status, sent[0].delivered), (2, Some(200), true));
    let (_, again) = next(&mut rx).await;
    assert_eq!(again, body, "the same event again");
    u.admin.advance_clock(3600).await.unwrap();
    assert!(u.admin.unzer_run_deliveries().await.unwrap().is_empty(), "acknowledged: no more attempts");
}

#[tokio::test]
async fn unzer_webhooks_go_out_by_themselves_and_cover_event_families() {
    let u = unzer().await;
    let (url, mut rx) = receiver(0).await;
    u.post("/v1/webhooks", json!({ "url": url, "eventList": ["authorize", "payment"] })).await;
    u.authorize_card(9.99, "o-hook").await;
    let mut events = vec![next(&mut rx).await.1["event"].as_str().unwrap().to_owned()];
    events.push(next(&mut rx).await.1["event"].as_str().unwrap().to_owned());
    events.sort();
    assert_eq!(events, ["authorize.succeeded", "payment.pending"]);
    let deliveries = u.admin.unzer_deliveries().await.unwrap();
    assert_eq!(deliveries.len(), 2);
}
