//! The operator console's sessions: an administrator signs in with a password under the token
//! endpoint's throttle and lock-out, and holds a token pair of [`CONSOLE_CLIENT`] whose access
//! token ends after the console's idle time unless the console renews it.

use license_core::service::{
    CONSOLE_CLIENT, Caller, DEFAULT_SCOPE, OAuthErrorKind, TokenError, TokenGrant,
};
use license_core::{Interface, Role};

use crate::auth::digest;
use crate::platform::{Call, Platform};
use crate::service::oauth;

impl Platform {
    /// The lifetimes of a console pair: both tokens end after the idle time.
    fn console_lives(&self) -> (chrono::Duration, chrono::Duration) {
        (self.config.console_idle, self.config.console_idle)
    }

    async fn sign_in(
        &self,
        call: &mut Call,
        username: &str,
        password: &str,
    ) -> Result<TokenGrant, TokenError> {
        self.throttle_address(call).await?;
        let username = username.trim();
        if username.is_empty() || password.is_empty() {
            return Err(oauth(
                OAuthErrorKind::InvalidRequest,
                "username and password are required",
            ));
        }
        let account = self.check_password(call, username, password).await?;
        if !account.roles.contains(&Role::Admin) {
            return Err(oauth(
                OAuthErrorKind::InvalidGrant,
                "the account has no admin role",
            ));
        }
        self.store_pair(
            username,
            CONSOLE_CLIENT,
            DEFAULT_SCOPE.to_owned(),
            self.console_lives(),
        )
        .await
    }

    async fn renew(&self, call: &mut Call, refresh: &str) -> Result<TokenGrant, TokenError> {
        let unavailable = |_| oauth(OAuthErrorKind::TemporarilyUnavailable, "try again later");
        let ended = || oauth(OAuthErrorKind::InvalidGrant, "the session has ended");
        let Some(old) = self
            .ports
            .tokens
            .take_by_refresh(&digest(refresh.trim()))
            .await
            .map_err(unavailable)?
        else {
            return Err(ended());
        };
        self.sessions.forget(&old.access_digest);
        call.username = Some(old.username.clone());
        if old.client_id != CONSOLE_CLIENT || old.access_expires_at <= self.now() {
            return Err(ended());
        }
        let account = self
            .ports
            .accounts
            .find(&old.username)
            .await
            .map_err(unavailable)?;
        if !account.is_some_and(|a| a.enabled && a.roles.contains(&Role::Admin)) {
            return Err(ended());
        }
        self.store_pair(
            &old.username,
            CONSOLE_CLIENT,
            old.scope,
            self.console_lives(),
        )
        .await
    }

    /// Signs an operator in to the console (see [`NodeService::console_sign_in`]).
    ///
    /// [`NodeService::console_sign_in`]: license_core::service::NodeService::console_sign_in
    pub async fn console_sign_in(
        &self,
        caller: &Caller,
        username: &str,
        password: &str,
    ) -> Result<TokenGrant, TokenError> {
        let mut call = self.begin(caller, Interface::Token);
        let r = self.sign_in(&mut call, username, password).await;
        self.finish_token(call, r).await
    }

    /// Renews a console session (see [`NodeService::console_renew`]).
    ///
    /// [`NodeService::console_renew`]: license_core::service::NodeService::console_renew
    pub async fn console_renew(
        &self,
        caller: &Caller,
        refresh: &str,
    ) -> Result<TokenGrant, TokenError> {
        let mut call = self.begin(caller, Interface::Token);
        let r = self.renew(&mut call, refresh).await;
        self.finish_token(call, r).await
    }

    /// Ends a console session: its pair is removed (audited as a revocation).
    pub async fn console_sign_out(&self, caller: &Caller) {
        let mut call = self.begin(caller, Interface::Revoke);
        let r: Result<(), TokenError> = async {
            let Some(token) = caller.token.as_deref() else {
                return Ok(());
            };
            let revoked = self
                .ports
                .tokens
                .revoke(&digest(token), CONSOLE_CLIENT)
                .await
                .map_err(|_| oauth(OAuthErrorKind::TemporarilyUnavailable, "try again later"))?;
            if let Some(t) = revoked {
                self.sessions.forget(&t.access_digest);
                call.username = Some(t.username);
            }
            Ok(())
        }
        .await;
        let _ = self.finish_token(call, r).await;
    }
}
