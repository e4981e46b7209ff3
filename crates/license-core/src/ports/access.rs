//! Who may call: accounts, OAuth clients, per-account budgets, the login guard, token pairs.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::interface::Role;

use super::*;

/// An account of a business system (DB3704/T 0042 §4.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Unique login name.
    pub username: String,
    /// Argon2 PHC string; never the password.
    pub password_hash: String,
    /// Roles held.
    pub roles: Vec<Role>,
    /// Cert-type codes the account may use; empty means all.
    pub cert_types: Vec<String>,
    /// Disabled accounts cannot log in and their tokens stop working.
    pub enabled: bool,
    /// The department the account belongs to.
    pub department: Option<String>,
    /// Holder searches allowed per minute; `None` = the node's default.
    pub holder_search_per_minute: Option<u32>,
    /// Calls per minute of the interfaces that return or confirm personal data, all together
    /// ([`Interface::returns_personal_data`]); `None` = the node's default.
    pub rate_limit_per_minute: Option<u32>,
}

impl Account {
    /// Whether the account may use licenses of this type.
    pub fn may_use_type(&self, cert_type_code: &str) -> bool {
        self.cert_types.is_empty() || self.cert_types.iter().any(|t| t == cert_type_code)
    }
}

/// Accounts.
#[async_trait]
pub trait AccountRepository: Send + Sync {
    /// Stores a new account; [`PortError::Conflict`] if the name is taken.
    async fn insert(&self, account: &Account) -> PortResult<()>;
    /// The account with this name.
    async fn find(&self, username: &str) -> PortResult<Option<Account>>;
    /// Every account, by name.
    async fn list(&self) -> PortResult<Vec<Account>>;
    /// Enables or disables; `false` if no such account.
    async fn set_enabled(&self, username: &str, enabled: bool) -> PortResult<bool>;
    /// Replaces an account's record (matched by username); `false` if none.
    async fn update(&self, account: &Account) -> PortResult<bool>;
}

/// A registered OAuth client (API.md §2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthClient {
    /// `client_id`.
    pub client_id: String,
    /// Argon2 PHC string of the secret.
    pub secret_hash: String,
}

/// OAuth clients.
#[async_trait]
pub trait ClientRepository: Send + Sync {
    /// Registers a client; [`PortError::Conflict`] if the id is taken.
    async fn insert(&self, client: &OAuthClient) -> PortResult<()>;
    /// The client with this id.
    async fn find(&self, client_id: &str) -> PortResult<Option<OAuthClient>>;
    /// Every client, by id.
    async fn list(&self) -> PortResult<Vec<OAuthClient>>;
    /// Removes a client; `false` if none.
    async fn delete(&self, client_id: &str) -> PortResult<bool>;
}

/// Call budgets per account and minute, kept in the database so that every node sharing it
/// counts against the same budget.
#[async_trait]
pub trait RateBudget: Send + Sync {
    /// Claims up to `want` calls of `account`'s budget of `limit` calls in the minute `window`
    /// (minutes since the epoch): the count is raised atomically by what is granted — `want`,
    /// fewer when less is left, `0` when the budget is spent.
    /// The node that opens an account's window forgets the account's windows before the
    /// previous one, so the table holds at most a few windows per account.
    async fn claim(&self, account: &str, window: i64, want: u32, limit: u32) -> PortResult<u32>;
}

/// Failed logins of one username within the current window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginFailures {
    /// Attempts counted in the window (each is counted before its password is checked).
    pub count: u32,
    /// When the window started.
    pub window_start: DateTime<Utc>,
    /// Until when the username is locked out, if it is.
    pub locked_until: Option<DateTime<Utc>>,
}

/// Lock-out after repeated failed logins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lockout {
    /// Failures within `window` that lock the username; at most this many attempts of a
    /// window are ever checked against the password.
    pub max_failures: u32,
    /// The counting window.
    pub window: chrono::Duration,
    /// How long the username stays locked.
    pub lock_for: chrono::Duration,
}

impl Lockout {
    /// The record after one more attempt at `now` (the rule [`LoginGuard::attempt`] applies
    /// atomically): a window that ended, or a lock that ended, starts a new count; the
    /// `max_failures`th attempt of a window locks the username.
    pub fn after_attempt(&self, f: Option<LoginFailures>, now: DateTime<Utc>) -> LoginFailures {
        let mut f = match f {
            Some(f) if !self.stale(&f, now) => f,
            _ => LoginFailures {
                count: 0,
                window_start: now,
                locked_until: None,
            },
        };
        f.count += 1;
        if f.count >= self.max_failures {
            f.locked_until = Some(now + self.lock_for);
        }
        f
    }

    /// Whether a record no longer counts at `now`: its window ended, or its lock did.
    pub fn stale(&self, f: &LoginFailures, now: DateTime<Utc>) -> bool {
        f.window_start <= now - self.window || f.locked_until.is_some_and(|u| u <= now)
    }
}

/// What a login attempt may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginAttempt {
    /// The attempt is counted; its password may be checked.
    Allowed,
    /// The username is locked until then; the password must not be checked.
    Locked(DateTime<Utc>),
}

/// Login-failure bookkeeping for lock-out (shared by every node through the database).
#[async_trait]
pub trait LoginGuard: Send + Sync {
    /// Counts one attempt of an existing account's `username` at `now` before its password
    /// is checked: the lock is checked and the count raised in one atomic statement, so that
    /// of any number of concurrent attempts — on any number of nodes — at most
    /// `policy.max_failures` a window are [`LoginAttempt::Allowed`].
    async fn attempt(
        &self,
        username: &str,
        now: DateTime<Utc>,
        policy: &Lockout,
    ) -> PortResult<LoginAttempt>;
    /// The username's current record.
    async fn get(&self, username: &str) -> PortResult<Option<LoginFailures>>;
    /// Forgets the username's failures (after a successful login).
    async fn clear(&self, username: &str) -> PortResult<()>;
}

/// A stored token pair: digests only (ARCHITECTURE.md invariants).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredToken {
    /// SHA-256 of the access token, hex.
    pub access_digest: String,
    /// SHA-256 of the refresh token, hex.
    pub refresh_digest: String,
    /// The account.
    pub username: String,
    /// The OAuth client that obtained it.
    pub client_id: String,
    /// Granted scope.
    pub scope: String,
    /// When the access token expires.
    pub access_expires_at: DateTime<Utc>,
    /// When the refresh token expires.
    pub refresh_expires_at: DateTime<Utc>,
}

/// Tokens.
#[async_trait]
pub trait TokenRepository: Send + Sync {
    /// Stores a new pair.
    async fn insert(&self, token: &StoredToken) -> PortResult<()>;
    /// The pair whose access token has this digest.
    async fn find_by_access(&self, digest: &str) -> PortResult<Option<StoredToken>>;
    /// Removes and returns the pair whose refresh token has this digest (rotation is atomic:
    /// only one caller gets it).
    async fn take_by_refresh(&self, digest: &str) -> PortResult<Option<StoredToken>>;
    /// Moves both expiries of `client_id`'s pair whose access token has this digest to
    /// `until`, if its access token is still live at `now`; whether it was.
    async fn extend(
        &self,
        digest: &str,
        client_id: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> PortResult<bool>;
    /// Removes every token of an account (disabling it); returns how many.
    async fn revoke_account(&self, username: &str) -> PortResult<u64>;
    /// Removes every token obtained by a client (removing it); returns how many.
    async fn revoke_client(&self, client_id: &str) -> PortResult<u64>;
    /// Removes the pair whose access or refresh token has this digest, if `client_id`
    /// obtained it; returns it.
    async fn revoke(&self, digest: &str, client_id: &str) -> PortResult<Option<StoredToken>>;
}
