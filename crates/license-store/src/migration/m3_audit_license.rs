//! Migration 3: the one license an audited call touched, on its event.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::*;

/// The one license most audited calls touch, on the event itself (indexed with the time): an
/// event of one license is one row, so a batch of them is one statement with no transaction.
/// Events of several licenses still link each through `audit_licenses`.
pub(super) struct AuditLicense;

impl MigrationName for AuditLicense {
    fn name(&self) -> &str {
        "m20261123_000003_audit_license"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for AuditLicense {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("audit_events")
                .add_column(string_len_null("license", KEY_LEN))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "audit_events",
            "ix_audit_license_at",
            &["license", "at"],
            false,
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_audit_license_at")
                .table("audit_events")
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("audit_events")
                .drop_column("license")
                .to_owned(),
        )
        .await
    }
}
