//! The platform: ports, settings, and the bookkeeping every call shares — authorisation,
//! validation helpers, routing, audit, fault mapping.

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, NaiveDate, Utc};
use license_core::context::{OperatorDetails, RawCallContext};
use license_core::ports::{
    AccountRepository, AuditEvent, AuditStore, CertTypeRepository, ClientRepository, Clock,
    CollectionRepository, DocumentEngine, FileStore, GrantRepository, LicenseRepository,
    LoginGuard, OutboxRepository, RateBudget, TokenRepository, Upkeep,
};
use license_core::service::Caller;
use license_core::{
    CallContext, Interface, Library, License, LicenseService, LicenseStatus, ReturnCode, Role,
    ServiceError,
};
use license_dict::{call_districts, cert_types};

use crate::audit::{AuditTask, AuditWriter};
use crate::auth::{Session, UnknownLogins, digest};
use crate::budget::BudgetKind;
use crate::cache::TtlCache;
use crate::config::PlatformConfig;
use crate::fault::{Fault, Res, fail};

/// What the platform needs from outside, as core's ports.
#[derive(Clone)]
pub struct Ports {
    /// The library.
    pub licenses: Arc<dyn LicenseRepository>,
    /// Accounts.
    pub accounts: Arc<dyn AccountRepository>,
    /// OAuth clients.
    pub clients: Arc<dyn ClientRepository>,
    /// Tokens.
    pub tokens: Arc<dyn TokenRepository>,
    /// Login failures.
    pub logins: Arc<dyn LoginGuard>,
    /// Download grants.
    pub grants: Arc<dyn GrantRepository>,
    /// Call budgets per account and minute.
    pub budgets: Arc<dyn RateBudget>,
    /// Cert-type settings.
    pub cert_types: Arc<dyn CertTypeRepository>,
    /// The audit log's storage.
    pub audit: Arc<dyn AuditStore>,
    /// A city's outbox of pushes to its province.
    pub outbox: Arc<dyn OutboxRepository>,
    /// A province's record of the pushes it applied.
    pub collected: Arc<dyn CollectionRepository>,
    /// Housekeeping: job leases and what has expired.
    pub upkeep: Arc<dyn Upkeep>,
    /// License files and copies.
    pub files: Arc<dyn FileStore>,
    /// The document engine.
    pub documents: Arc<dyn DocumentEngine>,
    /// Time.
    pub clock: Arc<dyn Clock>,
}

impl Ports {
    /// Every repository port from one store.
    pub fn from_store<S>(
        store: Arc<S>,
        files: Arc<dyn FileStore>,
        documents: Arc<dyn DocumentEngine>,
        clock: Arc<dyn Clock>,
    ) -> Self
    where
        S: LicenseRepository
            + AccountRepository
            + ClientRepository
            + TokenRepository
            + LoginGuard
            + GrantRepository
            + RateBudget
            + CertTypeRepository
            + AuditStore
            + OutboxRepository
            + CollectionRepository
            + Upkeep
            + 'static,
    {
        Ports {
            licenses: store.clone(),
            accounts: store.clone(),
            clients: store.clone(),
            tokens: store.clone(),
            logins: store.clone(),
            grants: store.clone(),
            budgets: store.clone(),
            cert_types: store.clone(),
            outbox: store.clone(),
            collected: store.clone(),
            upkeep: store.clone(),
            audit: store,
            files,
            documents,
            clock,
        }
    }
}

/// The electronic license platform: every rule, behind [`LicenseService`].
pub struct Platform {
    pub(crate) ports: Ports,
    pub(crate) config: PlatformConfig,
    pub(crate) audit: AuditWriter,
    /// Resolved tokens by digest, remembered for `token_cache_ttl` (hot paths skip two queries).
    pub(crate) sessions: TtlCache<Arc<Session>>,
    /// This node's leases of the accounts' budgets of personal-data calls.
    pub(crate) budgets: crate::budget::Budgets,
    /// Lock-out of login names that are no account.
    pub(crate) unknown_logins: UnknownLogins,
    pub(crate) upstream: Option<Arc<dyn LicenseService>>,
    /// What the platform counts for operators.
    pub(crate) telemetry: crate::telemetry::Telemetry,
    /// Deliveries of the outbox in progress.
    pub(crate) deliveries: crate::federation::Deliveries,
    /// Licenses read by key, remembered for `license_cache_ttl`.
    pub(crate) license_cache: TtlCache<Option<Arc<License>>>,
    /// Cert-type settings remembered for `token_cache_ttl` (hot paths and imports).
    pub(crate) type_cache: TtlCache<Option<license_core::ports::CertTypeSettings>>,
}

impl std::fmt::Debug for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Platform")
            .field("role", &self.config.role)
            .field("upstream", &self.upstream.is_some())
            .finish_non_exhaustive()
    }
}

/// One call in progress: what its audit record will say.
pub(crate) struct Call {
    pub(crate) interface: Interface,
    started: Instant,
    at: DateTime<Utc>,
    pub(crate) request_id: String,
    pub(crate) client_addr: Option<String>,
    pub(crate) username: Option<String>,
    pub(crate) context: Option<CallContext>,
    pub(crate) operator: Option<OperatorDetails>,
    pub(crate) licenses: Vec<String>,
    pub(crate) holder_code: Option<String>,
    /// The holder code of the first license touched, as the library held it.
    library_holder: Option<String>,
    /// The reason a verification gave.
    pub(crate) purpose: Option<String>,
}

impl Call {
    /// Notes a license the call read from this node's library (answers of the province
    /// upstream are not touched).
    pub(crate) fn touch(&mut self, l: &License) {
        let id = l.identifier.to_string();
        if !self.licenses.contains(&id) {
            self.licenses.push(id);
        }
        if self.holder_code.is_none() {
            self.holder_code = Some(l.holder_code.clone());
        }
        if self.library_holder.is_none() {
            self.library_holder = Some(l.holder_code.clone());
        }
    }

    /// Whether the call touched one license, read from the library under the holder code
    /// its event records ([`AuditEvent::in_library`]).
    fn in_library(&self) -> bool {
        self.licenses.len() == 1 && self.library_holder == self.holder_code
    }
}

/// Where a call is answered.
pub(crate) enum Route {
    /// From this node's library.
    Local,
    /// By the province upstream.
    Upstream(Arc<dyn LicenseService>),
}

impl Platform {
    /// A platform on `ports`; the returned task commits the audit log (finish it on shutdown
    /// after dropping the platform).
    pub fn new(ports: Ports, config: PlatformConfig) -> (Self, AuditTask) {
        let telemetry = crate::telemetry::Telemetry::default();
        let (audit, task) = AuditWriter::start_observed(
            ports.audit.clone(),
            config.audit_batch,
            Some(telemetry.audit_commit.clone()),
        );
        let (token_ttl, license_ttl) = (config.token_cache_ttl, config.license_cache_ttl);
        (
            Platform {
                ports,
                config,
                audit,
                sessions: TtlCache::new(token_ttl),
                budgets: Default::default(),
                unknown_logins: UnknownLogins::default(),
                upstream: None,
                deliveries: Default::default(),
                type_cache: TtlCache::new(token_ttl),
                license_cache: TtlCache::new(license_ttl),
                telemetry,
            },
            task,
        )
    }

    /// Sets the province upstream of a city node.
    pub fn with_upstream(mut self, upstream: Arc<dyn LicenseService>) -> Self {
        self.upstream = Some(upstream);
        self
    }

    /// The platform's metrics.
    pub fn telemetry(&self) -> &crate::telemetry::Telemetry {
        &self.telemetry
    }

    /// The settings.
    pub fn config(&self) -> &PlatformConfig {
        &self.config
    }

    /// The ports.
    pub fn ports(&self) -> &Ports {
        &self.ports
    }

    /// Now.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.ports.clock.now()
    }

    /// Today in the node's time zone.
    pub(crate) fn today(&self) -> NaiveDate {
        self.now()
            .with_timezone(&self.config.time_zone)
            .date_naive()
    }

    pub(crate) fn begin(&self, caller: &Caller, interface: Interface) -> Call {
        Call {
            interface,
            started: Instant::now(),
            at: self.now(),
            request_id: if caller.request_id.is_empty() {
                uuid::Uuid::new_v4().simple().to_string()
            } else {
                caller.request_id.clone()
            },
            client_addr: caller.client_addr.clone(),
            username: None,
            context: None,
            operator: None,
            licenses: Vec::new(),
            holder_code: None,
            library_holder: None,
            purpose: None,
        }
    }

    /// Ends a call: maps faults to `99` (logged with the request id, never shown), commits the
    /// audit record, and only then lets the answer go.
    pub(crate) async fn finish<T>(&self, call: Call, result: Res<T>) -> Result<T, ServiceError> {
        let result = result.map_err(|f| f.answer(&call.request_id, call.interface.label()));
        let code = match &result {
            Ok(_) => ReturnCode::Success,
            Err(e) => e.code,
        };
        let in_library = call.in_library();
        let event = AuditEvent {
            at: call.at,
            request_id: call.request_id.clone(),
            interface: call.interface,
            username: call.username,
            client_addr: call.client_addr,
            context: call.context,
            operator: call.operator,
            code,
            licenses: call.licenses,
            holder_code: call.holder_code,
            in_library,
            latency_us: u64::try_from(call.started.elapsed().as_micros()).unwrap_or(u64::MAX),
            purpose: call.purpose,
        };
        if let Err(e) = self.audit.record(event).await {
            tracing::error!(request_id = %call.request_id, error = %e, "audit record not committed");
            return Err(ServiceError::new(
                ReturnCode::Other,
                format!("request id {}", call.request_id),
            ));
        }
        result
    }

    /// The session of a token's digest: from the cache (unless `fresh`), else from the store
    /// (then cached).
    async fn session(&self, key: &str, fresh: bool) -> Res<Arc<Session>> {
        if !fresh && let Some(s) = self.sessions.get(key) {
            return Ok(s);
        }
        let Some(stored) = self.ports.tokens.find_by_access(key).await? else {
            return fail(
                ReturnCode::Unauthorized,
                "access_token is unknown or revoked",
            );
        };
        let Some(account) = self.ports.accounts.find(&stored.username).await? else {
            return fail(
                ReturnCode::Unauthorized,
                "the token's account no longer exists",
            );
        };
        let s = Arc::new(Session {
            token: stored,
            account,
        });
        self.sessions.put(key.to_owned(), s.clone());
        Ok(s)
    }

    /// Forgets every remembered session of an account (disabled, or its tokens revoked).
    pub(crate) fn forget_sessions_of(&self, username: &str) {
        let username = username.to_owned();
        self.sessions
            .forget_if(move |s| s.account.username == username);
    }

    /// Refuses a session whose token has expired (forgotten by the cache then) or whose
    /// account is disabled.
    fn live(&self, key: &str, session: &Session) -> Res<()> {
        if session.token.access_expires_at <= self.now() {
            self.sessions.forget(key);
            return fail(ReturnCode::Unauthorized, "access_token has expired");
        }
        if !session.account.enabled {
            return fail(ReturnCode::Unauthorized, "the account is disabled");
        }
        Ok(())
    }

    /// Whether a token is a live access token of an enabled account (no role, no budget, no
    /// audit): what a transport asks before it reads a large body.
    pub(crate) async fn token_live(&self, token: &str) -> bool {
        let key = digest(token.trim());
        match self.session(&key, false).await {
            Ok(s) => self.live(&key, &s).is_ok(),
            Err(_) => false,
        }
    }

    /// Resolves the caller's token (API.md §4 step 1) and checks the role (step 2).
    pub(crate) async fn authorize(
        &self,
        call: &mut Call,
        caller: &Caller,
        role: Role,
    ) -> Res<Arc<Session>> {
        let Some(token) = caller
            .token
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        else {
            return fail(ReturnCode::Unauthorized, "access_token is missing");
        };
        let key = digest(token);
        let session = self.session(&key, call.interface.hands_out_files()).await?;
        call.username = Some(session.account.username.clone());
        self.live(&key, &session)?;
        if !session.account.roles.contains(&role) && !session.account.roles.contains(&Role::Admin) {
            return fail(
                ReturnCode::Unauthorized,
                format!(
                    "account {} may not use {} (needs role {})",
                    session.account.username,
                    call.interface.name(),
                    role.name()
                ),
            );
        }
        if call.interface.returns_personal_data() {
            self.spend_budget(call, &session).await?;
        }
        Ok(session)
    }

    /// One call of the account's budget of personal-data calls, shared by every node on the
    /// database: past it `99` with a detail and a retry hint, and a warning naming the account.
    async fn spend_budget(&self, call: &Call, session: &Session) -> Res<()> {
        let account = &session.account.username;
        let limit = session
            .account
            .rate_limit_per_minute
            .unwrap_or(self.config.rate_limit_per_minute);
        if limit == 0 {
            return Ok(());
        }
        let now = self.now().timestamp();
        match self
            .budgets
            .spend(&*self.ports.budgets, BudgetKind::Calls, account, limit, now)
            .await?
        {
            Ok(()) => Ok(()),
            Err(wait) => {
                tracing::warn!(
                    request_id = %call.request_id,
                    account = %account,
                    interface = call.interface.label(),
                    limit,
                    "rate limit exceeded"
                );
                Err(ServiceError::new(
                    ReturnCode::Other,
                    format!(
                        "rate limit exceeded ({limit} calls of personal data per minute); retry in {wait} s"
                    ),
                )
                .with_retry_after(wait)
                .into())
            }
        }
    }

    /// Validates the call context and records it on the call (API.md §3).
    pub(crate) fn context(&self, call: &mut Call, raw: &RawCallContext) -> Res<CallContext> {
        let mut ctx = raw.validate()?;
        if let Some(d) = &ctx.call_district {
            ctx.call_district = Some(call_districts().normalize(d));
        }
        call.context = Some(ctx.clone());
        Ok(ctx)
    }

    /// The cert type must be in the dictionary and published on this node (`13`); `fresh`
    /// reads its settings from the store.
    pub(crate) async fn check_cert_type(&self, code: &str, fresh: bool) -> Res<()> {
        if !cert_types().contains(code) {
            return fail(
                ReturnCode::UnknownCertType,
                format!("certTypeCode {code} is not in the type table"),
            );
        }
        let published = match self.cert_type_settings(code, fresh).await? {
            Some(s) => s.published,
            None => self.config.publish_types_by_default,
        };
        if !published {
            return fail(
                ReturnCode::UnknownCertType,
                format!("certTypeCode {code} is not published on this node"),
            );
        }
        Ok(())
    }

    /// The license with this key (any of the three), remembered briefly; `fresh` reads it
    /// from the store.
    pub(crate) async fn license_by_key(&self, key: &str, fresh: bool) -> Res<Option<Arc<License>>> {
        let key = key.trim();
        if !fresh && let Some(hit) = self.license_cache.get(key) {
            return Ok(hit);
        }
        let found = self.ports.licenses.find_by_key(key).await?.map(Arc::new);
        self.license_cache.put(key.to_owned(), found.clone());
        Ok(found)
    }

    /// Forgets remembered license reads (after this node changed a license: it may be
    /// remembered under any of its keys, and writes are rare).
    pub(crate) fn forget_licenses(&self) {
        self.license_cache.clear();
    }

    /// A cert type's stored settings, remembered briefly; `fresh` reads them from the store.
    pub(crate) async fn cert_type_settings(
        &self,
        code: &str,
        fresh: bool,
    ) -> Res<Option<license_core::ports::CertTypeSettings>> {
        if !fresh && let Some(s) = self.type_cache.get(code) {
            return Ok(s);
        }
        let s = self.ports.cert_types.get(code).await?;
        self.type_cache.put(code.to_owned(), s.clone());
        Ok(s)
    }

    /// A license of a type outside the account's types → `11` (API.md §4 step 7).
    pub(crate) fn check_license_type(&self, session: &Session, l: &License) -> Res<()> {
        if session.account.may_use_type(&l.cert_type_code) {
            Ok(())
        } else {
            fail(
                ReturnCode::Unauthorized,
                format!(
                    "account {} may not use licenses of type {}",
                    session.account.username, l.cert_type_code
                ),
            )
        }
    }

    /// Download interfaces refuse a license that is not currently valid (API.md §4 step 8).
    pub(crate) fn check_downloadable(&self, l: &License) -> Res<()> {
        match l.status_on(self.today()) {
            LicenseStatus::Valid => Ok(()),
            LicenseStatus::Revoked => Err(ReturnCode::Revoked.into()),
            LicenseStatus::Expired => Err(ReturnCode::Expired.into()),
            LicenseStatus::Suspended | LicenseStatus::NotActivated => {
                Err(ReturnCode::Restricted.into())
            }
        }
    }

    /// Routing by `interfaceType` (API.md §5): `1` this library; `0` (default) the province:
    /// answered here on a province node, forwarded on a city node, `2` without an upstream.
    pub(crate) fn route(&self, interface_type: Option<&str>) -> Res<Route> {
        let wanted = match interface_type.map(str::trim).filter(|v| !v.is_empty()) {
            None => Library::Province,
            Some(v) => match Library::from_interface_type(v) {
                Some(l) => l,
                None => {
                    return Err(ServiceError::malformed(
                        license_core::params::INTERFACE_TYPE,
                        "must be 0 or 1",
                    )
                    .into());
                }
            },
        };
        if wanted == self.config.role {
            return Ok(Route::Local);
        }
        match (&self.config.role, &self.upstream) {
            (Library::City, Some(up)) => Ok(Route::Upstream(up.clone())),
            (Library::City, None) => fail(
                ReturnCode::NotProvided,
                "this city node has no province upstream",
            ),
            // A province node answers everything from its own library (API.md §5).
            (Library::Province, _) => Ok(Route::Local),
        }
    }

    /// Counts a holder search against the account's limit, across every node on the database
    /// (`99` with a retry hint past it).
    pub(crate) async fn check_rate(&self, session: &Session) -> Res<()> {
        let limit = session
            .account
            .holder_search_per_minute
            .unwrap_or(self.config.holder_search_per_minute);
        let now = self.now().timestamp();
        // 0 allows none (the wait is to the next minute, as for a spent budget).
        let verdict = if limit == 0 {
            Err((60 - now.rem_euclid(60)).max(1) as u32)
        } else {
            self.budgets
                .spend(
                    &*self.ports.budgets,
                    BudgetKind::HolderSearches,
                    &session.account.username,
                    limit,
                    now,
                )
                .await?
        };
        match verdict {
            Ok(()) => Ok(()),
            Err(wait) => Err(ServiceError::new(
                ReturnCode::Other,
                format!("holder-search rate exceeded ({limit} per minute); retry in {wait} s"),
            )
            .with_retry_after(wait)
            .into()),
        }
    }
}

impl Platform {
    /// Awaits an upstream answer within the configured timeout (`1` past it, API.md §5).
    pub(crate) async fn forward<T>(
        &self,
        fut: impl std::future::Future<Output = Result<T, ServiceError>>,
    ) -> Res<T> {
        match tokio::time::timeout(self.config.upstream_timeout, fut).await {
            Ok(r) => r.map_err(Fault::Service),
            Err(_) => fail(
                ReturnCode::UpstreamUnreachable,
                format!(
                    "the province upstream did not answer within {} ms",
                    self.config.upstream_timeout.as_millis()
                ),
            ),
        }
    }

    /// The caller as the upstream sees it: same request id, the city's own credentials.
    pub(crate) fn upstream_caller(call: &Call) -> Caller {
        Caller {
            token: None,
            client_addr: None,
            request_id: call.request_id.clone(),
        }
    }
}
