//! Migration 5: the audit log's holder index in sorted runs.

use sea_orm::DatabaseBackend;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::*;

/// The audit log's holder index in sorted runs (`audit_runs` in this crate): its state row,
/// the run list and the runs' rows. On SQLite the index on the events' holder code goes — the
/// runs take its place, filled by a background task — and the rows' table has no rowid; on a
/// database server the index stays and the runs are left empty (the tail is every event).
pub(super) struct AuditHolderRuns;

impl MigrationName for AuditHolderRuns {
    fn name(&self) -> &str {
        "m20261202_000005_audit_holder_runs"
    }
}

/// `audit_holder_runs` on SQLite: the key is the table (no rowid B-tree beside it).
const SQLITE_HOLDER_RUNS: &str = "CREATE TABLE IF NOT EXISTS audit_holder_runs (\
    run INTEGER NOT NULL, holder_code VARCHAR(64) NOT NULL, event_id INTEGER NOT NULL, \
    PRIMARY KEY (run, holder_code, event_id)) WITHOUT ROWID";

#[async_trait::async_trait]
impl MigrationTrait for AuditHolderRuns {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let sqlite = m.get_database_backend() == DatabaseBackend::Sqlite;
        m.create_table(
            table(m, "audit_index_state")
                .col(integer("id").primary_key())
                .col(big_integer("watermark"))
                .col(big_integer("next_run"))
                .to_owned(),
        )
        .await?;
        m.exec_stmt(
            Query::insert()
                .into_table("audit_index_state")
                .columns(["id", "watermark", "next_run"])
                .values_panic([1.into(), 0i64.into(), 1i64.into()])
                .to_owned(),
        )
        .await?;
        m.create_table(
            table(m, "audit_runs")
                .col(big_integer("run").primary_key())
                .col(integer("level"))
                .col(big_integer("events"))
                .col(string_len("state", 16))
                .col(big_integer_null("merged_into"))
                .to_owned(),
        )
        .await?;
        if sqlite {
            m.get_connection()
                .execute_unprepared(SQLITE_HOLDER_RUNS)
                .await?;
            m.drop_index(
                Index::drop()
                    .name(HOLDER_AT_INDEX)
                    .table("audit_events")
                    .to_owned(),
            )
            .await
        } else {
            m.create_table(
                table(m, "audit_holder_runs")
                    .col(big_integer("run"))
                    .col(string_len("holder_code", 64))
                    .col(big_integer("event_id"))
                    .primary_key(
                        Index::create()
                            .col("run")
                            .col("holder_code")
                            .col("event_id"),
                    )
                    .to_owned(),
            )
            .await
        }
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() == DatabaseBackend::Sqlite {
            holder_at_index(m).await?;
        }
        for t in ["audit_holder_runs", "audit_runs", "audit_index_state"] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
