//! The operator console's sessions: an administrator signs in with a password under the token
//! endpoint's throttle and lock-out, and holds a token pair of [`CONSOLE_CLIENT`] that ends
//! after the console's idle time unless the console extends it (every page does, at most once
//! a minute).

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

    /// Keeps a live console session alive (see [`NodeService::console_touch`]); not audited,
    /// like a token's liveness check.
    ///
    /// [`NodeService::console_touch`]: license_core::service::NodeService::console_touch
    pub async fn console_touch(&self, caller: &Caller) -> Result<bool, TokenError> {
        let Some(token) = caller.token.as_deref() else {
            return Ok(false);
        };
        let now = self.now();
        self.ports
            .tokens
            .extend(
                &digest(token),
                CONSOLE_CLIENT,
                now,
                now + self.config.console_idle,
            )
            .await
            .map_err(|_| oauth(OAuthErrorKind::TemporarilyUnavailable, "try again later"))
    }

    /// Ends a console session: its pair is removed (audited as a revocation).
    pub async fn console_sign_out(&self, caller: &Caller) {
        let mut call = self.begin(caller, Interface::Revoke);
        let r = match caller.token.as_deref() {
            Some(token) => self.revoke_pair(&mut call, token, CONSOLE_CLIENT).await,
            None => Ok(()),
        };
        let _ = self.finish_token(call, r).await;
    }
}
