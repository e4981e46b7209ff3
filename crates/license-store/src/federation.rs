//! Federation storage: a city's outbox of pushes to its province, and a province's record of the
//! pushes it applied (API.md §5, §6). Every license change commits with its push or link.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use license_core::admin::NewLicense;
use license_core::ports::{
    CollectedLink, CollectionRepository, LicenseWrite, NewPush, OutboxRepository, PortError,
    PortResult, Push, PushState,
};
use license_core::service::{CollectOperation, Page};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};

use crate::convert::license_to;
use crate::entity::{collected, license, license_file, outbox_lease, outbox_push};
use crate::repos::{bounded, update_license};
use crate::store::{SeaStore, port_err};

fn corrupt(what: String) -> PortError {
    PortError::Corrupt(what)
}

fn seq(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn push_from(m: outbox_push::Model) -> PortResult<Push> {
    let operation = CollectOperation::from_name(&m.operation)
        .ok_or_else(|| corrupt(format!("push {}: operation {:?}", m.id, m.operation)))?;
    let state = PushState::from_name(&m.state)
        .ok_or_else(|| corrupt(format!("push {}: state {:?}", m.id, m.state)))?;
    let record = match &m.record {
        Some(json) => Some(
            serde_json::from_str::<NewLicense>(json)
                .map_err(|e| corrupt(format!("push {}: record {e}", m.id)))?,
        ),
        None => None,
    };
    Ok(Push {
        sequence: u64::try_from(m.id).unwrap_or(0),
        push: NewPush {
            operation_id: m.operation_id,
            license: m.license,
            file_number: m.file_number,
            operation,
            record,
            reason: m.reason,
            at: m.created_at,
        },
        state,
        attempts: u32::try_from(m.attempts).unwrap_or(0),
        next_attempt_at: m.next_attempt_at,
        last_error: m.last_error,
        province_identifier: m.province_identifier,
        delivered_at: m.delivered_at,
    })
}

fn push_to(p: &NewPush) -> PortResult<outbox_push::ActiveModel> {
    let record = match &p.record {
        Some(r) => {
            Some(serde_json::to_string(r).map_err(|e| PortError::Invalid(format!("record: {e}")))?)
        }
        None => None,
    };
    Ok(outbox_push::ActiveModel {
        id: NotSet,
        operation_id: Set(p.operation_id.clone()),
        license: Set(p.license.clone()),
        file_number: Set(p.file_number.clone()),
        operation: Set(p.operation.name().to_owned()),
        record: Set(record),
        reason: Set(p.reason.clone()),
        state: Set(PushState::Pending.name().to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(p.at),
        last_error: Set(None),
        province_identifier: Set(None),
        created_at: Set(p.at),
        delivered_at: Set(None),
    })
}

/// Stores a license change on `conn` (inside the caller's transaction); `Conflict` when an
/// update finds no such license (the transaction must not commit half of its intent).
async fn write_license(conn: &impl ConnectionTrait, w: LicenseWrite<'_>) -> PortResult<()> {
    match w {
        LicenseWrite::Insert(l) => {
            license::Entity::insert(license_to(l))
                .exec(conn)
                .await
                .map_err(port_err)?;
        }
        LicenseWrite::Update(l) => {
            if !update_license(conn, l).await? {
                return Err(PortError::Conflict(format!(
                    "license {} is not stored",
                    l.identifier
                )));
            }
        }
    }
    Ok(())
}

/// Pending pushes, oldest first.
fn pending_in_order() -> sea_orm::Select<outbox_push::Entity> {
    outbox_push::Entity::find()
        .filter(outbox_push::Column::State.eq(PushState::Pending.name()))
        .order_by_asc(outbox_push::Column::Id)
}

impl SeaStore {
    /// Takes the lease `key` (a license's deliveries, or `job:<name>`) for `holder` until
    /// `until` if it is absent, lapsed at `now` or already `holder`'s; whether it is.
    pub(crate) async fn take_lease(
        &self,
        key: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> PortResult<bool> {
        // Ours, or lapsed: take it over. Otherwise, absent: the insert decides (the key is
        // unique, so of two nodes inserting at once one wins); present and running: not ours.
        let taken = outbox_lease::Entity::update_many()
            .col_expr(outbox_lease::Column::Holder, Expr::value(holder))
            .col_expr(outbox_lease::Column::Until, Expr::value(until))
            .filter(outbox_lease::Column::License.eq(key))
            .filter(
                Condition::any()
                    .add(outbox_lease::Column::Holder.eq(holder))
                    .add(outbox_lease::Column::Until.lte(now)),
            )
            .exec(&self.db)
            .await
            .map_err(port_err)?;
        if taken.rows_affected == 1 {
            return Ok(true);
        }
        let row = outbox_lease::ActiveModel {
            license: Set(key.to_owned()),
            holder: Set(holder.to_owned()),
            until: Set(until),
        };
        match outbox_lease::Entity::insert(row).exec(&self.db).await {
            Ok(_) => Ok(true),
            Err(e) => match port_err(e) {
                PortError::Conflict(_) => Ok(false),
                other => Err(other),
            },
        }
    }

    /// Gives the lease `key` back, if `holder` holds it.
    pub(crate) async fn give_lease(&self, key: &str, holder: &str) -> PortResult<()> {
        outbox_lease::Entity::delete_many()
            .filter(outbox_lease::Column::License.eq(key))
            .filter(outbox_lease::Column::Holder.eq(holder))
            .exec(&self.db)
            .await
            .map_err(port_err)?;
        Ok(())
    }

    async fn set_push(&self, sequence: u64, am: outbox_push::ActiveModel) -> PortResult<()> {
        let mut am = am;
        am.id = Set(seq(sequence));
        am.update(&self.db).await.map_err(port_err)?;
        Ok(())
    }
}

#[async_trait]
impl OutboxRepository for SeaStore {
    async fn enqueue(
        &self,
        pushes: &[NewPush],
        writes: &[LicenseWrite<'_>],
    ) -> PortResult<Vec<u64>> {
        let txn = self.db.begin().await.map_err(port_err)?;
        for w in writes {
            write_license(&txn, *w).await?;
        }
        let mut sequences = Vec::with_capacity(pushes.len());
        for p in pushes {
            let r = outbox_push::Entity::insert(push_to(p)?)
                .exec(&txn)
                .await
                .map_err(port_err)?;
            sequences.push(u64::try_from(r.last_insert_id).unwrap_or(0));
        }
        txn.commit().await.map_err(port_err)?;
        Ok(sequences)
    }

    async fn pending(&self, limit: u64) -> PortResult<Vec<Push>> {
        pending_in_order()
            .limit(bounded(limit))
            .all(&self.db)
            .await
            .map_err(port_err)?
            .into_iter()
            .map(push_from)
            .collect()
    }

    async fn get(&self, sequence: u64) -> PortResult<Option<Push>> {
        outbox_push::Entity::find_by_id(seq(sequence))
            .one(&self.db)
            .await
            .map_err(port_err)?
            .map(push_from)
            .transpose()
    }

    async fn pending_for(&self, license: &str) -> PortResult<Vec<Push>> {
        pending_in_order()
            .filter(outbox_push::Column::License.eq(license))
            .all(&self.db)
            .await
            .map_err(port_err)?
            .into_iter()
            .map(push_from)
            .collect()
    }

    async fn delivered(
        &self,
        sequence: u64,
        province_identifier: &str,
        at: DateTime<Utc>,
    ) -> PortResult<()> {
        // The push's license and operation never change: read them first, so the transaction
        // only writes.
        let Some(row) = outbox_push::Entity::find_by_id(seq(sequence))
            .one(&self.db)
            .await
            .map_err(port_err)?
        else {
            return Err(PortError::Conflict(format!(
                "push {sequence} is not stored"
            )));
        };
        let txn = self.db.begin().await.map_err(port_err)?;
        let am = outbox_push::ActiveModel {
            id: Set(row.id),
            state: Set(PushState::Delivered.name().to_owned()),
            attempts: Set(row.attempts.saturating_add(1)),
            province_identifier: Set(Some(province_identifier.to_owned())),
            delivered_at: Set(Some(at)),
            last_error: Set(None),
            ..Default::default()
        };
        am.update(&txn).await.map_err(port_err)?;
        if row.operation == CollectOperation::Create.name() {
            license::Entity::update_many()
                .col_expr(
                    license::Column::ProvinceIdentifier,
                    Expr::value(province_identifier.to_owned()),
                )
                .filter(license::Column::Identifier.eq(row.license.as_str()))
                .exec(&txn)
                .await
                .map_err(port_err)?;
        }
        txn.commit().await.map_err(port_err)
    }

    async fn retry_later(
        &self,
        sequence: u64,
        attempts: u32,
        next_attempt_at: DateTime<Utc>,
        error: &str,
    ) -> PortResult<()> {
        self.set_push(
            sequence,
            outbox_push::ActiveModel {
                attempts: Set(i32::try_from(attempts).unwrap_or(i32::MAX)),
                next_attempt_at: Set(next_attempt_at),
                last_error: Set(Some(error.to_owned())),
                ..Default::default()
            },
        )
        .await
    }

    async fn failed(&self, sequence: u64, attempts: u32, error: &str) -> PortResult<()> {
        self.set_push(
            sequence,
            outbox_push::ActiveModel {
                state: Set(PushState::Failed.name().to_owned()),
                attempts: Set(i32::try_from(attempts).unwrap_or(i32::MAX)),
                last_error: Set(Some(error.to_owned())),
                ..Default::default()
            },
        )
        .await
    }

    async fn lease(
        &self,
        license: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> PortResult<bool> {
        self.take_lease(license, holder, now, until).await
    }

    async fn release(&self, license: &str, holder: &str) -> PortResult<()> {
        self.give_lease(license, holder).await
    }

    async fn requeue(&self, sequence: u64, at: DateTime<Utc>) -> PortResult<bool> {
        let r = outbox_push::Entity::update_many()
            .col_expr(
                outbox_push::Column::State,
                Expr::value(PushState::Pending.name()),
            )
            .col_expr(outbox_push::Column::NextAttemptAt, Expr::value(at))
            .filter(outbox_push::Column::Id.eq(seq(sequence)))
            .filter(outbox_push::Column::State.eq(PushState::Failed.name()))
            .exec(&self.db)
            .await
            .map_err(port_err)?;
        Ok(r.rows_affected == 1)
    }

    async fn list(
        &self,
        state: Option<PushState>,
        offset: u64,
        limit: u64,
    ) -> PortResult<Page<Push>> {
        let mut q = outbox_push::Entity::find();
        if let Some(s) = state {
            q = q.filter(outbox_push::Column::State.eq(s.name()));
        }
        let total = q.clone().count(&self.db).await.map_err(port_err)?;
        let items = q
            .order_by_desc(outbox_push::Column::Id)
            .offset(bounded(offset))
            .limit(bounded(limit))
            .all(&self.db)
            .await
            .map_err(port_err)?
            .into_iter()
            .map(push_from)
            .collect::<PortResult<_>>()?;
        Ok(Page { total, items })
    }
}

fn link_from(m: collected::Model) -> CollectedLink {
    CollectedLink {
        origin: m.origin,
        city_file_number: m.city_file_number,
        province_identifier: m.province_identifier,
        sequence: u64::try_from(m.sequence).unwrap_or(0),
        operation_id: m.operation_id,
        updated_at: m.updated_at,
    }
}

#[async_trait]
impl CollectionRepository for SeaStore {
    async fn link(
        &self,
        origin: &str,
        city_file_number: &str,
    ) -> PortResult<Option<CollectedLink>> {
        Ok(collected::Entity::find()
            .filter(collected::Column::Origin.eq(origin))
            .filter(collected::Column::CityFileNumber.eq(city_file_number))
            .one(&self.db)
            .await
            .map_err(port_err)?
            .map(link_from))
    }

    async fn collect(&self, link: &CollectedLink, write: LicenseWrite<'_>) -> PortResult<bool> {
        let txn = self.db.begin().await.map_err(port_err)?;
        match write {
            LicenseWrite::Insert(_) => {
                collected::Entity::insert(collected::ActiveModel {
                    id: NotSet,
                    origin: Set(link.origin.clone()),
                    city_file_number: Set(link.city_file_number.clone()),
                    province_identifier: Set(link.province_identifier.clone()),
                    sequence: Set(seq(link.sequence)),
                    operation_id: Set(link.operation_id.clone()),
                    updated_at: Set(link.updated_at),
                })
                .exec(&txn)
                .await
                .map_err(port_err)?;
            }
            LicenseWrite::Update(l) => {
                // Moves the link on only past its stored sequence: a stale or repeated push
                // changes nothing, even when two deliveries race.
                let moved = collected::Entity::update_many()
                    .col_expr(collected::Column::Sequence, Expr::value(seq(link.sequence)))
                    .col_expr(
                        collected::Column::OperationId,
                        Expr::value(link.operation_id.clone()),
                    )
                    .col_expr(collected::Column::UpdatedAt, Expr::value(link.updated_at))
                    .filter(collected::Column::Origin.eq(link.origin.as_str()))
                    .filter(collected::Column::CityFileNumber.eq(link.city_file_number.as_str()))
                    .filter(collected::Column::Sequence.lt(seq(link.sequence)))
                    .exec(&txn)
                    .await
                    .map_err(port_err)?;
                if moved.rows_affected == 0 {
                    txn.rollback().await.map_err(port_err)?;
                    return Ok(false);
                }
                license_file::Entity::delete_many()
                    .filter(license_file::Column::Identifier.eq(l.identifier.as_str()))
                    .exec(&txn)
                    .await
                    .map_err(port_err)?;
            }
        }
        write_license(&txn, write).await?;
        txn.commit().await.map_err(port_err)?;
        Ok(true)
    }
}
