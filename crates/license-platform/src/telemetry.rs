//! What the platform counts for its operators, as Prometheus metrics: outbox deliveries by
//! outcome, the audit log's commit latency, and the purge's progress. The HTTP front registers
//! them beside its request metrics and serves them at `/metrics`.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// An outcome label.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Outcome {
    /// `delivered`, `retry` or `refused`.
    pub outcome: &'static str,
}

/// What the purge removed.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Removed {
    /// `links`, `copies`, `tokens`, `login_records` or `audit_events`.
    pub kind: &'static str,
}

/// The platform's metrics (cheap to clone: every clone counts into the same values).
#[derive(Debug, Clone)]
pub struct Telemetry {
    /// Pushes to the province attempted, by outcome.
    pub deliveries: Family<Outcome, Counter>,
    /// Seconds one audit commit (a batch of events) took.
    pub audit_commit: Histogram,
    /// What purges on this node removed, by kind: it rises while a purge runs.
    pub purged: Family<Removed, Counter>,
    /// 1 while this node runs a purge.
    pub purge_running: Gauge,
}

impl Default for Telemetry {
    fn default() -> Self {
        Telemetry {
            deliveries: Family::default(),
            // 100 µs … ~3 s.
            audit_commit: Histogram::new(exponential_buckets(0.000_1, 2.0, 16)),
            purged: Family::default(),
            purge_running: Gauge::default(),
        }
    }
}

impl Telemetry {
    /// Registers every metric in `registry`.
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "outbox_deliveries",
            "Pushes to the province attempted, by outcome (delivered, retry, refused)",
            self.deliveries.clone(),
        );
        registry.register(
            "audit_commit_duration_seconds",
            "Time one commit of audit events took (a call is answered after its event commits)",
            self.audit_commit.clone(),
        );
        registry.register(
            "purged",
            "What purges on this node removed, by kind (links, copies, tokens, login_records, audit_events)",
            self.purged.clone(),
        );
        registry.register(
            "purge_running",
            "1 while this node runs a purge",
            self.purge_running.clone(),
        );
    }

    /// Counts `n` removed of `kind`.
    pub(crate) fn removed(&self, kind: &'static str, n: u64) {
        self.purged.get_or_create(&Removed { kind }).inc_by(n);
    }

    /// Counts one delivery attempt.
    pub(crate) fn delivery(&self, outcome: &'static str) {
        self.deliveries.get_or_create(&Outcome { outcome }).inc();
    }
}
