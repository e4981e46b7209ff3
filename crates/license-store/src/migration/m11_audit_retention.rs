//! Migration 11: audit retention deletes old events a batch at a time with their links to
//! licenses, found by the event's key: an index on `audit_licenses.event_key` (the key is
//! time-ordered, so the index grows at one end and costs the links' inserts little). Without
//! it each batch scanned every link and held the audit log's writer for seconds.

use sea_orm_migration::prelude::*;

use super::*;

/// The index of audit links by event.
pub(super) struct AuditRetention;

impl MigrationName for AuditRetention {
    fn name(&self) -> &str {
        "m20261206_000011_audit_retention"
    }
}

/// The index's name.
const NAME: &str = "ix_audit_licenses_event_key";

#[async_trait::async_trait]
impl MigrationTrait for AuditRetention {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        index(m, "audit_licenses", NAME, &["event_key"], false).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name(NAME).table("audit_licenses").to_owned())
            .await
    }
}
