//! Per-account call budgets, one row per account and minute, claimed atomically.

use async_trait::async_trait;
use license_core::ports::{PortResult, RateBudget};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, Condition, DbErr, EntityTrait, QueryFilter, SqlErr};

use crate::entity::rate_window;
use crate::store::{SeaStore, port_err, transient};

/// One try at a claim.
enum Try {
    /// Granted this many calls (0: the budget is spent).
    Granted(u32),
    /// The window changed under the try (another node opened or took from it): try again.
    Again,
}

/// Tries a claim that ends in a conflict or a transient fault this many times.
const TRIES: u32 = 8;

#[async_trait]
impl RateBudget for SeaStore {
    async fn claim(&self, account: &str, window: i64, want: u32, limit: u32) -> PortResult<u32> {
        let want = Ord::min(want, limit);
        if want == 0 {
            return Ok(0);
        }
        for attempt in 1..=TRIES {
            match self.try_claim(account, window, want, limit).await {
                Ok(Try::Granted(n)) => return Ok(n),
                Ok(Try::Again) => {}
                // A deadlock between nodes opening the same minute (InnoDB's gap locks): the
                // statement was rolled back whole, so it is safe to try again.
                Err(e) if transient(&e) && attempt < TRIES => {
                    tokio::time::sleep(std::time::Duration::from_millis(u64::from(attempt))).await;
                }
                Err(e) => return Err(port_err(e)),
            }
        }
        // The window kept changing under the claim: nothing granted this time.
        Ok(0)
    }
}

impl SeaStore {
    async fn try_claim(
        &self,
        account: &str,
        window: i64,
        want: u32,
        limit: u32,
    ) -> Result<Try, DbErr> {
        use rate_window::Column as C;
        let (want_n, limit_n) = (i64::from(want), i64::from(limit));
        let this = || {
            Condition::all()
                .add(C::Account.eq(account))
                .add(C::WindowStart.eq(window))
        };
        // The common case, one statement: the whole claim fits in what is left.
        let r = rate_window::Entity::update_many()
            .col_expr(C::Calls, Expr::col(C::Calls).add(want_n))
            .filter(this())
            .filter(Expr::col(C::Calls).add(want_n).lte(limit_n))
            .exec(&self.db)
            .await?;
        if r.rows_affected > 0 {
            return Ok(Try::Granted(want));
        }
        let Some(row) = rate_window::Entity::find()
            .filter(this())
            .one(&self.db)
            .await?
        else {
            let am = rate_window::ActiveModel {
                id: NotSet,
                account: Set(account.to_owned()),
                window_start: Set(window),
                calls: Set(want_n),
            };
            return match rate_window::Entity::insert(am).exec(&self.db).await {
                Ok(_) => {
                    // Minutes before the last are of no more use, for any key (the last may
                    // still be claimed by a node whose clock lags): no client address is kept
                    // longer. Forgetting them is housekeeping, and its failure fails no call.
                    if let Err(e) = rate_window::Entity::delete_many()
                        .filter(C::WindowStart.lt(window - 1))
                        .exec(&self.db)
                        .await
                    {
                        tracing::debug!(error = %e, "earlier budget windows not deleted");
                    }
                    Ok(Try::Granted(want))
                }
                // Another node opened the window first: claim in it.
                Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                    Ok(Try::Again)
                }
                Err(e) => Err(e),
            };
        };
        let left = Ord::max(limit_n - row.calls, 0);
        if left == 0 {
            return Ok(Try::Granted(0));
        }
        if left >= want_n {
            // The row appeared after the first statement missed it: the whole claim fits.
            return Ok(Try::Again);
        }
        // Less than wanted is left: take it, unless someone else did meanwhile.
        let r = rate_window::Entity::update_many()
            .col_expr(C::Calls, Expr::value(limit_n))
            .filter(C::Id.eq(row.id))
            .filter(C::Calls.eq(row.calls))
            .exec(&self.db)
            .await?;
        Ok(if r.rows_affected > 0 {
            Try::Granted(u32::try_from(left).unwrap_or(0))
        } else {
            Try::Again
        })
    }
}
