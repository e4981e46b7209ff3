//! Migration 6: what the hostile-caller hardening keeps.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::*;

/// What the hostile-caller hardening keeps: the reason a verification gave (`useFor`,
/// `useCause`) with its event, an account's own budget of personal-data calls, and the calls
/// counted per account and minute across every node.
pub(super) struct Hardening;

impl MigrationName for Hardening {
    fn name(&self) -> &str {
        "m20261206_000006_hardening"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Hardening {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("audit_events")
                .add_column(string_len_null(
                    "purpose",
                    license_core::context::MAX_REASON_CHARS as u32,
                ))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("accounts")
                .add_column(integer_null("rate_limit_per_minute"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            table(m, "rate_windows")
                .col(big_pk_auto("id"))
                .col(string_len("account", 128))
                .col(big_integer("window_start"))
                .col(big_integer("calls"))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "rate_windows",
            "ux_rate_windows_account_window",
            &["account", "window_start"],
            true,
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("rate_windows").if_exists().to_owned())
            .await?;
        m.alter_table(
            Table::alter()
                .table("accounts")
                .drop_column("rate_limit_per_minute")
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("audit_events")
                .drop_column("purpose")
                .to_owned(),
        )
        .await
    }
}
