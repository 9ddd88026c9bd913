//! The middleware around every route of a service, and the request span its logs live in.

use std::{any::Any, time::Duration};

use axum::{
    Router,
    extract::{MatchedPath, Request},
    http::Response,
    middleware,
    response::IntoResponse,
};
use tower::ServiceBuilder;
use tower_http::{
    catch_panic::CatchPanicLayer,
    compression::CompressionLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer},
    trace::TraceLayer,
};
use tracing::{Span, field::Empty};

use crate::metrics::{self, HttpMetrics, UNMATCHED_ROUTE};

/// Wraps `router` in the shared middleware, outermost first: a request id (kept from
/// `X-Request-Id` or generated) exists before the trace span, which wraps everything else and logs
/// one line per request; the id goes back on the response; metrics count every answer; a panicking
/// handler answers as the service's internal error `E` does; bodies are compressed.
pub fn observed<E, S>(router: Router<S>, metrics: HttpMetrics) -> Router<S>
where
    E: From<anyhow::Error> + IntoResponse,
    S: Clone + Send + Sync + 'static,
{
    router.layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with(request_span)
                    .on_response(record_response)
                    // A 5xx is already logged once, with its cause, by the service's error type.
                    .on_failure(()),
            )
            .layer(PropagateRequestIdLayer::x_request_id())
            .layer(middleware::from_fn_with_state(metrics, metrics::track))
            .layer(CatchPanicLayer::custom(|_: Box<dyn Any + Send>| {
                E::from(anyhow::anyhow!("handler panicked")).into_response()
            }))
            .layer(CompressionLayer::new()),
    )
}

fn request_span(request: &Request) -> Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED_ROUTE, MatchedPath::as_str);
    let request_id = request
        .extensions()
        .get::<RequestId>()
        .and_then(|id| id.header_value().to_str().ok())
        .unwrap_or_default();
    tracing::info_span!(
        "http_request",
        method = %request.method(),
        route,
        request_id,
        status = Empty,
        latency_ms = Empty,
    )
}

fn record_response<B>(response: &Response<B>, latency: Duration, span: &Span) {
    span.record("status", response.status().as_u16());
    span.record("latency_ms", u64::try_from(latency.as_millis()).unwrap_or(u64::MAX));
    tracing::info!("request finished");
}
