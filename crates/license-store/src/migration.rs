//! One backend-neutral migration set (sea-orm-migration's schema builder). On MariaDB/MySQL every
//! table is `utf8mb4` so Chinese text round-trips.

use sea_orm::DatabaseBackend;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// The migrator: every migration in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(Initial),
            Box::new(Federation),
            Box::new(AuditLicense),
            Box::new(AuditByHolder),
            Box::new(AuditHolderRuns),
            Box::new(Hardening),
        ]
    }
}

/// What the hostile-caller hardening keeps: the reason a verification gave (`useFor`,
/// `useCause`) with its event, an account's own budget of personal-data calls, and the calls
/// counted per account and minute across every node.
struct Hardening;

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

/// The initial schema.
struct Initial;

impl MigrationName for Initial {
    fn name(&self) -> &str {
        "m20261122_000001_initial"
    }
}

/// The federation tables: a city's outbox and a province's collected links (API.md §5, §6).
struct Federation;

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

/// The one license most audited calls touch, on the event itself (indexed with the time): an
/// event of one license is one row, so a batch of them is one statement with no transaction.
/// Events of several licenses still link each through `audit_licenses`.
struct AuditLicense;

impl MigrationName for AuditLicense {
    fn name(&self) -> &str {
        "m20261123_000003_audit_license"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for AuditLicense {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("audit_events")
                .add_column(string_len_null("license", KEY_LEN))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "audit_events",
            "ix_audit_license_at",
            &["license", "at"],
            false,
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_audit_license_at")
                .table("audit_events")
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("audit_events")
                .drop_column("license")
                .to_owned(),
        )
        .await
    }
}

/// The events of one license found through the holder index (`audit_links` in this crate):
/// the license index cost a random page write per event. Adds the events' `in_library` flag
/// and the licenses' former holder codes, links every event the holder index would not find,
/// then drops the license index.
struct AuditByHolder;

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

/// The audit log's holder index in sorted runs (`audit_runs` in this crate): its state row,
/// the run list and the runs' rows. On SQLite the index on the events' holder code goes — the
/// runs take its place, filled by a background task — and the rows' table has no rowid; on a
/// database server the index stays and the runs are left empty (the tail is every event).
struct AuditHolderRuns;

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
