//! [`LicenseService`] for the platform: each method runs its interface and commits the audit
//! record before answering.

use async_trait::async_trait;
use license_core::ports::StoredToken;
use license_core::service::*;
use license_core::{FileVerifyResult, Interface, ReturnCode};

use license_core::ports::LoginAttempt;

use crate::auth::{check_secret, digest, new_token};
use crate::budget::BudgetKind;
use crate::fault::{Res, fail};
use crate::platform::{Call, Platform};

pub(crate) fn oauth(kind: OAuthErrorKind, description: impl Into<String>) -> TokenError {
    TokenError {
        kind,
        description: description.into(),
    }
}

/// The scope granted for a requested one: `read write` or a subset of it.
fn grant_scope(requested: Option<&str>) -> Result<String, TokenError> {
    match requested.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(DEFAULT_SCOPE.to_owned()),
        Some(s) => {
            let parts: Vec<&str> = s.split_whitespace().collect();
            if parts.iter().all(|p| *p == "read" || *p == "write") {
                Ok(parts.join(" "))
            } else {
                Err(oauth(
                    OAuthErrorKind::InvalidScope,
                    format!("scope must be {DEFAULT_SCOPE:?}"),
                ))
            }
        }
    }
}

impl Platform {
    async fn check_client(
        &self,
        id: Option<&str>,
        secret: Option<&str>,
    ) -> Result<String, TokenError> {
        let (Some(id), Some(secret)) = (id.filter(|s| !s.is_empty()), secret) else {
            return Err(oauth(
                OAuthErrorKind::InvalidClient,
                "client credentials are missing",
            ));
        };
        let client = self
            .ports
            .clients
            .find(id)
            .await
            .map_err(|_| oauth(OAuthErrorKind::TemporarilyUnavailable, "try again later"))?;
        // An unknown client costs a secret check too (against a dummy hash).
        let ok = check_secret(
            secret.to_owned(),
            client.as_ref().map(|c| c.secret_hash.clone()),
        )
        .await;
        match client {
            Some(c) if ok => Ok(c.client_id),
            _ => Err(oauth(
                OAuthErrorKind::InvalidClient,
                "unknown client or wrong secret",
            )),
        }
    }

    /// The token endpoint's per-address budget, counted before any secret is checked, across
    /// every node on the database.
    pub(crate) async fn throttle_address(&self, call: &Call) -> Result<(), TokenError> {
        let (Some(addr), limit) = (
            call.client_addr.as_deref(),
            self.config.token_requests_per_address_per_minute,
        ) else {
            return Ok(());
        };
        if limit == 0 {
            return Ok(());
        }
        let verdict = self
            .budgets
            .spend(
                &*self.ports.budgets,
                BudgetKind::TokenRequests,
                addr,
                limit,
                self.now().timestamp(),
            )
            .await
            .map_err(|_| TokenError {
                kind: OAuthErrorKind::TemporarilyUnavailable,
                description: "try again later".into(),
            })?;
        verdict.map_err(|wait| TokenError {
            kind: OAuthErrorKind::SlowDown,
            description: format!(
                "too many token requests from this address ({limit} per minute); retry in {wait} s"
            ),
        })
    }

    /// Stores a new token pair of `client_id` for `username`; `lives` are the access and
    /// refresh tokens' lifetimes.
    pub(crate) async fn store_pair(
        &self,
        username: &str,
        client_id: &str,
        scope: String,
        lives: (chrono::Duration, chrono::Duration),
    ) -> Result<TokenGrant, TokenError> {
        let (access, refresh) = (new_token(), new_token());
        let now = self.now();
        let stored = StoredToken {
            access_digest: digest(&access),
            refresh_digest: digest(&refresh),
            username: username.to_owned(),
            client_id: client_id.to_owned(),
            scope: scope.clone(),
            access_expires_at: now + lives.0,
            refresh_expires_at: now + lives.1,
        };
        let unavailable = |_| oauth(OAuthErrorKind::TemporarilyUnavailable, "try again later");
        self.ports
            .tokens
            .insert(&stored)
            .await
            .map_err(unavailable)?;
        // A client removed while this grant was under way (its tokens revoked before this
        // pair was stored): the pair goes too. The console is no stored client.
        if client_id != CONSOLE_CLIENT
            && self
                .ports
                .clients
                .find(client_id)
                .await
                .map_err(unavailable)?
                .is_none()
        {
            let _ = self.ports.tokens.revoke_client(client_id).await;
            return Err(oauth(
                OAuthErrorKind::InvalidClient,
                "unknown client or wrong secret",
            ));
        }
        Ok(TokenGrant {
            access_token: access,
            refresh_token: refresh,
            expires_in: lives.0.num_seconds().max(0) as u64,
            scope,
        })
    }

    async fn password_grant(
        &self,
        call: &mut Call,
        g: PasswordGrant,
    ) -> Result<TokenGrant, TokenError> {
        self.throttle_address(call).await?;
        let scope = grant_scope(g.scope.as_deref())?;
        let client_id = self
            .check_client(g.client_id.as_deref(), g.client_secret.as_deref())
            .await?;
        let (Some(username), Some(password)) = (
            g.username
                .as_deref()
                .map(str::trim)
                .filter(|u| !u.is_empty()),
            g.password.as_deref(),
        ) else {
            return Err(oauth(
                OAuthErrorKind::InvalidRequest,
                "username and password are required",
            ));
        };
        self.check_password(call, username, password).await?;
        self.store_pair(username, &client_id, scope, self.token_lives())
            .await
    }

    /// The lifetimes of an OAuth client's pair.
    fn token_lives(&self) -> (chrono::Duration, chrono::Duration) {
        (self.config.token_ttl, self.config.refresh_ttl)
    }

    /// An account's password, checked under the lock-out (API.md §2): the attempt is counted
    /// and the lock checked before the hash; a good password clears the failures.
    pub(crate) async fn check_password(
        &self,
        call: &mut Call,
        username: &str,
        password: &str,
    ) -> Result<license_core::ports::Account, TokenError> {
        call.username = Some(username.to_owned());
        let unavailable = |_| oauth(OAuthErrorKind::TemporarilyUnavailable, "try again later");
        let now = self.now();
        let policy = &self.config.lockout;
        let account = self
            .ports
            .accounts
            .find(username)
            .await
            .map_err(unavailable)?;
        // The attempt is counted, and the lock checked, before the password is: of any number
        // of concurrent attempts at most `max_failures` reach the hash.
        let attempt = match &account {
            Some(_) => self
                .ports
                .logins
                .attempt(username, now, policy)
                .await
                .map_err(unavailable)?,
            None => self.unknown_logins.attempt(username, now, policy),
        };
        if let LoginAttempt::Locked(until) = attempt {
            return Err(oauth(
                OAuthErrorKind::InvalidGrant,
                format!(
                    "too many failed logins; locked until {}",
                    until.format("%Y-%m-%dT%H:%M:%SZ")
                ),
            ));
        }
        // A disabled or unknown account costs the same check as a good one.
        let enabled = account.as_ref().is_some_and(|a| a.enabled);
        let matches = check_secret(
            password.to_owned(),
            account.as_ref().map(|a| a.password_hash.clone()),
        )
        .await;
        if !(enabled && matches) {
            return Err(oauth(
                OAuthErrorKind::InvalidGrant,
                "bad username or password",
            ));
        }
        self.ports
            .logins
            .clear(username)
            .await
            .map_err(unavailable)?;
        account.ok_or_else(|| oauth(OAuthErrorKind::InvalidGrant, "bad username or password"))
    }

    async fn refresh_grant(
        &self,
        call: &mut Call,
        g: RefreshGrant,
    ) -> Result<TokenGrant, TokenError> {
        self.throttle_address(call).await?;
        let client_id = self
            .check_client(g.client_id.as_deref(), g.client_secret.as_deref())
            .await?;
        let Some(refresh) = g
            .refresh_token
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        else {
            return Err(oauth(
                OAuthErrorKind::InvalidRequest,
                "refresh_token is required",
            ));
        };
        let unavailable = |_| oauth(OAuthErrorKind::TemporarilyUnavailable, "try again later");
        let Some(old) = self
            .ports
            .tokens
            .take_by_refresh(&digest(refresh))
            .await
            .map_err(unavailable)?
        else {
            return Err(oauth(
                OAuthErrorKind::InvalidGrant,
                "unknown or used refresh token",
            ));
        };
        self.sessions.forget(&old.access_digest);
        call.username = Some(old.username.clone());
        if old.client_id != client_id {
            return Err(oauth(
                OAuthErrorKind::InvalidGrant,
                "the refresh token belongs to another client",
            ));
        }
        if old.refresh_expires_at <= self.now() {
            return Err(oauth(
                OAuthErrorKind::InvalidGrant,
                "the refresh token has expired",
            ));
        }
        let account = self
            .ports
            .accounts
            .find(&old.username)
            .await
            .map_err(unavailable)?;
        if !account.is_some_and(|a| a.enabled) {
            return Err(oauth(
                OAuthErrorKind::InvalidGrant,
                "the account is disabled",
            ));
        }
        let scope = match g.scope.as_deref() {
            Some(s) if !s.trim().is_empty() => grant_scope(Some(s))?,
            _ => old.scope.clone(),
        };
        self.store_pair(&old.username, &client_id, scope, self.token_lives())
            .await
    }

    /// RFC 7009: the client authenticates; the pair of the named token is removed if that
    /// client obtained it. An unknown token, or another client's, revokes nothing and is no
    /// error (§2.2).
    async fn revoke(&self, call: &mut Call, r: Revocation) -> Result<(), TokenError> {
        self.throttle_address(call).await?;
        let client_id = self
            .check_client(r.client_id.as_deref(), r.client_secret.as_deref())
            .await?;
        let Some(token) = r.token.as_deref().map(str::trim).filter(|t| !t.is_empty()) else {
            return Err(oauth(OAuthErrorKind::InvalidRequest, "token is required"));
        };
        self.revoke_pair(call, token, &client_id).await
    }

    /// Removes the pair an access or refresh token belongs to, if `client_id` obtained it; the
    /// account it was is noted for the audit record.
    pub(crate) async fn revoke_pair(
        &self,
        call: &mut Call,
        token: &str,
        client_id: &str,
    ) -> Result<(), TokenError> {
        let revoked = self
            .ports
            .tokens
            .revoke(&digest(token), client_id)
            .await
            .map_err(|_| oauth(OAuthErrorKind::TemporarilyUnavailable, "try again later"))?;
        if let Some(t) = revoked {
            self.sessions.forget(&t.access_digest);
            call.username = Some(t.username);
        }
        Ok(())
    }

    pub(crate) async fn finish_token<T>(
        &self,
        call: Call,
        r: Result<T, TokenError>,
    ) -> Result<T, TokenError> {
        let audited: Res<()> = match &r {
            Ok(_) => Ok(()),
            Err(e) => fail(ReturnCode::Unauthorized, e.kind.code()),
        };
        match self.finish(call, audited).await {
            Err(e) if e.code == ReturnCode::Other => Err(oauth(
                OAuthErrorKind::TemporarilyUnavailable,
                "try again later",
            )),
            _ => r,
        }
    }
}

macro_rules! run {
    ($self:ident, $caller:ident, $iface:expr, $body:ident, $req:ident) => {{
        let mut call = $self.begin($caller, $iface);
        let result = $self.$body(&mut call, $caller, $req).await;
        $self.finish(call, result).await
    }};
}

#[async_trait]
impl LicenseService for Platform {
    async fn issue_token(
        &self,
        caller: &Caller,
        grant: PasswordGrant,
    ) -> Result<TokenGrant, TokenError> {
        let mut call = self.begin(caller, Interface::Token);
        let r = self.password_grant(&mut call, grant).await;
        self.finish_token(call, r).await
    }

    async fn refresh_token(
        &self,
        caller: &Caller,
        grant: RefreshGrant,
    ) -> Result<TokenGrant, TokenError> {
        let mut call = self.begin(caller, Interface::Token);
        let r = self.refresh_grant(&mut call, grant).await;
        self.finish_token(call, r).await
    }

    async fn share_download_url(
        &self,
        caller: &Caller,
        req: DownloadUrlRequest,
    ) -> ServiceResult<Answer<DownloadLinks>> {
        run!(
            self,
            caller,
            Interface::ShareDownloadUrl,
            do_download_url,
            req
        )
    }

    async fn query_cert_info(
        &self,
        caller: &Caller,
        req: QueryCertInfoRequest,
    ) -> ServiceResult<Answer<LicenseRecords>> {
        run!(
            self,
            caller,
            Interface::ShareQueryCertInfo,
            do_query_cert_info,
            req
        )
    }

    async fn verify_cert_info(
        &self,
        caller: &Caller,
        req: VerifyInfoRequest,
    ) -> ServiceResult<Answer<InfoVerification>> {
        run!(
            self,
            caller,
            Interface::ShareVerifyCertInfo,
            do_verify_info,
            req
        )
    }

    async fn verify_cert_file(
        &self,
        caller: &Caller,
        req: VerifyFileRequest,
    ) -> ServiceResult<Answer<FileVerifyResult>> {
        run!(
            self,
            caller,
            Interface::ShareVerifyCertFile,
            do_verify_file,
            req
        )
    }

    async fn query_by_qr_code(
        &self,
        caller: &Caller,
        req: QrQueryRequest,
    ) -> ServiceResult<Answer<QrRecords>> {
        run!(
            self,
            caller,
            Interface::ShareQueryCertInfoByQRcode,
            do_query_by_qr,
            req
        )
    }

    async fn query_by_holder(
        &self,
        caller: &Caller,
        req: HolderQueryRequest,
    ) -> ServiceResult<Answer<LicenseRecords>> {
        run!(
            self,
            caller,
            Interface::ShareQueryCertInfoByHo,
            do_query_by_holder,
            req
        )
    }

    async fn download_urls_by_holder(
        &self,
        caller: &Caller,
        req: HolderQueryRequest,
    ) -> ServiceResult<Answer<DownloadLinks>> {
        run!(
            self,
            caller,
            Interface::ShareDownloadUrlsByHolderCode,
            do_download_urls_by_holder,
            req
        )
    }

    async fn download_file(
        &self,
        caller: &Caller,
        req: DownloadFileRequest,
    ) -> ServiceResult<Answer<DownloadedFile>> {
        run!(
            self,
            caller,
            Interface::ShareDownloadFile,
            do_download_file,
            req
        )
    }

    async fn insert_to_province(&self, caller: &Caller, req: SyncRequest) -> ServiceResult<String> {
        run!(
            self,
            caller,
            Interface::InsertToProvince,
            do_insert_to_province,
            req
        )
    }

    async fn update_to_province(&self, caller: &Caller, req: SyncRequest) -> ServiceResult<()> {
        run!(
            self,
            caller,
            Interface::UpdateToProvince,
            do_update_to_province,
            req
        )
    }

    async fn delete_to_province(&self, caller: &Caller, req: SyncRequest) -> ServiceResult<()> {
        run!(
            self,
            caller,
            Interface::DeleteToProvince,
            do_delete_to_province,
            req
        )
    }

    async fn collect(&self, caller: &Caller, req: CollectRequest) -> ServiceResult<String> {
        run!(self, caller, Interface::Collect, do_collect, req)
    }

    async fn sheng_shi_state(
        &self,
        caller: &Caller,
        req: HolderQueryRequest,
    ) -> ServiceResult<ShengShiState> {
        run!(
            self,
            caller,
            Interface::ShengShiStateInfo,
            do_sheng_shi_state,
            req
        )
    }

    async fn download_pdf(&self, caller: &Caller, req: PdfRequest) -> ServiceResult<Vec<u8>> {
        run!(
            self,
            caller,
            Interface::DownloadPdfFile,
            do_download_pdf,
            req
        )
    }
}

#[async_trait]
impl NodeService for Platform {
    async fn redeem_download(
        &self,
        caller: &Caller,
        link_id: &str,
    ) -> ServiceResult<(String, Vec<u8>)> {
        Platform::redeem_download(self, caller, link_id).await
    }

    async fn verification(
        &self,
        caller: &Caller,
        qr_token: &str,
    ) -> ServiceResult<Option<VerificationView>> {
        Ok(Platform::verification(self, caller, qr_token)
            .await?
            .map(|(l, status)| VerificationView {
                certificate_name: l.certificate_name,
                holder: l.holder,
                holder_code: l.holder_code,
                issue_dept: l.issue_dept,
                valid_from: l.validity.start,
                valid_to: l.validity.end,
                status,
            }))
    }

    async fn revoke_token(
        &self,
        caller: &Caller,
        revocation: Revocation,
    ) -> Result<(), TokenError> {
        let mut call = self.begin(caller, Interface::Revoke);
        let r = self.revoke(&mut call, revocation).await;
        self.finish_token(call, r).await
    }

    async fn token_live(&self, token: &str) -> bool {
        Platform::token_live(self, token).await
    }

    async fn ready(&self) -> bool {
        self.ports.licenses.find_by_key("-").await.is_ok()
    }

    async fn console_sign_in(
        &self,
        caller: &Caller,
        username: &str,
        password: &str,
    ) -> Result<TokenGrant, TokenError> {
        Platform::console_sign_in(self, caller, username, password).await
    }

    async fn console_touch(&self, caller: &Caller) -> Result<bool, TokenError> {
        Platform::console_touch(self, caller).await
    }

    async fn console_sign_out(&self, caller: &Caller) {
        Platform::console_sign_out(self, caller).await
    }
}
