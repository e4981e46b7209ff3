//! Housekeeping: what has expired — download links and their copies, token pairs, lock-out
//! records — is removed in small batches, by one node at a time (a lease in the database), and
//! the last run's report is kept for operators.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::*;

/// What a periodic job did when it last finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRun {
    /// When it finished.
    pub finished_at: DateTime<Utc>,
    /// What it did, for operators.
    pub report: String,
}

/// Storage's side of housekeeping.
#[async_trait]
pub trait Upkeep: Send + Sync {
    /// Takes the lease on job `name` for `holder` until `until` if it is free, lapsed at
    /// `now`, or already `holder`'s (renewing it); whether `holder` holds it now.
    async fn lease_job(
        &self,
        name: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> PortResult<bool>;
    /// Gives the lease back and records the run's report.
    async fn finish_job(
        &self,
        name: &str,
        holder: &str,
        at: DateTime<Utc>,
        report: &str,
    ) -> PortResult<()>;
    /// The last finished run of job `name`.
    async fn last_run(&self, name: &str) -> PortResult<Option<JobRun>>;
    /// Up to `limit` download grants that expired before `before`, oldest first.
    async fn expired_grants(
        &self,
        before: DateTime<Utc>,
        limit: u64,
    ) -> PortResult<Vec<DownloadGrant>>;
    /// Removes the grants with these digests; how many went.
    async fn delete_grants(&self, digests: &[String]) -> PortResult<u64>;
    /// Removes up to `limit` token pairs whose refresh token expired before `before`.
    async fn purge_tokens(&self, before: DateTime<Utc>, limit: u64) -> PortResult<u64>;
    /// Removes up to `limit` lock-out records whose counting window began before `before` and
    /// that lock nothing at `now`.
    async fn purge_login_failures(
        &self,
        before: DateTime<Utc>,
        now: DateTime<Utc>,
        limit: u64,
    ) -> PortResult<u64>;
    /// Removes the audit events with these keys ([`AuditStore::scan`]), with what links them to
    /// licenses and holder codes, in one transaction; how many went.
    async fn delete_audit_events(&self, keys: &[i64]) -> PortResult<u64>;
}
