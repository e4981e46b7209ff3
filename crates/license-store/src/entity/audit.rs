//! The audit log's tables: its events, which licenses each touched, and the holder index in
//! sorted runs (SQLite).

/// `audit_events`.
pub mod audit_event {
    use sea_orm::entity::prelude::*;

    /// One audited call.
    #[derive(
        Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize,
    )]
    #[sea_orm(table_name = "audit_events")]
    pub struct Model {
        /// Surrogate key.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// The event's own key, time-ordered (UUIDv7, hex): links to `audit_licenses` use it,
        /// and its index grows at one end (a random key's index made every batch slow).
        pub event_key: String,
        /// When the call arrived.
        pub at: DateTimeUtc,
        /// Request id.
        pub request_id: String,
        /// Interface label.
        pub interface: String,
        /// Account.
        pub username: Option<String>,
        /// Client address.
        pub client_addr: Option<String>,
        /// Return code.
        pub code: i32,
        /// Call context, JSON.
        pub context: Option<Json>,
        /// Operator details, JSON.
        pub operator: Option<Json>,
        /// Identifiers touched, JSON array (found through `license` or `audit_licenses`).
        pub licenses: Json,
        /// The identifier when the call touched exactly one license: found with the holder
        /// code (`audit_links` in this crate); calls of several licenses link each through
        /// `audit_licenses` instead.
        pub license: Option<String>,
        /// Holder code (indexed).
        pub holder_code: Option<String>,
        /// The call read its one license from the library under `holder_code`.
        pub in_library: bool,
        /// Microseconds.
        pub latency_us: i64,
        /// The reason a verification gave.
        pub purpose: Option<String>,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `audit_licenses`: which licenses each audited call touched ("who used this license").
pub mod audit_license {
    use sea_orm::entity::prelude::*;

    /// One (call, license) pair.
    #[derive(
        Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize,
    )]
    #[sea_orm(table_name = "audit_licenses")]
    pub struct Model {
        /// Surrogate key.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// The audited event's `event_key`.
        pub event_key: String,
        /// The license's identifier.
        pub identifier: String,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `audit_index_state`: one row, the progress of the audit log's holder index in sorted runs
/// (`audit_runs` in this crate).
pub mod audit_index_state {
    use sea_orm::entity::prelude::*;

    /// The one row (`id` 1).
    #[derive(
        Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize,
    )]
    #[sea_orm(table_name = "audit_index_state")]
    pub struct Model {
        /// Always 1.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i32,
        /// Every event with an id up to this one is in a run; the events above it (the tail)
        /// are found by scanning them.
        pub watermark: i64,
        /// The number the next run takes (runs only ever grow at the index's end).
        pub next_run: i64,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `audit_runs`: the runs of the audit log's holder index.
pub mod audit_run {
    use sea_orm::entity::prelude::*;

    /// One run.
    #[derive(
        Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize,
    )]
    #[sea_orm(table_name = "audit_runs")]
    pub struct Model {
        /// The run's number, also the first column of its rows' key.
        #[sea_orm(primary_key, auto_increment = false)]
        pub run: i64,
        /// 0 for a run of the tail, one more than its sources' for a merged run.
        pub level: i32,
        /// Rows (events with a holder code) in the run.
        pub events: i64,
        /// `building` (a merge in progress: not read), `live` (read) or `dead` (merged into
        /// another run: not read, its rows being deleted).
        pub state: String,
        /// The run a merge in progress or done is building from this one.
        pub merged_into: Option<i64>,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `audit_holder_runs`: the rows of the holder index's runs, keyed by run, holder code and
/// event (on SQLite a `WITHOUT ROWID` table: the key is the table).
pub mod audit_holder_run {
    use sea_orm::entity::prelude::*;

    /// One event under one holder code in one run.
    #[derive(
        Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize,
    )]
    #[sea_orm(table_name = "audit_holder_runs")]
    pub struct Model {
        /// The run.
        #[sea_orm(primary_key, auto_increment = false)]
        pub run: i64,
        /// The event's holder code.
        #[sea_orm(primary_key, auto_increment = false)]
        pub holder_code: String,
        /// The event's id in `audit_events`.
        #[sea_orm(primary_key, auto_increment = false)]
        pub event_id: i64,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
