//! Housekeeping: expired download links and their annotated copies (the file first, then the
//! row, so that no row outlives its file unnoticed and no file is left behind), token pairs
//! past their refresh expiry, lock-out records past their counting window, and audit events
//! past their retention (archived first: [`crate::retention`]) — removed in
//! batches with a pause between them so that calls are not stalled, by one node at a time (the
//! job's lease in the database, renewed per batch). `licensed purge` runs it once; `serve`
//! every `purge_interval_secs`.

use std::time::{Duration, Instant};

use license_core::ServiceError;
use license_core::ports::JobRun;

use crate::admin::fault_to_service;
use crate::platform::Platform;

/// The job's name (its lease, its last run).
pub const PURGE_JOB: &str = "purge";
/// Rows per batch.
const BATCH: u64 = 500;
/// The shortest pause between batches.
const PAUSE: Duration = Duration::from_millis(20);
/// The pause after a batch is this many times what the batch took (and at least [`PAUSE`]):
/// a purge takes at most a seventh of the database's and the node's time, so that the calls
/// it shares them with keep their pace (`cargo xtask bench` with `BENCH_PURGE`).
const PACE: u32 = 6;

/// What one purge removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PurgeReport {
    /// Expired download links.
    pub links: u64,
    /// Their annotated copies' files.
    pub copies: u64,
    /// Token pairs past their refresh expiry.
    pub tokens: u64,
    /// Lock-out records past their window.
    pub login_records: u64,
    /// Audit events archived and deleted.
    pub audit_events: u64,
    /// Days of audit events archived.
    pub audit_days: u64,
}

impl std::fmt::Display for PurgeReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} expired download links ({} copies), {} token pairs, {} lock-out records, {} audit \
             events archived and deleted ({} days)",
            self.links,
            self.copies,
            self.tokens,
            self.login_records,
            self.audit_events,
            self.audit_days
        )
    }
}

/// A port's fault as the service's.
pub(crate) fn fault(e: license_core::ports::PortError) -> ServiceError {
    fault_to_service(e.into())
}

/// Waits after work that began at `began`: [`PACE`] times as long as it took, at least
/// [`PAUSE`].
pub(crate) async fn paced(began: Instant) {
    tokio::time::sleep(Ord::max(PAUSE, began.elapsed() * PACE)).await;
}

impl Platform {
    /// Runs one purge; `None` when another node is running one. A stage that fails does not
    /// stop the others; the first fault is returned after the run's report is recorded.
    pub async fn purge(&self) -> Result<Option<PurgeReport>, ServiceError> {
        let holder = self.deliveries.holder.as_str();
        let upkeep = &self.ports.upkeep;
        let lease = || async {
            let now = self.now();
            upkeep
                .lease_job(PURGE_JOB, holder, now, now + chrono::Duration::minutes(5))
                .await
                .map_err(fault)
        };
        if !lease().await? {
            return Ok(None);
        }
        self.telemetry.purge_running.set(1);
        let mut report = PurgeReport::default();
        let mut faults: Vec<(&str, ServiceError)> = Vec::new();
        let mut held = match self.purge_links(&lease, &mut report).await {
            Ok(held) => held,
            Err(e) => {
                faults.push(("download links", e));
                true
            }
        };
        if held {
            let step = || upkeep.purge_tokens(self.now(), BATCH);
            match self.purge_rows(&lease, "tokens", step).await {
                Ok((n, h)) => (report.tokens, held) = (n, h),
                Err(e) => faults.push(("token pairs", e)),
            }
        }
        if held {
            let step = || {
                let now = self.now();
                upkeep.purge_login_failures(now - self.config.lockout.window, now, BATCH)
            };
            match self.purge_rows(&lease, "login_records", step).await {
                Ok((n, h)) => (report.login_records, held) = (n, h),
                Err(e) => faults.push(("lock-out records", e)),
            }
        }
        if held {
            let mut done = (0, 0);
            match self.purge_audit(&lease, &mut done).await {
                Ok(h) => held = h,
                Err(e) => faults.push(("audit events", e)),
            }
            (report.audit_events, report.audit_days) = done;
        }
        self.telemetry.purge_running.set(0);
        let mut summary = report.to_string();
        if !held {
            summary.push_str("; stopped: another node took the purge over");
        }
        for (stage, e) in &faults {
            summary.push_str(&format!("; {stage} stopped by a fault: {e}"));
        }
        if let Err(e) = upkeep
            .finish_job(PURGE_JOB, holder, self.now(), &summary)
            .await
        {
            tracing::warn!(error = %e, "the purge's report was not recorded");
        }
        match faults.into_iter().next() {
            Some((_, e)) => Err(e),
            None => Ok(Some(report)),
        }
    }

    /// Expired download links: each copy's file, then the batch's rows; the lease renewed
    /// every 50 files too (a slow store must not outlast it). Whether the lease is still held.
    async fn purge_links<F, Fut>(
        &self,
        lease: &F,
        report: &mut PurgeReport,
    ) -> Result<bool, ServiceError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<bool, ServiceError>>,
    {
        let upkeep = &self.ports.upkeep;
        loop {
            let began = Instant::now();
            let batch = upkeep
                .expired_grants(self.now(), BATCH)
                .await
                .map_err(fault)?;
            for (i, g) in batch.iter().enumerate() {
                self.ports.files.delete(&g.copy_key).await.map_err(fault)?;
                report.copies += 1;
                self.telemetry.removed("copies", 1);
                if i % 50 == 49 && !lease().await? {
                    return Ok(false);
                }
            }
            let digests: Vec<String> = batch.iter().map(|g| g.digest.clone()).collect();
            let n = upkeep.delete_grants(&digests).await.map_err(fault)?;
            report.links += n;
            self.telemetry.removed("links", n);
            if (batch.len() as u64) < BATCH {
                return Ok(true);
            }
            if !self.pause(lease, began).await? {
                return Ok(false);
            }
        }
    }

    /// Rows removed a batch at a time by `step`; how many, and whether the lease is held.
    async fn purge_rows<F, Fut, S, SFut>(
        &self,
        lease: &F,
        kind: &'static str,
        step: S,
    ) -> Result<(u64, bool), ServiceError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<bool, ServiceError>>,
        S: Fn() -> SFut,
        SFut: std::future::Future<Output = license_core::ports::PortResult<u64>>,
    {
        let mut total = 0;
        loop {
            let began = Instant::now();
            let n = step().await.map_err(fault)?;
            total += n;
            self.telemetry.removed(kind, n);
            if n < BATCH {
                return Ok((total, true));
            }
            if !self.pause(lease, began).await? {
                return Ok((total, false));
            }
        }
    }

    /// The pause after a batch that began at `began`, then the lease renewed; false if another
    /// node took it.
    pub(crate) async fn pause<F, Fut>(
        &self,
        lease: &F,
        began: Instant,
    ) -> Result<bool, ServiceError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<bool, ServiceError>>,
    {
        paced(began).await;
        lease().await
    }

    /// Purges every `purge_interval` until `shutdown` resolves (the first after one interval,
    /// so that nodes starting together do not all try at once); a fault is logged and the next
    /// round tries again.
    pub async fn run_upkeep(
        self: std::sync::Arc<Self>,
        shutdown: impl std::future::Future<Output = ()>,
    ) {
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => return,
                () = tokio::time::sleep(self.config.purge_interval) => {}
            }
            let outcome = tokio::select! {
                () = &mut shutdown => return,
                outcome = self.purge() => outcome,
            };
            match outcome {
                Ok(Some(r)) => tracing::info!(removed = %r, "purge done"),
                Ok(None) => tracing::debug!("purge running on another node"),
                Err(e) => tracing::warn!(error = %e, "purge failed"),
            }
        }
    }

    /// What the last purge did, on any node.
    pub async fn last_purge(&self) -> Result<Option<JobRun>, ServiceError> {
        self.ports.upkeep.last_run(PURGE_JOB).await.map_err(fault)
    }
}
