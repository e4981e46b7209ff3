//! Migration 7: leases on the outbox, so that one node at a time delivers a license's pushes.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::*;

/// A license's pushes delivered by one node at a time: the node holding the lease (until it
/// expires, so that another takes over after a crash).
pub(super) struct OutboxLeases;

impl MigrationName for OutboxLeases {
    fn name(&self) -> &str {
        "m20261206_000007_outbox_leases"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for OutboxLeases {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table(m, "outbox_leases")
                .col(string_len("license", KEY_LEN).primary_key())
                .col(string_len("holder", 64))
                .col(timestamp_with_time_zone("until"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("outbox_leases").if_exists().to_owned())
            .await
    }
}
