//! Every request's id and its log line, with tower-http's layers.
//!
//! The id (`x-request-id`) is the client's when acceptable
//! ([`acceptable_request_id`](license_core::service::acceptable_request_id)), else a new one;
//! handlers read it from the request's headers, the answer carries it back, and every log line
//! written while the request is served sits in its `request` span. The one line per request
//! names the route template, never the query string (it may carry `access_token`).

use std::time::Duration;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue};
use axum::response::Response;
use license_core::service::{REQUEST_ID, acceptable_request_id, new_request_id};
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::{MakeSpan, OnResponse, TraceLayer};
use tracing::Span;

use crate::metrics::outcome;

/// Wraps a router in the request-id and request-log layers.
pub fn layers<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    let header = HeaderName::from_static(REQUEST_ID);
    router
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(RequestSpan)
                .on_request(())
                .on_response(LogLine)
                .on_body_chunk(())
                .on_eos(())
                .on_failure(()),
        )
        .layer(PropagateRequestIdLayer::new(header.clone()))
        .layer(SetRequestIdLayer::new(header, NewId))
        .layer(axum::middleware::map_request(drop_unacceptable_id))
}

/// Removes a client's request id that is not kept, so that a new one is made.
async fn drop_unacceptable_id(mut req: Request) -> Request {
    if req
        .headers()
        .get(REQUEST_ID)
        .is_some_and(|v| !acceptable_request_id(v.as_bytes()))
    {
        req.headers_mut().remove(REQUEST_ID);
    }
    req
}

/// Makes a request id where the client sent none.
#[derive(Debug, Clone, Copy)]
struct NewId;

impl MakeRequestId for NewId {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        HeaderValue::from_str(&new_request_id())
            .ok()
            .map(RequestId::new)
    }
}

/// The `request` span: id, method and route template.
#[derive(Debug, Clone, Copy)]
struct RequestSpan;

impl<B> MakeSpan<B> for RequestSpan {
    fn make_span(&mut self, req: &axum::http::Request<B>) -> Span {
        let route = req
            .extensions()
            .get::<MatchedPath>()
            .map_or("unmatched", MatchedPath::as_str);
        let id = req
            .headers()
            .get(REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        tracing::info_span!("request", request_id = %id, method = %req.method(), route)
    }
}

/// The one log line per request: interface, return code, HTTP status, latency.
#[derive(Debug, Clone, Copy)]
struct LogLine;

impl<B> OnResponse<B> for LogLine {
    fn on_response(self, response: &Response<B>, latency: Duration, _: &Span) {
        let (interface, code) = outcome(response);
        tracing::info!(
            interface,
            code = %code,
            status = response.status().as_u16(),
            latency_us = latency.as_micros() as u64,
            "request"
        );
    }
}
