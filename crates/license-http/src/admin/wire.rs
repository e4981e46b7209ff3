//! The admin API's plumbing: its answers (envelope, HTTP status per return code, the
//! documented failures) and its extractors (JSON body, query string, caller).

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use license_core::service::{Caller, ServiceResult};
use license_core::{Interface, ReturnCode, ServiceError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::peer::ClientAddr;
use crate::routes::caller;

/// The admin API's path prefix, under the base path.
pub const ADMIN_PREFIX: &str = "/admin";
/// Default page size of admin listings.
pub const DEFAULT_PAGE_SIZE: u64 = 20;
/// Largest page size of admin listings.
pub const MAX_PAGE_SIZE: u64 = 500;

/// The HTTP status of an admin answer (the share API always answers 200, API.md §1).
pub const fn admin_status(code: ReturnCode) -> StatusCode {
    match code {
        ReturnCode::Success => StatusCode::OK,
        ReturnCode::UpstreamUnreachable => StatusCode::SERVICE_UNAVAILABLE,
        ReturnCode::NotProvided => StatusCode::NOT_IMPLEMENTED,
        ReturnCode::NotFound => StatusCode::NOT_FOUND,
        ReturnCode::Unauthorized => StatusCode::FORBIDDEN,
        ReturnCode::MissingParameter
        | ReturnCode::UnknownCertType
        | ReturnCode::BadHolderCode
        | ReturnCode::Unparseable
        | ReturnCode::BadReason => StatusCode::BAD_REQUEST,
        ReturnCode::Revoked | ReturnCode::Expired | ReturnCode::Restricted => StatusCode::CONFLICT,
        ReturnCode::Other => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

pub(crate) fn reply<T, V: Serialize>(r: ServiceResult<T>, view: impl FnOnce(T) -> V) -> Response {
    let (status, code, body) = match r {
        Ok(v) => (
            StatusCode::OK,
            ReturnCode::Success,
            serde_json::to_value(Answer {
                head: AdminHead {
                    status: ReturnCode::Success.code().to_string(),
                    message: ReturnCode::Success.message().to_owned(),
                },
                data: view(v),
            })
            .unwrap_or(serde_json::Value::Null),
        ),
        Err(e) => (
            admin_status(e.code),
            e.code,
            serde_json::to_value(crate::envelope::failure(&e)).unwrap_or(serde_json::Value::Null),
        ),
    };
    let mut r = (status, Json(body)).into_response();
    r.extensions_mut().insert(code);
    r.extensions_mut().insert(Interface::Admin);
    r
}

/// A request refused before it reached the service: code 24 with a detail.
pub(crate) fn unparseable(detail: String) -> Response {
    reply::<(), ()>(
        Err(ServiceError::new(ReturnCode::Unparseable, detail)),
        |()| (),
    )
}

/// `head` of an admin answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminHead {
    /// Return code (API.md §4), a string.
    #[schema(example = "0")]
    pub status: String,
    /// Its message, with a detail after `：`.
    pub message: String,
}

/// A failed admin call: `data` is the reason.
#[derive(Debug, Serialize, ToSchema)]
pub struct Failure {
    /// Status and message.
    pub head: AdminHead,
    /// The reason.
    pub data: String,
}

/// A successful admin call.
#[derive(Debug, Serialize, ToSchema)]
pub struct Answer<T> {
    /// Status `0`.
    pub head: AdminHead,
    /// The result.
    pub data: T,
}

/// The failure answers every admin call may give, for the OpenAPI document (statuses from
/// [`admin_status`]).
pub struct Failures;

impl utoipa::IntoResponses for Failures {
    fn responses() -> BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::response::Response>>
    {
        use utoipa::openapi::response::ResponseBuilder;
        use utoipa::openapi::{ContentBuilder, Ref};
        [
            (400, "Bad input (12, 13, 14, 24, 199)"),
            (403, "No admin role or no valid token (11)"),
            (404, "Not found (10)"),
            (409, "State conflict (21, 22, 23)"),
            (500, "Internal fault (99, with a request id)"),
            (501, "Not provided here (2)"),
            (503, "Upstream unreachable (1)"),
        ]
        .into_iter()
        .map(|(status, description)| {
            let content = ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Failure")))
                .build();
            let response = ResponseBuilder::new()
                .description(description)
                .content("application/json", content)
                .build();
            (status.to_string(), response.into())
        })
        .collect()
    }
}

/// A JSON body, with malformed bodies answered in the envelope (code 24).
pub struct Body<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            let mut r = crate::routes::body_rejected(e);
            r.extensions_mut().insert(Interface::Admin);
            r
        })?;
        serde_json::from_slice(&bytes)
            .map(Body)
            .map_err(|e| unparseable(format!("the JSON body is malformed: {e}")))
    }
}

/// A query string, with malformed ones answered in the envelope (code 24).
pub struct AdminQuery<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequestParts<S> for AdminQuery<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(q)| AdminQuery(q))
            .map_err(|e| unparseable(format!("the query string is malformed: {}", e.body_text())))
    }
}

/// `access_token` in the query string, for clients that cannot send headers.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TokenQuery {
    /// The access token (prefer `Authorization: Bearer`). `accessToken`, which the license,
    /// audit and outbox listings once documented, is read as well.
    #[serde(alias = "accessToken")]
    pub access_token: Option<String>,
}

/// The caller of an admin request ([`caller`]): the token from the `access_token` query
/// parameter or else `Authorization: Bearer`, the client address, the request id. A malformed
/// query string is answered in the envelope (code 24).
pub struct AdminCaller(pub Caller);

impl<S: Send + Sync> FromRequestParts<S> for AdminCaller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let AdminQuery(t) = AdminQuery::<TokenQuery>::from_request_parts(parts, state).await?;
        let peer = parts
            .extensions
            .get::<ClientAddr>()
            .copied()
            .unwrap_or_default();
        Ok(AdminCaller(caller(&parts.headers, peer, t.access_token)))
    }
}
