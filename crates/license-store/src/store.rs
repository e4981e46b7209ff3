//! Connecting, migrating, and mapping database errors.

use std::sync::Arc;
use std::time::Duration;

use license_core::ports::PortError;
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbErr,
    SqlErr, SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;
use thiserror::Error;

use crate::audit_runs::{self, RunPolicy};
use crate::lookup::KeyLookups;
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
    /// The schema is behind this build and the store was opened without migrating.
    #[error(
        "the database schema is behind this build ({} migration(s) pending: {}); run `licensed migrate`",
        .0.len(),
        .0.join(", ")
    )]
    Outdated(Vec<String>),
    /// Writing a dump or reading one failed.
    #[error("backup: {0}")]
    Io(#[from] std::io::Error),
    /// A dump could not be read back.
    #[error("backup: {0}")]
    Backup(String),
    /// A restore was asked of a database that holds data.
    #[error(
        "the database already holds data ({0}: {1} rows); a restore goes into an empty database \
         (nothing was changed)"
    )]
    NotEmpty(String, u64),
}

/// Which migrations a database has: this build's, in order, each with whether it is applied;
/// and applied ones this build does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    /// This build's migrations and whether each is applied.
    pub known: Vec<(String, bool)>,
    /// Applied migrations this build does not know (a newer build's).
    pub unknown: Vec<String>,
}

/// What opening a store does about the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schema {
    /// Brings it up to date, under a database lock (nodes starting together take turns).
    Migrate,
    /// Requires it up to date and changes nothing (rolling upgrades: `licensed migrate` first).
    Require,
}

/// How long an SQLite commit waits for the disk (`PRAGMA synchronous`); database servers keep
/// their own settings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Durability {
    /// `FULL`: a commit is on the disk when it returns, so an answered call's audit event
    /// survives a power loss.
    #[default]
    Full,
    /// `NORMAL`: in write-ahead-log mode a commit survives a crash of the process, and the
    /// last ones may be lost with the machine's power (the database stays consistent).
    Normal,
}

impl Durability {
    /// The setting's word (`full`, `normal`).
    pub fn from_word(word: &str) -> Option<Self> {
        match word {
            "full" => Some(Durability::Full),
            "normal" => Some(Durability::Normal),
            _ => None,
        }
    }
}

/// The key of the PostgreSQL advisory lock and the name of the MariaDB/MySQL lock that
/// migrations hold.
const MIGRATION_LOCK_KEY: i64 = 0x6c69_6365_6e73_6564; // "licensed"
/// MariaDB/MySQL's locks are per server: the name holds the database's.
const MIGRATION_LOCK_NAME: &str = "CONCAT('licensed.migrate.', DATABASE())";
/// How long a node waits for another's migrations, in seconds (MariaDB/MySQL).
const MIGRATION_LOCK_WAIT_SECS: u32 = 600;

/// Runs the migrations on a database server under a lock held by a connection of its own
/// (`locker`, a pool of one), so that nodes starting together run them one after another and
/// the later ones find nothing to do. A node that dies holding the lock releases it with its
/// connection.
async fn migrate_locked(
    db: &DatabaseConnection,
    locker: &DatabaseConnection,
    backend: Backend,
) -> Result<(), DbErr> {
    let sql = |s: String| Statement::from_string(locker.get_database_backend(), s);
    match backend {
        Backend::Postgres => {
            locker
                .execute_raw(sql(format!(
                    "SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"
                )))
                .await?;
        }
        Backend::MySql => {
            let got = locker
                .query_one_raw(sql(format!(
                    "SELECT GET_LOCK({MIGRATION_LOCK_NAME}, {MIGRATION_LOCK_WAIT_SECS})"
                )))
                .await?
                .and_then(|row| row.try_get_by_index::<Option<i64>>(0).ok().flatten());
            if got != Some(1) {
                return Err(DbErr::Custom(format!(
                    "another node held the migration lock for {MIGRATION_LOCK_WAIT_SECS} s"
                )));
            }
        }
        Backend::Sqlite => {}
    }
    let done = Migrator::up(db, None).await;
    let release = match backend {
        Backend::Postgres => format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"),
        Backend::MySql => format!("SELECT RELEASE_LOCK({MIGRATION_LOCK_NAME})"),
        Backend::Sqlite => return done,
    };
    // Closing the connection releases it as well.
    let _ = locker.execute_raw(sql(release)).await;
    done
}

/// The versions the database records as applied (none when it has no migration table), read
/// without changing anything.
async fn applied(db: &DatabaseConnection) -> Result<std::collections::BTreeSet<String>, DbErr> {
    use sea_orm::EntityTrait;
    use sea_orm_migration::{SchemaManager, seaql_migrations};
    if !SchemaManager::new(db).has_table("seaql_migrations").await? {
        return Ok(Default::default());
    }
    Ok(seaql_migrations::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.version)
        .collect())
}

/// The migrations this build knows that the database has not applied. Applied migrations this
/// build does not know (a newer build's, during a rolling upgrade) are no obstacle.
async fn pending(db: &DatabaseConnection) -> Result<Vec<String>, DbErr> {
    let applied = applied(db).await?;
    Ok(Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .filter(|n| !applied.contains(n))
        .collect())
}

/// The store: one connection pool serving every repository port.
#[derive(Debug, Clone)]
pub struct SeaStore {
    pub(crate) db: DatabaseConnection,
    /// Where audit events are appended: on SQLite a connection of its own (see
    /// [`AUDIT_CACHE_KIB`]); on a database server the shared pool.
    pub(crate) audit: DatabaseConnection,
    backend: Backend,
    /// Look-ups by key, grouped into shared queries.
    pub(crate) lookups: Arc<KeyLookups>,
    /// SQLite: the background checkpointer and holder indexer, stopped when the last clone of
    /// the store is gone.
    background: Option<Arc<Background>>,
}

/// WAL frames (256 MiB of 4 KiB pages) after which a committing SQLite connection checkpoints
/// by itself. Under steady writes the background checkpointer's passive checkpoints never
/// quite reach the log's end, so SQLite cannot start the log over until the writes pause; at
/// the mark every commit checkpoints in line (a stall of about 100 ms each on a large file) until
/// it can. SQLite's default mark (1,000 frames) and our earlier one (16,000) were reached within
/// seconds under load and gave 150 ms p99; at this one the log restarts in the pauses first. A
/// benchmark of 40 s at full load stayed below it (the platform bench in docs/performance.md).
const WAL_AUTOCHECKPOINT_PAGES: &str = "65536";
/// Largest write-ahead log file kept on disk once the log starts over (512 MiB, twice the
/// mark). The committing connection that starts the log over truncates it to this size, in
/// line: at 64 MiB every restart under load truncated a log of ~200 MiB, and that `ftruncate`
/// took 76 ms (traced), one slow audit commit in two. A log that stays at its working size is
/// reused instead; only one grown past the mark by a stuck checkpoint is cut back.
const WAL_SIZE_LIMIT_BYTES: &str = "536870912";
/// Page cache of the SQLite connection that appends audit events, in KiB (16 MiB). SQLite
/// empties a connection's cache whenever another connection has written since its last
/// transaction; when the appends went through any pooled connection, nearly every batch found
/// its connection's cache emptied and read the indexes' pages again (`pread` under the
/// B-tree inserts: the largest item of the SQLite threads' profile). On a connection of its
/// own the appends are usually the last writer, so the upper pages of the log's tables and
/// indexes and their growing edges stay cached from one batch to the next.
const AUDIT_CACHE_KIB: i64 = 16 * 1024;
/// How often the background checkpointer copies the SQLite write-ahead log into the database
/// (each round copies less, so the in-line checkpoint at the mark has less left to copy).
const CHECKPOINT_EVERY: Duration = Duration::from_millis(50);

/// How often the background indexer moves the audit log's tail into the holder index's runs
/// (`audit_runs`): under a steady load one run a round, so runs are few and merges rare (a
/// round after every commit made tiny runs, each holding the audit connection).
const INDEX_EVERY: Duration = Duration::from_millis(100);
/// Time each round of the indexer may spend merging runs and deleting merged ones after its
/// move, in steps between which the audit log's appends take the connection.
const INDEX_BUDGET: Duration = Duration::from_millis(30);

/// The background tasks of an SQLite store (the checkpointer and the audit log's holder
/// indexer); they stop at [`Background::stop`] or when the last clone of the store is gone.
#[derive(Debug)]
struct Background {
    stop: tokio::sync::watch::Sender<bool>,
}

/// Whether a background task was told to stop (or its store is gone).
fn stopped(rx: &mut tokio::sync::watch::Receiver<bool>) -> bool {
    rx.has_changed().is_err() || *rx.borrow_and_update()
}

impl Background {
    /// Starts the tasks: the checkpointer on the pool, the indexer on `audit`.
    fn start(db: DatabaseConnection, audit: DatabaseConnection, policy: RunPolicy) -> Self {
        let (stop, rx) = tokio::sync::watch::channel(false);
        Self::every(rx.clone(), CHECKPOINT_EVERY, move || {
            let db = db.clone();
            async move {
                // `PASSIVE`: never waits for readers or writers, so commits — the audit log's
                // above all — do not stop to checkpoint (and fsync) themselves.
                db.execute_unprepared("PRAGMA wal_checkpoint(PASSIVE)")
                    .await
                    .map(drop)
                    .map_err(|e| e.to_string())
            }
        });
        let idx_rx = rx.clone();
        Self::every(rx, INDEX_EVERY, move || {
            let audit = audit.clone();
            let mut rx = idx_rx.clone();
            async move {
                audit_runs::round(&audit, &policy, INDEX_BUDGET, &mut || stopped(&mut rx))
                    .await
                    .map_err(|e| e.to_string())
            }
        });
        Background { stop }
    }

    /// Runs `work` every `period` until told to stop; a failure is logged (unless stopping).
    fn every<F, Fut>(mut rx: tokio::sync::watch::Receiver<bool>, period: Duration, work: F)
    where
        F: Fn() -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Result<(), String>> + Send,
    {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = rx.changed() => {
                        if stopped(&mut rx) {
                            break;
                        }
                    }
                    _ = tick.tick() => {
                        if let Err(e) = work().await
                            && !stopped(&mut rx)
                        {
                            tracing::warn!(error = %e, "SQLite background task failed");
                        }
                    }
                }
            }
        });
    }

    /// Tells the tasks to stop before the pool closes.
    fn stop(&self) {
        let _ = self.stop.send(true);
    }
}

/// A write transaction on one connection of `db`: on SQLite `BEGIN IMMEDIATE`, so that it holds
/// the write lock from its start (a deferred one that read first cannot then write once
/// another connection has).
pub async fn write_transaction(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}

/// Whether a database error is one a retry of the same statement may not meet again: a
/// deadlock or a serialization failure (the database rolled the statement back at once).
pub(crate) fn transient(e: &DbErr) -> bool {
    let text = e.to_string().to_lowercase();
    ["deadlock", "could not serialize", "database is locked"]
        .iter()
        .any(|t| text.contains(t))
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
        Self::open(url, max_connections, Schema::Migrate).await
    }

    /// Every migration this build knows, in order, and whether the database at `url` has it;
    /// then those it has that this build does not know (a newer build's). Read without
    /// changing anything.
    pub async fn migration_status(url: &str) -> Result<MigrationStatus, StoreError> {
        let backend = Backend::of_url(url).ok_or_else(|| StoreError::Unsupported(url.into()))?;
        let url = if backend == Backend::MySql {
            url.replacen("mariadb:", "mysql:", 1)
        } else {
            url.to_owned()
        };
        // SQLite: read only, and a file that is not there is a database with nothing applied
        // (asking must not create it).
        let url = if backend == Backend::Sqlite {
            let (path, query) = url
                .trim_start_matches("sqlite:")
                .trim_start_matches("//")
                .split_once('?')
                .unwrap_or((
                    url.trim_start_matches("sqlite:").trim_start_matches("//"),
                    "",
                ));
            if path != ":memory:" && !std::path::Path::new(path).exists() {
                return Ok(MigrationStatus {
                    known: Migrator::migrations()
                        .iter()
                        .map(|m| (m.name().to_owned(), false))
                        .collect(),
                    unknown: Vec::new(),
                });
            }
            let query: Vec<&str> = query
                .split('&')
                .filter(|kv| !kv.is_empty() && !kv.starts_with("mode="))
                .chain(["mode=ro"])
                .collect();
            format!("sqlite://{path}?{}", query.join("&"))
        } else {
            url
        };
        let mut opts = ConnectOptions::new(url);
        opts.max_connections(1).sqlx_logging(false);
        let db = Database::connect(opts).await?;
        let applied = applied(&db).await;
        db.close().await?;
        let mut applied = applied?;
        let known = Migrator::migrations()
            .iter()
            .map(|m| {
                let name = m.name().to_owned();
                let done = applied.remove(&name);
                (name, done)
            })
            .collect();
        Ok(MigrationStatus {
            known,
            unknown: applied.into_iter().collect(),
        })
    }

    /// Connects by URL and, by `schema`, migrates or requires the schema current; SQLite
    /// commits with [`Durability::Full`].
    pub async fn open(url: &str, max_connections: u32, schema: Schema) -> Result<Self, StoreError> {
        Self::open_with(url, max_connections, schema, Durability::default()).await
    }

    /// [`SeaStore::open`] with SQLite's commits as `durability` says.
    pub async fn open_with(
        url: &str,
        max_connections: u32,
        schema: Schema,
        durability: Durability,
    ) -> Result<Self, StoreError> {
        let backend = Backend::of_url(url).ok_or_else(|| StoreError::Unsupported(url.into()))?;
        let mut url = url.to_owned();
        if backend == Backend::MySql && url.starts_with("mariadb:") {
            url = url.replacen("mariadb:", "mysql:", 1);
        }
        let options = |pool: u32, cache_kib: i64| {
            let mut opts = ConnectOptions::new(url.clone());
            opts.max_connections(pool.max(1))
                .min_connections(1)
                .connect_timeout(Duration::from_secs(10))
                .sqlx_logging(false);
            if backend == Backend::Sqlite {
                // An embedded database cannot drop a connection: no ping on checkout (it would
                // be a second round trip to the connection's worker thread for every statement).
                opts.test_before_acquire(false);
            } else {
                // A server may drop idle connections: ping only those idle for a while, not
                // every checkout (a network round trip per statement otherwise).
                opts.test_before_acquire_if_idle_for(Duration::from_secs(30));
            }
            #[cfg(feature = "sqlite")]
            if backend == Backend::Sqlite {
                use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
                let cache_size = format!("-{cache_kib}");
                opts.map_sqlx_sqlite_opts(move |o| {
                    o.journal_mode(SqliteJournalMode::Wal)
                        .synchronous(match durability {
                            Durability::Full => SqliteSynchronous::Full,
                            Durability::Normal => SqliteSynchronous::Normal,
                        })
                        .busy_timeout(Duration::from_secs(30))
                        .create_if_missing(true)
                        .foreign_keys(true)
                        .pragma("cache_size", cache_size.clone())
                        .pragma("temp_store", "memory")
                        .pragma("wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES)
                        .pragma("journal_size_limit", WAL_SIZE_LIMIT_BYTES)
                        // Room for the audit log's multi-row inserts (66 sizes per table, two
                        // tables) beside every other statement.
                        .statement_cache_capacity(256)
                });
            }
            #[cfg(not(feature = "sqlite"))]
            let _ = cache_kib;
            opts
        };
        // 1 MiB of page cache per pooled connection; the operating system caches the file. A
        // connection empties its whole cache when it starts reading after another connection
        // wrote, which under the audit log's steady commits is before nearly every statement:
        // a larger cache only made each emptying dearer (8 MiB: 89-101 µs of CPU per look-up in
        // the platform bench, 67-85 µs at 1 MiB; docs/performance.md).
        let opts = options(max_connections, 1024);
        let db = Database::connect(opts).await?;
        match (schema, backend) {
            (Schema::Require, _) => {
                let pending = pending(&db).await?;
                if !pending.is_empty() {
                    return Err(StoreError::Outdated(pending));
                }
            }
            (Schema::Migrate, Backend::Sqlite) => {
                // Every SQLite connection caches the schema, and an ALTER prepared on one that
                // has not yet seen another's change fails ("duplicate column name"): the
                // migrations run on one connection, in one transaction (all of them or none),
                // which also keeps out another process on the same file.
                let pinned = write_transaction(&db).await?;
                Migrator::up(&pinned, None).await?;
                pinned.commit().await?;
            }
            (Schema::Migrate, _) => {
                // Never closed for idling or age while it holds the lock, however long the
                // migrations take.
                let mut one = options(1, 0);
                one.idle_timeout(None).max_lifetime(None);
                let locker = Database::connect(one).await?;
                let done = migrate_locked(&db, &locker, backend).await;
                let _ = locker.close().await;
                done?;
            }
        }
        // An in-memory database is private to its connection: there the pool appends too.
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let audit = if backend == Backend::Sqlite && !in_memory {
            Database::connect(options(1, AUDIT_CACHE_KIB)).await?
        } else {
            db.clone()
        };
        let background = (backend == Backend::Sqlite).then(|| {
            Arc::new(Background::start(
                db.clone(),
                audit.clone(),
                RunPolicy::default(),
            ))
        });
        Ok(SeaStore {
            lookups: Arc::new(KeyLookups::start(db.clone())),
            db,
            audit,
            backend,
            background,
        })
    }

    /// Connections of the embedded default's pool.
    pub const SQLITE_POOL: u32 = 8;

    /// The URL of the SQLite file under `dir` (the embedded default), the directory made.
    pub fn sqlite_url(dir: &std::path::Path) -> Result<String, StoreError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::Unsupported(format!("{}: {e}", dir.display())))?;
        Ok(format!(
            "sqlite://{}?mode=rwc",
            Self::sqlite_path(dir).display()
        ))
    }

    /// The SQLite database file of a data directory.
    pub fn sqlite_path(dir: &std::path::Path) -> std::path::PathBuf {
        dir.join("licensed.sqlite3")
    }

    /// An SQLite store in a file under `dir` (the embedded default).
    pub async fn sqlite_in(dir: &std::path::Path) -> Result<Self, StoreError> {
        Self::connect(&Self::sqlite_url(dir)?, Self::SQLITE_POOL).await
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Whether the database answers (readiness).
    pub async fn ping(&self) -> Result<(), PortError> {
        self.db.ping().await.map_err(port_err)
    }

    /// Closes the pool once the last write is done (a node's graceful stop). On SQLite the
    /// write-ahead log is first copied into the database and emptied (`TRUNCATE`), so a stopped
    /// node leaves one complete database file — a copy of it is a whole backup — and the next
    /// start has no log to recover and copy under load. Every clone of the store is closed.
    pub async fn close(&self) -> Result<(), PortError> {
        if let Some(b) = &self.background {
            b.stop();
            self.audit.close_by_ref().await.map_err(port_err)?;
            self.db
                .execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
                .await
                .map_err(port_err)?;
        }
        self.db.close_by_ref().await.map_err(port_err)
    }

    /// One step of upkeep of the audit log's holder index in sorted runs under `policy` (on
    /// SQLite a background task does this); `false` when nothing was left to do. For tests and
    /// tools: the index's answers are the same at every step.
    pub async fn index_audit_step(&self, policy: &RunPolicy) -> Result<bool, PortError> {
        let step = audit_runs::step(&self.audit, policy)
            .await
            .map_err(port_err)?;
        Ok(step != audit_runs::Step::Idle)
    }

    /// Drops and recreates every table (tests).
    pub async fn reset(&self) -> Result<(), StoreError> {
        Migrator::fresh(&self.db).await?;
        Ok(())
    }

    /// The platform's signing key (a PEM text): the one stored, else `candidate`, stored now.
    /// Of nodes starting together each offers its own and all get the one that was stored
    /// first (the name is the key of the table).
    pub async fn platform_key(&self, candidate: &str) -> Result<String, StoreError> {
        use sea_orm::{ActiveValue::Set, EntityTrait};

        use crate::entity::platform_key;
        const NAME: &str = "signing";
        let stored = || platform_key::Entity::find_by_id(NAME.to_owned()).one(&self.db);
        if let Some(k) = stored().await? {
            return Ok(k.pem);
        }
        let row = platform_key::ActiveModel {
            name: Set(NAME.to_owned()),
            pem: Set(candidate.to_owned()),
            created_at: Set(chrono::Utc::now()),
        };
        if let Err(e) = platform_key::Entity::insert(row).exec(&self.db).await
            && !matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
        {
            // The error names the table, never the key.
            return Err(StoreError::Db(e));
        }
        Ok(stored()
            .await?
            .ok_or_else(|| DbErr::RecordNotFound("platform key".into()))?
            .pem)
    }

    /// The connection (for tools that need raw access, e.g. benchmarks' bulk setup).
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }
}
