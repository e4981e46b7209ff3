//! Ports: what the platform needs from storage, files, the document engine and time. Adapters
//! (`license-store`, `license-file`) implement them; tests substitute doubles.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use thiserror::Error;

use crate::context::{CallContext, OperatorDetails};
use crate::interface::{Interface, Role};
use crate::license::{License, LicenseState};
use crate::service::Page;
use crate::status::ReturnCode;

/// A fault below the rules: logged with a request id, answered as `99`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PortError {
    /// A unique key already exists (identifier, file number, username…).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The backend could not be reached or failed.
    #[error("backend unavailable: {0}")]
    Unavailable(String),
    /// Stored data could not be read back.
    #[error("corrupt record: {0}")]
    Corrupt(String),
    /// The input could not be processed (a document the engine cannot read, say).
    #[error("invalid input: {0}")]
    Invalid(String),
}

/// Result of a port call.
pub type PortResult<T> = Result<T, PortError>;

/// The time source; the node's local date comes from it and the configured zone.
pub trait Clock: Send + Sync {
    /// Now, in UTC.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Filters of a holder search (API.md §6, 4.3.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolderSearch {
    /// Holder code.
    pub holder_code: String,
    /// Cert-type code.
    pub cert_type_code: String,
    /// Certificate number, when given.
    pub certificate_number: Option<String>,
    /// Zero-based offset.
    pub offset: u64,
    /// Maximum rows.
    pub limit: u64,
}

/// Filters of the administrators' license search; every given field must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LicenseFilter {
    /// Holder code.
    pub holder_code: Option<String>,
    /// Cert-type code.
    pub cert_type_code: Option<String>,
    /// Issuing department's code.
    pub issue_dept_code: Option<String>,
    /// Stored state.
    pub state: Option<LicenseState>,
    /// Zero-based offset.
    pub offset: u64,
    /// Maximum rows.
    pub limit: u64,
}

/// A stored file of a license (GB/T 36905 package), by file-store key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    /// Key in the file store.
    pub key: String,
    /// Format (`ofd`).
    pub format: String,
    /// SM3 of the bytes, hex.
    pub sm3: String,
    /// Size in bytes.
    pub size: u64,
}

/// The license library.
#[async_trait]
pub trait LicenseRepository: Send + Sync {
    /// Stores a new license; [`PortError::Conflict`] on a duplicate key.
    async fn insert(&self, license: &License) -> PortResult<()>;
    /// Stores many licenses; each gets its own result (a duplicate fails only itself).
    async fn insert_many(&self, licenses: &[License]) -> PortResult<Vec<PortResult<()>>>;
    /// Replaces a stored license's record (matched by identifier); `false` if none.
    async fn update(&self, license: &License) -> PortResult<bool>;
    /// The license with this identifier, file number or province identifier.
    async fn find_by_key(&self, key: &str) -> PortResult<Option<License>>;
    /// The license whose QR value ends in this token.
    async fn find_by_qr_token(&self, token: &str) -> PortResult<Option<License>>;
    /// The license with this extraction code.
    async fn find_by_abstract_code(&self, code: &str) -> PortResult<Option<License>>;
    /// A page of the holder's licenses of one type, most recently issued first, with the total.
    async fn search_by_holder(&self, search: &HolderSearch) -> PortResult<Page<License>>;
    /// A page of licenses matching an administrator's filter, newest first.
    async fn search(&self, filter: &LicenseFilter) -> PortResult<Page<License>>;
    /// Number of licenses in the library.
    async fn count(&self) -> PortResult<u64>;
    /// The license's stored file of a format, if made.
    async fn file(&self, identifier: &str, format: &str) -> PortResult<Option<StoredFile>>;
    /// Records a license's file (after the bytes are durable in the file store).
    async fn set_file(&self, identifier: &str, file: &StoredFile) -> PortResult<()>;
}

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
    /// The node that opens an account's window forgets the account's earlier ones, so the
    /// table holds at most a window or two per account.
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
    /// Removes every token of an account (disabling it); returns how many.
    async fn revoke_account(&self, username: &str) -> PortResult<u64>;
    /// Removes the pair whose access or refresh token has this digest, if `client_id`
    /// obtained it; returns it.
    async fn revoke(&self, digest: &str, client_id: &str) -> PortResult<Option<StoredToken>>;
}

/// A download link's grant (API.md §6): the link id is a capability, stored as a digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadGrant {
    /// SHA-256 of the link id, hex.
    pub digest: String,
    /// The license's identifier.
    pub identifier: String,
    /// File-store key of the annotated copy the link serves.
    pub copy_key: String,
    /// Format (`ofd`).
    pub format: String,
    /// File name offered to the downloader.
    pub file_name: String,
    /// When the link stops working.
    pub expires_at: DateTime<Utc>,
    /// Whether the link works once only.
    pub single_use: bool,
    /// Downloads so far.
    pub downloads: u32,
}

/// Download grants.
#[async_trait]
pub trait GrantRepository: Send + Sync {
    /// Stores a grant.
    async fn insert(&self, grant: &DownloadGrant) -> PortResult<()>;
    /// Counts one download of the grant with this digest and returns it, if it exists, has
    /// not expired at `now`, and (single-use) was not used yet — atomically.
    async fn redeem(&self, digest: &str, now: DateTime<Utc>) -> PortResult<Option<DownloadGrant>>;
}

/// Publication and verification settings of a cert type on this node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertTypeSettings {
    /// The 21-character code.
    pub code: String,
    /// Published on this node (unpublished types answer `13`).
    pub published: bool,
    /// Fields the information verification requires (default `certificateNumber`).
    pub verify_fields: Vec<String>,
}

/// Cert-type settings.
#[async_trait]
pub trait CertTypeRepository: Send + Sync {
    /// The settings of a code, if any were stored.
    async fn get(&self, code: &str) -> PortResult<Option<CertTypeSettings>>;
    /// Stores settings.
    async fn put(&self, settings: &CertTypeSettings) -> PortResult<()>;
    /// Every stored setting.
    async fn list(&self) -> PortResult<Vec<CertTypeSettings>>;
}

/// A license change that commits in the same transaction as the pushes or link written with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LicenseWrite<'a> {
    /// Store a new license.
    Insert(&'a License),
    /// Replace a stored license's record (matched by identifier).
    Update(&'a License),
}

/// Where a push to the province stands in a city's outbox (API.md §6, insertToProvince).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PushState {
    /// Not yet delivered: retried in the background until the province takes it.
    Pending,
    /// The province applied it.
    Delivered,
    /// The province refused it for good (its answer is kept); an administrator may retry it.
    Failed,
}

impl PushState {
    /// Every state.
    pub const ALL: [PushState; 3] = [PushState::Pending, PushState::Delivered, PushState::Failed];

    /// The name in storage and the admin API.
    pub const fn name(self) -> &'static str {
        match self {
            PushState::Pending => "pending",
            PushState::Delivered => "delivered",
            PushState::Failed => "failed",
        }
    }

    /// Parses a [`name`](Self::name).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name.trim())
    }
}

/// A push to be recorded in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPush {
    /// Unique id, sent to the province with every delivery of this push.
    pub operation_id: String,
    /// The city license's identifier.
    pub license: String,
    /// The city license's file number.
    pub file_number: String,
    /// What the province is asked to do.
    pub operation: crate::service::CollectOperation,
    /// The license's record when the push was made (create and update).
    pub record: Option<crate::admin::NewLicense>,
    /// Why (revoke).
    pub reason: Option<String>,
    /// When it was made.
    pub at: DateTime<Utc>,
}

/// A push in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Push {
    /// Position in the outbox (increasing; the province applies a license's pushes in order).
    pub sequence: u64,
    /// What was recorded.
    pub push: NewPush,
    /// Where it stands.
    pub state: PushState,
    /// Delivery attempts so far.
    pub attempts: u32,
    /// When the next attempt is due (pending pushes).
    pub next_attempt_at: DateTime<Utc>,
    /// The last failure, as the province or the connection reported it.
    pub last_error: Option<String>,
    /// The province identifier it answered (delivered pushes).
    pub province_identifier: Option<String>,
    /// When it was delivered.
    pub delivered_at: Option<DateTime<Utc>>,
}

/// A city's durable outbox of pushes to its province: nothing is lost on a crash, because a
/// push is recorded in the same transaction as the license change it carries.
#[async_trait]
pub trait OutboxRepository: Send + Sync {
    /// Records pushes, pending and due now, together with `writes`, in one transaction;
    /// returns their sequences.
    async fn enqueue(
        &self,
        pushes: &[NewPush],
        writes: &[LicenseWrite<'_>],
    ) -> PortResult<Vec<u64>>;
    /// Pending pushes in sequence order, at most `limit`.
    async fn pending(&self, limit: u64) -> PortResult<Vec<Push>>;
    /// The push with this sequence.
    async fn get(&self, sequence: u64) -> PortResult<Option<Push>>;
    /// One license's pending pushes (by its identifier), in sequence order.
    async fn pending_for(&self, license: &str) -> PortResult<Vec<Push>>;
    /// Marks a push delivered; for a create, also stores the province identifier on the
    /// license, in the same transaction.
    async fn delivered(
        &self,
        sequence: u64,
        province_identifier: &str,
        at: DateTime<Utc>,
    ) -> PortResult<()>;
    /// Records a failed attempt of a push that stays pending until `next_attempt_at`.
    async fn retry_later(
        &self,
        sequence: u64,
        attempts: u32,
        next_attempt_at: DateTime<Utc>,
        error: &str,
    ) -> PortResult<()>;
    /// Marks a push refused for good.
    async fn failed(&self, sequence: u64, attempts: u32, error: &str) -> PortResult<()>;
    /// Makes a failed push pending again, due at `at`; `false` when it is not failed.
    async fn requeue(&self, sequence: u64, at: DateTime<Utc>) -> PortResult<bool>;
    /// A page of pushes, newest first, optionally of one state.
    async fn list(
        &self,
        state: Option<PushState>,
        offset: u64,
        limit: u64,
    ) -> PortResult<Page<Push>>;
}

/// What a province node knows of a license a city pushed to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectedLink {
    /// The pushing city (its account on this node).
    pub origin: String,
    /// The license's file number at the city.
    pub city_file_number: String,
    /// The identifier this node assigned.
    pub province_identifier: String,
    /// The sequence of the last push applied.
    pub sequence: u64,
    /// The operation id of the last push applied.
    pub operation_id: String,
    /// When it was last applied.
    pub updated_at: DateTime<Utc>,
}

/// A province node's record of the pushes it has applied, kept with its library.
#[async_trait]
pub trait CollectionRepository: Send + Sync {
    /// The link of a city's license, if it was ever pushed here.
    async fn link(&self, origin: &str, city_file_number: &str)
    -> PortResult<Option<CollectedLink>>;
    /// Applies a push in one transaction: an `Insert` stores the license and a new link
    /// ([`PortError::Conflict`] when the link exists); an `Update` replaces the license (its
    /// made files are dropped, to be made again from the new record) and moves the link on —
    /// only while the stored link's sequence is lower. `false` when the push was stale.
    async fn collect(&self, link: &CollectedLink, write: LicenseWrite<'_>) -> PortResult<bool>;
}

/// One audited call (API.md §3: every call, success or failure, with its full context).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// When the call arrived.
    pub at: DateTime<Utc>,
    /// The transport's request id.
    pub request_id: String,
    /// The interface called.
    pub interface: Interface,
    /// The account, when the token resolved to one (or the username of a login attempt).
    pub username: Option<String>,
    /// The client address.
    pub client_addr: Option<String>,
    /// The validated call context, when it validated.
    pub context: Option<CallContext>,
    /// Operator details, when sent.
    pub operator: Option<OperatorDetails>,
    /// The answer's code.
    pub code: ReturnCode,
    /// Identifiers of the licenses the call touched.
    pub licenses: Vec<String>,
    /// Holder code searched or touched, for "who used my license".
    pub holder_code: Option<String>,
    /// The call read its one license from this node's library, under `holder_code`. The
    /// store then finds the event among that holder's: the library keeps every holder code a
    /// license has had, so this stays true. `false` whenever unsure (the store then links the
    /// event to its licenses explicitly, at a cost).
    pub in_library: bool,
    /// Microseconds the call took.
    pub latency_us: u64,
    /// The reason a verification gave (`useFor`, `useCause`; API.md §3).
    pub purpose: Option<String>,
}

impl AuditEvent {
    /// The event with every value the caller did not choose as a parameter — the request id,
    /// the address, the username tried, the holder code — cut to its column's bound with a
    /// marker ([`crate::limits`]), so that no caller can make an event unstorable.
    pub fn bounded(mut self) -> Self {
        use crate::limits::{self as l, cut_in_place};
        cut_in_place(&mut self.request_id, l::AUDIT_REQUEST_ID_CHARS);
        for (v, max) in [
            (&mut self.username, l::AUDIT_USERNAME_CHARS),
            (&mut self.client_addr, l::AUDIT_CLIENT_ADDR_CHARS),
            (&mut self.purpose, crate::context::MAX_REASON_CHARS),
        ] {
            if let Some(v) = v {
                cut_in_place(v, max);
            }
        }
        if let Some(code) = &mut self.holder_code
            && l::too_long(code, l::AUDIT_HOLDER_CODE_CHARS)
        {
            cut_in_place(code, l::AUDIT_HOLDER_CODE_CHARS);
            // A cut code is no holder's: the store must link the event's licenses itself.
            self.in_library = false;
        }
        self
    }
}

/// What an administrator asks of the audit log; every given field must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// From this time, inclusive.
    pub from: Option<DateTime<Utc>>,
    /// Until this time, exclusive.
    pub until: Option<DateTime<Utc>>,
    /// The account.
    pub username: Option<String>,
    /// The interface.
    pub interface: Option<Interface>,
    /// A license touched (its identifier).
    pub license: Option<String>,
    /// The holder code searched or touched.
    pub holder_code: Option<String>,
    /// Zero-based offset.
    pub offset: u64,
    /// Maximum rows.
    pub limit: u64,
}

/// The audit log's storage. Writes come in batches (group commit); a batch is durable when
/// `append` returns.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Appends events in one transaction.
    async fn append(&self, events: &[AuditEvent]) -> PortResult<()>;
    /// Events matching a query, newest first, with the total.
    async fn query(&self, query: &AuditQuery) -> PortResult<Page<AuditEvent>>;
}

/// Where license files and annotated copies live (local directory or object store).
#[async_trait]
pub trait FileStore: Send + Sync {
    /// Stores bytes under a key atomically: a reader sees all of them or none.
    async fn put(&self, key: &str, bytes: &[u8]) -> PortResult<()>;
    /// The bytes under a key.
    async fn get(&self, key: &str) -> PortResult<Option<Vec<u8>>>;
    /// Removes a key (no error if absent).
    async fn delete(&self, key: &str) -> PortResult<()>;
}

/// The facts an annotated copy (加注件) states and records (API.md §7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    /// Calling system.
    pub system_name: String,
    /// Matter.
    pub matter_name: String,
    /// Cause.
    pub cause: String,
    /// Who made the copy (the account).
    pub creator: String,
    /// When the copy was made.
    pub made_at: DateTime<Utc>,
    /// Last day the copy is valid.
    pub expires_on: NaiveDate,
}

/// What verifying a file established (GB/T 38540 signatures, then the identifier it carries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileCheck {
    /// The package has at least one signature and every signed part is unaltered.
    pub intact: bool,
    /// Every signature value verifies and every signer is trusted by the node.
    pub signatures_trusted: bool,
    /// The GB/T 36904 identifier embedded in the file, if any.
    pub identifier: Option<String>,
}

/// The document engine: makes, annotates, renders and verifies license files (GB/T 36905).
#[async_trait]
pub trait DocumentEngine: Send + Sync {
    /// The license's signed OFD.
    async fn issue(&self, license: &License) -> PortResult<Vec<u8>>;
    /// An annotated copy of a signed OFD, signed again by the platform.
    async fn annotate(&self, ofd: &[u8], annotation: &Annotation) -> PortResult<Vec<u8>>;
    /// Verifies a file from anyone; [`PortError::Invalid`] if it is not an OFD package at all.
    async fn verify(&self, ofd: &[u8]) -> PortResult<FileCheck>;
    /// The license's face as PDF.
    async fn render_pdf(&self, license: &License) -> PortResult<Vec<u8>>;
    /// The license's face as JPEG page images.
    async fn render_page_images(&self, license: &License) -> PortResult<Vec<Vec<u8>>>;
}
