//! sea-orm entities, one module per table. Column types are backend-neutral; the migration in
//! `migration.rs` creates them. The audit log's are in `entity/audit.rs`.

mod audit;

pub use audit::{audit_event, audit_holder_run, audit_index_state, audit_license, audit_run};

/// `licenses`: the library (API.md §7).
pub mod license {
    use sea_orm::entity::prelude::*;

    /// One license.
    #[derive(
        Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize,
    )]
    #[sea_orm(table_name = "licenses")]
    pub struct Model {
        /// Surrogate key.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// GB/T 36904 identifier (unique).
        pub identifier: String,
        /// File number (unique).
        pub file_number: String,
        /// Province identifier (unique when set).
        pub province_identifier: Option<String>,
        /// Cert-type code.
        pub cert_type_code: String,
        /// Certificate name.
        pub certificate_name: String,
        /// Certificate number.
        pub certificate_number: String,
        /// Holder.
        pub holder: String,
        /// Holder code.
        pub holder_code: String,
        /// Holder-code type.
        pub holder_code_type: String,
        /// Issuing department.
        pub issue_dept: String,
        /// Issuing department's code.
        pub issue_dept_code: String,
        /// Issue date.
        pub issue_date: Date,
        /// First day of validity.
        pub valid_from: Date,
        /// Last day of validity; none = 长期.
        pub valid_to: Option<Date>,
        /// `pending` | `valid` | `suspended` | `revoked`.
        pub state: String,
        /// Reason of the last state change.
        pub state_reason: Option<String>,
        /// Time of the last state change.
        pub state_changed_at: Option<DateTimeUtc>,
        /// Face fields, a JSON object of strings.
        pub face: Json,
        /// Extraction code (unique).
        pub abstract_code: String,
        /// QR token (unique).
        pub qr_token: String,
        /// Version.
        pub version: i32,
        /// Created.
        pub created_at: DateTimeUtc,
        /// Last changed.
        pub updated_at: DateTimeUtc,
    }

    /// No relations are navigated through the ORM.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `license_files`: where a license's signed file lives.
pub mod license_file {
    use sea_orm::entity::prelude::*;

    /// One file of a license.
    #[derive(
        Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize,
    )]
    #[sea_orm(table_name = "license_files")]
    pub struct Model {
        /// Surrogate key.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// The license's identifier.
        pub identifier: String,
        /// `ofd`.
        pub format: String,
        /// File-store key.
        pub file_key: String,
        /// SM3, hex.
        pub sm3: String,
        /// Bytes.
        pub size: i64,
        /// Created.
        pub created_at: DateTimeUtc,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `accounts`: business systems' accounts (DB3704/T 0042 §4.2).
pub mod account {
    use sea_orm::entity::prelude::*;

    /// One account.
    #[derive(
        Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize,
    )]
    #[sea_orm(table_name = "accounts")]
    pub struct Model {
        /// Surrogate key.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// Unique login name.
        pub username: String,
        /// Argon2 PHC string.
        pub password_hash: String,
        /// Role names, comma-separated.
        pub roles: String,
        /// Allowed cert-type codes, comma-separated; empty = all.
        pub cert_types: String,
        /// Enabled.
        pub enabled: bool,
        /// Department.
        pub department: Option<String>,
        /// Holder searches per minute; none = node default.
        pub holder_search_per_minute: Option<i32>,
        /// Calls of personal data per minute; none = node default.
        pub rate_limit_per_minute: Option<i32>,
        /// Created.
        pub created_at: DateTimeUtc,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `rate_windows`: calls counted per account and minute, shared by every node.
pub mod rate_window {
    use sea_orm::entity::prelude::*;

    /// One account's count in one minute.
    #[derive(
        Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize,
    )]
    #[sea_orm(table_name = "rate_windows")]
    pub struct Model {
        /// Surrogate key.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// The account.
        pub account: String,
        /// Minutes since the epoch.
        pub window_start: i64,
        /// Calls granted in the minute.
        pub calls: i64,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `outbox_leases`: which node delivers a license's pushes, or runs a periodic job, until when.
pub mod outbox_lease {
    use sea_orm::entity::prelude::*;

    /// One lease: of a license's deliveries, or (`job:<name>`) of a periodic job.
    #[derive(
        Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize,
    )]
    #[sea_orm(table_name = "outbox_leases")]
    pub struct Model {
        /// The license's identifier, or `job:<name>`.
        #[sea_orm(primary_key, auto_increment = false)]
        pub license: String,
        /// The node holding it.
        pub holder: String,
        /// When it lapses.
        pub until: DateTimeUtc,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `job_runs`: what each periodic job (the purge) did when it last finished.
pub mod job_run {
    use sea_orm::entity::prelude::*;

    /// One job's last run.
    #[derive(
        Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize,
    )]
    #[sea_orm(table_name = "job_runs")]
    pub struct Model {
        /// The job's name.
        #[sea_orm(primary_key, auto_increment = false)]
        pub name: String,
        /// When it finished.
        pub finished_at: DateTimeUtc,
        /// What it did, for operators.
        pub report: String,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `platform_keys`: the platform's signing key (PEM: the private key and its certificate).
pub mod platform_key {
    use sea_orm::entity::prelude::*;

    /// One named key.
    #[derive(
        Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize,
    )]
    #[sea_orm(table_name = "platform_keys")]
    pub struct Model {
        /// Which key (`signing`).
        #[sea_orm(primary_key, auto_increment = false)]
        pub name: String,
        /// The PEM text.
        #[sea_orm(column_type = "Text")]
        pub pem: String,
        /// When the first node made it.
        pub created_at: DateTimeUtc,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `oauth_clients`.
pub mod oauth_client {
    use sea_orm::entity::prelude::*;

    /// One client.
    #[derive(
        Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize,
    )]
    #[sea_orm(table_name = "oauth_clients")]
    pub struct Model {
        /// Surrogate key.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// `client_id` (unique).
        pub client_id: String,
        /// Argon2 PHC string of the secret.
        pub secret_hash: String,
        /// Created.
        pub created_at: DateTimeUtc,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `tokens`: digests of issued token pairs.
pub mod token {
    use sea_orm::entity::prelude::*;

    /// One token pair.
    #[derive(
        Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize,
    )]
    #[sea_orm(table_name = "tokens")]
    pub struct Model {
        /// Surrogate key.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// SHA-256 of the access token, hex (unique).
        pub access_digest: String,
        /// SHA-256 of the refresh token, hex (unique).
        pub refresh_digest: String,
        /// Account.
        pub username: String,
        /// OAuth client.
        pub client_id: String,
        /// Scope.
        pub scope: String,
        /// Access token expiry.
        pub access_expires_at: DateTimeUtc,
        /// Refresh token expiry.
        pub refresh_expires_at: DateTimeUtc,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `login_failures`: lock-out bookkeeping.
pub mod login_failure {
    use sea_orm::entity::prelude::*;

    /// One username's failures.
    #[derive(
        Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize,
    )]
    #[sea_orm(table_name = "login_failures")]
    pub struct Model {
        /// Surrogate key.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// Username tried (unique).
        pub username: String,
        /// Failures in the window.
        pub failures: i32,
        /// Window start.
        pub window_start: DateTimeUtc,
        /// Locked until.
        pub locked_until: Option<DateTimeUtc>,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `download_grants`.
pub mod download_grant {
    use sea_orm::entity::prelude::*;

    /// One grant.
    #[derive(
        Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize,
    )]
    #[sea_orm(table_name = "download_grants")]
    pub struct Model {
        /// Surrogate key.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// SHA-256 of the link id, hex (unique).
        pub digest: String,
        /// The license's identifier.
        pub identifier: String,
        /// File-store key of the annotated copy.
        pub copy_key: String,
        /// Format.
        pub format: String,
        /// File name offered.
        pub file_name: String,
        /// Expiry.
        pub expires_at: DateTimeUtc,
        /// Single use.
        pub single_use: bool,
        /// Downloads so far.
        pub downloads: i32,
        /// Created.
        pub created_at: DateTimeUtc,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `cert_type_settings`.
pub mod cert_type_setting {
    use sea_orm::entity::prelude::*;

    /// One cert type's settings.
    #[derive(
        Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize,
    )]
    #[sea_orm(table_name = "cert_type_settings")]
    pub struct Model {
        /// Surrogate key.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// Code (unique).
        pub code: String,
        /// Published.
        pub published: bool,
        /// Required verification fields, comma-separated.
        pub verify_fields: String,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `license_former_holders`: holder codes a stored license had before a change in place, so the
/// audit log still finds its events under them.
pub mod license_former_holder {
    use sea_orm::entity::prelude::*;

    /// One former holder code of one license.
    #[derive(
        Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize,
    )]
    #[sea_orm(table_name = "license_former_holders")]
    pub struct Model {
        /// Surrogate key.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// The license's identifier.
        pub identifier: String,
        /// A holder code it had.
        pub holder_code: String,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `province_outbox`: a city's pushes to its province (API.md §6, insertToProvince).
pub mod outbox_push {
    use sea_orm::entity::prelude::*;

    /// One push.
    #[derive(
        Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize,
    )]
    #[sea_orm(table_name = "province_outbox")]
    pub struct Model {
        /// The push's sequence.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// Unique operation id.
        pub operation_id: String,
        /// The city license's identifier.
        pub license: String,
        /// The city license's file number.
        pub file_number: String,
        /// `create` | `update` | `revoke`.
        pub operation: String,
        /// The license's record (JSON of the import format), for create and update.
        pub record: Option<String>,
        /// Why (revoke).
        pub reason: Option<String>,
        /// `pending` | `delivered` | `failed`.
        pub state: String,
        /// Attempts so far.
        pub attempts: i32,
        /// When the next attempt is due.
        pub next_attempt_at: DateTimeUtc,
        /// The last failure.
        pub last_error: Option<String>,
        /// The province identifier answered.
        pub province_identifier: Option<String>,
        /// Made.
        pub created_at: DateTimeUtc,
        /// Delivered.
        pub delivered_at: Option<DateTimeUtc>,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `collected_licenses`: on a province node, the cities' licenses it took in.
pub mod collected {
    use sea_orm::entity::prelude::*;

    /// One link.
    #[derive(
        Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize,
    )]
    #[sea_orm(table_name = "collected_licenses")]
    pub struct Model {
        /// Surrogate key.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// The pushing city's account.
        pub origin: String,
        /// The license's file number at the city.
        pub city_file_number: String,
        /// The identifier assigned here.
        pub province_identifier: String,
        /// Sequence of the last push applied.
        pub sequence: i64,
        /// Operation id of the last push applied.
        pub operation_id: String,
        /// Last applied.
        pub updated_at: DateTimeUtc,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
