//! RecordNote writes the note and its event in one transaction; the consumer counts it once.

use tonic::Code;

use crate::helpers::TestApp;
use proto::payops::echo::v1::{EchoRequest, GetNoteCountRequest, RecordNoteRequest};

#[tokio::test]
async fn recorded_note_reaches_the_consumer_through_outbox_and_bus() {
    let app = TestApp::spawn().await;
    let mut client = app.client().await;
    for _ in 0..3 {
        client.record_note(RecordNoteRequest { order_id: "4711".into(), text: "hello".into() }).await.unwrap();
    }
    assert_eq!(app.drain().await, 3);
    assert_eq!(app.drain().await, 0, "nothing left");
    let count =
        client.get_note_count(GetNoteCountRequest { order_id: "4711".into() }).await.unwrap().into_inner().count;
    assert_eq!(count, 3);
    app.stop().await;
}

#[tokio::test]
async fn bad_input_names_every_field_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let mut client = app.client().await;
    let err =
        client.record_note(RecordNoteRequest { order_id: "47 11".into(), text: String::new() }).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let fields: Vec<String> = kit::grpc::status::field_violations(&err).into_iter().map(|(f, _)| f).collect();
    assert_eq!(fields, ["order_id", "text"]);
    assert_eq!(app.relay.backlog().await.unwrap(), 0, "no event written");
    app.stop().await;
}

#[tokio::test]
async fn echo_answers_and_admin_port_reports_ready_and_metrics() {
    let app = TestApp::spawn().await;
    let mut client = app.client().await;
    let r = client.echo(EchoRequest { message: "ping".into() }).await.unwrap().into_inner();
    assert_eq!(r.message, "ping");
    let http = reqwest::Client::new();
    assert_eq!(http.get(format!("{}/livez", app.admin_url)).send().await.unwrap().status(), 200);
    assert_eq!(http.get(format!("{}/readyz", app.admin_url)).send().await.unwrap().status(), 200);
    let metrics = http.get(format!("{}/metrics", app.admin_url)).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("grpc_server_handled_total"), "{metrics}");
    assert!(metrics.contains("payops_dependency_up"), "{metrics}");
    app.stop().await;
}
