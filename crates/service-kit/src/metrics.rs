//! Prometheus metrics every service records: requests by method, route and status, and a latency
//! histogram by route. A service registers its own metrics in the same registry.

use std::{sync::Arc, time::Instant};

use axum::{
    extract::{MatchedPath, Request, State},
    http::header,
    middleware::Next,
    response::{IntoResponse, Response},
};
use prometheus_client::{
    encoding::{EncodeLabelSet, text::encode},
    metrics::{counter::Counter, family::Family, family::MetricConstructor, histogram::Histogram},
    registry::Registry,
};

use crate::error::Error;

/// Route label for requests that matched no route, so random URLs cannot explode cardinality.
pub const UNMATCHED_ROUTE: &str = "unmatched";

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

/// Makes each route's histogram with the service's buckets.
#[derive(Debug, Clone, Copy)]
struct Buckets(&'static [f64]);

impl MetricConstructor<Histogram> for Buckets {
    fn new_metric(&self) -> Histogram {
        Histogram::new(self.0.iter().copied())
    }
}

/// A process's metric registry (one per application instance, no global recorder) with the HTTP
/// families already in it.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    http: HttpMetrics,
}

impl Metrics {
    /// Registers `http_requests` and `http_request_duration_seconds` (a histogram with
    /// `latency_buckets`, in seconds, described by `latency_help`).
    pub fn new(latency_buckets: &'static [f64], latency_help: &str) -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::new_with_constructor(Buckets(latency_buckets));
        registry.register(
            "http_requests",
            "HTTP requests by method, route and status",
            requests.clone(),
        );
        registry.register("http_request_duration_seconds", latency_help, latency.clone());
        Self {
            registry,
            http: HttpMetrics { requests, latency },
        }
    }

    /// Where a service registers its own metrics, before the registry is shared.
    pub fn registry_mut(&mut self) -> &mut Registry {
        &mut self.registry
    }

    /// The families the request middleware records into.
    pub fn http(&self) -> HttpMetrics {
        self.http.clone()
    }

    /// The registry in the Prometheus text format.
    pub fn exposition(&self) -> Result<Response, Error> {
        let mut text = String::new();
        encode(&mut text, &self.registry)?;
        Ok((
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
            text,
        )
            .into_response())
    }
}

/// `GET /metrics` of a service whose state hands out the shared [`Metrics`].
pub async fn serve(State(metrics): State<Arc<Metrics>>) -> Result<Response, Error> {
    metrics.exposition()
}

/// The HTTP families; cheap to clone (each family is shared), so the middleware holds one.
#[derive(Debug, Clone)]
pub struct HttpMetrics {
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, Buckets>,
}

impl HttpMetrics {
    fn observe(&self, method: String, route: String, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.clone(),
                route: route.clone(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels { method, route })
            .observe(seconds);
    }
}

/// Middleware: counts and times every request under its route template.
pub async fn track(State(metrics): State<HttpMetrics>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| UNMATCHED_ROUTE.to_owned(), |path| path.as_str().to_owned());
    let response = next.run(request).await;
    metrics.observe(
        method,
        route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}
