//! Body wrappers for the server layer: a request body that refuses to grow past the size limit
//! with RESOURCE_EXHAUSTED, and a response body that notices the final `grpc-status` (in
//! trailers, or when the stream ends or is dropped) to record the call's metrics.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};

/// A request body that fails with RESOURCE_EXHAUSTED after `remaining` bytes.
pub(crate) struct LimitedBody {
    pub(crate) inner: tonic::body::Body,
    pub(crate) remaining: usize,
    pub(crate) limit: usize,
}

impl Body for LimitedBody {
    type Data = Bytes;
    type Error = tonic::Status;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    if data.len() > this.remaining {
                        return Poll::Ready(Some(Err(tonic::Status::resource_exhausted(format!(
                            "request body larger than {} bytes",
                            this.limit
                        )))));
                    }
                    this.remaining -= data.len();
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A method's call metrics, taken from the recorder once (the layer keeps them per method of
/// its permission table): the common outcome, OK, then costs two atomic updates.
pub(crate) struct CallHandles {
    pub(crate) started: metrics::Counter,
    ok: metrics::Counter,
    seconds: metrics::Histogram,
}

impl CallHandles {
    pub(crate) fn new(service: &'static str, method: &'static str) -> Self {
        CallHandles {
            started: metrics::counter!(crate::metrics::GRPC_STARTED,
                "grpc_service" => service, "grpc_method" => method, "grpc_type" => "unary_or_stream"),
            ok: metrics::counter!(crate::metrics::GRPC_HANDLED,
                "grpc_service" => service, "grpc_method" => method, "grpc_code" => code_name(tonic::Code::Ok)),
            seconds: metrics::histogram!(crate::metrics::GRPC_SECONDS,
                "grpc_service" => service, "grpc_method" => method),
        }
    }
}

/// Records the call when the final status is known.
pub(crate) struct CallRecord {
    pub(crate) service: metrics::SharedString,
    pub(crate) method: metrics::SharedString,
    /// The method's handles when the layer keeps them (see [`CallHandles`]).
    pub(crate) handles: Option<std::sync::Arc<CallHandles>>,
    pub(crate) started: Instant,
    pub(crate) span: tracing::Span,
    pub(crate) done: bool,
}

impl CallRecord {
    pub(crate) fn finish(&mut self, code: tonic::Code) {
        if self.done {
            return;
        }
        self.done = true;
        let seconds = self.started.elapsed().as_secs_f64();
        match &self.handles {
            Some(h) if code == tonic::Code::Ok => h.ok.increment(1),
            _ => metrics::counter!(crate::metrics::GRPC_HANDLED,
                "grpc_service" => self.service.clone(), "grpc_method" => self.method.clone(), "grpc_code" => code_name(code))
            .increment(1),
        }
        match &self.handles {
            Some(h) => h.seconds.record(seconds),
            None => metrics::histogram!(crate::metrics::GRPC_SECONDS,
                "grpc_service" => self.service.clone(), "grpc_method" => self.method.clone())
            .record(seconds),
        }
        self.span.record("rpc.grpc.status_code", code as i32);
        if is_server_fault(code) {
            self.span.record("otel.status_code", "ERROR");
        }
    }
}

impl Drop for CallRecord {
    fn drop(&mut self) {
        // The body was dropped before it ended: the client went away.
        self.finish(tonic::Code::Cancelled);
    }
}

/// A response body that reports the trailers' `grpc-status`.
pub(crate) struct ObservedBody<B> {
    pub(crate) inner: B,
    pub(crate) record: CallRecord,
}

impl<B> Body for ObservedBody<B>
where
    B: Body<Data = Bytes> + Unpin,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(trailers) = frame.trailers_ref() {
                    this.record.finish(code_from(trailers).unwrap_or(tonic::Code::Ok));
                }
            }
            Poll::Ready(Some(Err(_))) => this.record.finish(tonic::Code::Internal),
            Poll::Ready(None) => this.record.finish(tonic::Code::Ok),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The `grpc-status` in `headers`, if present.
pub(crate) fn code_from(headers: &http::HeaderMap) -> Option<tonic::Code> {
    headers
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|s| s.parse::<i32>().ok())
        .map(tonic::Code::from_i32)
}

/// Codes that count against availability SLOs (server faults, not caller errors).
pub(crate) fn is_server_fault(code: tonic::Code) -> bool {
    matches!(
        code,
        tonic::Code::Unknown
            | tonic::Code::DeadlineExceeded
            | tonic::Code::Internal
            | tonic::Code::Unavailable
            | tonic::Code::DataLoss
    )
}

/// The grpc-ecosystem label value of a code, e.g. `InvalidArgument`.
pub(crate) fn code_name(code: tonic::Code) -> &'static str {
    use tonic::Code as C;
    match code {
        C::Ok => "OK",
        C::Cancelled => "Canceled",
        C::Unknown => "Unknown",
        C::InvalidArgument => "InvalidArgument",
        C::DeadlineExceeded => "DeadlineExceeded",
        C::NotFound => "NotFound",
        C::AlreadyExists => "AlreadyExists",
        C::PermissionDenied => "PermissionDenied",
        C::ResourceExhausted => "ResourceExhausted",
        C::FailedPrecondition => "FailedPrecondition",
        C::Aborted => "Aborted",
        C::OutOfRange => "OutOfRange",
        C::Unimplemented => "Unimplemented",
        C::Internal => "Internal",
        C::Unavailable => "Unavailable",
        C::DataLoss => "DataLoss",
        C::Unauthenticated => "Unauthenticated",
    }
}
