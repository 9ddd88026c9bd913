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

#[cfg(test)]
mod tests {
    use axum::{body::Body, http::StatusCode, routing::get};
    use tower::ServiceExt;

    use super::*;
    use crate::metrics::Metrics;

    struct Internal;

    impl From<anyhow::Error> for Internal {
        fn from(_: anyhow::Error) -> Self {
            Self
        }
    }

    impl IntoResponse for Internal {
        fn into_response(self) -> axum::response::Response {
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }

    /// The evidence for `panic = "unwind"` in the release profile (docs/security.md): a handler
    /// that panics costs its own request a 500 and nothing else. Under `abort` the same panic ends
    /// the process and every request in flight with it.
    #[tokio::test]
    async fn a_panicking_handler_is_one_500_and_the_service_goes_on() {
        async fn boom() -> &'static str {
            panic!("a bug reached by one request")
        }
        let routes = Router::new()
            .route("/boom", get(boom))
            .route("/ok", get(|| async { "ok" }));
        let app = observed::<Internal, ()>(routes, Metrics::new(&[0.1], "latency").http());
        let request = |path: &str| Request::builder().uri(path).body(Body::empty()).unwrap();
        let panicked = app.clone().oneshot(request("/boom")).await.unwrap();
        assert_eq!(panicked.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let after = app.oneshot(request("/ok")).await.unwrap();
        assert_eq!(after.status(), StatusCode::OK);
    }
}
