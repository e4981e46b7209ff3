//! Security headers on every answer: `X-Content-Type-Options: nosniff` everywhere;
//! `Cache-Control: no-store` on everything that does not set its own caching (share and admin
//! answers, downloads and the verification page carry personal data, and nothing of this API
//! is worth caching by a proxy); a strict Content-Security-Policy on the node's own HTML pages.

use std::sync::LazyLock;

use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use license_core::interface::BASE_PATH;
use sha2::{Digest, Sha256};

use crate::openapi::DOCS_PATH;
use crate::page::STYLE;

/// The policy of the node's pages: nothing loads, no script runs, only the pages' own style
/// sheet (by its hash) applies.
static PAGE_POLICY: LazyLock<HeaderValue> = LazyLock::new(|| {
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(STYLE));
    let policy = format!(
        "default-src 'none'; style-src 'sha256-{hash}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    );
    HeaderValue::from_str(&policy).unwrap_or(HeaderValue::from_static("default-src 'none'"))
});

/// Adds the security headers to an answer.
pub async fn protect(req: Request, next: Next) -> Response {
    // Swagger UI is a third-party page with its own scripts: it keeps its own policy.
    let docs = req
        .uri()
        .path()
        .strip_prefix(BASE_PATH)
        .is_some_and(|p| p.starts_with(DOCS_PATH));
    let mut r = next.run(req).await;
    let h = r.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    let html = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html"));
    if html && !docs {
        // A page that set its own policy (the console's) keeps it.
        if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
            h.insert(header::CONTENT_SECURITY_POLICY, PAGE_POLICY.clone());
        }
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    r
}
