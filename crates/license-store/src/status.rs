//! What `licensed status` reports of the database: how much it holds, and how old its oldest
//! audit event is.

use chrono::{DateTime, Utc};
use license_core::ports::PushState;
use sea_orm::{EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::entity::{account, audit_event, license, outbox_push};
use crate::{SeaStore, StoreError};

/// Counts of what the database holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreStatus {
    /// Licenses, every state.
    pub licenses: u64,
    /// Accounts.
    pub accounts: u64,
    /// Pushes to the province not yet delivered.
    pub pending_pushes: u64,
    /// Audit events.
    pub audit_events: u64,
    /// When the oldest audit event happened.
    pub oldest_audit_event: Option<DateTime<Utc>>,
}

/// Pushes to the province not yet delivered.
fn pending_pushes() -> sea_orm::Select<outbox_push::Entity> {
    use sea_orm::ColumnTrait;
    outbox_push::Entity::find().filter(outbox_push::Column::State.eq(PushState::Pending.name()))
}

impl SeaStore {
    /// The counts `licensed status` prints (each a `COUNT`; the audit log's may take a moment
    /// on a large library).
    pub async fn status(&self) -> Result<StoreStatus, StoreError> {
        let db = self.connection();
        let oldest = audit_event::Entity::find()
            .order_by_asc(audit_event::Column::Id)
            .select_only()
            .column(audit_event::Column::At)
            .into_tuple::<DateTime<Utc>>()
            .one(db)
            .await?;
        Ok(StoreStatus {
            licenses: license::Entity::find().count(db).await?,
            accounts: account::Entity::find().count(db).await?,
            pending_pushes: pending_pushes().count(db).await?,
            audit_events: audit_event::Entity::find().count(db).await?,
            oldest_audit_event: oldest,
        })
    }
}

/// The connection pool now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStatus {
    /// Connections open.
    pub open: u32,
    /// Of them, idle.
    pub idle: u32,
    /// The most the pool opens.
    pub max: u32,
}

impl SeaStore {
    /// Pushes to the province waiting, and when the oldest of them was queued.
    pub async fn outbox_backlog(&self) -> Result<(u64, Option<DateTime<Utc>>), StoreError> {
        let count = pending_pushes().count(self.connection()).await?;
        let oldest = pending_pushes()
            .order_by_asc(outbox_push::Column::Id)
            .select_only()
            .column(outbox_push::Column::CreatedAt)
            .into_tuple::<DateTime<Utc>>()
            .one(self.connection())
            .await?;
        Ok((count, oldest))
    }

    /// The shared pool's connections (on SQLite the readers' and writers' pool; the audit
    /// log's own connection aside).
    pub fn pool_status(&self) -> PoolStatus {
        fn of<DB: sea_orm::sqlx::Database>(p: &sea_orm::sqlx::Pool<DB>) -> PoolStatus {
            PoolStatus {
                open: p.size(),
                idle: u32::try_from(p.num_idle()).unwrap_or(u32::MAX),
                max: p.options().get_max_connections(),
            }
        }
        let db = self.connection();
        match self.backend() {
            #[cfg(feature = "sqlite")]
            crate::Backend::Sqlite => of(db.get_sqlite_connection_pool()),
            #[cfg(feature = "postgres")]
            crate::Backend::Postgres => of(db.get_postgres_connection_pool()),
            #[cfg(feature = "mysql")]
            crate::Backend::MySql => of(db.get_mysql_connection_pool()),
            #[allow(unreachable_patterns)]
            _ => PoolStatus {
                open: 0,
                idle: 0,
                max: 0,
            },
        }
    }
}
