//! Persistence of the electronic license platform: sea-orm over SQLite (default, WAL, a file
//! under the data directory), PostgreSQL or MariaDB/MySQL — chosen at run time by URL — with
//! one backend-neutral migration set, and the local file store. Implements core's ports.
//! No SQL is built from input: every query goes through sea-orm's builder with bound values.

#![forbid(unsafe_code)]

mod audit_links;
mod audit_runs;
mod convert;
pub mod entity;
mod federation;
pub mod files;
mod lookup;
pub mod migration;
mod repos;
mod store;

pub use audit_runs::RunPolicy;
pub use files::LocalFileStore;
pub use store::{Backend, MigrationStatus, Schema, SeaStore, StoreError, write_transaction};
