//! A portable copy of the database: every table that holds the platform's data, as JSON Lines
//! of its rows, read in one consistent snapshot (a read-only repeatable-read transaction;
//! SQLite's write-ahead log gives the same) while the node serves; and its restore, in one
//! transaction, into an empty database of any of the three backends. Rows keep their keys.
//! Budget windows and leases are not copied: they are counts of the minute and claims of
//! running nodes, which a restored platform starts without.

use futures_util::TryStreamExt;
use sea_orm::{
    AccessMode, ActiveModelTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, IsolationLevel, PaginatorTrait, TransactionTrait,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::entity::*;
use crate::store::{Backend, SeaStore, StoreError};

/// Where a dump's tables go.
pub trait DumpOut {
    /// A table's rows follow.
    fn table(&mut self, name: &str) -> std::io::Result<()>;
    /// One row, a JSON object (no line break).
    fn row(&mut self, json: &[u8]) -> std::io::Result<()>;
}

/// Where a restore reads a dump's tables.
pub trait DumpIn {
    /// The rows of `table`, one JSON object a line.
    fn rows<'a>(
        &'a mut self,
        table: &str,
    ) -> std::io::Result<Box<dyn Iterator<Item = std::io::Result<String>> + 'a>>;
}

/// Rows inserted per statement by a restore.
const RESTORE_BATCH: usize = 200;

/// Every table a backup holds, in an order that restores (the ones rows of others name
/// first); `serial` when its key is a number the database hands out.
macro_rules! tables {
    ($macro:ident) => {
        $macro! {
            (cert_type_setting, true),
            (license, true),
            (license_file, true),
            (license_former_holder, true),
            (account, true),
            (oauth_client, true),
            (token, true),
            (login_failure, true),
            (download_grant, true),
            (platform_key, false),
            (outbox_push, true),
            (collected, true),
            (job_run, false),
            (audit_event, true),
            (audit_license, true),
            (audit_index_state, false),
            (audit_run, false),
            (audit_holder_run, false),
        }
    };
}

/// A table's name.
fn name_of<E: EntityTrait>() -> &'static str {
    E::default().table_name()
}

/// Writes every row of `E` read in `txn`; how many.
async fn dump_table<E>(txn: &DatabaseTransaction, out: &mut dyn DumpOut) -> Result<u64, StoreError>
where
    E: EntityTrait,
    E::Model: Serialize + Sync,
{
    out.table(name_of::<E>())?;
    let mut rows = E::find().stream(txn).await?;
    let mut n = 0;
    while let Some(m) = rows.try_next().await? {
        let json = serde_json::to_vec(&m).map_err(|e| StoreError::Backup(e.to_string()))?;
        out.row(&json)?;
        n += 1;
    }
    Ok(n)
}

/// Inserts the rows of `E` given as JSON lines; how many.
async fn restore_table<E, A>(
    txn: &DatabaseTransaction,
    lines: &mut dyn Iterator<Item = std::io::Result<String>>,
) -> Result<u64, StoreError>
where
    E: EntityTrait<ActiveModel = A>,
    E::Model: DeserializeOwned + IntoActiveModel<A>,
    A: ActiveModelTrait<Entity = E> + Send,
{
    let table = name_of::<E>();
    let mut batch: Vec<A> = Vec::with_capacity(RESTORE_BATCH);
    let mut n = 0;
    let mut lines = lines.peekable();
    while lines.peek().is_some() || !batch.is_empty() {
        if let Some(line) = lines.next() {
            let line = line?;
            let m: E::Model = serde_json::from_str(&line)
                .map_err(|e| StoreError::Backup(format!("{table}, row {}: {e}", n + 1)))?;
            batch.push(m.into_active_model().reset_all());
            n += 1;
            if batch.len() < RESTORE_BATCH && lines.peek().is_some() {
                continue;
            }
        }
        E::insert_many(std::mem::take(&mut batch))
            .exec_without_returning(txn)
            .await?;
    }
    Ok(n)
}

/// What [`SeaStore::dump`] wrote: each table with its rows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct DumpSummary {
    /// The migrations the database had, in order.
    pub migrations: Vec<String>,
    /// `(table, rows)` in restore order.
    pub tables: Vec<(String, u64)>,
}

impl SeaStore {
    /// Writes every table's rows to `out`, read in one snapshot while the store serves.
    pub async fn dump(&self, out: &mut dyn DumpOut) -> Result<DumpSummary, StoreError> {
        let txn = match self.backend() {
            Backend::Sqlite => self.db.begin().await?,
            _ => {
                self.db
                    .begin_with_config(
                        Some(IsolationLevel::RepeatableRead),
                        Some(AccessMode::ReadOnly),
                    )
                    .await?
            }
        };
        let migrations = sea_orm_migration::seaql_migrations::Entity::find()
            .all(&txn)
            .await?
            .into_iter()
            .map(|m| m.version)
            .collect();
        let mut tables = Vec::new();
        macro_rules! dump_all {
            ($(($m:ident, $serial:expr)),* $(,)?) => {
                $(
                    let n = dump_table::<$m::Entity>(&txn, out).await?;
                    tables.push((name_of::<$m::Entity>().to_owned(), n));
                )*
            };
        }
        tables!(dump_all);
        txn.commit().await?;
        Ok(DumpSummary { migrations, tables })
    }

    /// The first table a restore would refuse to fill because it holds rows (the audit
    /// index's state row every schema starts with aside), with its count.
    pub async fn first_non_empty(&self) -> Result<Option<(String, u64)>, StoreError> {
        macro_rules! check_all {
            ($(($m:ident, $serial:expr)),* $(,)?) => {
                $(
                    if name_of::<$m::Entity>() != name_of::<audit_index_state::Entity>() {
                        let n = $m::Entity::find().count(&self.db).await?;
                        if n > 0 {
                            return Ok(Some((name_of::<$m::Entity>().to_owned(), n)));
                        }
                    }
                )*
            };
        }
        tables!(check_all);
        Ok(None)
    }

    /// Fills an empty database from a dump, in one transaction: nothing is written unless
    /// every row is. Each table with its rows.
    pub async fn restore(&self, dump: &mut dyn DumpIn) -> Result<Vec<(String, u64)>, StoreError> {
        if let Some((table, n)) = self.first_non_empty().await? {
            return Err(StoreError::NotEmpty(table, n));
        }
        let txn = self.db.begin().await?;
        // The schema's own state row makes way for the dump's.
        audit_index_state::Entity::delete_many().exec(&txn).await?;
        let mut done = Vec::new();
        macro_rules! restore_all {
            ($(($m:ident, $serial:expr)),* $(,)?) => {
                $(
                    let table = name_of::<$m::Entity>();
                    let n = {
                        let mut lines = dump.rows(table)?;
                        restore_table::<$m::Entity, $m::ActiveModel>(&txn, &mut lines).await?
                    };
                    if $serial {
                        self.follow_keys(&txn, table).await?;
                    }
                    done.push((table.to_owned(), n));
                )*
            };
        }
        tables!(restore_all);
        txn.commit().await?;
        Ok(done)
    }

    /// PostgreSQL hands out keys from a sequence that inserted keys do not move: it is set
    /// past the largest. (MariaDB and SQLite follow inserted keys themselves.)
    async fn follow_keys(&self, txn: &DatabaseTransaction, table: &str) -> Result<(), StoreError> {
        if self.backend() != Backend::Postgres {
            return Ok(());
        }
        txn.execute_unprepared(&format!(
            "SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), \
             COALESCE((SELECT MAX(id) FROM \"{table}\"), 0) + 1, false)"
        ))
        .await?;
        Ok(())
    }
}
