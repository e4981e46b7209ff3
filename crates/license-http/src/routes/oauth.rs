//! The OAuth endpoints: the token endpoint (RFC 6749, API.md §2) and revocation (RFC 7009).

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use license_core::Interface;
use license_core::params as p;
use license_core::service::*;
use serde_json::json;

use crate::params::Params;
use crate::peer::ClientAddr;

use super::*;

pub(crate) fn oauth_error(e: &TokenError) -> Response {
    let status = match e.kind {
        OAuthErrorKind::InvalidClient => StatusCode::UNAUTHORIZED,
        OAuthErrorKind::SlowDown => StatusCode::TOO_MANY_REQUESTS,
        OAuthErrorKind::InvalidRequest
        | OAuthErrorKind::InvalidGrant
        | OAuthErrorKind::UnsupportedGrantType
        | OAuthErrorKind::InvalidScope
        | OAuthErrorKind::TemporarilyUnavailable => StatusCode::BAD_REQUEST,
    };
    let mut r = (
        status,
        Json(json!({ "error": e.kind.code(), "error_description": e.description })),
    )
        .into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if status == StatusCode::TOO_MANY_REQUESTS {
        // The address's budget is counted in one-minute windows.
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
    }
    if status == StatusCode::UNAUTHORIZED {
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"license-api-release\""),
        );
    }
    r
}

/// Client credentials from HTTP Basic (RFC 6749 §2.3.1: form-encoded id and secret).
pub(crate) fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let h = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, b64) = h.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (id, secret) = text.split_once(':')?;
    let dec = |s: &str| {
        percent_encoding::percent_decode_str(&s.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    };
    Some((dec(id), dec(secret)))
}

/// An OAuth endpoint's parameters and the client's credentials (HTTP Basic, else
/// `client_id` / `client_secret`); the answer for a body that cannot be read.
pub(crate) fn oauth_request(
    headers: &HeaderMap,
    query: Option<&str>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(Params, Option<String>, Option<String>), Box<Response>> {
    let body = body.map_err(|e| Box::new(body_rejected(e)))?;
    let q = body_params(headers, query, &body).map_err(|_| {
        Box::new(oauth_error(&TokenError {
            kind: OAuthErrorKind::InvalidRequest,
            description: "malformed body".into(),
        }))
    })?;
    let (client_id, client_secret) = match basic(headers) {
        Some((id, secret)) => (Some(id), Some(secret)),
        None => (q.get(p::CLIENT_ID), q.get(p::CLIENT_SECRET)),
    };
    Ok((q, client_id, client_secret))
}

pub(crate) async fn token(
    State(s): State<AppState>,
    headers: HeaderMap,
    peer: ClientAddr,
    RawQuery(query): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let (q, client_id, client_secret) = match oauth_request(&headers, query.as_deref(), body) {
        Ok(r) => r,
        Err(r) => return tagged(*r, Interface::Token),
    };
    let caller = caller(&headers, peer, None);
    let result = match q.get(p::GRANT_TYPE).as_deref() {
        Some("password") => {
            s.service
                .issue_token(
                    &caller,
                    PasswordGrant {
                        client_id,
                        client_secret,
                        scope: q.get(p::SCOPE),
                        username: q.get(p::USERNAME),
                        password: q.get(p::PASSWORD),
                    },
                )
                .await
        }
        Some("refresh_token") => {
            s.service
                .refresh_token(
                    &caller,
                    RefreshGrant {
                        client_id,
                        client_secret,
                        scope: q.get(p::SCOPE),
                        refresh_token: q.get(p::REFRESH_TOKEN),
                    },
                )
                .await
        }
        Some(other) => Err(TokenError {
            kind: OAuthErrorKind::UnsupportedGrantType,
            description: format!("grant_type {other} is not supported"),
        }),
        None => Err(TokenError {
            kind: OAuthErrorKind::InvalidRequest,
            description: "grant_type is required".into(),
        }),
    };
    let answered = match result {
        Ok(g) => {
            let mut r = Json(json!({
                "access_token": g.access_token,
                "token_type": TOKEN_TYPE,
                "refresh_token": g.refresh_token,
                "expires_in": g.expires_in,
                "scope": g.scope,
            }))
            .into_response();
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        Err(e) => oauth_error(&e),
    };
    tagged(answered, Interface::Token)
}

/// `POST /oauth/revoke` (RFC 7009): the client authenticates as at the token endpoint (HTTP
/// Basic or `client_id`/`client_secret`) and names a `token`; 200 with an empty body whether
/// or not there was such a token of that client.
pub(crate) async fn revoke(
    State(s): State<AppState>,
    headers: HeaderMap,
    peer: ClientAddr,
    RawQuery(query): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let answered = match oauth_request(&headers, query.as_deref(), body) {
        Err(r) => *r,
        Ok((q, client_id, client_secret)) => {
            let revocation = Revocation {
                client_id,
                client_secret,
                token: q.get(p::TOKEN),
                token_type_hint: q.get(p::TOKEN_TYPE_HINT),
            };
            match s
                .node
                .revoke_token(&caller(&headers, peer, None), revocation)
                .await
            {
                Ok(()) => StatusCode::OK.into_response(),
                Err(e) => oauth_error(&e),
            }
        }
    };
    tagged(answered, Interface::Revoke)
}
