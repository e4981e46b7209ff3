//! Housekeeping on sea-orm: job leases (in `outbox_leases`, as `job:<name>`) and last runs,
//! and what has expired found through the indexes by expiry (migration 10) and removed by
//! primary key, a batch at a time (no `DELETE … LIMIT`, which PostgreSQL lacks).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use license_core::ports::{DownloadGrant, JobRun, PortResult, Upkeep};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::BTreeMap;

use super::bounded;
use super::grants::grant_from;
use crate::entity::{
    audit_event, audit_holder_run, audit_license, audit_run, download_grant, job_run,
    login_failure, token,
};
use crate::store::{SeaStore, port_err, write_transaction};

/// The lease key of a job.
fn job_key(name: &str) -> String {
    format!("job:{name}")
}

#[async_trait]
impl Upkeep for SeaStore {
    async fn lease_job(
        &self,
        name: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> PortResult<bool> {
        self.take_lease(&job_key(name), holder, now, until).await
    }

    async fn finish_job(
        &self,
        name: &str,
        holder: &str,
        at: DateTime<Utc>,
        report: &str,
    ) -> PortResult<()> {
        let row = job_run::ActiveModel {
            name: Set(name.to_owned()),
            finished_at: Set(at),
            report: Set(report.to_owned()),
        };
        job_run::Entity::insert(row)
            .on_conflict(
                OnConflict::column(job_run::Column::Name)
                    .update_columns([job_run::Column::FinishedAt, job_run::Column::Report])
                    .to_owned(),
            )
            .exec(&self.db)
            .await
            .map_err(port_err)?;
        self.give_lease(&job_key(name), holder).await
    }

    async fn last_run(&self, name: &str) -> PortResult<Option<JobRun>> {
        Ok(job_run::Entity::find_by_id(name.to_owned())
            .one(&self.db)
            .await
            .map_err(port_err)?
            .map(|m| JobRun {
                finished_at: m.finished_at,
                report: m.report,
            }))
    }

    async fn expired_grants(
        &self,
        before: DateTime<Utc>,
        limit: u64,
    ) -> PortResult<Vec<DownloadGrant>> {
        Ok(download_grant::Entity::find()
            .filter(download_grant::Column::ExpiresAt.lt(before))
            .order_by_asc(download_grant::Column::ExpiresAt)
            .limit(bounded(limit))
            .all(&self.db)
            .await
            .map_err(port_err)?
            .into_iter()
            .map(grant_from)
            .collect())
    }

    async fn delete_grants(&self, digests: &[String]) -> PortResult<u64> {
        if digests.is_empty() {
            return Ok(0);
        }
        let r = download_grant::Entity::delete_many()
            .filter(download_grant::Column::Digest.is_in(digests.iter().map(String::as_str)))
            .exec(&self.db)
            .await
            .map_err(port_err)?;
        Ok(r.rows_affected)
    }

    async fn purge_tokens(&self, before: DateTime<Utc>, limit: u64) -> PortResult<u64> {
        let expired = Condition::all().add(token::Column::RefreshExpiresAt.lt(before));
        self.purge_oldest::<token::Entity>(
            token::Column::Id,
            token::Column::RefreshExpiresAt,
            expired,
            limit,
        )
        .await
    }

    async fn purge_login_failures(
        &self,
        before: DateTime<Utc>,
        now: DateTime<Utc>,
        limit: u64,
    ) -> PortResult<u64> {
        let stale = Condition::all()
            .add(login_failure::Column::WindowStart.lt(before))
            .add(
                Condition::any()
                    .add(login_failure::Column::LockedUntil.is_null())
                    .add(login_failure::Column::LockedUntil.lte(now)),
            );
        self.purge_oldest::<login_failure::Entity>(
            login_failure::Column::Id,
            login_failure::Column::WindowStart,
            stale,
            limit,
        )
        .await
    }

    async fn delete_audit_events(&self, keys: &[i64]) -> PortResult<u64> {
        if keys.is_empty() {
            return Ok(0);
        }
        // On the audit log's own connection (SQLite): between its appends, not against them;
        // a write transaction from its start, since it reads before it writes.
        let txn = write_transaction(&self.audit).await.map_err(port_err)?;
        let rows: Vec<(String, Option<String>, i64)> = audit_event::Entity::find()
            .select_only()
            .columns([
                audit_event::Column::EventKey,
                audit_event::Column::HolderCode,
                audit_event::Column::Id,
            ])
            .filter(audit_event::Column::Id.is_in(keys.iter().copied()))
            .into_tuple()
            .all(&txn)
            .await
            .map_err(port_err)?;
        let event_keys = rows.iter().map(|(k, _, _)| k.as_str());
        audit_license::Entity::delete_many()
            .filter(audit_license::Column::EventKey.is_in(event_keys))
            .exec(&txn)
            .await
            .map_err(port_err)?;
        // The holder index's runs (kept on SQLite only; elsewhere there are none): each
        // event's row sought by its key in every run.
        let runs: Vec<i64> = audit_run::Entity::find()
            .select_only()
            .column(audit_run::Column::Run)
            .into_tuple()
            .all(&txn)
            .await
            .map_err(port_err)?;
        if !runs.is_empty() {
            let mut by_holder: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
            for (_, holder, id) in &rows {
                if let Some(h) = holder {
                    by_holder.entry(h).or_default().push(*id);
                }
            }
            for (holder, ids) in by_holder {
                audit_holder_run::Entity::delete_many()
                    .filter(audit_holder_run::Column::Run.is_in(runs.iter().copied()))
                    .filter(audit_holder_run::Column::HolderCode.eq(holder))
                    .filter(audit_holder_run::Column::EventId.is_in(ids))
                    .exec(&txn)
                    .await
                    .map_err(port_err)?;
            }
        }
        let r = audit_event::Entity::delete_many()
            .filter(audit_event::Column::Id.is_in(keys.iter().copied()))
            .exec(&txn)
            .await
            .map_err(port_err)?;
        txn.commit().await.map_err(port_err)?;
        Ok(r.rows_affected)
    }
}

impl SeaStore {
    /// Removes up to `limit` rows of `E` meeting `stale`, oldest by `order` first: their keys
    /// read through the index, then removed by key with `stale` checked again (a row may have
    /// changed since it was read — a lock-out record counting a new failure).
    async fn purge_oldest<E: EntityTrait>(
        &self,
        id: E::Column,
        order: E::Column,
        stale: Condition,
        limit: u64,
    ) -> PortResult<u64> {
        let ids: Vec<i64> = E::find()
            .select_only()
            .column(id)
            .filter(stale.clone())
            .order_by_asc(order)
            .limit(bounded(limit))
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(port_err)?;
        if ids.is_empty() {
            return Ok(0);
        }
        let r = E::delete_many()
            .filter(id.is_in(ids))
            .filter(stale)
            .exec(&self.db)
            .await
            .map_err(port_err)?;
        Ok(r.rows_affected)
    }
}
