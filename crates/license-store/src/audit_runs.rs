//! The audit log's holder index in sorted runs.
//!
//! An ordinary index on the events' holder code takes every event to a random leaf page, and
//! SQLite's write-ahead log writes each page a commit dirties in full: ~4–8 KB of log an
//! event, which under sustained load bounds both the calls per second and the p99 (the log's
//! checkpoints; docs/performance.md, "The audit log's indexes"). Here the events are appended
//! without it, and a background task moves them into the index afterwards, in sorted runs:
//!
//! - **the tail**: events with an id above the watermark (`audit_index_state`), found by
//!   scanning them by id;
//! - **a move** takes up to [`RunPolicy::move_events`] events of the tail into a new run of
//!   level 0, inserted in key order at the index's end (`audit_holder_runs`, keyed by run,
//!   holder code and event), and raises the watermark — one transaction, so an event is in
//!   the tail or in a live run, never both nor neither;
//! - **a merge** of [`RunPolicy::fanout`] live runs of one level builds a run of the next
//!   level in steps of a few thousand rows (whole holder codes at a time, each step its own
//!   transaction, so the log's appends never wait long). The new run is `building` and not
//!   read until its last step, which makes it `live` and its sources `dead` in one
//!   transaction; a dead run's rows are then deleted in steps. A crash anywhere leaves the
//!   old state or the new: the building run's own largest holder code is where it resumes.
//!
//! A query by holder code seeks each live run (a logarithmic number of them) and scans the
//! tail. Runs are only kept on SQLite (`SeaStore` starts the task there): the move relies on
//! event ids committing in id order, which SQLite's one writer guarantees and several nodes
//! sharing a database server would not; there the ordinary index stays, the runs stay empty
//! and the watermark at 0, and the same query finds every event through the tail's branch.

use sea_orm::sea_query::{Condition, Expr, ExprTrait, IntoColumnRef, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait,
    Order, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};

use std::time::{Duration, Instant};

use crate::entity::{audit_event, audit_holder_run, audit_index_state, audit_run};

/// `audit_runs.state` of a run being built by a merge (not read).
const BUILDING: &str = "building";
/// `audit_runs.state` of a run queries read.
const LIVE: &str = "live";
/// `audit_runs.state` of a run merged into another, its rows being deleted (not read).
const DEAD: &str = "dead";

/// How the runs are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunPolicy {
    /// Most events one move takes from the tail into a new run.
    pub move_events: i64,
    /// Live runs of one level that are merged into one run of the next level.
    pub fanout: usize,
    /// Rows each source run gives at most to one merge step (whole holder codes aside).
    pub merge_rows: u64,
    /// Rows of a dead run deleted per step.
    pub delete_rows: u64,
}

impl Default for RunPolicy {
    fn default() -> Self {
        RunPolicy {
            move_events: 4096,
            fanout: 8,
            merge_rows: 512,
            delete_rows: 4096,
        }
    }
}

/// The holder codes whose events a query selects.
#[derive(Debug, Clone)]
pub(crate) enum Holders {
    /// One holder code.
    Code(String),
    /// The holder codes a subquery gives.
    Of(Box<SelectStatement>),
}

impl Holders {
    fn on(&self, col: impl IntoColumnRef) -> Expr {
        match self {
            Holders::Code(c) => Expr::col(col).eq(c.as_str()),
            Holders::Of(s) => Expr::col(col).in_subquery(s.as_ref().clone()),
        }
    }
}

/// Events of the holder codes `holders`: in a live run, or in the tail with that holder code.
/// Both branches read in one statement, so one snapshot: a move or a merge that commits
/// meanwhile is seen whole or not at all.
pub(crate) fn holder_events(holders: &Holders) -> Condition {
    let live = Query::select()
        .column(audit_run::Column::Run)
        .from(audit_run::Entity)
        .and_where(audit_run::Column::State.eq(LIVE))
        .to_owned();
    let in_runs = Query::select()
        .column(audit_holder_run::Column::EventId)
        .from(audit_holder_run::Entity)
        .and_where(audit_holder_run::Column::Run.in_subquery(live))
        .and_where(holders.on((
            audit_holder_run::Entity,
            audit_holder_run::Column::HolderCode,
        )))
        .to_owned();
    let watermark = Query::select()
        .column(audit_index_state::Column::Watermark)
        .from(audit_index_state::Entity)
        .to_owned();
    Condition::any()
        .add(audit_event::Column::Id.in_subquery(in_runs))
        .add(
            Condition::all()
                .add(
                    Expr::col((audit_event::Entity, audit_event::Column::Id))
                        .gt(Expr::SubQuery(None, Box::new(watermark.into()))),
                )
                .add(holders.on((audit_event::Entity, audit_event::Column::HolderCode))),
        )
}

/// What one step of upkeep did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// Nothing was left to do.
    Idle,
    /// Moved events of the tail into a new run (or found another task had).
    Moved,
    /// Started a merge.
    Started,
    /// Added rows to a run being built (and made it live if it was the last step).
    Merged,
    /// Deleted rows of dead runs (and the runs with their last rows).
    Deleted,
}

/// One step of upkeep on `conn` (the audit log's own connection): a move when the tail holds
/// events, else one step of a merge or of a dead run's deletion, else the start of a merge.
pub(crate) async fn step(conn: &DatabaseConnection, policy: &RunPolicy) -> Result<Step, DbErr> {
    if move_tail(conn, policy).await?.is_some() {
        return Ok(Step::Moved);
    }
    upkeep_step(conn, policy).await
}

/// One round of the background task: the whole tail into runs (a backlog in several moves,
/// a steady load in one run per round — not one tiny run per commit), then steps of merging
/// and deleting while `budget` lasts and `stop` says go on. The appends of the audit log take
/// the connection between steps.
pub(crate) async fn round(
    conn: &DatabaseConnection,
    policy: &RunPolicy,
    budget: Duration,
    stop: &mut impl FnMut() -> bool,
) -> Result<(), DbErr> {
    while !stop() {
        let step_started = Instant::now();
        let Some(moved) = move_tail(conn, policy).await? else {
            break;
        };
        log_step(Step::Moved, step_started);
        if moved < policy.move_events {
            break;
        }
        tokio::task::yield_now().await;
    }
    let started = Instant::now();
    while started.elapsed() < budget && !stop() {
        let step_started = Instant::now();
        let step = upkeep_step(conn, policy).await?;
        if step == Step::Idle {
            break;
        }
        log_step(step, step_started);
        tokio::task::yield_now().await;
    }
    Ok(())
}

fn log_step(step: Step, started: Instant) {
    tracing::debug!(
        ?step,
        us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        "audit holder index"
    );
}

/// A step of merging or deleting runs, or the start of a merge.
async fn upkeep_step(conn: &DatabaseConnection, policy: &RunPolicy) -> Result<Step, DbErr> {
    let runs = audit_run::Entity::find()
        .order_by_asc(audit_run::Column::Run)
        .all(conn)
        .await?;
    if let Some(b) = runs.iter().find(|r| r.state == BUILDING) {
        let sources: Vec<i64> = runs
            .iter()
            .filter(|r| r.merged_into == Some(b.run) && r.state == LIVE)
            .map(|r| r.run)
            .collect();
        return merge_step(conn, policy, b.run, &sources)
            .await
            .map(|()| Step::Merged);
    }
    let dead: Vec<audit_run::Model> = runs.iter().filter(|r| r.state == DEAD).cloned().collect();
    if !dead.is_empty() {
        return delete_step(conn, policy, &dead)
            .await
            .map(|()| Step::Deleted);
    }
    // The lowest level with `fanout` live runs merges its oldest `fanout`.
    let fanout = Ord::max(policy.fanout, 2);
    let mut per_level: std::collections::BTreeMap<i32, Vec<i64>> = Default::default();
    for r in runs.iter().filter(|r| r.state == LIVE) {
        per_level.entry(r.level).or_default().push(r.run);
    }
    let Some((&level, sources)) = per_level.iter().find(|(_, runs)| runs.len() >= fanout) else {
        return Ok(Step::Idle);
    };
    let sources = &sources[..fanout];
    start_merge(conn, level, sources)
        .await
        .map(|()| Step::Started)
}

/// The state row: (watermark, next run).
async fn state(conn: &impl ConnectionTrait) -> Result<(i64, i64), DbErr> {
    audit_index_state::Entity::find_by_id(1)
        .one(conn)
        .await?
        .map(|s| (s.watermark, s.next_run))
        .ok_or_else(|| DbErr::RecordNotFound("audit_index_state".into()))
}

/// Takes the next run number; a write, so a transaction that begins with it holds SQLite's
/// write lock before it reads anything. `None` when another mover raised the watermark from
/// `watermark` first (`Some` whatever the watermark when `watermark` is `None`).
async fn claim_run(
    conn: &impl ConnectionTrait,
    watermark: Option<i64>,
) -> Result<Option<i64>, DbErr> {
    let mut claim = audit_index_state::Entity::update_many()
        .col_expr(
            audit_index_state::Column::NextRun,
            Expr::col(audit_index_state::Column::NextRun).add(1),
        )
        .filter(audit_index_state::Column::Id.eq(1));
    if let Some(w) = watermark {
        claim = claim.filter(audit_index_state::Column::Watermark.eq(w));
    }
    if claim.exec(conn).await?.rows_affected != 1 {
        return Ok(None);
    }
    Ok(Some(state(conn).await?.1 - 1))
}

/// Moves up to `policy.move_events` events of the tail into a new live run of level 0; how
/// many ids it took (or another task took first), `None` when the tail is empty.
async fn move_tail(conn: &DatabaseConnection, policy: &RunPolicy) -> Result<Option<i64>, DbErr> {
    let (watermark, _) = state(conn).await?;
    let newest: Option<i64> = audit_event::Entity::find()
        .select_only()
        .column_as(audit_event::Column::Id.max(), "newest")
        .into_tuple::<Option<i64>>()
        .one(conn)
        .await?
        .flatten();
    let Some(newest) = newest.filter(|&n| n > watermark) else {
        return Ok(None);
    };
    // Every event up to `newest` has committed: on SQLite ids are given in commit order.
    let high = Ord::min(
        newest,
        watermark.saturating_add(Ord::max(policy.move_events, 1)),
    );
    let txn = conn.begin().await?;
    let Some(run) = claim_run(&txn, Some(watermark)).await? else {
        return Ok(Some(0));
    };
    let rows = Query::select()
        .expr(Expr::val(run))
        .column(audit_event::Column::HolderCode)
        .column(audit_event::Column::Id)
        .from(audit_event::Entity)
        .and_where(audit_event::Column::Id.gt(watermark))
        .and_where(audit_event::Column::Id.lte(high))
        .and_where(audit_event::Column::HolderCode.is_not_null())
        .order_by(audit_event::Column::HolderCode, Order::Asc)
        .order_by(audit_event::Column::Id, Order::Asc)
        .to_owned();
    let events = insert_rows(&txn, rows).await?;
    if events > 0 {
        audit_run::Entity::insert(audit_run::ActiveModel {
            run: Set(run),
            level: Set(0),
            events: Set(events as i64),
            state: Set(LIVE.into()),
            merged_into: Set(None),
        })
        .exec_without_returning(&txn)
        .await?;
    }
    audit_index_state::Entity::update_many()
        .col_expr(audit_index_state::Column::Watermark, Expr::val(high))
        .filter(audit_index_state::Column::Id.eq(1))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(Some(high - watermark))
}

/// Inserts the rows `(run, holder_code, event_id)` a select gives, in its order.
async fn insert_rows(conn: &impl ConnectionTrait, rows: SelectStatement) -> Result<u64, DbErr> {
    let insert = Query::insert()
        .into_table(audit_holder_run::Entity)
        .columns([
            audit_holder_run::Column::Run,
            audit_holder_run::Column::HolderCode,
            audit_holder_run::Column::EventId,
        ])
        .select_from(rows)
        .map_err(|e| DbErr::Custom(format!("holder run insert: {e}")))?
        .to_owned();
    Ok(conn.execute(&insert).await?.rows_affected())
}

/// Starts merging the live runs `sources` (of `level`) into a new building run.
async fn start_merge(conn: &DatabaseConnection, level: i32, sources: &[i64]) -> Result<(), DbErr> {
    let txn = conn.begin().await?;
    let Some(run) = claim_run(&txn, None).await? else {
        return Err(DbErr::RecordNotFound("audit_index_state".into()));
    };
    audit_run::Entity::insert(audit_run::ActiveModel {
        run: Set(run),
        level: Set(level + 1),
        events: Set(0),
        state: Set(BUILDING.into()),
        merged_into: Set(None),
    })
    .exec_without_returning(&txn)
    .await?;
    let taken = audit_run::Entity::update_many()
        .col_expr(audit_run::Column::MergedInto, Expr::val(run))
        .filter(audit_run::Column::Run.is_in(sources.iter().copied()))
        .filter(audit_run::Column::State.eq(LIVE))
        .filter(audit_run::Column::MergedInto.is_null())
        .exec(&txn)
        .await?;
    if taken.rows_affected != sources.len() as u64 {
        // Another node's task took some of them first: leave it to that one.
        return txn.rollback().await;
    }
    txn.commit().await
}

/// The largest holder code in `run`, if any.
async fn last_holder(conn: &impl ConnectionTrait, run: i64) -> Result<Option<String>, DbErr> {
    audit_holder_run::Entity::find()
        .select_only()
        .column(audit_holder_run::Column::HolderCode)
        .filter(audit_holder_run::Column::Run.eq(run))
        .order_by_desc(audit_holder_run::Column::HolderCode)
        .limit(1)
        .into_tuple::<String>()
        .one(conn)
        .await
}

/// The holder code `offset` rows past `after` in `run` (from its start when `after` is
/// `None`), if the run has that many.
async fn holder_at(
    conn: &impl ConnectionTrait,
    run: i64,
    after: Option<&str>,
    offset: u64,
) -> Result<Option<String>, DbErr> {
    let mut q = audit_holder_run::Entity::find()
        .select_only()
        .column(audit_holder_run::Column::HolderCode)
        .filter(audit_holder_run::Column::Run.eq(run));
    if let Some(a) = after {
        q = q.filter(audit_holder_run::Column::HolderCode.gt(a));
    }
    q.order_by_asc(audit_holder_run::Column::HolderCode)
        .offset(offset)
        .limit(1)
        .into_tuple::<String>()
        .one(conn)
        .await
}

/// Begins a transaction with a write that finds `run` in `state` (so SQLite's write lock is
/// held before anything is read, and two tasks never work on one run at once); `None`, with
/// nothing done, when the run is no longer in that state.
async fn lock_run(
    conn: &DatabaseConnection,
    run: i64,
    state: &str,
) -> Result<Option<DatabaseTransaction>, DbErr> {
    let txn = conn.begin().await?;
    let found = audit_run::Entity::update_many()
        .col_expr(
            audit_run::Column::Level,
            Expr::col(audit_run::Column::Level),
        )
        .filter(audit_run::Column::Run.eq(run))
        .filter(audit_run::Column::State.eq(state))
        .exec(&txn)
        .await?;
    if found.rows_affected != 1 {
        txn.rollback().await?;
        return Ok(None);
    }
    Ok(Some(txn))
}

/// One step of building `run` from `sources`: the sources' rows of the next whole holder codes
/// (at most about `merge_rows` from each source), appended in key order; the last step makes
/// the run live and its sources dead.
async fn merge_step(
    conn: &DatabaseConnection,
    policy: &RunPolicy,
    run: i64,
    sources: &[i64],
) -> Result<(), DbErr> {
    let Some(txn) = lock_run(conn, run, BUILDING).await? else {
        return Ok(());
    };
    // Where the run resumes: its own largest holder code (each step takes whole holder codes).
    let after = last_holder(&txn, run).await?;
    let mut upto: Option<String> = None;
    for &s in sources {
        let probe = Ord::max(policy.merge_rows, 1) - 1;
        if let Some(h) = holder_at(&txn, s, after.as_deref(), probe).await?
            && upto.as_ref().is_none_or(|u| h < *u)
        {
            upto = Some(h);
        }
    }
    let mut rows = Query::select()
        .expr(Expr::val(run))
        .column(audit_holder_run::Column::HolderCode)
        .column(audit_holder_run::Column::EventId)
        .from(audit_holder_run::Entity)
        .and_where(audit_holder_run::Column::Run.is_in(sources.iter().copied()))
        .order_by(audit_holder_run::Column::HolderCode, Order::Asc)
        .order_by(audit_holder_run::Column::EventId, Order::Asc)
        .to_owned();
    if let Some(a) = &after {
        rows.and_where(audit_holder_run::Column::HolderCode.gt(a.as_str()));
    }
    if let Some(u) = &upto {
        rows.and_where(audit_holder_run::Column::HolderCode.lte(u.as_str()));
    }
    let added = insert_rows(&txn, rows).await?;
    let mut done = audit_run::Entity::update_many()
        .col_expr(
            audit_run::Column::Events,
            Expr::col(audit_run::Column::Events).add(added as i64),
        )
        .filter(audit_run::Column::Run.eq(run));
    if upto.is_none() {
        // Every source row is in: the run replaces its sources.
        done = done.col_expr(audit_run::Column::State, Expr::val(LIVE));
        audit_run::Entity::update_many()
            .col_expr(audit_run::Column::State, Expr::val(DEAD))
            .filter(audit_run::Column::MergedInto.eq(run))
            .exec(&txn)
            .await?;
    }
    done.exec(&txn).await?;
    txn.commit().await
}

/// Deletes dead runs: whole ones while their rows fit in `delete_rows`, else the first
/// `delete_rows` rows of the first (and the rest of its last holder code's); a run's entry
/// goes with its last rows.
async fn delete_step(
    conn: &DatabaseConnection,
    policy: &RunPolicy,
    dead: &[audit_run::Model],
) -> Result<(), DbErr> {
    let Some(first) = dead.first() else {
        return Ok(());
    };
    let Some(txn) = lock_run(conn, first.run, DEAD).await? else {
        return Ok(());
    };
    let limit = Ord::max(policy.delete_rows, 1);
    let mut whole = Vec::new();
    let mut rows = 0u64;
    for d in dead {
        let n = u64::try_from(d.events).unwrap_or(0);
        if !whole.is_empty() && rows + n > limit {
            break;
        }
        whole.push(d.run);
        rows += n;
    }
    if rows > limit {
        // The first run alone is larger: its first rows only.
        let bound = holder_at(&txn, first.run, None, limit).await?;
        let mut part = audit_holder_run::Entity::delete_many()
            .filter(audit_holder_run::Column::Run.eq(first.run));
        if let Some(b) = &bound {
            part = part.filter(audit_holder_run::Column::HolderCode.lte(b.as_str()));
        }
        let gone = part.exec(&txn).await?.rows_affected;
        if bound.is_some() {
            audit_run::Entity::update_many()
                .col_expr(
                    audit_run::Column::Events,
                    Expr::col(audit_run::Column::Events).sub(i64::try_from(gone).unwrap_or(0)),
                )
                .filter(audit_run::Column::Run.eq(first.run))
                .exec(&txn)
                .await?;
            return txn.commit().await;
        }
        // Fewer rows than the limit after all: `whole` is that one run, deleted whole below.
    }
    audit_holder_run::Entity::delete_many()
        .filter(audit_holder_run::Column::Run.is_in(whole.iter().copied()))
        .exec(&txn)
        .await?;
    audit_run::Entity::delete_many()
        .filter(audit_run::Column::Run.is_in(whole.iter().copied()))
        .filter(audit_run::Column::State.eq(DEAD))
        .exec(&txn)
        .await?;
    txn.commit().await
}
