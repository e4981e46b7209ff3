//! The province's collection interfaces on REST (this project's extension, API.md §5):
//! `POST …/province/api/collect/{create|update|revoke}` with a JSON body, answered in the
//! envelope with the province identifier. A city's REST upstream client sends the same body.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use license_core::service::{CollectOperation, CollectRequest};
use license_core::{Interface, Library, ReturnCode, ServiceError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::admin::IssueLicenseBody;
use crate::envelope;
use crate::params::Params;
use crate::peer::ClientAddr;
use crate::routes::{AppState, body_rejected, caller, envelope_error, not_found};

/// One push of a city license (the body of every collection interface).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CollectBody {
    /// The push's unique id; a repeated delivery carries the same.
    #[schema(example = "6f1c0f5e2b7a4c1d9e8f7a6b5c4d3e2f")]
    pub operation_id: String,
    /// The push's position in the city's outbox; the province applies a license's pushes in
    /// this order and each once.
    #[schema(example = 42)]
    pub sequence: u64,
    /// The license's file number at the city.
    #[schema(example = "02-12370400F49201558F-51-370481198304040037-00-A000102935")]
    pub city_file_number: String,
    /// The license as the city holds it (create and update).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license: Option<IssueLicenseBody>,
    /// Why (revoke).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl CollectBody {
    /// The body of a request.
    pub fn of(req: &CollectRequest) -> Self {
        CollectBody {
            operation_id: req.operation_id.clone(),
            sequence: req.sequence,
            city_file_number: req.city_file_number.clone(),
            license: req.license.clone().map(IssueLicenseBody::from),
            reason: req.reason.clone(),
        }
    }

    /// The request of an operation with this body.
    pub fn request(self, operation: CollectOperation) -> CollectRequest {
        CollectRequest {
            operation,
            operation_id: self.operation_id,
            sequence: self.sequence,
            city_file_number: self.city_file_number,
            license: self.license.map(Into::into),
            reason: self.reason,
        }
    }
}

/// `POST …/province/api/collect/{operation}`.
#[utoipa::path(
    post,
    path = "/license-api-release/m/v/license/province/api/collect/{operation}",
    tag = "province",
    params(
        ("operation" = String, Path, description = "`create`, `update` or `revoke`"),
        ("access_token" = Option<String>, Query, description = "The access token (prefer `Authorization: Bearer`)"),
    ),
    request_body = CollectBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The envelope: `data.dataList[0].certIdentifier` is the province identifier; a failure's `head.status` is its return code (2 on a city node, 10 for an update or revoke of a license never collected, 11 without the sync role, 12, 13, 14, 24)"),
        (status = 400, description = "Malformed body (24)"),
        (status = 404, description = "Unknown operation"),
    )
)]
pub async fn collect(
    State(s): State<AppState>,
    Path(operation): Path<String>,
    headers: HeaderMap,
    peer: ClientAddr,
    RawQuery(query): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let Some(operation) = CollectOperation::from_name(&operation) else {
        return not_found().await;
    };
    let mut r = match body {
        Err(e) => body_rejected(e),
        Ok(body) => match serde_json::from_slice::<CollectBody>(&body) {
            Err(e) => envelope_error(
                StatusCode::BAD_REQUEST,
                &ServiceError::new(
                    ReturnCode::Unparseable,
                    format!("the JSON body is malformed: {e}"),
                ),
            ),
            Ok(b) => {
                let token = Params::merge(query.as_deref(), None, &[])
                    .ok()
                    .and_then(|q| q.get(license_core::params::ACCESS_TOKEN));
                let c = caller(&headers, peer, token);
                match s.service.collect(&c, b.request(operation)).await {
                    Ok(id) => crate::routes::ok(envelope::inserted(Library::Province, &id)),
                    Err(e) => envelope_error(StatusCode::OK, &e),
                }
            }
        },
    };
    r.extensions_mut().insert(Interface::Collect);
    r
}
