//! The tower layer every payops gRPC server runs behind: server span with the caller's W3C
//! trace context, started/handled/latency metrics, bearer authentication, request size limit,
//! and the call's deadline kept in a task-local so outgoing calls inherit it.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use metrics::SharedString;
use tower::{Layer, Service};
use tracing::Instrument;

use super::auth::{Access, Authenticator, Denial, DenialSink, PermissionTable, Principal, Tenants};
use super::body::{CallHandles, CallRecord, LimitedBody, ObservedBody, code_from};
use super::tenant::{Buffered, Unreadable, tenant_field, tenant_of};
use crate::telemetry;

tokio::task_local! {
    /// Deadline of the gRPC call being handled, from its `grpc-timeout` header.
    static DEADLINE: Option<Instant>;
}

/// The deadline of the call this task is handling, if the caller set one.
pub fn current_deadline() -> Option<Instant> {
    DEADLINE.try_with(|d| *d).ok().flatten()
}

/// Adds the order id to the current call's span (and so to every log line of the call).
pub fn record_order_id(order_id: &str) {
    tracing::Span::current().record("order_id", order_id);
}

/// Services exempt from authentication and from spans (probes and tooling).
fn is_infrastructure(service: &str) -> bool {
    service == "grpc.health.v1.Health" || service.starts_with("grpc.reflection.")
}

/// See the module docs.
#[derive(Clone)]
pub struct KitLayer {
    max_request_bytes: usize,
    auth: Option<Arc<dyn Authenticator>>,
    denials: Option<Arc<dyn DenialSink>>,
    /// The permission table's methods, resolved once (see [`Known`]).
    known: Arc<HashMap<&'static str, Arc<Known>>>,
}

/// One method of the permission table as a call needs it: its path split into service and
/// method, what it needs, its `tenant_id` field and its metric handles. A call to a method of
/// the table then builds no strings, scans no table and looks nothing up in the metrics
/// registry (measured on the timeline bench, `docs/benchmarks.md`). Calls to paths outside the
/// table (refused) and to infrastructure services take the general path.
struct Known {
    service: &'static str,
    method: &'static str,
    access: Access,
    tenant_field: Option<u32>,
    /// Taken from the process's recorder at the method's first call, not when the layer is
    /// built: the services build their layers after `metrics::install`, and so do tests.
    handles: OnceLock<Arc<CallHandles>>,
}

impl Known {
    fn handles(&self) -> Arc<CallHandles> {
        self.handles.get_or_init(|| Arc::new(CallHandles::new(self.service, self.method))).clone()
    }
}

impl KitLayer {
    /// A layer with the given request limit, authenticator (`None`: every caller is
    /// [`Principal::local`], see `ALLOW_UNAUTHENTICATED`) and permission table.
    pub fn new(max_request_bytes: usize, auth: Option<Arc<dyn Authenticator>>, table: PermissionTable) -> Self {
        let mut known = HashMap::new();
        for (path, access) in table {
            let Some((service, method)) = path.split_once('/') else { continue };
            // The first entry of a path counts, as in `auth::access`.
            known.entry(*path).or_insert_with(|| {
                Arc::new(Known {
                    service,
                    method,
                    access: *access,
                    tenant_field: tenant_field(path),
                    handles: OnceLock::new(),
                })
            });
        }
        KitLayer { max_request_bytes, auth, denials: None, known: Arc::new(known) }
    }

    /// Records refused calls in `sink` as well.
    pub fn with_denials(mut self, sink: Option<Arc<dyn DenialSink>>) -> Self {
        self.denials = sink;
        self
    }
}

impl<S> Layer<S> for KitLayer {
    type Service = KitService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        KitService { inner, layer: self.clone() }
    }
}

/// The service [`KitLayer`] produces.
#[derive(Clone)]
pub struct KitService<S> {
    inner: S,
    layer: KitLayer,
}

type Req = http::Request<tonic::body::Body>;
type Resp = http::Response<tonic::body::Body>;

impl<S, B> Service<Req> for KitService<S>
where
    S: Service<Req, Response = http::Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send,
    B: http_body::Body<Data = bytes::Bytes> + Send + Unpin + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Response = Resp;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Resp, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Req) -> Self::Future {
        // Take the service that was driven to readiness; leave a fresh clone behind.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let layer = self.layer.clone();
        let path = req.uri().path().trim_start_matches('/');
        let known = layer.known.get(path).cloned();
        let (service, method): (SharedString, SharedString) = match &known {
            Some(k) => (SharedString::const_str(k.service), SharedString::const_str(k.method)),
            None => path.split_once('/').map_or((path.to_owned().into(), SharedString::const_str("")), |(s, m)| {
                (s.to_owned().into(), m.to_owned().into())
            }),
        };
        let infrastructure = is_infrastructure(&service);
        let span = if infrastructure {
            tracing::Span::none()
        } else {
            let span = tracing::info_span!(
                "grpc",
                otel.name = %path,
                otel.kind = "server",
                otel.status_code = tracing::field::Empty,
                rpc.system = "grpc",
                rpc.service = %service,
                rpc.method = %method,
                rpc.grpc.status_code = tracing::field::Empty,
                order_id = tracing::field::Empty,
                trace_id = tracing::field::Empty,
            );
            telemetry::set_parent_from(&span, &telemetry::HttpHeaders(req.headers()));
            if let Some(id) = span.in_scope(telemetry::current_trace_id) {
                span.record("trace_id", id.as_str());
            }
            span
        };
        let deadline = req
            .headers()
            .get("grpc-timeout")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_grpc_timeout)
            .map(|d| Instant::now() + d);

        Box::pin(async move {
            let handles = known.as_ref().map(|k| k.handles());
            match &handles {
                Some(h) => h.started.increment(1),
                None => metrics::counter!(crate::metrics::GRPC_STARTED,
                    "grpc_service" => service.clone(), "grpc_method" => method.clone(), "grpc_type" => "unary_or_stream")
                .increment(1),
            }
            let mut record =
                CallRecord { service, method, handles, started: Instant::now(), span: span.clone(), done: false };
            let (mut parts, body) = req.into_parts();

            let limit = layer.max_request_bytes;
            let mut body = tonic::body::Body::new(LimitedBody { inner: body, remaining: limit, limit });
            if !infrastructure {
                // A path outside `known` is outside the permission table: refused.
                let need = known.as_ref().map(|k| k.access);
                match check_access(&layer, need, &record.service, &record.method, &parts.headers).await {
                    Ok(Some(principal)) => {
                        if let Tenants::Only(_) = principal.tenants {
                            let field = known.as_ref().and_then(|k| k.tenant_field);
                            match check_tenant(&layer, field, &record.service, &record.method, &principal, body).await {
                                Ok(checked) => body = checked,
                                Err(status) => {
                                    record.finish(status.code());
                                    return Ok(status.into_http());
                                }
                            }
                        }
                        parts.extensions.insert(principal);
                    }
                    Ok(None) => {}
                    Err(status) => {
                        record.finish(status.code());
                        return Ok(status.into_http());
                    }
                }
            }
            let req = http::Request::from_parts(parts, body);
            let response = DEADLINE.scope(deadline, inner.call(req)).instrument(span).await?;
            if let Some(code) = code_from(response.headers()) {
                record.finish(code);
            }
            Ok(response.map(|b| tonic::body::Body::new(ObservedBody { inner: b, record })))
        })
    }
}

/// SE-01/SE-02: the caller of a call to `service/method`, checked against what the permission
/// table says the method needs (`need`). `Ok(None)` for a public method.
async fn check_access(
    layer: &KitLayer,
    need: Option<Access>,
    service: &str,
    method: &str,
    headers: &http::HeaderMap,
) -> Result<Option<Principal>, tonic::Status> {
    let need = match need {
        None => return Err(tonic::Status::permission_denied("this method has no entry in the permission table")),
        Some(Access::Public) => return Ok(None),
        Some(Access::Needs(p)) => p,
    };
    let principal = match &layer.auth {
        None => Principal::local(),
        Some(auth) => {
            let token = headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
                .map(str::trim)
                .filter(|t| !t.is_empty());
            let found = match token {
                Some(t) => auth.authenticate(t).await,
                None => None,
            };
            found.ok_or_else(|| tonic::Status::unauthenticated("missing or invalid bearer token"))?
        }
    };
    if let Err(status) = principal.require(need) {
        let method = format!("{service}/{method}");
        tracing::warn!(caller = %principal.subject, %method, permission = need, "call refused: permission missing");
        metrics::counter!(crate::metrics::GRPC_DENIED, "grpc_service" => service.to_owned(), "permission" => need)
            .increment(1);
        if let Some(sink) = &layer.denials {
            sink.record(&Denial { principal, method, permission: need }).await;
        }
        return Err(status);
    }
    Ok(Some(principal))
}

/// SE-03: for a caller bound to some tenants, the request's `tenant_id` (field `field` of a
/// tenant-scoped method's request, read from the body) must be one of them. Returns the body to
/// hand on (read whole when it was checked, untouched otherwise).
async fn check_tenant(
    layer: &KitLayer,
    field: Option<u32>,
    service: &str,
    method: &str,
    principal: &Principal,
    body: tonic::body::Body,
) -> Result<tonic::body::Body, tonic::Status> {
    let Some(field) = field else { return Ok(body) };
    let bytes = read_whole(body).await?;
    let tenant = match tenant_of(&bytes, field) {
        Ok(t) => t,
        Err(Unreadable::Compressed) => {
            return Err(tonic::Status::unimplemented("compressed requests are not accepted"));
        }
        Err(Unreadable::Malformed) => {
            return Err(tonic::Status::invalid_argument("the request is not one well-formed message"));
        }
    };
    match tenant {
        // No tenant named: the handler refuses it for the missing field (INVALID_ARGUMENT).
        None => {}
        Some(t) if t.is_empty() || principal.may_act_for(&t) => {}
        Some(_) => {
            let path = format!("{service}/{method}");
            tracing::warn!(caller = %principal.subject, method = %path, "call refused: tenant not allowed");
            metrics::counter!(crate::metrics::GRPC_DENIED, "grpc_service" => service.to_owned(), "permission" => "tenant")
                .increment(1);
            if let Some(sink) = &layer.denials {
                sink.record(&Denial { principal: principal.clone(), method: path, permission: "tenant" }).await;
            }
            return Err(super::status::refused(
                tonic::Code::PermissionDenied,
                "TENANT_NOT_ALLOWED",
                "payops",
                format!("caller {:?} may not act for this tenant", principal.subject),
            ));
        }
    }
    Ok(tonic::body::Body::new(Buffered(Some(bytes))))
}

/// The whole request body (already bounded by the size limit).
async fn read_whole(mut body: tonic::body::Body) -> Result<bytes::Bytes, tonic::Status> {
    use http_body::Body as _;
    let mut out = bytes::BytesMut::new();
    while let Some(frame) = std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await {
        let frame = frame?;
        if let Some(data) = frame.data_ref() {
            out.extend_from_slice(data);
        }
    }
    Ok(out.freeze())
}

/// Parses a `grpc-timeout` value: up to 8 digits and a unit of H, M, S, m, u or n.
pub(crate) fn parse_grpc_timeout(value: &str) -> Option<Duration> {
    if value.len() < 2 || value.len() > 9 {
        return None;
    }
    let (digits, unit) = value.split_at(value.len() - 1);
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n.checked_mul(3600)?),
        "M" => Duration::from_secs(n.checked_mul(60)?),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

/// Formats a duration as a `grpc-timeout` value (milliseconds, at most 8 digits).
pub(crate) fn format_grpc_timeout(d: Duration) -> String {
    let ms = d.as_millis().min(99_999_999);
    format!("{ms}m")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_timeout_table() {
        let cases = [
            ("5S", Some(Duration::from_secs(5))),
            ("250m", Some(Duration::from_millis(250))),
            ("1H", Some(Duration::from_secs(3600))),
            ("2M", Some(Duration::from_secs(120))),
            ("10u", Some(Duration::from_micros(10))),
            ("7n", Some(Duration::from_nanos(7))),
            ("S", None),
            ("5x", None),
            ("123456789S", None),
            ("-1S", None),
        ];
        for (v, want) in cases {
            assert_eq!(parse_grpc_timeout(v), want, "{v}");
        }
        assert_eq!(format_grpc_timeout(Duration::from_millis(1500)), "1500m");
        assert_eq!(parse_grpc_timeout(&format_grpc_timeout(Duration::from_secs(3))), Some(Duration::from_secs(3)));
    }
}
