//! How the audit log finds the events of one license without an index of its own.
//!
//! An index on the events' license column cost one random page write per event, the larger
//! part of every audited call's commit (docs/performance.md, "The audit log's indexes"). The events
//! are indexed by holder code instead (in sorted runs, `audit_runs`), and a license's events
//! are found through it:
//!
//! - an event whose call read its one license from the library under the event's holder code
//!   ([`AuditEvent::in_library`](license_core::ports::AuditEvent::in_library)) is found among
//!   that holder's events: `license = X` and the holder code is one the library holds or held
//!   for X;
//! - every other event of a license — several licenses in one call, a license the library does
//!   not hold (answers of the province upstream), or a call unsure of it — has a link row in
//!   `audit_licenses`, written in the same transaction as the event;
//! - a license's holder codes only grow: before a stored license takes another holder code in
//!   place, the old one is kept in `license_former_holders`, in the same transaction. So an
//!   event found through the library once is found for good, with no race between a call and
//!   a change.
//!
//! Every event of a license is therefore found by one branch of [`license_condition`].

use sea_orm::sea_query::{Condition, InsertStatement, Query, SelectStatement};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr};

use crate::audit_runs::{Holders, holder_events};
use crate::entity::{audit_event, audit_license, license, license_former_holder};

/// The holder code the library holds for the license `identifier`.
fn current_holder(identifier: &str) -> SelectStatement {
    Query::select()
        .column(license::Column::HolderCode)
        .from(license::Entity)
        .and_where(license::Column::Identifier.eq(identifier))
        .to_owned()
}

/// The holder codes the license `identifier` had before.
fn former_holders(identifier: &str) -> SelectStatement {
    Query::select()
        .column(license_former_holder::Column::HolderCode)
        .from(license_former_holder::Entity)
        .and_where(license_former_holder::Column::Identifier.eq(identifier))
        .to_owned()
}

/// Events that touched the license `identifier`: among its holder codes' events, or by link.
pub(crate) fn license_condition(identifier: &str) -> Condition {
    let under = |holders: SelectStatement| {
        Condition::all()
            .add(holder_events(&Holders::Of(Box::new(holders))))
            .add(audit_event::Column::License.eq(identifier))
    };
    Condition::any()
        .add(under(current_holder(identifier)))
        .add(under(former_holders(identifier)))
        .add(
            audit_event::Column::EventKey.in_subquery(
                Query::select()
                    .column(audit_license::Column::EventKey)
                    .from(audit_license::Entity)
                    .and_where(audit_license::Column::Identifier.eq(identifier))
                    .to_owned(),
            ),
        )
}

/// Before the license `identifier` takes the holder code `new_holder` in place: keeps its
/// current one among its former ones (nothing when the code does not change). A write (an
/// `INSERT … SELECT`), so a transaction that begins with it only writes.
pub(crate) async fn keep_former_holder(
    conn: &impl ConnectionTrait,
    identifier: &str,
    new_holder: &str,
) -> Result<(), DbErr> {
    let old = Query::select()
        .column(license::Column::Identifier)
        .column(license::Column::HolderCode)
        .from(license::Entity)
        .and_where(license::Column::Identifier.eq(identifier))
        .and_where(license::Column::HolderCode.ne(new_holder))
        .to_owned();
    let insert: InsertStatement = Query::insert()
        .into_table(license_former_holder::Entity)
        .columns([
            license_former_holder::Column::Identifier,
            license_former_holder::Column::HolderCode,
        ])
        .select_from(old)
        .map_err(|e| DbErr::Custom(format!("former holder insert: {e}")))?
        .to_owned();
    conn.execute(&insert).await.map(drop)
}
