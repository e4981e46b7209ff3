//! Migration 2: the federation tables.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::*;

/// The federation tables: a city's outbox and a province's collected links (API.md §5, §6).
pub(super) struct Federation;

impl MigrationName for Federation {
    fn name(&self) -> &str {
        "m20261122_000002_federation"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Federation {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table(m, "province_outbox")
                .col(big_pk_auto("id"))
                .col(string_len("operation_id", 64))
                .col(string_len("license", KEY_LEN))
                .col(string_len("file_number", KEY_LEN))
                .col(string_len("operation", 16))
                .col(text_null("record"))
                .col(text_null("reason"))
                .col(string_len("state", 16))
                .col(integer("attempts"))
                .col(timestamp_with_time_zone("next_attempt_at"))
                .col(text_null("last_error"))
                .col(string_len_null("province_identifier", KEY_LEN))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("delivered_at"))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "province_outbox",
            "ux_outbox_operation_id",
            &["operation_id"],
            true,
        )
        .await?;
        index(
            m,
            "province_outbox",
            "ix_outbox_state_id",
            &["state", "id"],
            false,
        )
        .await?;
        index(
            m,
            "province_outbox",
            "ix_outbox_license_state",
            &["license", "state"],
            false,
        )
        .await?;
        m.create_table(
            table(m, "collected_licenses")
                .col(big_pk_auto("id"))
                .col(string_len("origin", 64))
                .col(string_len("city_file_number", KEY_LEN))
                .col(string_len("province_identifier", KEY_LEN))
                .col(big_integer("sequence"))
                .col(string_len("operation_id", 64))
                .col(timestamp_with_time_zone("updated_at"))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "collected_licenses",
            "ux_collected_origin_file",
            &["origin", "city_file_number"],
            true,
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["collected_licenses", "province_outbox"] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
