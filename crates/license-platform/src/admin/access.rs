//! Accounts, OAuth clients and cert-type settings, as administrators and the command line
//! manage them.

use license_core::ports::{Account, CertTypeSettings, OAuthClient, PortError};
use license_core::{ReturnCode, Role, ServiceError};
use license_dict::cert_types;

use crate::auth::hash_secret_off;
use crate::platform::Platform;

use super::*;

impl Platform {
    /// Creates an account (password hashed with argon2).
    pub async fn create_account(
        &self,
        username: &str,
        password: &str,
        roles: Vec<Role>,
        cert_types_allowed: Vec<String>,
        department: Option<String>,
    ) -> Result<Account, ServiceError> {
        if username.trim().is_empty() {
            return Err(ServiceError::missing("username"));
        }
        if password.chars().count() < 8 {
            return Err(bad("password must have at least 8 characters"));
        }
        for t in &cert_types_allowed {
            if !cert_types().contains(t) {
                return Err(ServiceError::new(
                    ReturnCode::UnknownCertType,
                    format!("{t} is not in the type table"),
                ));
            }
        }
        let account = Account {
            username: username.trim().to_owned(),
            password_hash: hash_secret_off(password.to_owned())
                .await
                .map_err(|e| fault_to_service(e.into()))?,
            roles,
            cert_types: cert_types_allowed,
            enabled: true,
            department,
            holder_search_per_minute: None,
            rate_limit_per_minute: None,
        };
        self.ports
            .accounts
            .insert(&account)
            .await
            .map_err(|e| match e {
                PortError::Conflict(_) => {
                    bad(format!("account {} already exists", account.username))
                }
                e => fault_to_service(e.into()),
            })?;
        Ok(account)
    }

    /// Every account.
    pub async fn accounts(&self) -> Result<Vec<Account>, ServiceError> {
        self.ports
            .accounts
            .list()
            .await
            .map_err(|e| fault_to_service(e.into()))
    }

    /// Sets an account's password (at least 8 characters); every token of the account is
    /// revoked at once and its failed logins are forgotten.
    pub async fn set_password(&self, username: &str, password: &str) -> Result<(), ServiceError> {
        if password.chars().count() < 8 {
            return Err(bad("password must have at least 8 characters"));
        }
        let port = |e: PortError| fault_to_service(e.into());
        let Some(mut account) = self
            .ports
            .accounts
            .find(username.trim())
            .await
            .map_err(port)?
        else {
            return Err(ServiceError::new(
                ReturnCode::NotFound,
                format!("no account {username}"),
            ));
        };
        account.password_hash = hash_secret_off(password.to_owned()).await.map_err(port)?;
        self.ports.accounts.update(&account).await.map_err(port)?;
        self.ports
            .tokens
            .revoke_account(&account.username)
            .await
            .map_err(port)?;
        self.forget_sessions_of(&account.username);
        self.ports
            .logins
            .clear(&account.username)
            .await
            .map_err(port)?;
        Ok(())
    }

    /// Enables or disables an account; disabling revokes its tokens at once.
    pub async fn set_account_enabled(
        &self,
        username: &str,
        enabled: bool,
    ) -> Result<(), ServiceError> {
        let found = self
            .ports
            .accounts
            .set_enabled(username, enabled)
            .await
            .map_err(|e| fault_to_service(e.into()))?;
        if !found {
            return Err(ServiceError::new(
                ReturnCode::NotFound,
                format!("no account {username}"),
            ));
        }
        if !enabled {
            self.ports
                .tokens
                .revoke_account(username)
                .await
                .map_err(|e| fault_to_service(e.into()))?;
            self.forget_sessions_of(username);
        }
        Ok(())
    }

    /// Replaces an account's roles, cert types and rate limit.
    pub async fn update_account(&self, account: &Account) -> Result<(), ServiceError> {
        if !self
            .ports
            .accounts
            .update(account)
            .await
            .map_err(|e| fault_to_service(e.into()))?
        {
            return Err(ServiceError::new(
                ReturnCode::NotFound,
                format!("no account {}", account.username),
            ));
        }
        self.forget_sessions_of(&account.username);
        Ok(())
    }

    /// Registers an OAuth client (secret hashed).
    pub async fn add_client(&self, client_id: &str, secret: &str) -> Result<(), ServiceError> {
        if client_id.trim().is_empty() || secret.is_empty() {
            return Err(ServiceError::missing(if secret.is_empty() {
                "secret"
            } else {
                "client_id"
            }));
        }
        if client_id.trim() == license_core::service::CONSOLE_CLIENT {
            return Err(bad(format!(
                "the client id {client_id} is the console's own"
            )));
        }
        let c = OAuthClient {
            client_id: client_id.trim().to_owned(),
            secret_hash: hash_secret_off(secret.to_owned())
                .await
                .map_err(|e| fault_to_service(e.into()))?,
        };
        self.ports.clients.insert(&c).await.map_err(|e| match e {
            PortError::Conflict(_) => bad(format!("client {client_id} already exists")),
            e => fault_to_service(e.into()),
        })
    }

    /// Removes an OAuth client and ends every token it obtained, on every node at once (what
    /// hands out files reads tokens from the store; queries within the session cache's
    /// lifetime). A token the client was being granted meanwhile is refused at the grant
    /// (see `store_pair`).
    pub async fn remove_client(&self, client_id: &str) -> Result<(), ServiceError> {
        if client_id.trim() == license_core::service::CONSOLE_CLIENT {
            return Err(bad(format!(
                "the client id {client_id} is the console's own"
            )));
        }
        let client_id = client_id.trim();
        let found = self
            .ports
            .clients
            .delete(client_id)
            .await
            .map_err(|e| fault_to_service(e.into()))?;
        // Revoked after the row is gone (a grant under way then fails its own check), and
        // again when the row is already gone: a removal whose revocation failed is finished
        // by asking again.
        let revoked = self
            .ports
            .tokens
            .revoke_client(client_id)
            .await
            .map_err(|e| fault_to_service(e.into()))?;
        if !found && revoked == 0 {
            return Err(ServiceError::new(
                ReturnCode::NotFound,
                format!("no client {client_id}"),
            ));
        }
        let gone = client_id.to_owned();
        self.sessions.forget_if(move |s| s.token.client_id == gone);
        Ok(())
    }

    /// Every client id.
    pub async fn clients(&self) -> Result<Vec<String>, ServiceError> {
        Ok(self
            .ports
            .clients
            .list()
            .await
            .map_err(|e| fault_to_service(e.into()))?
            .into_iter()
            .map(|c| c.client_id)
            .collect())
    }

    /// Publishes or withdraws a cert type and sets its verification fields.
    pub async fn set_cert_type(
        &self,
        code: &str,
        published: bool,
        verify_fields: Vec<String>,
    ) -> Result<(), ServiceError> {
        if !cert_types().contains(code) {
            return Err(ServiceError::new(
                ReturnCode::UnknownCertType,
                format!("{code} is not in the type table"),
            ));
        }
        let s = CertTypeSettings {
            code: code.to_owned(),
            published,
            verify_fields,
        };
        self.ports
            .cert_types
            .put(&s)
            .await
            .map_err(|e| fault_to_service(e.into()))?;
        self.type_cache.forget(code);
        Ok(())
    }
}
