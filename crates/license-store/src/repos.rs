//! The repository ports of core, implemented on sea-orm.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use license_core::License;
use license_core::ports::{
    Account, AccountRepository, AuditEvent, AuditQuery, AuditStore, CertTypeRepository,
    CertTypeSettings, ClientRepository, DownloadGrant, GrantRepository, HolderSearch,
    LicenseFilter, LicenseRepository, Lockout, LoginAttempt, LoginFailures, LoginGuard,
    OAuthClient, PortError, PortResult, RateBudget, StoredFile, StoredToken, TokenRepository,
};
use license_core::service::Page;
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};

use crate::audit_links;
use crate::audit_runs::{Holders, holder_events};
use crate::convert::{
    account_from, account_to, audit_from, audit_to, license_from, license_to, single_license,
    token_from,
};
use crate::entity::{
    account, audit_event, audit_license, cert_type_setting, download_grant, license, license_file,
    login_failure, oauth_client, rate_window, token,
};
use crate::store::{SeaStore, port_err};

/// Offsets and limits as the databases take them (signed 64-bit): a larger value would make
/// the driver panic, and no table is that large.
pub(crate) fn bounded(n: u64) -> u64 {
    Ord::min(n, i64::MAX as u64)
}

/// Rows per multi-row insert (SQLite allows 32 766 bound values; a license row binds 23).
const BATCH_ROWS: usize = 500;

/// Splits rows into few chunks whose sizes repeat, so multi-row statements are few per batch
/// and the driver's prepared-statement cache serves them (a new row count is a new
/// statement): chunks of 256, 128 or 64 rows while that many are left, then one chunk of the
/// exact rest (under 64). At most 66 distinct sizes; a batch of up to 64 rows — every audit
/// batch of 64 concurrent callers — is one statement, so it commits without a transaction's
/// two extra round trips to the database (`BEGIN`, `COMMIT`).
fn fixed_chunks<T>(mut rows: Vec<T>) -> Vec<Vec<T>> {
    const SIZES: [usize; 3] = [256, 128, 64];
    let mut out = Vec::new();
    while !rows.is_empty() {
        let size = SIZES
            .into_iter()
            .find(|&s| s <= rows.len())
            .unwrap_or(rows.len());
        // The rows move into their chunks (no copy of what they hold).
        let rest = rows.split_off(size);
        out.push(std::mem::replace(&mut rows, rest));
    }
    out
}

/// Replaces the stored license with `l`'s identifier by `l` on `conn` (inside the caller's
/// transaction), keeping its holder code among its former ones when it changes
/// (`audit_links`); `false` when no such license is stored. Writes only — an `INSERT … SELECT`,
/// then one `UPDATE` — since inside a transaction a read first would take a read lock that
/// SQLite cannot upgrade while another connection writes.
pub(crate) async fn update_license(conn: &impl ConnectionTrait, l: &License) -> PortResult<bool> {
    audit_links::keep_former_holder(conn, l.identifier.as_str(), &l.holder_code)
        .await
        .map_err(port_err)?;
    let mut am = license_to(l);
    am.id = NotSet;
    am.created_at = NotSet;
    let r = license::Entity::update_many()
        .set(am)
        .filter(license::Column::Identifier.eq(l.identifier.as_str()))
        .exec(conn)
        .await
        .map_err(port_err)?;
    Ok(r.rows_affected > 0)
}

impl SeaStore {
    /// The one license matching a condition (every look-up key is unique).
    async fn one_license(
        &self,
        condition: impl sea_orm::sea_query::IntoCondition,
    ) -> PortResult<Option<License>> {
        license::Entity::find()
            .filter(condition)
            .one(&self.db)
            .await
            .map_err(port_err)?
            .map(license_from)
            .transpose()
    }

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

#[async_trait]
impl LicenseRepository for SeaStore {
    async fn insert(&self, l: &License) -> PortResult<()> {
        license::Entity::insert(license_to(l))
            .exec(&self.db)
            .await
            .map_err(port_err)?;
        Ok(())
    }

    async fn insert_many(&self, licenses: &[License]) -> PortResult<Vec<PortResult<()>>> {
        let mut results = Vec::with_capacity(licenses.len());
        for chunk in licenses.chunks(BATCH_ROWS) {
            let txn = self.db.begin().await.map_err(port_err)?;
            let batch = license::Entity::insert_many(chunk.iter().map(license_to))
                .exec_without_returning(&txn)
                .await;
            match batch {
                Ok(_) => {
                    txn.commit().await.map_err(port_err)?;
                    results.extend(chunk.iter().map(|_| Ok(())));
                }
                Err(_) => {
                    txn.rollback().await.map_err(port_err)?;
                    // One row failed: insert one by one so each gets its own answer.
                    for l in chunk {
                        results.push(LicenseRepository::insert(self, l).await);
                    }
                }
            }
        }
        Ok(results)
    }

    async fn update(&self, l: &License) -> PortResult<bool> {
        let txn = self.db.begin().await.map_err(port_err)?;
        let stored = update_license(&txn, l).await?;
        txn.commit().await.map_err(port_err)?;
        Ok(stored)
    }

    async fn find_by_key(&self, key: &str) -> PortResult<Option<License>> {
        self.lookups.find(key).await?.map(license_from).transpose()
    }

    async fn find_by_qr_token(&self, t: &str) -> PortResult<Option<License>> {
        self.one_license(license::Column::QrToken.eq(t)).await
    }

    async fn find_by_abstract_code(&self, code: &str) -> PortResult<Option<License>> {
        self.one_license(license::Column::AbstractCode.eq(code))
            .await
    }

    async fn search_by_holder(&self, s: &HolderSearch) -> PortResult<Page<License>> {
        let mut q = license::Entity::find()
            .filter(license::Column::HolderCode.eq(s.holder_code.as_str()))
            .filter(license::Column::CertTypeCode.eq(s.cert_type_code.as_str()));
        if let Some(n) = &s.certificate_number {
            q = q.filter(license::Column::CertificateNumber.eq(n.as_str()));
        }
        let rows = q
            .clone()
            .order_by_desc(license::Column::IssueDate)
            .order_by_desc(license::Column::Id)
            .offset(bounded(s.offset))
            .limit(bounded(s.limit))
            .all(&self.db)
            .await
            .map_err(port_err)?;
        // A first page that is not full is everything: no second query for the total.
        let total = if s.offset == 0 && (rows.len() as u64) < s.limit {
            rows.len() as u64
        } else {
            q.count(&self.db).await.map_err(port_err)?
        };
        Ok(Page {
            total,
            items: rows
                .into_iter()
                .map(license_from)
                .collect::<PortResult<_>>()?,
        })
    }

    async fn search(&self, f: &LicenseFilter) -> PortResult<Page<License>> {
        let mut q = license::Entity::find();
        if let Some(v) = &f.holder_code {
            q = q.filter(license::Column::HolderCode.eq(v.as_str()));
        }
        if let Some(v) = &f.cert_type_code {
            q = q.filter(license::Column::CertTypeCode.eq(v.as_str()));
        }
        if let Some(v) = &f.issue_dept_code {
            q = q.filter(license::Column::IssueDeptCode.eq(v.as_str()));
        }
        if let Some(v) = f.state {
            q = q.filter(license::Column::State.eq(v.name()));
        }
        let total = q.clone().count(&self.db).await.map_err(port_err)?;
        let rows = q
            .order_by_desc(license::Column::Id)
            .offset(bounded(f.offset))
            .limit(bounded(f.limit))
            .all(&self.db)
            .await
            .map_err(port_err)?;
        Ok(Page {
            total,
            items: rows
                .into_iter()
                .map(license_from)
                .collect::<PortResult<_>>()?,
        })
    }

    async fn count(&self) -> PortResult<u64> {
        license::Entity::find()
            .count(&self.db)
            .await
            .map_err(port_err)
    }

    async fn file(&self, identifier: &str, format: &str) -> PortResult<Option<StoredFile>> {
        Ok(license_file::Entity::find()
            .filter(license_file::Column::Identifier.eq(identifier))
            .filter(license_file::Column::Format.eq(format))
            .one(&self.db)
            .await
            .map_err(port_err)?
            .map(|m| StoredFile {
                key: m.file_key,
                format: m.format,
                sm3: m.sm3,
                size: u64::try_from(m.size).unwrap_or(0),
            }))
    }

    async fn set_file(&self, identifier: &str, f: &StoredFile) -> PortResult<()> {
        let am = license_file::ActiveModel {
            id: NotSet,
            identifier: Set(identifier.to_owned()),
            format: Set(f.format.clone()),
            file_key: Set(f.key.clone()),
            sm3: Set(f.sm3.clone()),
            size: Set(i64::try_from(f.size).unwrap_or(i64::MAX)),
            created_at: Set(Utc::now()),
        };
        license_file::Entity::insert(am)
            .exec(&self.db)
            .await
            .map_err(port_err)?;
        Ok(())
    }
}

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

    async fn revoke_account(&self, username: &str) -> PortResult<u64> {
        let r = token::Entity::delete_many()
            .filter(token::Column::Username.eq(username))
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

#[async_trait]
impl GrantRepository for SeaStore {
    async fn insert(&self, g: &DownloadGrant) -> PortResult<()> {
        let am = download_grant::ActiveModel {
            id: NotSet,
            digest: Set(g.digest.clone()),
            identifier: Set(g.identifier.clone()),
            copy_key: Set(g.copy_key.clone()),
            format: Set(g.format.clone()),
            file_name: Set(g.file_name.clone()),
            expires_at: Set(g.expires_at),
            single_use: Set(g.single_use),
            downloads: Set(i32::try_from(g.downloads).unwrap_or(0)),
            created_at: Set(Utc::now()),
        };
        download_grant::Entity::insert(am)
            .exec(&self.db)
            .await
            .map_err(port_err)?;
        Ok(())
    }

    async fn redeem(&self, digest: &str, now: DateTime<Utc>) -> PortResult<Option<DownloadGrant>> {
        let r = download_grant::Entity::update_many()
            .col_expr(
                download_grant::Column::Downloads,
                Expr::col(download_grant::Column::Downloads).add(1),
            )
            .filter(download_grant::Column::Digest.eq(digest))
            .filter(download_grant::Column::ExpiresAt.gt(now))
            .filter(
                Condition::any()
                    .add(download_grant::Column::SingleUse.eq(false))
                    .add(download_grant::Column::Downloads.eq(0)),
            )
            .exec(&self.db)
            .await
            .map_err(port_err)?;
        if r.rows_affected == 0 {
            return Ok(None);
        }
        Ok(download_grant::Entity::find()
            .filter(download_grant::Column::Digest.eq(digest))
            .one(&self.db)
            .await
            .map_err(port_err)?
            .map(|m| DownloadGrant {
                digest: m.digest,
                identifier: m.identifier,
                copy_key: m.copy_key,
                format: m.format,
                file_name: m.file_name,
                expires_at: m.expires_at,
                single_use: m.single_use,
                downloads: u32::try_from(m.downloads).unwrap_or(0),
            }))
    }
}

#[async_trait]
impl CertTypeRepository for SeaStore {
    async fn get(&self, code: &str) -> PortResult<Option<CertTypeSettings>> {
        Ok(cert_type_setting::Entity::find()
            .filter(cert_type_setting::Column::Code.eq(code))
            .one(&self.db)
            .await
            .map_err(port_err)?
            .map(settings_from))
    }

    async fn put(&self, s: &CertTypeSettings) -> PortResult<()> {
        let existing = cert_type_setting::Entity::find()
            .filter(cert_type_setting::Column::Code.eq(s.code.as_str()))
            .one(&self.db)
            .await
            .map_err(port_err)?;
        let am = cert_type_setting::ActiveModel {
            id: existing.as_ref().map_or(NotSet, |m| Set(m.id)),
            code: Set(s.code.clone()),
            published: Set(s.published),
            verify_fields: Set(s.verify_fields.join(",")),
        };
        if existing.is_some() {
            am.update(&self.db).await.map_err(port_err)?;
        } else {
            cert_type_setting::Entity::insert(am)
                .exec(&self.db)
                .await
                .map_err(port_err)?;
        }
        Ok(())
    }

    async fn list(&self) -> PortResult<Vec<CertTypeSettings>> {
        Ok(cert_type_setting::Entity::find()
            .order_by_asc(cert_type_setting::Column::Code)
            .all(&self.db)
            .await
            .map_err(port_err)?
            .into_iter()
            .map(settings_from)
            .collect())
    }
}

fn settings_from(m: cert_type_setting::Model) -> CertTypeSettings {
    CertTypeSettings {
        code: m.code,
        published: m.published,
        verify_fields: m
            .verify_fields
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
    }
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
}

#[cfg(test)]
mod tests {
    use super::fixed_chunks;

    #[test]
    fn chunks_are_few_and_of_repeating_sizes() {
        let sizes = |n: usize| -> Vec<usize> {
            let rows: Vec<usize> = (0..n).collect();
            let chunks = fixed_chunks(rows.clone());
            assert_eq!(chunks.concat(), rows, "every row once, in order");
            chunks.iter().map(|c| c.len()).collect()
        };
        assert_eq!(sizes(0), Vec::<usize>::new());
        assert_eq!(sizes(1), vec![1]);
        assert_eq!(sizes(31), vec![31]);
        assert_eq!(sizes(32), vec![32]);
        assert_eq!(sizes(63), vec![63]);
        assert_eq!(sizes(64), vec![64]);
        assert_eq!(sizes(100), vec![64, 36]);
        assert_eq!(sizes(200), vec![128, 64, 8]);
        assert_eq!(sizes(512), vec![256, 256]);
        let mut distinct = std::collections::BTreeSet::new();
        for n in 0..2000 {
            distinct.extend(sizes(n));
        }
        assert_eq!(distinct.len(), 66);
    }
}
