//! Per-account call budgets, one row per account and minute, claimed atomically.

use async_trait::async_trait;
use license_core::ports::{PortError, PortResult, RateBudget};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter};

use crate::entity::rate_window;
use crate::store::{SeaStore, port_err};

#[async_trait]
impl RateBudget for SeaStore {
    async fn claim(&self, account: &str, window: i64, want: u32, limit: u32) -> PortResult<u32> {
        use rate_window::Column as C;
        let want = Ord::min(want, limit);
        if want == 0 {
            return Ok(0);
        }
        let (want_n, limit_n) = (i64::from(want), i64::from(limit));
        let this = || {
            Condition::all()
                .add(C::Account.eq(account))
                .add(C::WindowStart.eq(window))
        };
        for _ in 0..4 {
            // The common case, one statement: the whole claim fits in what is left.
            let r = rate_window::Entity::update_many()
                .col_expr(C::Calls, Expr::col(C::Calls).add(want_n))
                .filter(this())
                .filter(Expr::col(C::Calls).add(want_n).lte(limit_n))
                .exec(&self.db)
                .await
                .map_err(port_err)?;
            if r.rows_affected > 0 {
                return Ok(want);
            }
            match rate_window::Entity::find()
                .filter(this())
                .one(&self.db)
                .await
                .map_err(port_err)?
            {
                None => {
                    let am = rate_window::ActiveModel {
                        id: NotSet,
                        account: Set(account.to_owned()),
                        window_start: Set(window),
                        calls: Set(want_n),
                    };
                    match rate_window::Entity::insert(am).exec(&self.db).await {
                        Ok(_) => {
                            rate_window::Entity::delete_many()
                                .filter(C::Account.eq(account))
                                .filter(C::WindowStart.lt(window))
                                .exec(&self.db)
                                .await
                                .map_err(port_err)?;
                            return Ok(want);
                        }
                        // Another node opened the window first: claim in it.
                        Err(e) => match port_err(e) {
                            PortError::Conflict(_) => continue,
                            other => return Err(other),
                        },
                    }
                }
                Some(row) => {
                    let left = Ord::max(limit_n - row.calls, 0);
                    if left == 0 {
                        return Ok(0);
                    }
                    // Less than wanted is left: take it, unless someone else did meanwhile.
                    let r = rate_window::Entity::update_many()
                        .col_expr(C::Calls, Expr::value(limit_n))
                        .filter(C::Id.eq(row.id))
                        .filter(C::Calls.eq(row.calls))
                        .exec(&self.db)
                        .await
                        .map_err(port_err)?;
                    if r.rows_affected > 0 {
                        return Ok(u32::try_from(left).unwrap_or(0));
                    }
                }
            }
        }
        // The window kept changing under the claim: nothing granted this time.
        Ok(0)
    }
}
