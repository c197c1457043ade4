//! Logs and traces (OP-05, OP-06): tracing-subscriber with JSON lines in production and a
//! human format locally, an OpenTelemetry layer so every span has W3C trace and span ids, and
//! optional OTLP/gRPC export. Also the W3C `traceparent` injection and extraction used for
//! tonic metadata and NATS headers.

use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
use tracing::span::Record;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::format::{FormatFields, Json, JsonFields, Writer};
use tracing_subscriber::fmt::{FormattedFields, format::Format};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config::{LogFormat, TelemetryConfig, TraceSampler};

/// Keeps the tracer provider alive; [`TelemetryGuard::shutdown`] flushes pending spans.
pub struct TelemetryGuard {
    provider: SdkTracerProvider,
}

impl TelemetryGuard {
    /// Flushes and stops span export (the last step of graceful shutdown).
    pub fn shutdown(self) {
        if let Err(e) = self.provider.shutdown() {
            eprintln!("telemetry shutdown: {e}");
        }
    }
}

/// Telemetry set-up failures.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// The OTLP exporter could not be built.
    #[error("OTEL_EXPORTER_OTLP_ENDPOINT: cannot build the OTLP exporter: {0}")]
    Exporter(String),
    /// The log filter is invalid.
    #[error("RUST_LOG: invalid filter: {0}")]
    Filter(String),
    /// A global subscriber is already installed.
    #[error("a tracing subscriber is already installed")]
    AlreadyInstalled,
}

/// The SDK sampler for the configured one.
fn sampler(s: TraceSampler) -> Sampler {
    match s {
        TraceSampler::AlwaysOn => Sampler::AlwaysOn,
        TraceSampler::AlwaysOff => Sampler::AlwaysOff,
        TraceSampler::Ratio(r) => Sampler::TraceIdRatioBased(r),
        TraceSampler::ParentBasedAlwaysOn => Sampler::ParentBased(Box::new(Sampler::AlwaysOn)),
        TraceSampler::ParentBasedAlwaysOff => Sampler::ParentBased(Box::new(Sampler::AlwaysOff)),
        TraceSampler::ParentBasedRatio(r) => Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(r))),
    }
}

/// Builds the tracer provider for `config`: always sampling by ratio, exporting only when an
/// OTLP endpoint is configured.
pub fn tracer_provider(config: &TelemetryConfig) -> Result<SdkTracerProvider, TelemetryError> {
    let resource = Resource::builder()
        .with_service_name(config.service.clone())
        .with_attribute(KeyValue::new("service.namespace", "payops"))
        .with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
        .build();
    let mut builder = SdkTracerProvider::builder().with_resource(resource).with_sampler(sampler(config.sampler));
    if let Some(endpoint) = &config.otlp_endpoint {
        use opentelemetry_otlp::WithExportConfig;
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint.clone())
            .build()
            .map_err(|e| TelemetryError::Exporter(e.to_string()))?;
        builder = builder.with_batch_exporter(exporter);
    }
    Ok(builder.build())
}

/// Installs the global subscriber and propagator. Call once, first thing in `main`.
pub fn init(config: &TelemetryConfig) -> Result<TelemetryGuard, TelemetryError> {
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let provider = tracer_provider(config)?;
    opentelemetry::global::set_tracer_provider(provider.clone());
    let tracer = provider.tracer(config.service.clone());
    let filter = EnvFilter::try_new(&config.log_filter).map_err(|e| TelemetryError::Filter(e.to_string()))?;
    let fmt = match config.log_format {
        LogFormat::Json => json_logs(std::io::stdout).boxed(),
        LogFormat::Pretty => tracing_subscriber::fmt::layer().compact().boxed(),
    };
    // Spans carry what the trace needs (names, the layer's rpc and messaging fields, status,
    // parent), not the thread or source file that opened them (the same few for every span),
    // busy/idle timings taken at every poll, or an OpenTelemetry context made current at every
    // poll (payops reads a span's context through the tracing span, `inject` below). Each of
    // those cost time on every request whether or not it is sampled.
    let otel = tracing_opentelemetry::layer()
        .with_tracer(tracer)
        .with_threads(false)
        .with_location(false)
        .with_tracked_inactivity(false)
        .with_context_activation(false);
    tracing_subscriber::registry()
        .with(filter)
        .with(fmt)
        .with(otel)
        .try_init()
        .map_err(|_| TelemetryError::AlreadyInstalled)?;
    Ok(TelemetryGuard { provider })
}

/// The production log layer: one JSON object per line, event fields at the top level, and the
/// current span's fields (order id, trace id, rpc names) under `span`.
pub fn json_logs<S, W>(writer: W) -> tracing_subscriber::fmt::Layer<S, AppendJsonFields, Format<Json>, W>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + 'static,
{
    tracing_subscriber::fmt::layer()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .fmt_fields(AppendJsonFields::default())
        .with_writer(writer)
}

/// A span's fields as one JSON object, like [`JsonFields`], but a field recorded after the span
/// was opened (every call records its order id, trace id and status that way) is appended to the
/// object instead of parsing the object and writing it again, which `JsonFields` does at every
/// record. A key recorded twice then appears twice; the JSON formatter reads the object into a
/// map, so the last value wins, as with `JsonFields`: the log lines are the same.
#[derive(Debug, Default)]
pub struct AppendJsonFields(JsonFields);

impl<'a> FormatFields<'a> for AppendJsonFields {
    fn format_fields<R: RecordFields>(&self, writer: Writer<'_>, fields: R) -> std::fmt::Result {
        self.0.format_fields(writer, fields)
    }

    fn add_fields(&self, current: &'a mut FormattedFields<Self>, fields: &Record<'_>) -> std::fmt::Result {
        let mut added = String::new();
        self.0.format_fields(Writer::new(&mut added), fields)?;
        let body = added.strip_prefix('{').and_then(|a| a.strip_suffix('}')).ok_or(std::fmt::Error)?;
        if body.is_empty() {
            return Ok(());
        }
        let object = &mut current.fields;
        if object.is_empty() || object == "{}" {
            *object = added;
        } else if object.ends_with('}') {
            object.pop();
            object.push(',');
            object.push_str(body);
            object.push('}');
        } else {
            return Err(std::fmt::Error);
        }
        Ok(())
    }
}

/// The W3C trace id of the current span, as 32 hex digits, if it has one.
pub fn current_trace_id() -> Option<String> {
    let cx = tracing::Span::current().context();
    let span = cx.span();
    let sc = span.span_context();
    sc.is_valid().then(|| sc.trace_id().to_string())
}

/// Writes the current span's `traceparent` (and `tracestate`) into `carrier`.
pub fn inject(carrier: &mut dyn Injector) {
    let cx = tracing::Span::current().context();
    TraceContextPropagator::new().inject_context(&cx, carrier);
}

/// Reads a W3C trace context from `carrier`.
pub fn extract(carrier: &dyn Extractor) -> Context {
    TraceContextPropagator::new().extract(carrier)
}

/// Makes `span` a child of the trace context found in `carrier` (if any).
pub fn set_parent_from(span: &tracing::Span, carrier: &dyn Extractor) {
    let cx = extract(carrier);
    if cx.span().span_context().is_valid() {
        // Fails only when the span is disabled; then there is nothing to link.
        let _ = span.set_parent(cx);
    }
}

/// `traceparent` of the current span as key/value pairs, for storing with an outbox row.
pub fn current_headers() -> Vec<(String, String)> {
    let mut map = std::collections::HashMap::new();
    inject(&mut map);
    let mut pairs: Vec<_> = map.into_iter().collect();
    pairs.sort();
    pairs
}

/// Adapter: NATS headers as a propagation carrier.
pub struct NatsHeaders<'a>(pub &'a mut async_nats::HeaderMap);

impl Injector for NatsHeaders<'_> {
    fn set(&mut self, key: &str, value: String) {
        self.0.insert(key, value.as_str());
    }
}

/// Adapter: read-only NATS headers as a propagation carrier.
pub struct NatsHeadersRef<'a>(pub &'a async_nats::HeaderMap);

impl Extractor for NatsHeadersRef<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(async_nats::HeaderValue::as_str)
    }

    fn keys(&self) -> Vec<&str> {
        Vec::new()
    }
}

/// Adapter: HTTP headers (tonic requests are HTTP/2) as a propagation carrier.
pub struct HttpHeaders<'a>(pub &'a http::HeaderMap);

impl Extractor for HttpHeaders<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

/// Adapter: tonic client metadata as a propagation carrier.
pub struct Metadata<'a>(pub &'a mut tonic::metadata::MetadataMap);

impl Injector for Metadata<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(k), Ok(v)) = (
            tonic::metadata::MetadataKey::from_bytes(key.as_bytes()),
            tonic::metadata::MetadataValue::try_from(value.as_str()),
        ) {
            self.0.insert(k, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn traceparent_round_trips_through_nats_headers() {
        let mut headers = async_nats::HeaderMap::new();
        let tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        NatsHeaders(&mut headers).set("traceparent", tp.to_owned());
        let cx = extract(&NatsHeadersRef(&headers));
        assert_eq!(cx.span().span_context().trace_id().to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
        let mut out: HashMap<String, String> = HashMap::new();
        TraceContextPropagator::new().inject_context(&cx, &mut out);
        assert_eq!(out.get("traceparent").map(String::as_str), Some(tp));
    }

    /// Lines written to memory.
    #[derive(Clone, Default)]
    struct Lines(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Lines {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Lines {
        fn parsed(&self) -> Vec<serde_json::Value> {
            let bytes = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
            String::from_utf8_lossy(&bytes)
                .lines()
                .map(|l| {
                    let mut v: serde_json::Value = serde_json::from_str(l).expect("a JSON line");
                    v.as_object_mut().expect("an object").remove("timestamp");
                    v
                })
                .collect()
        }
    }

    /// Spans as a gRPC call opens and fills them, with events inside.
    fn a_call() {
        let span = tracing::info_span!(
            "grpc",
            rpc.method = "GetOrderTimeline",
            order_id = tracing::field::Empty,
            trace_id = tracing::field::Empty,
            status = tracing::field::Empty,
        );
        span.in_scope(|| tracing::info!("before the order id is known"));
        span.record("order_id", "O-1");
        span.record("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736");
        span.in_scope(|| tracing::info!(step = 1, "with the order id"));
        span.record("order_id", "O-2");
        span.record("status", 0);
        span.in_scope(|| {
            tracing::warn!(reason = "x\"y", "quoted \"text\" and the last order id");
            let empty = tracing::info_span!("inner", late = tracing::field::Empty);
            empty.record("late", true);
            empty.in_scope(|| tracing::info!("in a span whose only field came later"));
        });
    }

    #[test]
    fn op_06_span_fields_recorded_later_appear_on_log_lines_as_with_json_fields() {
        use tracing_subscriber::layer::SubscriberExt;
        let ours = Lines::default();
        let reference = Lines::default();
        let (o, r) = (ours.clone(), reference.clone());
        let subscriber = tracing_subscriber::registry().with(json_logs(move || o.clone())).with(
            tracing_subscriber::fmt::layer()
                .json()
                .flatten_event(true)
                .with_current_span(true)
                .with_span_list(false)
                .with_writer(move || r.clone()),
        );
        tracing::subscriber::with_default(subscriber, a_call);
        let (ours, reference) = (ours.parsed(), reference.parsed());
        assert_eq!(ours.len(), 4);
        assert_eq!(ours, reference, "the same lines as tracing-subscriber's JsonFields");
        assert_eq!(ours[0]["span"]["rpc.method"], "GetOrderTimeline");
        assert!(ours[0]["span"].get("order_id").is_none(), "not known yet: {}", ours[0]);
        assert_eq!(ours[1]["span"]["order_id"], "O-1");
        assert_eq!(ours[1]["span"]["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(ours[2]["span"]["order_id"], "O-2", "the last value recorded wins");
        assert_eq!(ours[2]["span"]["status"], 0);
        assert_eq!(ours[2]["reason"], "x\"y");
        assert_eq!(ours[3]["span"]["late"], true);
    }

    #[test]
    fn garbage_traceparent_gives_no_parent() {
        let mut headers = http::HeaderMap::new();
        headers.insert("traceparent", http::HeaderValue::from_static("zz-not-a-trace"));
        let cx = extract(&HttpHeaders(&headers));
        assert!(!cx.span().span_context().is_valid());
    }
}
