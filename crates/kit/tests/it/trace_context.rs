//! One order's path is one trace: the W3C context of the request that wrote an event travels in
//! the outbox row, through the relay's publish into the NATS headers, and becomes the parent of
//! the consumer's processing span.

use kit::bus::{Consumer, ConsumerConfig, Delivered, Handler, HandlerError, Relay};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
use sqlx::PgConnection;
use testkit::TestEnv;
use tracing::Instrument;
use tracing_subscriber::layer::SubscriberExt;

use crate::helpers::{attention, outbox};

struct Nothing;

impl Handler for Nothing {
    async fn handle(&self, _: &mut PgConnection, _: &Delivered) -> Result<(), HandlerError> {
        tracing::info!("handled");
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn trace_context_crosses_outbox_relay_bus_and_consumer() {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder().with_simple_exporter(exporter.clone()).build();
    let subscriber =
        tracing_subscriber::registry().with(tracing_opentelemetry::layer().with_tracer(provider.tracer("kit-test")));
    // Current-thread runtime: every task of this test runs under this subscriber.
    let _guard = tracing::subscriber::set_default(subscriber);

    let env = TestEnv::new().await.unwrap();
    let pool = env.pool("kit_test").await.unwrap();
    let bus = env.bus().await.unwrap();
    let outbox = outbox(&bus);
    let request = tracing::info_span!("grpc", otel.name = "payops.test.v1.TestService/Do");
    async {
        let mut tx = pool.begin().await.unwrap();
        outbox.add(&mut tx, attention("4711", "a")).await.unwrap();
        tx.commit().await.unwrap();
    }
    .instrument(request.clone())
    .await;
    drop(request);

    Relay::new(pool.clone(), bus.clone(), "kit-test").drain().await.unwrap();
    let config = ConsumerConfig::new("traced", vec![bus.filter_all()]);
    Consumer::bind(&bus, pool.clone(), config, Nothing).await.unwrap().drain().await.unwrap();
    provider.force_flush().unwrap();

    let spans = exporter.get_finished_spans().unwrap();
    let find = |prefix: &str| {
        spans.iter().find(|s| s.name.starts_with(prefix)).unwrap_or_else(|| panic!("no {prefix} span in {spans:#?}"))
    };
    let root = find("payops.test.v1.TestService/Do");
    let publish = find("publish ");
    let process = find("process ");
    let trace = root.span_context.trace_id();
    assert_eq!(publish.span_context.trace_id(), trace, "publish continues the request's trace");
    assert_eq!(process.span_context.trace_id(), trace, "processing continues it across NATS");
    assert_eq!(process.parent_span_id, publish.span_context.span_id(), "process is a child of publish");
    assert!(process.name.ends_with(".kit-test.{order_id}.attention"), "bounded span names: {}", process.name);
    let attr = |s: &opentelemetry_sdk::trace::SpanData, k: &str| {
        s.attributes.iter().find(|kv| kv.key.as_str() == k).map(|kv| kv.value.as_str().into_owned())
    };
    assert!(attr(process, "messaging.destination.name").is_some_and(|d| d.ends_with(".kit-test.4711.attention")));
    assert_eq!(attr(publish, "messaging.operation.type").as_deref(), Some("send"));
    assert_eq!(attr(process, "messaging.operation.type").as_deref(), Some("process"));
    assert!(process.attributes.iter().any(|kv| kv.key.as_str() == "messaging.system" && kv.value.as_str() == "nats"));
}
