//! The token endpoint's grants, revocation and failures (RFC 6749, RFC 7009; API.md §2).

/// A password-grant token request (RFC 6749 §4.3; API.md §2).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PasswordGrant {
    /// OAuth client id.
    pub client_id: Option<String>,
    /// OAuth client secret.
    pub client_secret: Option<String>,
    /// Requested scope (`read write`).
    pub scope: Option<String>,
    /// Account name.
    pub username: Option<String>,
    /// Account password.
    pub password: Option<String>,
}

/// A refresh-grant token request (RFC 6749 §6).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefreshGrant {
    /// OAuth client id.
    pub client_id: Option<String>,
    /// OAuth client secret.
    pub client_secret: Option<String>,
    /// Requested scope; defaults to the original.
    pub scope: Option<String>,
    /// The refresh token.
    pub refresh_token: Option<String>,
}

/// A token revocation request (RFC 7009 §2.1): the client authenticates as at the token
/// endpoint and names an access or refresh token it obtained.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Revocation {
    /// OAuth client id.
    pub client_id: Option<String>,
    /// OAuth client secret.
    pub client_secret: Option<String>,
    /// The access or refresh token to revoke.
    pub token: Option<String>,
    /// `access_token` or `refresh_token`: a hint only (both kinds are looked up).
    pub token_type_hint: Option<String>,
}

/// An issued token pair (API.md §2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenGrant {
    /// Opaque UUID access token.
    pub access_token: String,
    /// Opaque UUID refresh token.
    pub refresh_token: String,
    /// Seconds the access token has left.
    pub expires_in: u64,
    /// Granted scope.
    pub scope: String,
}

/// The client id the operator console's token pairs are stored under; no OAuth client may
/// take it.
pub const CONSOLE_CLIENT: &str = "licensed-console";

/// `token_type` of every grant.
pub const TOKEN_TYPE: &str = "bearer";
/// The scope the contract requires (API.md §2).
pub const DEFAULT_SCOPE: &str = "read write";

/// RFC 6749 §5.2 error codes of the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OAuthErrorKind {
    /// `invalid_request`.
    InvalidRequest,
    /// `invalid_client` (HTTP 401).
    InvalidClient,
    /// `invalid_grant` (bad user or password, bad refresh token).
    InvalidGrant,
    /// `unsupported_grant_type`.
    UnsupportedGrantType,
    /// `invalid_scope`.
    InvalidScope,
    /// `temporarily_unavailable` (an internal fault).
    TemporarilyUnavailable,
    /// `slow_down` (RFC 8628 §3.5): too many token requests from the caller's address (HTTP
    /// 429 with `Retry-After`).
    SlowDown,
}

impl OAuthErrorKind {
    /// Every kind.
    pub const ALL: [OAuthErrorKind; 7] = [
        OAuthErrorKind::InvalidRequest,
        OAuthErrorKind::InvalidClient,
        OAuthErrorKind::InvalidGrant,
        OAuthErrorKind::UnsupportedGrantType,
        OAuthErrorKind::InvalidScope,
        OAuthErrorKind::TemporarilyUnavailable,
        OAuthErrorKind::SlowDown,
    ];

    /// The kind of an RFC 6749 `error` value.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The RFC 6749 `error` value.
    pub const fn code(self) -> &'static str {
        match self {
            OAuthErrorKind::InvalidRequest => "invalid_request",
            OAuthErrorKind::InvalidClient => "invalid_client",
            OAuthErrorKind::InvalidGrant => "invalid_grant",
            OAuthErrorKind::UnsupportedGrantType => "unsupported_grant_type",
            OAuthErrorKind::InvalidScope => "invalid_scope",
            OAuthErrorKind::TemporarilyUnavailable => "temporarily_unavailable",
            OAuthErrorKind::SlowDown => "slow_down",
        }
    }
}

/// A token-endpoint failure in RFC 6749 terms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {description}", kind.code())]
pub struct TokenError {
    /// The RFC 6749 error code.
    pub kind: OAuthErrorKind,
    /// `error_description`, for the caller.
    pub description: String,
}
