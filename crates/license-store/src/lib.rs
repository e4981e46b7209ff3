//! Persistence of the electronic license platform: sea-orm over SQLite (default, WAL, a file
//! under the data directory), PostgreSQL or MariaDB/MySQL — chosen at run time by URL — with
//! one backend-neutral migration set, and the file store (a directory or an S3 bucket, on
//! `object_store`). Implements core's ports.
//! No SQL is built from input: every query goes through sea-orm's builder with bound values.

#![forbid(unsafe_code)]

mod audit_links;
mod audit_runs;
pub mod backup;
mod convert;
pub mod entity;
mod federation;
pub mod files;
mod lookup;
pub mod migration;
mod repos;
mod status;
mod store;

pub use audit_runs::RunPolicy;
pub use backup::{DumpIn, DumpOut, DumpSummary};
pub use files::{FileStoreError, ObjectFileStore};
pub use status::{PoolStatus, StoreStatus};
pub use store::{
    Backend, Durability, MigrationStatus, Schema, SeaStore, StoreError, write_transaction,
};
