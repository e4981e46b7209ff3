//! Migration 8: the platform's signing key, for nodes that share a database but no directory.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::*;

/// The key every node of a platform signs with when no `signing_key_file` is given: made by
/// the first node that starts, read by the others.
pub(super) struct PlatformKeys;

impl MigrationName for PlatformKeys {
    fn name(&self) -> &str {
        "m20261206_000008_platform_keys"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for PlatformKeys {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table(m, "platform_keys")
                .col(string_len("name", 64).primary_key())
                .col(text("pem"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("platform_keys").if_exists().to_owned())
            .await
    }
}
