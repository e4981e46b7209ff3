//! The client address of a request: the connection's peer, or — when the peer is a trusted
//! proxy — the address its forwarding headers name ([`TrustedProxies::client`]). Resolved once
//! by a middleware and read by every handler through the [`ClientAddr`] extractor.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use license_core::peer::TrustedProxies;

/// The client address of a request; `None` where the server was given no connection info
/// (a router called in-process).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientAddr(pub Option<IpAddr>);

impl ClientAddr {
    /// The address as recorded (audit log, throttles).
    pub fn recorded(self) -> Option<String> {
        self.0.map(|a| a.to_string())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(parts
            .extensions
            .get::<ClientAddr>()
            .copied()
            .unwrap_or_default())
    }
}

/// Every value of a header, comma-joined (a list may come split over several lines).
fn joined(headers: &HeaderMap, name: &str) -> Option<String> {
    let mut values = headers.get_all(name).iter().filter_map(|v| v.to_str().ok());
    let first = values.next()?;
    Some(values.fold(first.to_owned(), |mut all, v| {
        all.push(',');
        all.push_str(v);
        all
    }))
}

/// Resolves the request's [`ClientAddr`] from its connection and the trusted proxies.
pub async fn resolve(
    State(trusted): State<Arc<TrustedProxies>>,
    mut req: Request,
    next: Next,
) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let addr = peer.map(|peer| {
        if trusted.is_empty() {
            return trusted.client(peer, None, None);
        }
        let headers = req.headers();
        trusted.client(
            peer,
            joined(headers, "forwarded").as_deref(),
            joined(headers, "x-forwarded-for").as_deref(),
        )
    });
    req.extensions_mut().insert(ClientAddr(addr));
    next.run(req).await
}
