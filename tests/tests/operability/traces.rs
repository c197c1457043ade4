//! OP-05 end to end: the services export their spans over OTLP/gRPC (the kit's exporter, to
//! `OTEL_EXPORTER_OTLP_ENDPOINT`) to an in-process receiver implementing the collector's
//! `TraceService`. One hotline-api request that opens a ticket (hotline-api → ticketing-bridge
//! over gRPC) and one pixi-sync attention event that becomes a ticket (pixi-sync → outbox →
//! JetStream → ticketing-bridge) must each be one trace with spans of both services, the
//! receiving side's span a child of the sending side's (W3C traceparent in gRPC metadata and in
//! NATS headers).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{TraceService, TraceServiceServer};
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use sandbox::unzer::SeedOutcome;
use testkit::eventually;

use crate::{exercise, exercise_pixi, tools};

/// One received span.
#[derive(Debug, Clone)]
pub struct Got {
    pub service: String,
    pub name: String,
    pub kind: i32,
    pub trace_id: String,
    pub span_id: String,
    pub parent_span_id: String,
    pub attributes: BTreeMap<String, String>,
}

/// The in-process OTLP/gRPC receiver: keeps every span it is sent.
#[derive(Clone, Default)]
pub struct Receiver {
    spans: Arc<Mutex<Vec<Got>>>,
}

fn text(v: Option<&AnyValue>) -> String {
    match v {
        Some(AnyValue::StringValue(s)) => s.clone(),
        Some(AnyValue::IntValue(i)) => i.to_string(),
        Some(AnyValue::BoolValue(b)) => b.to_string(),
        Some(AnyValue::DoubleValue(d)) => d.to_string(),
        _ => String::new(),
    }
}

fn attrs(list: &[KeyValue]) -> BTreeMap<String, String> {
    list.iter().map(|kv| (kv.key.clone(), text(kv.value.as_ref().and_then(|v| v.value.as_ref())))).collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tonic::async_trait]
impl TraceService for Receiver {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let mut got = Vec::new();
        for rs in request.into_inner().resource_spans {
            let resource = attrs(rs.resource.as_ref().map(|r| r.attributes.as_slice()).unwrap_or_default());
            let service = resource.get("service.name").cloned().unwrap_or_default();
            for span in rs.scope_spans.into_iter().flat_map(|s| s.spans) {
                got.push(Got {
                    service: service.clone(),
                    name: span.name.clone(),
                    kind: span.kind,
                    trace_id: hex(&span.trace_id),
                    span_id: hex(&span.span_id),
                    parent_span_id: hex(&span.parent_span_id),
                    attributes: attrs(&span.attributes),
                });
            }
        }
        self.spans.lock().unwrap().extend(got);
        Ok(tonic::Response::new(ExportTraceServiceResponse { partial_success: None }))
    }
}

impl Receiver {
    /// Serves on a free port; returns the endpoint URL for `OTEL_EXPORTER_OTLP_ENDPOINT`.
    pub async fn start(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let incoming = tonic::transport::server::TcpIncoming::from(listener);
        let svc = TraceServiceServer::new(self.clone());
        tokio::spawn(tonic::transport::Server::builder().add_service(svc).serve_with_incoming(incoming));
        format!("http://{addr}")
    }

    pub fn spans(&self) -> Vec<Got> {
        self.spans.lock().unwrap().clone()
    }
}

/// The span `child` and its parent `parent` in one trace, the child from `to`, the parent from
/// `from`: polls the received spans until `pick` finds the child.
async fn linked(rx: &Receiver, what: &str, pick: impl Fn(&Got) -> bool) -> (Got, Got, Vec<Got>) {
    eventually(what, Duration::from_secs(60), || {
        let spans = rx.spans();
        let found = spans.iter().filter(|s| pick(s)).find_map(|child| {
            let parent = spans.iter().find(|p| p.span_id == child.parent_span_id && p.trace_id == child.trace_id)?;
            let trace: Vec<Got> = spans.iter().filter(|s| s.trace_id == child.trace_id).cloned().collect();
            Some((child.clone(), parent.clone(), trace))
        });
        async move { found }
    })
    .await
}

#[tokio::test]
async fn op_05_a_ticket_from_hotline_and_one_from_a_pixi_sync_attention_are_each_one_trace_across_grpc_and_nats() {
    let rx = Receiver::default();
    let endpoint = rx.start().await;
    let (_env, _sandbox, mut p) = tools::platform_with(|c| {
        c.with_env_all("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint).with_env_all("RUST_LOG", "info")
    })
    .await;

    // hotline-api → ticketing-bridge over gRPC.
    exercise::hotline(&p).await;
    let (server, client, trace) = linked(&rx, "ticketing-bridge's CreateTicket with its parent", |g| {
        g.service == "ticketing-bridge" && g.name == "payops.ticketing.v1.TicketingService/CreateTicket"
    })
    .await;
    assert_eq!(server.kind, SpanKind::Server as i32, "{server:?}");
    assert_eq!(server.attributes.get("rpc.system").map(String::as_str), Some("grpc"), "{server:?}");
    assert_eq!(client.service, "hotline-api", "the caller's span is the parent: {client:?}");
    assert_eq!(client.kind, SpanKind::Client as i32, "{client:?}");
    assert_eq!(client.name, "payops.ticketing.v1.TicketingService/CreateTicket");
    let root = trace
        .iter()
        .find(|g| g.name == "payops.hotline.v1.HotlineService/CreateB2cTicket")
        .unwrap_or_else(|| panic!("the hotline request is in the same trace: {trace:#?}"));
    assert_eq!(root.service, "hotline-api");
    assert_eq!(root.kind, SpanKind::Server as i32);
    assert!(
        trace.iter().all(|g| g.service == "hotline-api" || g.service == "ticketing-bridge"),
        "nothing else in this trace: {trace:#?}"
    );

    // pixi-sync → NATS → ticketing-bridge.
    let key = exercise_pixi::pixi_tenant(&p).await;
    let order = exercise_pixi::pixi_order(&p, &key, SeedOutcome::Failed).await;
    let (process, publish, trace) = linked(&rx, "ticketing-bridge processing pixi-sync's attention", |g| {
        g.service == "ticketing-bridge"
            && g.name.starts_with("process ")
            && g.attributes
                .get("messaging.destination.name")
                .is_some_and(|d| d.contains(&format!(".pixi-sync.{order}.")))
    })
    .await;
    assert_eq!(process.kind, SpanKind::Consumer as i32, "{process:?}");
    assert_eq!(process.attributes.get("messaging.system").map(String::as_str), Some("nats"), "{process:?}");
    assert_eq!(publish.service, "pixi-sync", "the publisher's span is the parent: {publish:?}");
    assert_eq!(publish.name, process.name.replacen("process ", "publish ", 1), "{publish:?}");
    assert!(process.name.ends_with(".pixi-sync.{order_id}.attention"), "span names carry the template: {process:?}");
    let origin = trace
        .iter()
        .find(|g| g.service == "pixi-sync" && g.span_id == publish.parent_span_id)
        .unwrap_or_else(|| panic!("the publish span hangs under the pixi-sync work that wrote the event: {trace:#?}"));
    assert_eq!(origin.name, "pixi-sync sync order", "{origin:?}");
    assert_eq!(origin.attributes.get("order_id"), Some(&order.to_string()), "{origin:?}");
    eventually("the attention's ticket at Freshdesk", Duration::from_secs(30), || async {
        let tickets = p.config.sandbox.client().freshdesk_tickets().await.unwrap().tickets;
        (tickets.len() == 2).then_some(())
    })
    .await;
    tools::stop_cleanly(&mut p).await;
}
