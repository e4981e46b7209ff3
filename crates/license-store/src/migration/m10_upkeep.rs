//! Migration 10: housekeeping — what each periodic job last did, and the indexes that let it
//! find what has expired with an index range instead of a scan.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::*;

/// `job_runs`, and indexes by expiry.
pub(super) struct Upkeep;

impl MigrationName for Upkeep {
    fn name(&self) -> &str {
        "m20261206_000010_upkeep"
    }
}

/// The indexes: (table, name, column). (Download grants have had theirs since migration 1.)
const BY_EXPIRY: [(&str, &str, &str); 2] = [
    ("tokens", "ix_tokens_refresh_expires", "refresh_expires_at"),
    ("login_failures", "ix_login_failures_window", "window_start"),
];

#[async_trait::async_trait]
impl MigrationTrait for Upkeep {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table(m, "job_runs")
                .col(string_len("name", 64).primary_key())
                .col(timestamp_with_time_zone("finished_at"))
                .col(text("report"))
                .to_owned(),
        )
        .await?;
        for (t, name, col) in BY_EXPIRY {
            index(m, t, name, &[col], false).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (t, name, _) in BY_EXPIRY {
            m.drop_index(Index::drop().name(name).table(t).to_owned())
                .await?;
        }
        m.drop_table(Table::drop().table("job_runs").if_exists().to_owned())
            .await
    }
}
