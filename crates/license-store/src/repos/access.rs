//! Who may call: accounts, OAuth clients, token pairs and the login guard's failure counts.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use license_core::ports::{
    Account, AccountRepository, ClientRepository, Lockout, LoginAttempt, LoginFailures, LoginGuard,
    OAuthClient, PortError, PortResult, StoredToken, TokenRepository,
};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder};

use crate::convert::{account_from, account_to, token_from};
use crate::entity::{account, login_failure, oauth_client, token};
use crate::store::{SeaStore, port_err};

#[async_trait]
impl AccountRepository for SeaStore {
    async fn insert(&self, a: &Account) -> PortResult<()> {
        account::Entity::insert(account_to(a, Utc::now()))
            .exec(&self.db)
            .await
            .map_err(port_err)?;
        Ok(())
    }

    async fn find(&self, username: &str) -> PortResult<Option<Account>> {
        account::Entity::find()
            .filter(account::Column::Username.eq(username))
            .one(&self.db)
            .await
            .map_err(port_err)?
            .map(account_from)
            .transpose()
    }

    async fn list(&self) -> PortResult<Vec<Account>> {
        account::Entity::find()
            .order_by_asc(account::Column::Username)
            .all(&self.db)
            .await
            .map_err(port_err)?
            .into_iter()
            .map(account_from)
            .collect()
    }

    async fn set_enabled(&self, username: &str, enabled: bool) -> PortResult<bool> {
        let r = account::Entity::update_many()
            .col_expr(account::Column::Enabled, Expr::value(enabled))
            .filter(account::Column::Username.eq(username))
            .exec(&self.db)
            .await
            .map_err(port_err)?;
        Ok(r.rows_affected > 0)
    }

    async fn update(&self, a: &Account) -> PortResult<bool> {
        let Some(row) = account::Entity::find()
            .filter(account::Column::Username.eq(a.username.as_str()))
            .one(&self.db)
            .await
            .map_err(port_err)?
        else {
            return Ok(false);
        };
        let mut am = account_to(a, row.created_at);
        am.id = Set(row.id);
        am.update(&self.db).await.map_err(port_err)?;
        Ok(true)
    }
}

#[async_trait]
impl ClientRepository for SeaStore {
    async fn insert(&self, c: &OAuthClient) -> PortResult<()> {
        let am = oauth_client::ActiveModel {
            id: NotSet,
            client_id: Set(c.client_id.clone()),
            secret_hash: Set(c.secret_hash.clone()),
            created_at: Set(Utc::now()),
        };
        oauth_client::Entity::insert(am)
            .exec(&self.db)
            .await
            .map_err(port_err)?;
        Ok(())
    }

    async fn find(&self, client_id: &str) -> PortResult<Option<OAuthClient>> {
        Ok(oauth_client::Entity::find()
            .filter(oauth_client::Column::ClientId.eq(client_id))
            .one(&self.db)
            .await
            .map_err(port_err)?
            .map(|m| OAuthClient {
                client_id: m.client_id,
                secret_hash: m.secret_hash,
            }))
    }

    async fn list(&self) -> PortResult<Vec<OAuthClient>> {
        Ok(oauth_client::Entity::find()
            .order_by_asc(oauth_client::Column::ClientId)
            .all(&self.db)
            .await
            .map_err(port_err)?
            .into_iter()
            .map(|m| OAuthClient {
                client_id: m.client_id,
                secret_hash: m.secret_hash,
            })
            .collect())
    }

    async fn delete(&self, client_id: &str) -> PortResult<bool> {
        let r = oauth_client::Entity::delete_many()
            .filter(oauth_client::Column::ClientId.eq(client_id))
            .exec(&self.db)
            .await
            .map_err(port_err)?;
        Ok(r.rows_affected > 0)
    }
}

impl SeaStore {
    /// Removes and returns the token pair matching `which`: whoever deletes the row takes the
    /// pair, so a concurrent taker gets nothing.
    async fn take_token(&self, which: Condition) -> PortResult<Option<StoredToken>> {
        let Some(row) = token::Entity::find()
            .filter(which)
            .one(&self.db)
            .await
            .map_err(port_err)?
        else {
            return Ok(None);
        };
        let r = token::Entity::delete_many()
            .filter(token::Column::Id.eq(row.id))
            .exec(&self.db)
            .await
            .map_err(port_err)?;
        Ok((r.rows_affected == 1).then(|| token_from(row)))
    }
}

#[async_trait]
impl TokenRepository for SeaStore {
    async fn insert(&self, t: &StoredToken) -> PortResult<()> {
        let am = token::ActiveModel {
            id: NotSet,
            access_digest: Set(t.access_digest.clone()),
            refresh_digest: Set(t.refresh_digest.clone()),
            username: Set(t.username.clone()),
            client_id: Set(t.client_id.clone()),
            scope: Set(t.scope.clone()),
            access_expires_at: Set(t.access_expires_at),
            refresh_expires_at: Set(t.refresh_expires_at),
        };
        token::Entity::insert(am)
            .exec(&self.db)
            .await
            .map_err(port_err)?;
        Ok(())
    }

    async fn find_by_access(&self, digest: &str) -> PortResult<Option<StoredToken>> {
        Ok(token::Entity::find()
            .filter(token::Column::AccessDigest.eq(digest))
            .one(&self.db)
            .await
            .map_err(port_err)?
            .map(token_from))
    }

    async fn take_by_refresh(&self, digest: &str) -> PortResult<Option<StoredToken>> {
        self.take_token(token::Column::RefreshDigest.eq(digest).into())
            .await
    }

    async fn revoke(&self, digest: &str, client_id: &str) -> PortResult<Option<StoredToken>> {
        self.take_token(
            Condition::all()
                .add(
                    Condition::any()
                        .add(token::Column::AccessDigest.eq(digest))
                        .add(token::Column::RefreshDigest.eq(digest)),
                )
                .add(token::Column::ClientId.eq(client_id)),
        )
        .await
    }

    async fn extend(
        &self,
        digest: &str,
        client_id: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> PortResult<bool> {
        let r = token::Entity::update_many()
            .col_expr(token::Column::AccessExpiresAt, Expr::value(until))
            .col_expr(token::Column::RefreshExpiresAt, Expr::value(until))
            .filter(token::Column::AccessDigest.eq(digest))
            .filter(token::Column::ClientId.eq(client_id))
            .filter(token::Column::AccessExpiresAt.gt(now))
            .exec(&self.db)
            .await
            .map_err(port_err)?;
        Ok(r.rows_affected > 0)
    }

    async fn revoke_account(&self, username: &str) -> PortResult<u64> {
        let r = token::Entity::delete_many()
            .filter(token::Column::Username.eq(username))
            .exec(&self.db)
            .await
            .map_err(port_err)?;
        Ok(r.rows_affected)
    }

    async fn revoke_client(&self, client_id: &str) -> PortResult<u64> {
        let r = token::Entity::delete_many()
            .filter(token::Column::ClientId.eq(client_id))
            .exec(&self.db)
            .await
            .map_err(port_err)?;
        Ok(r.rows_affected)
    }
}

#[async_trait]
impl LoginGuard for SeaStore {
    async fn attempt(
        &self,
        username: &str,
        now: DateTime<Utc>,
        policy: &Lockout,
    ) -> PortResult<LoginAttempt> {
        use login_failure::Column as C;
        let mine = || C::Username.eq(username);
        let unlocked = || {
            Condition::any()
                .add(C::LockedUntil.is_null())
                .add(C::LockedUntil.lte(now))
        };
        // A record whose window or lock ended starts over. Once reset it is no longer stale,
        // so concurrent resets cannot undo each other's counts.
        login_failure::Entity::update_many()
            .col_expr(C::Failures, Expr::value(0))
            .col_expr(C::WindowStart, Expr::value(now))
            .col_expr(C::LockedUntil, Expr::value(Option::<DateTime<Utc>>::None))
            .filter(mine())
            .filter(
                Condition::any()
                    .add(C::WindowStart.lte(now - policy.window))
                    .add(C::LockedUntil.lte(now)),
            )
            .exec(&self.db)
            .await
            .map_err(port_err)?;
        let max = i32::try_from(policy.max_failures).unwrap_or(i32::MAX);
        let lock = now + policy.lock_for;
        for _ in 0..2 {
            // The count is raised only while unlocked, in one statement; the attempt that
            // reaches the maximum sets the lock. `locked_until` is assigned first: MariaDB
            // evaluates assignments left to right, with the values already assigned.
            let raised = login_failure::Entity::update_many()
                .col_expr(
                    C::LockedUntil,
                    Expr::case(Expr::col(C::Failures).add(1).gte(max), Expr::value(lock))
                        .finally(Expr::col(C::LockedUntil))
                        .into(),
                )
                .col_expr(C::Failures, Expr::col(C::Failures).add(1))
                .filter(mine())
                .filter(unlocked())
                .exec(&self.db)
                .await
                .map_err(port_err)?;
            if raised.rows_affected > 0 {
                return Ok(LoginAttempt::Allowed);
            }
            if let Some(f) = LoginGuard::get(self, username).await? {
                return Ok(match f.locked_until {
                    Some(until) if until > now => LoginAttempt::Locked(until),
                    // Unlocked again since the update: count once more.
                    _ => continue,
                });
            }
            let first = policy.after_attempt(None, now);
            let am = login_failure::ActiveModel {
                id: NotSet,
                username: Set(username.to_owned()),
                failures: Set(i32::try_from(first.count).unwrap_or(i32::MAX)),
                window_start: Set(first.window_start),
                locked_until: Set(first.locked_until),
            };
            match login_failure::Entity::insert(am).exec(&self.db).await {
                Ok(_) => return Ok(LoginAttempt::Allowed),
                Err(e) => match port_err(e) {
                    // Another attempt made the record first: count on it.
                    PortError::Conflict(_) => continue,
                    other => return Err(other),
                },
            }
        }
        Err(PortError::Unavailable(
            "the login record kept changing under the attempt".into(),
        ))
    }

    async fn get(&self, username: &str) -> PortResult<Option<LoginFailures>> {
        Ok(login_failure::Entity::find()
            .filter(login_failure::Column::Username.eq(username))
            .one(&self.db)
            .await
            .map_err(port_err)?
            .map(|m| LoginFailures {
                count: u32::try_from(m.failures).unwrap_or(0),
                window_start: m.window_start,
                locked_until: m.locked_until,
            }))
    }

    async fn clear(&self, username: &str) -> PortResult<()> {
        login_failure::Entity::delete_many()
            .filter(login_failure::Column::Username.eq(username))
            .exec(&self.db)
            .await
            .map_err(port_err)?;
        Ok(())
    }
}
