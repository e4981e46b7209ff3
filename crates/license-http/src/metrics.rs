//! Request metrics in the Prometheus (OpenMetrics) text format at `/metrics`: requests and
//! latency by interface and return code.
//!
//! Handlers tag their response with the [`Interface`] answered and the envelope's
//! [`ReturnCode`] (response extensions); the [`observe`] middleware times every request, reads
//! the tags and records them. Untagged responses (health checks, the verification page, unknown
//! paths) count under their route template with their HTTP status.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{self as http, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use license_core::{Interface, ReturnCode};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallLabels {
    interface: String,
    code: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct InterfaceLabel {
    interface: String,
}

/// The node's request metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<CallLabels, Counter>,
    latency: Family<InterfaceLabel, Histogram>,
    rate_limited: Family<InterfaceLabel, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        let requests = Family::<CallLabels, Counter>::default();
        let latency = Family::<InterfaceLabel, Histogram>::new_with_constructor(
            latency_histogram as fn() -> _,
        );
        let mut registry = Registry::with_prefix("licensed");
        registry.register(
            "requests",
            "Requests answered, by interface and return code (HTTP status for other paths)",
            requests.clone(),
        );
        registry.register(
            "request_duration_seconds",
            "Time to answer, by interface",
            latency.clone(),
        );
        let rate_limited = Family::<InterfaceLabel, Counter>::default();
        registry.register(
            "rate_limited",
            "Calls refused for a rate limit (an account's budget, holder searches, token requests per address), by interface",
            rate_limited.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            rate_limited,
        }
    }
}

fn latency_histogram() -> Histogram {
    // 250 µs … ~8 s.
    Histogram::new(exponential_buckets(0.000_25, 2.0, 16))
}

impl Metrics {
    /// Records one answered request.
    pub fn record(&self, interface: &str, code: &str, seconds: f64) {
        self.requests
            .get_or_create(&CallLabels {
                interface: interface.to_owned(),
                code: code.to_owned(),
            })
            .inc();
        self.latency
            .get_or_create(&InterfaceLabel {
                interface: interface.to_owned(),
            })
            .observe(seconds);
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// What a response answered: the interface its handler tagged (if any) and its return code
/// (the envelope's, else the HTTP status).
pub(crate) fn outcome<B>(response: &http::Response<B>) -> (Option<&'static str>, String) {
    let interface = response.extensions().get::<Interface>().map(|i| i.label());
    let code = response.extensions().get::<ReturnCode>().map_or_else(
        || response.status().as_u16().to_string(),
        |c| c.code().to_string(),
    );
    (interface, code)
}

/// Middleware: times every request and records its outcome under the interface answered, or
/// the route template when none was.
pub async fn observe(State(metrics): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let response = next.run(req).await;
    let (interface, code) = outcome(&response);
    let interface = interface.unwrap_or(&route);
    metrics.record(interface, &code, started.elapsed().as_secs_f64());
    // Only a refusal for a rate limit carries a retry hint.
    if response.headers().contains_key(header::RETRY_AFTER) {
        metrics
            .rate_limited
            .get_or_create(&InterfaceLabel {
                interface: interface.to_owned(),
            })
            .inc();
    }
    response
}

/// `GET /metrics`.
pub async fn metrics(State(metrics): State<Arc<Metrics>>) -> Response {
    let mut r = metrics.render().into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counts_by_interface_and_code() {
        let m = Metrics::default();
        m.record("ShareQueryCertInfo", "0", 0.002);
        m.record("ShareQueryCertInfo", "0", 0.003);
        m.record("ShareQueryCertInfo", "11", 0.001);
        let text = m.render();
        assert!(
            text.contains(r#"licensed_requests_total{interface="ShareQueryCertInfo",code="0"} 2"#),
            "{text}"
        );
        assert!(
            text.contains(r#"licensed_requests_total{interface="ShareQueryCertInfo",code="11"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(
                r#"licensed_request_duration_seconds_count{interface="ShareQueryCertInfo"} 3"#
            ),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"));
    }
}
