//! The audit log: appending events (with their license links) and querying them.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use license_core::ports::{
    AuditCursor, AuditEvent, AuditOutcome, AuditQuery, AuditStore, PortResult,
};
use license_core::service::Page;
use license_core::{Interface, ReturnCode};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Select, TransactionTrait,
};

use crate::audit_links;
use crate::audit_runs::{Holders, holder_events};
use crate::convert::{audit_from, audit_to, single_license};
use crate::entity::{audit_event, audit_license};
use crate::store::{SeaStore, port_err};

use super::{bounded, fixed_chunks};

impl SeaStore {
    /// Writes audit rows and their license links atomically: one statement when the rows fit
    /// one and there are no links (atomic on its own: no BEGIN and COMMIT round trips), else
    /// a transaction.
    async fn insert_audit(
        &self,
        rows: Vec<audit_event::ActiveModel>,
        links: Vec<audit_license::ActiveModel>,
    ) -> PortResult<()> {
        let mut event_chunks = fixed_chunks(rows);
        if event_chunks.len() == 1 && links.is_empty() {
            // One statement commits by itself: no `BEGIN` and `COMMIT` round trips.
            return audit_event::Entity::insert_many(event_chunks.remove(0))
                .exec_without_returning(&self.audit)
                .await
                .map(drop)
                .map_err(port_err);
        }
        let txn = self.audit.begin().await.map_err(port_err)?;
        for chunk in event_chunks {
            audit_event::Entity::insert_many(chunk)
                .exec_without_returning(&txn)
                .await
                .map_err(port_err)?;
        }
        for chunk in fixed_chunks(links) {
            audit_license::Entity::insert_many(chunk)
                .exec_without_returning(&txn)
                .await
                .map_err(port_err)?;
        }
        txn.commit().await.map_err(port_err)
    }
}

/// The events a query selects (its offset and limit aside).
fn filtered(q: &AuditQuery) -> Select<audit_event::Entity> {
    let mut s = audit_event::Entity::find();
    if let Some(v) = q.from {
        s = s.filter(audit_event::Column::At.gte(v));
    }
    if let Some(v) = q.until {
        s = s.filter(audit_event::Column::At.lt(v));
    }
    if let Some(v) = &q.username {
        s = s.filter(audit_event::Column::Username.eq(v.as_str()));
    }
    if let Some(v) = q.interface {
        s = s.filter(audit_event::Column::Interface.eq(v.label()));
    }
    if let Some(v) = &q.holder_code {
        s = s.filter(holder_events(&Holders::Code(v.clone())));
    }
    if let Some(v) = &q.license {
        s = s.filter(audit_links::license_condition(v));
    }
    match q.outcome {
        Some(AuditOutcome::Code(c)) => {
            s = s.filter(audit_event::Column::Code.eq(i32::from(c.code())));
        }
        Some(AuditOutcome::Failed) => {
            s = s.filter(audit_event::Column::Code.ne(i32::from(ReturnCode::Success.code())));
        }
        None => {}
    }
    s
}

#[async_trait]
impl AuditStore for SeaStore {
    async fn append(&self, events: &[AuditEvent]) -> PortResult<()> {
        if events.is_empty() {
            return Ok(());
        }
        // Time-ordered keys: both indexes on them grow at one end.
        let keys: Vec<String> = events
            .iter()
            .map(|_| uuid::Uuid::now_v7().simple().to_string())
            .collect();
        let rows: Vec<audit_event::ActiveModel> = events
            .iter()
            .zip(&keys)
            .map(|(e, k)| audit_to(e, k.clone()))
            .collect();
        // Link rows only for events their holder code does not find (`audit_links`): calls
        // of several licenses, or of one the library did not give under that holder code.
        let links: Vec<audit_license::ActiveModel> = events
            .iter()
            .zip(&keys)
            .filter(|(e, _)| single_license(e).is_none() || !e.in_library)
            .flat_map(|(e, k)| {
                e.licenses.iter().map(|l| audit_license::ActiveModel {
                    id: NotSet,
                    event_key: Set(k.clone()),
                    identifier: Set(l.clone()),
                })
            })
            .collect();
        self.insert_audit(rows, links).await
    }

    async fn query(&self, q: &AuditQuery) -> PortResult<Page<AuditEvent>> {
        let s = filtered(q);
        let total = s.clone().count(&self.db).await.map_err(port_err)?;
        let rows = s
            .order_by_desc(audit_event::Column::At)
            .order_by_desc(audit_event::Column::Id)
            .offset(bounded(q.offset))
            .limit(bounded(q.limit))
            .all(&self.db)
            .await
            .map_err(port_err)?;
        Ok(Page {
            total,
            items: rows
                .into_iter()
                .map(audit_from)
                .collect::<PortResult<_>>()?,
        })
    }

    async fn scan(
        &self,
        q: &AuditQuery,
        after: Option<AuditCursor>,
        limit: u64,
    ) -> PortResult<Vec<(AuditCursor, AuditEvent)>> {
        use audit_event::Column as C;
        let mut s = filtered(q);
        if let Some(c) = after {
            s = s.filter(
                Condition::any()
                    .add(C::At.gt(c.at))
                    .add(Condition::all().add(C::At.eq(c.at)).add(C::Id.gt(c.key))),
            );
        }
        s.order_by_asc(C::At)
            .order_by_asc(C::Id)
            .limit(bounded(limit))
            .all(&self.db)
            .await
            .map_err(port_err)?
            .into_iter()
            .map(|m| {
                let cursor = AuditCursor {
                    at: m.at,
                    key: m.id,
                };
                Ok((cursor, audit_from(m)?))
            })
            .collect()
    }

    async fn tally(&self, from: DateTime<Utc>) -> PortResult<Vec<(Interface, ReturnCode, u64)>> {
        use audit_event::Column as C;
        let rows: Vec<(String, i32, i64)> = audit_event::Entity::find()
            .select_only()
            .column(C::Interface)
            .column(C::Code)
            .column_as(C::Id.count(), "calls")
            .filter(C::At.gte(from))
            .group_by(C::Interface)
            .group_by(C::Code)
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(port_err)?;
        // A label or code this build does not know (written by a newer one) is left out of
        // the count rather than failing it.
        Ok(rows
            .into_iter()
            .filter_map(|(interface, code, calls)| {
                Some((
                    Interface::from_label(&interface)?,
                    ReturnCode::from_code(u16::try_from(code).ok()?)?,
                    u64::try_from(calls).unwrap_or(0),
                ))
            })
            .collect())
    }

    async fn oldest(&self) -> PortResult<Option<DateTime<Utc>>> {
        audit_event::Entity::find()
            .select_only()
            .column(audit_event::Column::At)
            .order_by_asc(audit_event::Column::At)
            .limit(1)
            .into_tuple()
            .one(&self.db)
            .await
            .map_err(port_err)
    }
}
