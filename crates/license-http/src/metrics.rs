//! The node's metrics in the Prometheus (OpenMetrics) text format at `/metrics`: REST and gRPC
//! requests and latency by interface and return code, the build, what the platform counts
//! (outbox deliveries, audit commits, purges: registered with [`Metrics::register_with`]), and
//! values read when scraped ([`Sampler`]: the outbox's backlog, the database pool).
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
use license_core::service::CallObserver;
use license_core::{Interface, ReturnCode};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallLabels {
    interface: String,
    code: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct InterfaceLabel {
    interface: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: String,
    git_hash: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabel {
    state: &'static str,
}

/// Values read when `/metrics` is scraped.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sampled {
    /// Pushes to the province waiting to be delivered.
    pub outbox_pending: i64,
    /// Seconds the oldest of them has waited (0 when none).
    pub outbox_oldest_pending_age_seconds: f64,
    /// Database connections in use.
    pub pool_in_use: i64,
    /// Database connections open and idle.
    pub pool_idle: i64,
    /// The pool's most connections.
    pub pool_max: i64,
    /// Whether every connection is in use at the pool's maximum: callers wait for one.
    pub pool_saturated: bool,
}

/// Reads [`Sampled`] values when `/metrics` is scraped.
#[async_trait::async_trait]
pub trait Sampler: Send + Sync {
    /// The values now; `None` when they cannot be read (the scrape still answers).
    async fn sample(&self) -> Option<Sampled>;
}

/// Gauges set from a [`Sampler`] at each scrape.
#[derive(Default)]
struct Sampling {
    outbox_pending: Gauge,
    outbox_oldest: Gauge<f64, AtomicU64>,
    pool: Family<PoolLabel, Gauge>,
    pool_max: Gauge,
    pool_saturated: Gauge,
}

/// The node's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<CallLabels, Counter>,
    latency: Family<InterfaceLabel, Histogram>,
    rate_limited: Family<InterfaceLabel, Counter>,
    grpc_requests: Family<CallLabels, Counter>,
    grpc_latency: Family<InterfaceLabel, Histogram>,
    build: Family<BuildLabels, Gauge>,
    sampling: Sampling,
    sampler: Option<Arc<dyn Sampler>>,
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
        let grpc_requests = Family::<CallLabels, Counter>::default();
        registry.register(
            "grpc_requests",
            "gRPC calls answered, by RPC and return code (an OAuth error for the token RPCs)",
            grpc_requests.clone(),
        );
        let grpc_latency = Family::<InterfaceLabel, Histogram>::new_with_constructor(
            latency_histogram as fn() -> _,
        );
        registry.register(
            "grpc_request_duration_seconds",
            "Time to answer a gRPC call, by RPC",
            grpc_latency.clone(),
        );
        let build = Family::<BuildLabels, Gauge>::default();
        registry.register(
            "build_info",
            "The build serving: version and git commit (always 1)",
            build.clone(),
        );
        let sampling = Sampling::default();
        registry.register(
            "outbox_pending",
            "Pushes to the province waiting to be delivered",
            sampling.outbox_pending.clone(),
        );
        registry.register(
            "outbox_oldest_pending_age_seconds",
            "Seconds the oldest waiting push has waited",
            sampling.outbox_oldest.clone(),
        );
        registry.register(
            "db_pool_connections",
            "Database connections of this node, by state (in_use, idle)",
            sampling.pool.clone(),
        );
        registry.register(
            "db_pool_max_connections",
            "The database pool's most connections",
            sampling.pool_max.clone(),
        );
        registry.register(
            "db_pool_saturated",
            "1 when every connection is in use at the pool's maximum, so that calls wait for one",
            sampling.pool_saturated.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            rate_limited,
            grpc_requests,
            grpc_latency,
            build,
            sampling,
            sampler: None,
        }
    }
}

fn latency_histogram() -> Histogram {
    // 250 µs … ~8 s.
    Histogram::new(exponential_buckets(0.000_25, 2.0, 16))
}

impl Metrics {
    /// Names the build serving (`licensed_build_info`).
    pub fn with_build(self, version: &str, git_hash: &str) -> Self {
        self.build
            .get_or_create(&BuildLabels {
                version: version.to_owned(),
                git_hash: git_hash.to_owned(),
            })
            .set(1);
        self
    }

    /// Registers more metrics (the platform's) under the node's prefix.
    pub fn register_with(mut self, register: impl FnOnce(&mut Registry)) -> Self {
        register(&mut self.registry);
        self
    }

    /// Reads `sampler` at each scrape.
    pub fn with_sampler(mut self, sampler: Arc<dyn Sampler>) -> Self {
        self.sampler = Some(sampler);
        self
    }

    /// Sets the sampled gauges from the sampler, if any.
    async fn sample(&self) {
        let Some(s) = self.sampler.as_ref() else {
            return;
        };
        let Some(v) = s.sample().await else {
            return;
        };
        let g = &self.sampling;
        g.outbox_pending.set(v.outbox_pending);
        g.outbox_oldest.set(v.outbox_oldest_pending_age_seconds);
        g.pool
            .get_or_create(&PoolLabel { state: "in_use" })
            .set(v.pool_in_use);
        g.pool
            .get_or_create(&PoolLabel { state: "idle" })
            .set(v.pool_idle);
        g.pool_max.set(v.pool_max);
        g.pool_saturated.set(i64::from(v.pool_saturated));
    }

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

impl CallObserver for Metrics {
    fn answered(&self, interface: &str, code: &str, seconds: f64) {
        self.grpc_requests
            .get_or_create(&CallLabels {
                interface: interface.to_owned(),
                code: code.to_owned(),
            })
            .inc();
        self.grpc_latency
            .get_or_create(&InterfaceLabel {
                interface: interface.to_owned(),
            })
            .observe(seconds);
    }
}

/// `GET /metrics`.
pub async fn metrics(State(metrics): State<Arc<Metrics>>) -> Response {
    metrics.sample().await;
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

    struct Fixed;

    #[async_trait::async_trait]
    impl Sampler for Fixed {
        async fn sample(&self) -> Option<Sampled> {
            Some(Sampled {
                outbox_pending: 3,
                outbox_oldest_pending_age_seconds: 42.5,
                pool_in_use: 2,
                pool_idle: 5,
                pool_max: 16,
                pool_saturated: false,
            })
        }
    }

    #[tokio::test]
    async fn grpc_calls_the_build_and_sampled_values_are_rendered() {
        let m = Metrics::default()
            .with_build("1.2.3", "abcdef")
            .with_sampler(Arc::new(Fixed));
        m.answered("ShareQueryCertInfo", "0", 0.001);
        m.answered("IssueToken", "invalid_grant", 0.001);
        m.sample().await;
        let text = m.render();
        for line in [
            r#"licensed_grpc_requests_total{interface="ShareQueryCertInfo",code="0"} 1"#,
            r#"licensed_grpc_requests_total{interface="IssueToken",code="invalid_grant"} 1"#,
            r#"licensed_build_info{version="1.2.3",git_hash="abcdef"} 1"#,
            "licensed_outbox_pending 3",
            "licensed_outbox_oldest_pending_age_seconds 42.5",
            r#"licensed_db_pool_connections{state="in_use"} 2"#,
            "licensed_db_pool_max_connections 16",
            "licensed_db_pool_saturated 0",
        ] {
            assert!(text.contains(line), "{line}: {text}");
        }
    }
}
