//! Migration 9: the budget windows by minute, so that every node's housekeeping forgets old
//! minutes of every key (client addresses among them) with an index range, not a scan.

use sea_orm_migration::prelude::*;

use super::*;

/// An index of `rate_windows` by minute.
pub(super) struct RateWindowsByMinute;

impl MigrationName for RateWindowsByMinute {
    fn name(&self) -> &str {
        "m20261206_000009_rate_windows_by_minute"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for RateWindowsByMinute {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        index(
            m,
            "rate_windows",
            "ix_rate_windows_window",
            &["window_start"],
            false,
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_rate_windows_window")
                .table("rate_windows")
                .to_owned(),
        )
        .await
    }
}
