//! One backend-neutral migration set (sea-orm-migration's schema builder). On MariaDB/MySQL every
//! table is `utf8mb4` so Chinese text round-trips.

use sea_orm::DatabaseBackend;
use sea_orm_migration::prelude::*;

mod m10_upkeep;
mod m11_audit_retention;
mod m1_initial;
mod m2_federation;
mod m3_audit_license;
mod m4_audit_by_holder;
mod m5_audit_holder_runs;
mod m6_hardening;
mod m7_outbox_leases;
mod m8_platform_keys;
mod m9_rate_windows_by_minute;

/// The migrator: every migration in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m1_initial::Initial),
            Box::new(m2_federation::Federation),
            Box::new(m3_audit_license::AuditLicense),
            Box::new(m4_audit_by_holder::AuditByHolder),
            Box::new(m5_audit_holder_runs::AuditHolderRuns),
            Box::new(m6_hardening::Hardening),
            Box::new(m7_outbox_leases::OutboxLeases),
            Box::new(m8_platform_keys::PlatformKeys),
            Box::new(m9_rate_windows_by_minute::RateWindowsByMinute),
            Box::new(m10_upkeep::Upkeep),
            Box::new(m11_audit_retention::AuditRetention),
        ]
    }
}

/// The events' index by holder code and time: made by the initial schema, dropped on SQLite
/// by migration 5 (the sorted runs take its place there) and made again by its `down`.
const HOLDER_AT_INDEX: &str = "ix_audit_holder_at";

async fn holder_at_index(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    index(
        m,
        "audit_events",
        HOLDER_AT_INDEX,
        &["holder_code", "at"],
        false,
    )
    .await
}

/// Longest key-like string (identifiers, file numbers).
const KEY_LEN: u32 = 191;

fn table(manager: &SchemaManager<'_>, name: &'static str) -> TableCreateStatement {
    let mut t = Table::create();
    t.table(name).if_not_exists();
    if manager.get_database_backend() == DatabaseBackend::MySql {
        t.character_set("utf8mb4").collate("utf8mb4_bin");
    }
    t
}

async fn index(
    manager: &SchemaManager<'_>,
    table: &'static str,
    name: &'static str,
    cols: &[&'static str],
    unique: bool,
) -> Result<(), DbErr> {
    let mut i = Index::create();
    i.name(name).table(table).if_not_exists();
    for c in cols {
        i.col(*c);
    }
    if unique {
        i.unique();
    }
    manager.create_index(i).await
}
