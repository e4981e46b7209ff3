//! A client's own account on a remote node: what the REST and gRPC clients use for calls that
//! carry no token of their own (a city node forwarding to its province, API.md §5).
//!
//! The account logs in with the password grant, refreshes before the token expires (at 90 % of
//! its lifetime), and logs in again once when the node answers `11` — the node may have
//! forgotten the token (a restart of a node with in-memory state, an account disabled and
//! enabled again).

use std::future::Future;
use std::time::{Duration, Instant};

use crate::service::{
    Caller, DEFAULT_SCOPE, LicenseService, OAuthErrorKind, PasswordGrant, RefreshGrant,
    ServiceResult, TokenError,
};
use crate::status::{ReturnCode, ServiceError};

/// The credentials of a client's own account on a node.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    /// OAuth client id.
    pub client_id: String,
    /// OAuth client secret.
    pub client_secret: String,
    /// Account name; empty = no own account (calls go out as the caller made them).
    pub username: String,
    /// Its password.
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("client_id", &self.client_id)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

struct Held {
    access: String,
    refresh: String,
    renew_at: Instant,
}

/// A client's own account and the token it holds.
pub struct OwnAccount {
    credentials: Credentials,
    held: tokio::sync::Mutex<Option<Held>>,
}

impl std::fmt::Debug for OwnAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OwnAccount")
            .field("credentials", &self.credentials)
            .finish_non_exhaustive()
    }
}

/// A token request that failed, as the failure of the call it was made for: a node that
/// cannot answer is `1`, a refused login is `11`.
fn login_failed(e: TokenError) -> ServiceError {
    match e.kind {
        OAuthErrorKind::TemporarilyUnavailable => {
            ServiceError::new(ReturnCode::UpstreamUnreachable, e.description)
        }
        _ => ServiceError::new(
            ReturnCode::Unauthorized,
            format!("the node refused this client's login: {e}"),
        ),
    }
}

impl OwnAccount {
    /// An account; nothing is sent until the first call that needs it.
    pub fn new(credentials: Credentials) -> Self {
        OwnAccount {
            credentials,
            held: tokio::sync::Mutex::new(None),
        }
    }

    /// The credentials.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// A current access token: the one held, a refreshed one, or a new login.
    async fn token(
        &self,
        node: &dyn LicenseService,
        request_id: &str,
        renew: bool,
    ) -> ServiceResult<String> {
        let mut held = self.held.lock().await;
        if let Some(t) = held.as_ref()
            && !renew
            && Instant::now() < t.renew_at
        {
            return Ok(t.access.clone());
        }
        let c = &self.credentials;
        let anonymous = Caller {
            request_id: request_id.to_owned(),
            ..Caller::default()
        };
        let refreshed = match held.as_ref() {
            Some(t) => node
                .refresh_token(
                    &anonymous,
                    RefreshGrant {
                        client_id: Some(c.client_id.clone()),
                        client_secret: Some(c.client_secret.clone()),
                        scope: None,
                        refresh_token: Some(t.refresh.clone()),
                    },
                )
                .await
                .ok(),
            None => None,
        };
        let grant = match refreshed {
            Some(g) => g,
            None => node
                .issue_token(
                    &anonymous,
                    PasswordGrant {
                        client_id: Some(c.client_id.clone()),
                        client_secret: Some(c.client_secret.clone()),
                        scope: Some(DEFAULT_SCOPE.to_owned()),
                        username: Some(c.username.clone()),
                        password: Some(c.password.clone()),
                    },
                )
                .await
                .map_err(login_failed)?,
        };
        let life = Duration::from_secs(grant.expires_in.max(1));
        *held = Some(Held {
            access: grant.access_token.clone(),
            refresh: grant.refresh_token,
            renew_at: Instant::now() + life.mul_f64(0.9),
        });
        Ok(grant.access_token)
    }

    /// Makes one call on `node`: with the caller's token when it has one (or when there is no
    /// own account), else with this account's, logging in again once if the node answers `11`.
    pub async fn call<T, F, Fut>(
        &self,
        node: &dyn LicenseService,
        caller: &Caller,
        call: F,
    ) -> ServiceResult<T>
    where
        F: Fn(Caller) -> Fut,
        Fut: Future<Output = ServiceResult<T>>,
    {
        if caller.token.is_some() || self.credentials.username.is_empty() {
            return call(caller.clone()).await;
        }
        let as_account = |token: String| Caller {
            token: Some(token),
            ..caller.clone()
        };
        let token = self.token(node, &caller.request_id, false).await?;
        match call(as_account(token)).await {
            Err(e) if e.code == ReturnCode::Unauthorized => {
                let token = self.token(node, &caller.request_id, true).await?;
                call(as_account(token)).await
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_show_their_secrets() {
        let c = Credentials {
            client_id: "city".into(),
            client_secret: "s3cret".into(),
            username: "city-sync".into(),
            password: "pa55word".into(),
        };
        let shown = format!("{:?}", OwnAccount::new(c));
        assert!(shown.contains("city-sync"), "{shown}");
        assert!(
            !shown.contains("s3cret") && !shown.contains("pa55word"),
            "{shown}"
        );
    }

    #[test]
    fn a_node_that_cannot_answer_a_login_is_code_1_a_refusal_is_11() {
        let e = login_failed(TokenError {
            kind: OAuthErrorKind::TemporarilyUnavailable,
            description: "the node cannot be reached".into(),
        });
        assert_eq!(e.code, ReturnCode::UpstreamUnreachable);
        assert_eq!(e.detail.as_deref(), Some("the node cannot be reached"));
        let e = login_failed(TokenError {
            kind: OAuthErrorKind::InvalidGrant,
            description: "bad credentials".into(),
        });
        assert_eq!(e.code, ReturnCode::Unauthorized);
    }
}
