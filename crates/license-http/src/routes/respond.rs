//! What every route shares: the envelope as a response, failures before the service (bodies,
//! methods), the caller of a request, the merged parameters.

use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use license_core::service::*;
use license_core::{Interface, ReturnCode, ServiceError};
use serde::Serialize;

use crate::envelope;
use crate::params::{BodyError, Params, bearer};
use crate::peer::ClientAddr;

/// An envelope as the response body, serialized in one pass into one buffer.
pub(crate) fn json_response(status: StatusCode, v: &impl Serialize) -> Response {
    let mut body = Vec::with_capacity(1024);
    let mut r = match serde_json::to_writer(&mut body, v) {
        Ok(()) => (status, body).into_response(),
        Err(e) => {
            // Only a map with non-string keys fails, and no envelope has one.
            tracing::error!(error = %e, "an answer could not be serialized");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    };
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=UTF-8"),
    );
    r
}

pub(crate) fn envelope_error(status: StatusCode, e: &ServiceError) -> Response {
    let mut r = json_response(status, &envelope::failure(e));
    r.extensions_mut().insert(e.code);
    if let Some(secs) = e.retry_after_secs {
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    r
}

/// A body that could not be read (too large, broken stream): the envelope with the
/// rejection's HTTP status (413 for the body limit, API.md §1).
pub(crate) fn body_rejected(e: BytesRejection) -> Response {
    if timed_out(&e) {
        return envelope_error(
            StatusCode::REQUEST_TIMEOUT,
            &ServiceError::new(
                ReturnCode::Unparseable,
                "the request body did not arrive in time",
            ),
        );
    }
    let detail = if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        "the request body is larger than this node accepts".to_owned()
    } else {
        format!("the request body could not be read: {}", e.body_text())
    };
    envelope_error(
        e.status(),
        &ServiceError::new(ReturnCode::Unparseable, detail),
    )
}

/// Whether a body failed because it did not arrive within the server's body timeout
/// ([`tower_http::timeout::TimeoutError`] somewhere in the error's chain).
pub(crate) fn timed_out(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(e);
    while let Some(e) = next {
        if e.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        next = e.source();
    }
    false
}

/// A known path called with a method it does not answer: 405 with the envelope.
pub(crate) async fn method_not_allowed() -> Response {
    envelope_error(
        StatusCode::METHOD_NOT_ALLOWED,
        &ServiceError::new(
            ReturnCode::Unparseable,
            "this path does not answer that method",
        ),
    )
}

pub(crate) fn ok(v: impl Serialize) -> Response {
    let mut r = json_response(StatusCode::OK, &v);
    r.extensions_mut().insert(ReturnCode::Success);
    r
}

/// Tags a response with the interface that answered it (for metrics and the request log).
pub(crate) fn tagged(mut r: Response, interface: Interface) -> Response {
    r.extensions_mut().insert(interface);
    r
}

/// The caller of a request: the token from the `access_token` parameter or else
/// `Authorization: Bearer`, the client address ([`crate::peer`]), the request id.
pub(crate) fn caller(headers: &HeaderMap, peer: ClientAddr, token_param: Option<String>) -> Caller {
    Caller {
        token: request_token(headers, token_param),
        client_addr: peer.recorded(),
        request_id: request_id(headers),
    }
}

/// A request's token: the `access_token` parameter when given, else `Authorization: Bearer`.
pub(crate) fn request_token(headers: &HeaderMap, token_param: Option<String>) -> Option<String> {
    token_param.or_else(|| {
        bearer(
            headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok()),
        )
    })
}

/// The request id the [`observe`](crate::metrics::observe) middleware put on the request.
pub(crate) fn request_id(headers: &HeaderMap) -> String {
    headers
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map_or_else(new_request_id, str::to_owned)
}

pub(crate) fn body_params(
    headers: &HeaderMap,
    query: Option<&str>,
    body: &[u8],
) -> Result<Params, Box<Response>> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    Params::merge(query, ct, body).map_err(|e| {
        Box::new(match e {
            BodyError::UnsupportedType(t) => envelope_error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                &ServiceError::new(
                    ReturnCode::Unparseable,
                    format!("unsupported body type {t}"),
                ),
            ),
            BodyError::Malformed(m) => envelope_error(
                StatusCode::BAD_REQUEST,
                &ServiceError::new(ReturnCode::Unparseable, m),
            ),
        })
    })
}

/// The envelope of a service result: `render` writes a success, [`envelope::failure`] the rest.
pub(crate) fn answer<T>(r: ServiceResult<T>, render: impl FnOnce(&T) -> Response) -> Response {
    match r {
        Ok(a) => render(&a),
        Err(e) => envelope_error(StatusCode::OK, &e),
    }
}
