//! Admission before a large body: on the routes where files arrive, a caller whose token —
//! given in the query or as `Authorization: Bearer` — is not live is held to the small body
//! limit, so a caller naming a dead token cannot make the node read 20 MiB before it is
//! refused. The call then runs as usual and is answered and audited by its handler (a small
//! body with a live token in it, which the contract lets win over the query's, still works).
//! A token that arrives only in the body — which the contract allows (API.md §1) — cannot be
//! checked before the body is read: such a request is read up to the file limit, bounded by
//! the body timeout and the connection cap.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use license_core::params::ACCESS_TOKEN;
use license_core::service::NodeService;

use crate::params::Params;
use crate::routes::request_token;

/// What the admission middleware needs: the node that knows tokens and the small limit.
#[derive(Clone)]
pub struct Admission {
    /// Resolves tokens.
    pub node: Arc<dyn NodeService>,
    /// The body limit of a caller without a live token outside the body.
    pub small_limit: usize,
}

/// The token a request carries outside its body: the `access_token` query parameter (read as
/// the handler merges parameters), else the bearer token.
fn outside_token(req: &Request) -> Option<String> {
    let query = Params::merge(req.uri().query(), None, &[])
        .ok()
        .and_then(|q| q.get(ACCESS_TOKEN));
    request_token(req.headers(), query)
}

/// The middleware: a request with a dead token outside its body reads at most
/// [`Admission::small_limit`] bytes of it (past that the handler answers 413).
pub async fn admit(State(a): State<Admission>, req: Request, next: Next) -> Response {
    let dead = match outside_token(&req) {
        Some(t) => !a.node.token_live(&t).await,
        None => false,
    };
    if !dead {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let held = Body::new(http_body_util::Limited::new(body, a.small_limit));
    next.run(Request::from_parts(parts, held)).await
}
