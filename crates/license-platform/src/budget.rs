//! Budgets per minute counted in the database, so that every node sharing it draws on the same
//! budget: an account's calls of every interface that returns or confirms personal data
//! ([`Interface::returns_personal_data`](license_core::Interface::returns_personal_data)), an
//! account's holder searches, and a client address's token requests ([`BudgetKind`]).
//!
//! A node claims the budget in small leases (a fortieth of the limit, at least one call) with
//! one atomic statement each and spends a lease from memory: the database sees a write per
//! lease, not per call. The limit is never exceeded across nodes; at most one unspent lease per
//! node is left over at the end of a minute (2.5 % of the limit each).

use std::collections::HashMap;
use std::sync::Mutex;

use license_core::ports::{PortResult, RateBudget};

/// What a budget counts; its key in the database is the kind and whose it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BudgetKind {
    /// An account's calls of personal data.
    Calls,
    /// An account's holder searches.
    HolderSearches,
    /// A client address's token requests.
    TokenRequests,
}

impl BudgetKind {
    /// The budget's key: `kind:name`, or `kind#` and the SHA-256 of the name when that would
    /// not fit the column (128 characters).
    pub fn key(self, name: &str) -> String {
        let kind = match self {
            BudgetKind::Calls => "calls",
            BudgetKind::HolderSearches => "search",
            BudgetKind::TokenRequests => "token",
        };
        let key = format!("{kind}:{name}");
        if key.chars().count() <= 128 {
            key
        } else {
            format!("{kind}#{}", crate::auth::digest(name))
        }
    }
}

/// Leases of budget per limit: each claim takes `limit / LEASES_PER_LIMIT` (at least 1).
const LEASES_PER_LIMIT: u32 = 40;

/// Accounts remembered at most; past it, leases of past minutes go.
const ACCOUNTS_KEPT: usize = 100_000;

/// What this node holds of an account's budget in one minute.
#[derive(Debug, Clone, Copy)]
struct Lease {
    /// Minutes since the epoch.
    window: i64,
    /// Calls left in the lease.
    left: u32,
    /// The budget of the minute is spent on every node.
    spent: bool,
}

/// A node's leases of the accounts' budgets.
#[derive(Debug, Default)]
pub struct Budgets {
    leases: Mutex<HashMap<String, Lease>>,
}

/// Whether a call may go ahead, or how many seconds to wait.
pub type Verdict = Result<(), u32>;

impl Budgets {
    /// Counts one call of `name`'s budget of `kind` at `now_secs` (Unix time) against `limit`
    /// (> 0) calls a minute, claiming a new lease from `store` when this node's is spent.
    /// `Err(seconds)` to wait until the next minute when the budget is spent.
    pub async fn spend(
        &self,
        store: &dyn RateBudget,
        kind: BudgetKind,
        name: &str,
        limit: u32,
        now_secs: i64,
    ) -> PortResult<Verdict> {
        let key = kind.key(name);
        let account = key.as_str();
        let window = now_secs.div_euclid(60);
        let wait = (60 - now_secs.rem_euclid(60)).max(1) as u32;
        if let Some(verdict) = self.spend_lease(account, window, wait) {
            return Ok(verdict);
        }
        let want = (limit / LEASES_PER_LIMIT).max(1);
        let granted = store.claim(account, window, want, limit).await?;
        let mut leases = self.leases.lock().unwrap_or_else(|p| p.into_inner());
        if leases.len() >= ACCOUNTS_KEPT && !leases.contains_key(account) {
            leases.retain(|_, l| l.window >= window);
        }
        let lease = leases.entry(account.to_owned()).or_insert(Lease {
            window,
            left: 0,
            spent: false,
        });
        if lease.window != window {
            *lease = Lease {
                window,
                left: 0,
                spent: false,
            };
        }
        if granted == 0 {
            // Calls may still be left in a lease another call claimed meanwhile.
            lease.spent = true;
            return Ok(match lease.left {
                0 => Err(wait),
                _ => {
                    lease.left -= 1;
                    Ok(())
                }
            });
        }
        lease.left += granted - 1;
        Ok(Ok(()))
    }

    /// The verdict from this node's lease, when it decides alone.
    fn spend_lease(&self, account: &str, window: i64, wait: u32) -> Option<Verdict> {
        let mut leases = self.leases.lock().unwrap_or_else(|p| p.into_inner());
        let lease = leases.get_mut(account).filter(|l| l.window == window)?;
        if lease.left > 0 {
            lease.left -= 1;
            return Some(Ok(()));
        }
        lease.spent.then_some(Err(wait))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use async_trait::async_trait;

    use super::*;

    /// One shared count, as the database keeps it; counts the claims.
    #[derive(Default)]
    struct Shared {
        calls: Mutex<HashMap<(String, i64), u32>>,
        claims: AtomicU32,
    }

    #[async_trait]
    impl RateBudget for Shared {
        async fn claim(
            &self,
            account: &str,
            window: i64,
            want: u32,
            limit: u32,
        ) -> PortResult<u32> {
            self.claims.fetch_add(1, Ordering::Relaxed);
            let mut c = self.calls.lock().unwrap();
            let n = c.entry((account.to_owned(), window)).or_default();
            let granted = want.min(limit - *n);
            *n += granted;
            Ok(granted)
        }
    }

    #[tokio::test]
    async fn nodes_share_one_budget_with_few_writes() {
        let db = Shared::default();
        let (a, b) = (Budgets::default(), Budgets::default());
        let limit = 400;
        let mut allowed = 0;
        for i in 0..1_000 {
            let node = if i % 3 == 0 { &a } else { &b };
            if node
                .spend(&db, BudgetKind::Calls, "hall", limit, 120)
                .await
                .unwrap()
                .is_ok()
            {
                allowed += 1;
            }
        }
        assert!(
            allowed <= limit && allowed >= limit - 2 * (limit / 40),
            "{allowed}"
        );
        assert!(
            db.claims.load(Ordering::Relaxed) <= 2 * 40 + 4,
            "a write per lease"
        );
        assert_eq!(
            a.spend(&db, BudgetKind::Calls, "hall", limit, 150)
                .await
                .unwrap(),
            Err(30)
        );
        // A new minute, a new budget; another account has its own.
        assert!(
            a.spend(&db, BudgetKind::Calls, "hall", limit, 180)
                .await
                .unwrap()
                .is_ok()
        );
        assert!(
            b.spend(&db, BudgetKind::Calls, "other", limit, 150)
                .await
                .unwrap()
                .is_ok()
        );
        // Another kind of budget of the same name is its own.
        assert!(
            a.spend(&db, BudgetKind::HolderSearches, "hall", 1, 150)
                .await
                .unwrap()
                .is_ok()
        );
        assert_eq!(
            b.spend(&db, BudgetKind::HolderSearches, "hall", 1, 151)
                .await
                .unwrap(),
            Err(29),
            "one budget across nodes"
        );
    }

    #[test]
    fn keys_of_kinds_never_meet_and_fit_their_column() {
        assert_eq!(BudgetKind::Calls.key("search:bob"), "calls:search:bob");
        assert_eq!(BudgetKind::HolderSearches.key("bob"), "search:bob");
        assert_ne!(
            BudgetKind::Calls.key("search:bob"),
            BudgetKind::HolderSearches.key("bob")
        );
        let long = BudgetKind::TokenRequests.key(&"名".repeat(200));
        assert!(
            long.starts_with("token#") && long.chars().count() <= 128,
            "{long}"
        );
    }
}
