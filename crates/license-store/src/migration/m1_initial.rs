//! Migration 1: the initial schema.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::*;

/// The initial schema.
pub(super) struct Initial;

impl MigrationName for Initial {
    fn name(&self) -> &str {
        "m20261122_000001_initial"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Initial {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table(m, "licenses")
                .col(big_pk_auto("id"))
                .col(string_len("identifier", KEY_LEN))
                .col(string_len("file_number", KEY_LEN))
                .col(string_len_null("province_identifier", KEY_LEN))
                .col(string_len("cert_type_code", 32))
                .col(string_len("certificate_name", 255))
                .col(string_len("certificate_number", 128))
                .col(string_len("holder", 255))
                .col(string_len("holder_code", 64))
                .col(string_len("holder_code_type", 8))
                .col(string_len("issue_dept", 255))
                .col(string_len("issue_dept_code", 32))
                .col(date("issue_date"))
                .col(date("valid_from"))
                .col(date_null("valid_to"))
                .col(string_len("state", 16))
                .col(text_null("state_reason"))
                .col(timestamp_with_time_zone_null("state_changed_at"))
                .col(json("face"))
                .col(string_len("abstract_code", 16))
                .col(string_len("qr_token", 64))
                .col(integer("version"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "licenses",
            "ux_licenses_identifier",
            &["identifier"],
            true,
        )
        .await?;
        index(
            m,
            "licenses",
            "ux_licenses_file_number",
            &["file_number"],
            true,
        )
        .await?;
        index(
            m,
            "licenses",
            "ux_licenses_province_identifier",
            &["province_identifier"],
            true,
        )
        .await?;
        index(
            m,
            "licenses",
            "ux_licenses_abstract_code",
            &["abstract_code"],
            true,
        )
        .await?;
        index(m, "licenses", "ux_licenses_qr_token", &["qr_token"], true).await?;
        index(
            m,
            "licenses",
            "ix_licenses_holder_type",
            &["holder_code", "cert_type_code"],
            false,
        )
        .await?;
        index(
            m,
            "licenses",
            "ix_licenses_issue_dept",
            &["issue_dept_code"],
            false,
        )
        .await?;

        m.create_table(
            table(m, "license_files")
                .col(big_pk_auto("id"))
                .col(string_len("identifier", KEY_LEN))
                .col(string_len("format", 8))
                .col(string_len("file_key", 255))
                .col(string_len("sm3", 64))
                .col(big_integer("size"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "license_files",
            "ux_license_files_identifier_format",
            &["identifier", "format"],
            true,
        )
        .await?;

        m.create_table(
            table(m, "accounts")
                .col(big_pk_auto("id"))
                .col(string_len("username", 128))
                .col(string_len("password_hash", 255))
                .col(string_len("roles", 255))
                .col(text("cert_types"))
                .col(boolean("enabled"))
                .col(string_len_null("department", 255))
                .col(integer_null("holder_search_per_minute"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        index(m, "accounts", "ux_accounts_username", &["username"], true).await?;

        m.create_table(
            table(m, "oauth_clients")
                .col(big_pk_auto("id"))
                .col(string_len("client_id", 128))
                .col(string_len("secret_hash", 255))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "oauth_clients",
            "ux_oauth_clients_client_id",
            &["client_id"],
            true,
        )
        .await?;

        m.create_table(
            table(m, "tokens")
                .col(big_pk_auto("id"))
                .col(string_len("access_digest", 64))
                .col(string_len("refresh_digest", 64))
                .col(string_len("username", 128))
                .col(string_len("client_id", 128))
                .col(string_len("scope", 64))
                .col(timestamp_with_time_zone("access_expires_at"))
                .col(timestamp_with_time_zone("refresh_expires_at"))
                .to_owned(),
        )
        .await?;
        index(m, "tokens", "ux_tokens_access", &["access_digest"], true).await?;
        index(m, "tokens", "ux_tokens_refresh", &["refresh_digest"], true).await?;
        index(m, "tokens", "ix_tokens_username", &["username"], false).await?;

        m.create_table(
            table(m, "login_failures")
                .col(big_pk_auto("id"))
                .col(string_len("username", 128))
                .col(integer("failures"))
                .col(timestamp_with_time_zone("window_start"))
                .col(timestamp_with_time_zone_null("locked_until"))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "login_failures",
            "ux_login_failures_username",
            &["username"],
            true,
        )
        .await?;

        m.create_table(
            table(m, "download_grants")
                .col(big_pk_auto("id"))
                .col(string_len("digest", 64))
                .col(string_len("identifier", KEY_LEN))
                .col(string_len("copy_key", 255))
                .col(string_len("format", 8))
                .col(string_len("file_name", 255))
                .col(timestamp_with_time_zone("expires_at"))
                .col(boolean("single_use"))
                .col(integer("downloads"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "download_grants",
            "ux_download_grants_digest",
            &["digest"],
            true,
        )
        .await?;
        index(
            m,
            "download_grants",
            "ix_download_grants_expires",
            &["expires_at"],
            false,
        )
        .await?;

        m.create_table(
            table(m, "audit_events")
                .col(big_pk_auto("id"))
                .col(string_len("event_key", 32))
                .col(timestamp_with_time_zone("at"))
                .col(string_len("request_id", 64))
                .col(string_len("interface", 64))
                .col(string_len_null("username", 128))
                .col(string_len_null("client_addr", 64))
                .col(integer("code"))
                .col(json_null("context"))
                .col(json_null("operator"))
                .col(json("licenses"))
                .col(string_len_null("holder_code", 64))
                .col(big_integer("latency_us"))
                .to_owned(),
        )
        .await?;
        index(m, "audit_events", "ix_audit_at", &["at"], false).await?;
        index(
            m,
            "audit_events",
            "ix_audit_username_at",
            &["username", "at"],
            false,
        )
        .await?;
        holder_at_index(m).await?;
        index(
            m,
            "audit_events",
            "ux_audit_event_key",
            &["event_key"],
            true,
        )
        .await?;

        m.create_table(
            table(m, "audit_licenses")
                .col(big_pk_auto("id"))
                .col(string_len("event_key", 32))
                .col(string_len("identifier", KEY_LEN))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "audit_licenses",
            "ix_audit_licenses_identifier",
            &["identifier"],
            false,
        )
        .await?;

        m.create_table(
            table(m, "cert_type_settings")
                .col(big_pk_auto("id"))
                .col(string_len("code", 32))
                .col(boolean("published"))
                .col(text("verify_fields"))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "cert_type_settings",
            "ux_cert_type_settings_code",
            &["code"],
            true,
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "cert_type_settings",
            "audit_licenses",
            "audit_events",
            "download_grants",
            "login_failures",
            "tokens",
            "oauth_clients",
            "accounts",
            "license_files",
            "licenses",
        ] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
