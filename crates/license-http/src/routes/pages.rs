//! What answers outside the envelope's interfaces: capability download links, the public
//! verification page, unknown paths and the health checks.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use license_core::{Interface, ReturnCode, ServiceError};

use crate::page;
use crate::params::Params;
use crate::peer::ClientAddr;

use super::*;

/// on `=`).
pub fn content_disposition(file_name: &str) -> String {
    // RFC 3986 unreserved characters stay as they are; everything else is percent-encoded.
    const ENCODED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'.')
        .remove(b'-')
        .remove(b'_')
        .remove(b'~');
    let encoded = percent_encoding::utf8_percent_encode(file_name, ENCODED).to_string();
    format!("attachment; filename={encoded}")
}

pub(crate) async fn download(
    State(s): State<AppState>,
    headers: HeaderMap,
    peer: ClientAddr,
    RawQuery(query): RawQuery,
) -> Response {
    let q = Params::merge(query.as_deref(), None, b"").unwrap_or_default();
    let Some(id) = q.first(&["fileId", "id"]) else {
        return tagged(
            envelope_error(
                StatusCode::NOT_FOUND,
                &ServiceError::new(ReturnCode::NotFound, "the download link is unknown"),
            ),
            Interface::DownloadLink,
        );
    };
    let caller = caller(&headers, peer, None);
    let answered = match s.node.redeem_download(&caller, &id).await {
        Ok((name, bytes)) => {
            let mut r = bytes.into_response();
            let h = r.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/ofd"),
            );
            if let Ok(v) = HeaderValue::from_str(&content_disposition(&name)) {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
            r.extensions_mut().insert(ReturnCode::Success);
            r
        }
        Err(e) if e.code == ReturnCode::NotFound => envelope_error(StatusCode::NOT_FOUND, &e),
        Err(e) => envelope_error(StatusCode::OK, &e),
    };
    tagged(answered, Interface::DownloadLink)
}

pub(crate) async fn verify_page(
    State(s): State<AppState>,
    headers: HeaderMap,
    peer: ClientAddr,
    Path(token): Path<String>,
) -> Response {
    let caller = caller(&headers, peer, None);
    match s.node.verification(&caller, &token).await {
        Ok(Some(v)) => Html(page::verification(&v, chrono::Utc::now())).into_response(),
        Ok(None) => (StatusCode::NOT_FOUND, Html(page::not_found())).into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, Html(page::not_found())).into_response(),
    }
}

pub(crate) async fn not_found() -> Response {
    envelope_error(
        StatusCode::NOT_FOUND,
        &ServiceError::new(ReturnCode::NotFound, "unknown path"),
    )
}

pub(crate) async fn healthz() -> &'static str {
    "ok"
}

pub(crate) async fn readyz(State(s): State<AppState>) -> Response {
    if s.node.ready().await {
        (StatusCode::OK, "ready").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
    }
}
