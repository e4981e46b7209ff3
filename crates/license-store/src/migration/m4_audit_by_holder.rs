//! Migration 4: a license's events found through the holder index.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::*;

/// The events of one license found through the holder index (`audit_links` in this crate):
/// the license index cost a random page write per event. Adds the events' `in_library` flag
/// and the licenses' former holder codes, links every event the holder index would not find,
/// then drops the license index.
pub(super) struct AuditByHolder;

impl MigrationName for AuditByHolder {
    fn name(&self) -> &str {
        "m20261128_000004_audit_by_holder"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for AuditByHolder {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("audit_events")
                .add_column(boolean("in_library").default(false))
                .to_owned(),
        )
        .await?;
        m.create_table(
            table(m, "license_former_holders")
                .col(big_pk_auto("id"))
                .col(string_len("identifier", KEY_LEN))
                .col(string_len("holder_code", 64))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "license_former_holders",
            "ix_license_former_holders_identifier",
            &["identifier"],
            false,
        )
        .await?;
        // Events of one license written while it had its own index: link those their holder
        // code does not find in the library.
        let held = Query::select()
            .expr(Expr::val(1))
            .from("licenses")
            .and_where(Expr::col(("licenses", "identifier")).equals(("audit_events", "license")))
            .and_where(
                Expr::col(("licenses", "holder_code")).equals(("audit_events", "holder_code")),
            )
            .to_owned();
        let unfound = Query::select()
            .column(("audit_events", "event_key"))
            .column(("audit_events", "license"))
            .from("audit_events")
            .and_where(Expr::col(("audit_events", "license")).is_not_null())
            .and_where(Expr::exists(held).not())
            .to_owned();
        let links = Query::insert()
            .into_table("audit_licenses")
            .columns(["event_key", "identifier"])
            .select_from(unfound)
            .map_err(|e| DbErr::Migration(e.to_string()))?
            .to_owned();
        m.exec_stmt(links).await?;
        m.drop_index(
            Index::drop()
                .name("ix_audit_license_at")
                .table("audit_events")
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        index(
            m,
            "audit_events",
            "ix_audit_license_at",
            &["license", "at"],
            false,
        )
        .await?;
        m.drop_table(
            Table::drop()
                .table("license_former_holders")
                .if_exists()
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("audit_events")
                .drop_column("in_library")
                .to_owned(),
        )
        .await
    }
}
