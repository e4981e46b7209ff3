//! Connecting, migrating, and mapping database errors.

use std::time::Duration;

use license_core::ports::PortError;
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr, SqlErr};
use sea_orm_migration::MigratorTrait;
use thiserror::Error;

use crate::migration::Migrator;

/// The database behind a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite (embedded default).
    Sqlite,
    /// PostgreSQL.
    Postgres,
    /// MariaDB or MySQL.
    MySql,
}

impl Backend {
    /// The backend a URL names.
    pub fn of_url(url: &str) -> Option<Self> {
        let scheme = url.split(':').next()?.to_ascii_lowercase();
        match scheme.as_str() {
            "sqlite" => Some(Backend::Sqlite),
            "postgres" | "postgresql" => Some(Backend::Postgres),
            "mysql" | "mariadb" => Some(Backend::MySql),
            _ => None,
        }
    }
}

/// Why a store could not be opened.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The URL names no supported backend, or one this build lacks.
    #[error("unsupported database URL (expected sqlite:, postgres: or mysql:): {0}")]
    Unsupported(String),
    /// Connecting or migrating failed.
    #[error("database: {0}")]
    Db(#[from] DbErr),
}

/// The store: one connection pool serving every repository port.
#[derive(Debug, Clone)]
pub struct SeaStore {
    pub(crate) db: DatabaseConnection,
    backend: Backend,
}

/// Maps a database error to a port error; unique violations are conflicts.
pub(crate) fn port_err(e: DbErr) -> PortError {
    match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(m)) => PortError::Conflict(m),
        _ => PortError::Unavailable(e.to_string()),
    }
}

impl SeaStore {
    /// Connects by URL (`sqlite://PATH?mode=rwc`, `postgres://…`, `mysql://…`) and brings the
    /// schema up to date.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        let backend = Backend::of_url(url).ok_or_else(|| StoreError::Unsupported(url.into()))?;
        let mut url = url.to_owned();
        if backend == Backend::MySql && url.starts_with("mariadb:") {
            url = url.replacen("mariadb:", "mysql:", 1);
        }
        let mut opts = ConnectOptions::new(url);
        opts.max_connections(max_connections.max(1))
            .min_connections(1)
            .connect_timeout(Duration::from_secs(10))
            .sqlx_logging(false);
        #[cfg(feature = "sqlite")]
        if backend == Backend::Sqlite {
            use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
            opts.map_sqlx_sqlite_opts(|o| {
                o.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(30))
                    .create_if_missing(true)
                    .foreign_keys(true)
                    // 8 MiB of page cache per connection (bounded memory with 16 connections);
                    // the operating system caches the rest of the file.
                    .pragma("cache_size", "-8192")
                    .pragma("temp_store", "memory")
            });
        }
        let db = Database::connect(opts).await?;
        Migrator::up(&db, None).await?;
        Ok(SeaStore { db, backend })
    }

    /// An SQLite store in a file under `dir` (the embedded default).
    pub async fn sqlite_in(dir: &std::path::Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::Unsupported(format!("{}: {e}", dir.display())))?;
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.join("licensed.sqlite3").display()
        );
        Self::connect(&url, 8).await
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Whether the database answers (readiness).
    pub async fn ping(&self) -> Result<(), PortError> {
        self.db.ping().await.map_err(port_err)
    }

    /// Drops and recreates every table (tests).
    pub async fn reset(&self) -> Result<(), StoreError> {
        Migrator::fresh(&self.db).await?;
        Ok(())
    }

    /// The connection (for tools that need raw access, e.g. benchmarks' bulk setup).
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }
}
