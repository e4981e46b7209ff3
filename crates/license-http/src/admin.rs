//! The admin API (JSON under `/license-api-release/admin/`, `admin` role): licenses, accounts,
//! OAuth clients, cert types and the audit log. Our own extension of the contract; it answers
//! in the share API's envelope (`head.status` is the return code) with HTTP statuses from
//! [`admin_status`].

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use license_core::admin::{
    CertTypeView, Correction, ImportReport, NewAccount, NewLicense, StateChange,
};
use license_core::params as p;
use license_core::ports::{
    Account, AuditEvent, AuditQuery, CertTypeSettings, LicenseFilter, Push, PushState,
};
use license_core::service::{Page, ServiceResult};
use license_core::{Interface, License, LicenseState, ReturnCode, Role, ServiceError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::peer::ClientAddr;
use crate::routes::{AppState, caller};

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

fn reply<T, V: Serialize>(r: ServiceResult<T>, view: impl FnOnce(T) -> V) -> Response {
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
fn unparseable(detail: String) -> Response {
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
    /// The access token (prefer `Authorization: Bearer`).
    pub access_token: Option<String>,
}

/// A license as administrators see it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LicenseView {
    /// GB/T 36904 identifier.
    #[schema(
        example = "1.2.156.3005.2.11100000000013338W001.113704000043519521.00000000000000001.001.K"
    )]
    pub cert_identifier: String,
    /// File number.
    pub file_number: String,
    /// The province library's identifier, once pushed.
    pub province_identifier: Option<String>,
    /// 21-character cert-type code.
    pub cert_type_code: String,
    /// Certificate name.
    pub certificate_name: String,
    /// Certificate number.
    pub certificate_number: String,
    /// Holder.
    pub certificate_holder: String,
    /// Holder code.
    pub certificate_holder_code: String,
    /// Holder-code type.
    pub certificate_holder_type: String,
    /// Issuing department.
    pub issue_dept: String,
    /// Issuing department's code.
    pub issue_dept_code: String,
    /// `yyyy-MM-dd`.
    pub issue_date: String,
    /// `yyyy-MM-dd`.
    pub certificate_validate_start: String,
    /// `yyyy-MM-dd`, or null for 长期.
    pub certificate_validate_end: Option<String>,
    /// `pending` | `valid` | `suspended` | `revoked`.
    pub state: String,
    /// Why the state last changed.
    pub state_reason: Option<String>,
    /// When the state last changed.
    pub state_changed_at: Option<DateTime<Utc>>,
    /// Face fields.
    pub face: BTreeMap<String, String>,
    /// 9-character extraction code.
    pub abstract_code: String,
    /// The QR value (the public verification page).
    pub qr_token: String,
    /// Version (001 = 1).
    pub version: u16,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<License> for LicenseView {
    fn from(l: License) -> Self {
        LicenseView {
            cert_identifier: l.identifier.to_string(),
            file_number: l.file_number,
            province_identifier: l.province_identifier,
            cert_type_code: l.cert_type_code,
            certificate_name: l.certificate_name,
            certificate_number: l.certificate_number,
            certificate_holder: l.holder,
            certificate_holder_code: l.holder_code,
            certificate_holder_type: l.holder_code_type,
            issue_dept: l.issue_dept,
            issue_dept_code: l.issue_dept_code,
            issue_date: crate::envelope::iso_date(l.issue_date),
            certificate_validate_start: crate::envelope::iso_date(l.validity.start),
            certificate_validate_end: l.validity.end.map(crate::envelope::iso_date),
            state: l.state.name().to_owned(),
            state_reason: l.state_reason,
            state_changed_at: l.state_changed_at,
            face: l.face,
            abstract_code: l.abstract_code,
            qr_token: l.qr_token,
            version: l.version,
            created_at: l.created_at,
            updated_at: l.updated_at,
        }
    }
}

/// One page of a listing.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageView<T> {
    /// Every match, not just this page.
    pub total: u64,
    /// This page.
    pub items: Vec<T>,
}

fn page_view<T, V>(p: Page<T>, f: impl Fn(T) -> V) -> PageView<V> {
    PageView {
        total: p.total,
        items: p.items.into_iter().map(f).collect(),
    }
}

/// A license to issue (the import format of one line).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IssueLicenseBody {
    /// 21-character cert-type code.
    #[schema(example = "11100000000013338W001")]
    pub cert_type_code: String,
    /// Certificate name; the type's primary name when absent.
    #[serde(default)]
    pub certificate_name: Option<String>,
    /// Certificate number.
    pub certificate_number: String,
    /// Holder.
    pub certificate_holder: String,
    /// Holder code.
    pub certificate_holder_code: String,
    /// Holder-code type code.
    pub certificate_holder_type: String,
    /// Issuing department.
    pub issue_dept: String,
    /// Issuing department's 18-character code.
    pub issue_dept_code: String,
    /// `yyyy-MM-dd`.
    pub issue_date: String,
    /// `yyyy-MM-dd`.
    pub certificate_validate_start: String,
    /// `yyyy-MM-dd`; absent or null = 长期.
    #[serde(default)]
    pub certificate_validate_end: Option<String>,
    /// `pending` | `valid` | `suspended` | `revoked` (default `valid`).
    #[serde(default)]
    pub state: Option<String>,
    /// Face fields.
    #[serde(default)]
    pub face: BTreeMap<String, String>,
    /// An existing GB/T 36904 identifier to keep.
    #[serde(default)]
    pub cert_identifier: Option<String>,
    /// An existing file number to keep.
    #[serde(default)]
    pub file_number: Option<String>,
    /// An existing extraction code to keep.
    #[serde(default)]
    pub abstract_code: Option<String>,
}

impl From<IssueLicenseBody> for NewLicense {
    fn from(b: IssueLicenseBody) -> Self {
        NewLicense {
            cert_type_code: b.cert_type_code,
            certificate_name: b.certificate_name,
            certificate_number: b.certificate_number,
            certificate_holder: b.certificate_holder,
            certificate_holder_code: b.certificate_holder_code,
            certificate_holder_type: b.certificate_holder_type,
            issue_dept: b.issue_dept,
            issue_dept_code: b.issue_dept_code,
            issue_date: b.issue_date,
            certificate_validate_start: b.certificate_validate_start,
            certificate_validate_end: b.certificate_validate_end,
            state: b.state,
            face: b.face,
            cert_identifier: b.cert_identifier,
            file_number: b.file_number,
            abstract_code: b.abstract_code,
        }
    }
}

impl From<NewLicense> for IssueLicenseBody {
    fn from(n: NewLicense) -> Self {
        IssueLicenseBody {
            cert_type_code: n.cert_type_code,
            certificate_name: n.certificate_name,
            certificate_number: n.certificate_number,
            certificate_holder: n.certificate_holder,
            certificate_holder_code: n.certificate_holder_code,
            certificate_holder_type: n.certificate_holder_type,
            issue_dept: n.issue_dept,
            issue_dept_code: n.issue_dept_code,
            issue_date: n.issue_date,
            certificate_validate_start: n.certificate_validate_start,
            certificate_validate_end: n.certificate_validate_end,
            state: n.state,
            face: n.face,
            cert_identifier: n.cert_identifier,
            file_number: n.file_number,
            abstract_code: n.abstract_code,
        }
    }
}

/// A license search.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct LicenseSearch {
    /// Holder code.
    pub holder_code: Option<String>,
    /// Cert-type code.
    pub cert_type_code: Option<String>,
    /// Issuing department's code.
    pub issue_dept_code: Option<String>,
    /// `pending` | `valid` | `suspended` | `revoked`.
    pub state: Option<String>,
    /// 1-based page (default 1).
    pub page: Option<u64>,
    /// Page size (default 20, at most 500).
    pub size: Option<u64>,
    /// The access token (prefer `Authorization: Bearer`).
    pub access_token: Option<String>,
}

fn paging(page: Option<u64>, size: Option<u64>) -> Result<(u64, u64), ServiceError> {
    let page = page.unwrap_or(1);
    let size = size.unwrap_or(DEFAULT_PAGE_SIZE);
    if page == 0 || size == 0 || size > MAX_PAGE_SIZE {
        return Err(ServiceError::new(
            ReturnCode::Unparseable,
            format!("page must be at least 1 and size between 1 and {MAX_PAGE_SIZE}"),
        ));
    }
    Ok(((page - 1).saturating_mul(size), size))
}

/// A state change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StateChangeBody {
    /// `activate` | `suspend` | `revoke` | `reinstate`.
    #[schema(example = "suspend")]
    pub change: String,
    /// Why (required).
    #[schema(example = "核查中")]
    pub reason: String,
}

/// Corrections for a re-issue; absent fields stay as they were.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CorrectionBody {
    /// New certificate number.
    #[serde(default)]
    pub certificate_number: Option<String>,
    /// New holder name.
    #[serde(default)]
    pub certificate_holder: Option<String>,
    /// New end of validity (`yyyy-MM-dd`; empty string = 长期).
    #[serde(default)]
    pub certificate_validate_end: Option<String>,
    /// New face fields (replacing the old).
    #[serde(default)]
    pub face: Option<BTreeMap<String, String>>,
    /// Why (required).
    pub reason: String,
}

/// An import's outcome.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportView {
    /// Licenses imported.
    pub imported: usize,
    /// Lines rejected, with reasons.
    pub rejected: Vec<RejectedView>,
}

/// A rejected import line.
#[derive(Debug, Serialize, ToSchema)]
pub struct RejectedView {
    /// 1-based line number.
    pub line: usize,
    /// Why.
    pub reason: String,
}

impl From<ImportReport> for ImportView {
    fn from(r: ImportReport) -> Self {
        ImportView {
            imported: r.imported,
            rejected: r
                .rejected
                .into_iter()
                .map(|r| RejectedView {
                    line: r.line,
                    reason: r.reason,
                })
                .collect(),
        }
    }
}

/// An account (never its password hash).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccountView {
    /// Login name.
    pub username: String,
    /// Roles: `search`, `info`, `view`, `download`, `verify`, `sync`, `admin`.
    pub roles: Vec<String>,
    /// Cert types the account may use; empty = all.
    pub cert_types: Vec<String>,
    /// Whether it may log in.
    pub enabled: bool,
    /// Its department.
    pub department: Option<String>,
    /// Holder searches per minute; null = the node's default.
    pub holder_search_per_minute: Option<u32>,
    /// Calls of personal data per minute, all interfaces together; null = the node's default.
    pub rate_limit_per_minute: Option<u32>,
}

impl From<Account> for AccountView {
    fn from(a: Account) -> Self {
        AccountView {
            username: a.username,
            roles: a.roles.iter().map(|r| r.name().to_owned()).collect(),
            cert_types: a.cert_types,
            enabled: a.enabled,
            department: a.department,
            holder_search_per_minute: a.holder_search_per_minute,
            rate_limit_per_minute: a.rate_limit_per_minute,
        }
    }
}

/// A new account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewAccountBody {
    /// Login name.
    #[schema(example = "zwfw-hall")]
    pub username: String,
    /// At least 8 characters; stored as an argon2 hash.
    pub password: String,
    /// Roles.
    #[schema(example = json!(["search", "info", "download", "verify"]))]
    pub roles: Vec<String>,
    /// Cert types the account may use; empty or absent = all.
    #[serde(default)]
    pub cert_types: Vec<String>,
    /// Its department.
    #[serde(default)]
    pub department: Option<String>,
    /// Holder searches per minute (default: the node's).
    #[serde(default)]
    pub holder_search_per_minute: Option<u32>,
    /// Calls of personal data per minute, all interfaces together (default: the node's).
    #[serde(default)]
    pub rate_limit_per_minute: Option<u32>,
}

/// Enables or disables an account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnabledBody {
    /// `false` disables the account and revokes its tokens.
    pub enabled: bool,
}

/// A new password.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    /// The new password (at least 8 characters). Every token of the account ends.
    pub password: String,
}

/// A new OAuth client.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewClientBody {
    /// Client id.
    #[schema(example = "zwfw-hall")]
    pub client_id: String,
    /// Secret; stored as an argon2 hash.
    pub secret: String,
}

/// A cert type and its settings on this node.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CertTypeSettingsView {
    /// 21-character code.
    pub code: String,
    /// Primary name in the dictionary.
    pub name: String,
    /// Published (unpublished types answer 13).
    pub published: bool,
    /// Fields the information verification requires.
    pub verify_fields: Vec<String>,
}

impl From<CertTypeView> for CertTypeSettingsView {
    fn from(v: CertTypeView) -> Self {
        CertTypeSettingsView {
            code: v.settings.code,
            name: v.name,
            published: v.settings.published,
            verify_fields: v.settings.verify_fields,
        }
    }
}

/// A cert type's settings.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CertTypeBody {
    /// Published on this node.
    pub published: bool,
    /// Fields the information verification requires (default `certificateNumber`).
    #[serde(default)]
    pub verify_fields: Vec<String>,
}

/// An audit-log query: every given field must match.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct AuditSearch {
    /// From (RFC 3339), inclusive.
    pub from: Option<String>,
    /// Until (RFC 3339), exclusive.
    pub until: Option<String>,
    /// The account.
    pub username: Option<String>,
    /// The interface (`ShareQueryCertInfo`, `oauth/token`, `admin`, …).
    pub interface: Option<String>,
    /// A license's identifier: who used this license.
    pub license: Option<String>,
    /// A holder code: who used this holder's licenses.
    pub holder_code: Option<String>,
    /// 1-based page (default 1).
    pub page: Option<u64>,
    /// Page size (default 20, at most 500).
    pub size: Option<u64>,
    /// The access token (prefer `Authorization: Bearer`).
    pub access_token: Option<String>,
}

/// One audited call.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditView {
    /// When the call arrived.
    pub at: DateTime<Utc>,
    /// Request id.
    pub request_id: String,
    /// Interface.
    pub interface: String,
    /// Account (or the username of a login attempt).
    pub username: Option<String>,
    /// Client address.
    pub client_addr: Option<String>,
    /// Return code.
    pub code: String,
    /// Licenses touched.
    pub licenses: Vec<String>,
    /// Holder code searched or touched.
    pub holder_code: Option<String>,
    /// The validated call context (API.md §3 parameter names).
    pub context: Option<BTreeMap<String, String>>,
    /// The operator details sent with the call (API.md §3 parameter names).
    pub operator: Option<BTreeMap<String, String>>,
    /// The reason a verification gave (`useFor`, `useCause`).
    pub purpose: Option<String>,
    /// Microseconds the call took.
    pub latency_us: u64,
}

impl From<AuditEvent> for AuditView {
    fn from(e: AuditEvent) -> Self {
        let context = e.context.map(|c| {
            let mut m = BTreeMap::new();
            m.insert(p::CERTIFICATE_SYSTEM_NAME.to_owned(), c.system_name);
            m.insert(
                p::CERTIFICATE_CALL_CATEGORY.to_owned(),
                c.call_category.code().to_owned(),
            );
            m.insert(p::CERTIFICATE_MATTER_NAME.to_owned(), c.matter_name);
            m.insert(p::CERTIFICATE_EVENT_CODE.to_owned(), c.event_code);
            m.insert(p::CERTIFICATE_COPY_CAUSE.to_owned(), c.copy_cause);
            for (k, v) in [
                (p::CALL_DISTRICT, c.call_district),
                (p::CALL_DEPARTMENT, c.call_department),
                (p::DISTRICT_LEVEL, c.district_level),
            ] {
                if let Some(v) = v {
                    m.insert(k.to_owned(), v);
                }
            }
            m
        });
        AuditView {
            at: e.at,
            request_id: e.request_id,
            interface: e.interface.label().to_owned(),
            username: e.username,
            client_addr: e.client_addr,
            code: e.code.code().to_string(),
            licenses: e.licenses,
            holder_code: e.holder_code,
            context,
            operator: e.operator.map(|o| {
                o.fields()
                    .into_iter()
                    .filter_map(|(k, v)| v.clone().map(|v| (k.to_owned(), v)))
                    .collect()
            }),
            purpose: e.purpose,
            latency_us: e.latency_us,
        }
    }
}

fn time(name: &str, v: Option<&str>) -> Result<Option<DateTime<Utc>>, ServiceError> {
    v.map(|s| {
        DateTime::parse_from_rfc3339(s.trim())
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| {
                ServiceError::new(
                    ReturnCode::Unparseable,
                    format!("{name} must be an RFC 3339 time"),
                )
            })
    })
    .transpose()
}

fn blank_to_none(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// `POST /admin/licenses`: issue a license.
#[utoipa::path(
    post,
    path = "/license-api-release/admin/licenses",
    tag = "admin",
    params(TokenQuery),
    request_body = IssueLicenseBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Done", body = Answer<LicenseView>),
        Failures,
    )
)]
pub async fn issue(
    State(s): State<AppState>,
    headers: HeaderMap,
    peer: ClientAddr,
    AdminQuery(t): AdminQuery<TokenQuery>,
    Body(body): Body<IssueLicenseBody>,
) -> Response {
    let c = caller(&headers, peer, t.access_token);
    reply(
        s.admin.issue_license(&c, body.into()).await,
        LicenseView::from,
    )
}

/// `GET /admin/licenses`: search licenses.
#[utoipa::path(
    get,
    path = "/license-api-release/admin/licenses",
    tag = "admin",
    params(LicenseSearch),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Done", body = Answer<PageView<LicenseView>>),
        Failures,
    )
)]
pub async fn search(
    State(s): State<AppState>,
    headers: HeaderMap,
    peer: ClientAddr,
    AdminQuery(q): AdminQuery<LicenseSearch>,
) -> Response {
    let c = caller(&headers, peer, q.access_token.clone());
    let filter = (|| {
        let (offset, limit) = paging(q.page, q.size)?;
        let state = match blank_to_none(q.state) {
            None => None,
            Some(name) => Some(LicenseState::from_name(&name).ok_or_else(|| {
                ServiceError::new(
                    ReturnCode::Unparseable,
                    "state must be pending, valid, suspended or revoked",
                )
            })?),
        };
        Ok(LicenseFilter {
            holder_code: blank_to_none(q.holder_code)
                .map(|c| license_core::normalize_holder_code(&c)),
            cert_type_code: blank_to_none(q.cert_type_code),
            issue_dept_code: blank_to_none(q.issue_dept_code),
            state,
            offset,
            limit,
        })
    })();
    let r = match filter {
        Ok(f) => s.admin.search_licenses(&c, f).await,
        Err(e) => Err(e),
    };
    reply(r, |p| page_view(p, LicenseView::from))
}

/// `GET /admin/licenses/{key}`: one license by identifier, file number or province identifier.
#[utoipa::path(
    get,
    path = "/license-api-release/admin/licenses/{key}",
    tag = "admin",
    params(("key" = String, Path, description = "Identifier, file number or province identifier"), TokenQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Done", body = Answer<LicenseView>),
        Failures,
    )
)]
pub async fn license(
    State(s): State<AppState>,
    headers: HeaderMap,
    peer: ClientAddr,
    Path(key): Path<String>,
    AdminQuery(t): AdminQuery<TokenQuery>,
) -> Response {
    let c = caller(&headers, peer, t.access_token);
    reply(s.admin.license(&c, key).await, LicenseView::from)
}

/// `POST /admin/licenses/{key}/state`: change a license's state.
#[utoipa::path(
    post,
    path = "/license-api-release/admin/licenses/{key}/state",
    tag = "admin",
    params(("key" = String, Path, description = "Identifier, file number or province identifier"), TokenQuery),
    request_body = StateChangeBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Done", body = Answer<LicenseView>),
        Failures,
    )
)]
pub async fn change_state(
    State(s): State<AppState>,
    headers: HeaderMap,
    peer: ClientAddr,
    Path(key): Path<String>,
    AdminQuery(t): AdminQuery<TokenQuery>,
    Body(body): Body<StateChangeBody>,
) -> Response {
    let c = caller(&headers, peer, t.access_token);
    let r = match StateChange::from_name(&body.change) {
        Some(change) => s.admin.change_state(&c, key, change, body.reason).await,
        None => Err(ServiceError::new(
            ReturnCode::Unparseable,
            "change must be activate, suspend, revoke or reinstate",
        )),
    };
    reply(r, LicenseView::from)
}

/// `POST /admin/licenses/{key}/reissue`: correct and re-issue at version + 1.
#[utoipa::path(
    post,
    path = "/license-api-release/admin/licenses/{key}/reissue",
    tag = "admin",
    params(("key" = String, Path, description = "Identifier, file number or province identifier"), TokenQuery),
    request_body = CorrectionBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Done", body = Answer<LicenseView>),
        Failures,
    )
)]
pub async fn reissue(
    State(s): State<AppState>,
    headers: HeaderMap,
    peer: ClientAddr,
    Path(key): Path<String>,
    AdminQuery(t): AdminQuery<TokenQuery>,
    Body(b): Body<CorrectionBody>,
) -> Response {
    let c = caller(&headers, peer, t.access_token);
    let correction = Correction {
        certificate_number: b.certificate_number,
        certificate_holder: b.certificate_holder,
        certificate_validate_end: b.certificate_validate_end,
        face: b.face,
        reason: b.reason,
    };
    reply(
        s.admin.reissue(&c, key, correction).await,
        LicenseView::from,
    )
}

/// `POST /admin/licenses/import`: JSON Lines in the import format.
#[utoipa::path(
    post,
    path = "/license-api-release/admin/licenses/import",
    tag = "admin",
    params(TokenQuery),
    request_body(content = String, content_type = "text/plain", description = "JSON Lines: one license per line in the import format (any text content type)"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Done", body = Answer<ImportView>),
        Failures,
    )
)]
pub async fn import(
    State(s): State<AppState>,
    headers: HeaderMap,
    peer: ClientAddr,
    AdminQuery(t): AdminQuery<TokenQuery>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let body = match body {
        Ok(b) => b,
        Err(e) => return crate::routes::body_rejected(e),
    };
    let c = caller(&headers, peer, t.access_token);
    let r = match String::from_utf8(body.to_vec()) {
        Ok(text) => s.admin.import_licenses(&c, text).await,
        Err(_) => Err(ServiceError::new(
            ReturnCode::Unparseable,
            "the import must be UTF-8 JSON Lines",
        )),
    };
    reply(r, ImportView::from)
}

/// `GET /admin/accounts`.
#[utoipa::path(
    get,
    path = "/license-api-release/admin/accounts",
    tag = "admin",
    params(TokenQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Done", body = Answer<Vec<AccountView>>),
        Failures,
    )
)]
pub async fn accounts(
    State(s): State<AppState>,
    headers: HeaderMap,
    peer: ClientAddr,
    AdminQuery(t): AdminQuery<TokenQuery>,
) -> Response {
    let c = caller(&headers, peer, t.access_token);
    reply(s.admin.accounts(&c).await, |v| {
        v.into_iter().map(AccountView::from).collect::<Vec<_>>()
    })
}

/// `POST /admin/accounts`.
#[utoipa::path(
    post,
    path = "/license-api-release/admin/accounts",
    tag = "admin",
    params(TokenQuery),
    request_body = NewAccountBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Done", body = Answer<AccountView>),
        Failures,
    )
)]
pub async fn create_account(
    State(s): State<AppState>,
    headers: HeaderMap,
    peer: ClientAddr,
    AdminQuery(t): AdminQuery<TokenQuery>,
    Body(b): Body<NewAccountBody>,
) -> Response {
    let c = caller(&headers, peer, t.access_token);
    let mut roles = Vec::new();
    for r in &b.roles {
        match Role::from_name(r) {
            Some(role) => roles.push(role),
            None => {
                return unparseable(format!("unknown role {r}"));
            }
        }
    }
    let new = NewAccount {
        username: b.username,
        password: b.password,
        roles,
        cert_types: b.cert_types,
        department: b.department,
        holder_search_per_minute: b.holder_search_per_minute,
        rate_limit_per_minute: b.rate_limit_per_minute,
    };
    reply(s.admin.create_account(&c, new).await, AccountView::from)
}

/// `POST /admin/accounts/{username}/password`: sets the password and ends every token of
/// the account.
#[utoipa::path(
    post,
    path = "/license-api-release/admin/accounts/{username}/password",
    tag = "admin",
    params(("username" = String, Path), TokenQuery),
    request_body = PasswordBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Done", body = Answer<Option<String>>),
        Failures,
    )
)]
pub async fn set_password(
    State(s): State<AppState>,
    headers: HeaderMap,
    peer: ClientAddr,
    Path(username): Path<String>,
    AdminQuery(t): AdminQuery<TokenQuery>,
    Body(b): Body<PasswordBody>,
) -> Response {
    let c = caller(&headers, peer, t.access_token);
    reply(s.admin.set_password(&c, username, b.password).await, |()| {
        serde_json::Value::Null
    })
}

/// `POST /admin/accounts/{username}/enabled`.
#[utoipa::path(
    post,
    path = "/license-api-release/admin/accounts/{username}/enabled",
    tag = "admin",
    params(("username" = String, Path), TokenQuery),
    request_body = EnabledBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Done", body = Answer<Option<String>>),
        Failures,
    )
)]
pub async fn set_enabled(
    State(s): State<AppState>,
    headers: HeaderMap,
    peer: ClientAddr,
    Path(username): Path<String>,
    AdminQuery(t): AdminQuery<TokenQuery>,
    Body(b): Body<EnabledBody>,
) -> Response {
    let c = caller(&headers, peer, t.access_token);
    reply(
        s.admin.set_account_enabled(&c, username, b.enabled).await,
        |()| serde_json::Value::Null,
    )
}

/// `GET /admin/clients`.
#[utoipa::path(
    get,
    path = "/license-api-release/admin/clients",
    tag = "admin",
    params(TokenQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Done", body = Answer<Vec<String>>),
        Failures,
    )
)]
pub async fn clients(
    State(s): State<AppState>,
    headers: HeaderMap,
    peer: ClientAddr,
    AdminQuery(t): AdminQuery<TokenQuery>,
) -> Response {
    let c = caller(&headers, peer, t.access_token);
    reply(s.admin.clients(&c).await, |v| v)
}

/// `POST /admin/clients`.
#[utoipa::path(
    post,
    path = "/license-api-release/admin/clients",
    tag = "admin",
    params(TokenQuery),
    request_body = NewClientBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Done", body = Answer<Option<String>>),
        Failures,
    )
)]
pub async fn add_client(
    State(s): State<AppState>,
    headers: HeaderMap,
    peer: ClientAddr,
    AdminQuery(t): AdminQuery<TokenQuery>,
    Body(b): Body<NewClientBody>,
) -> Response {
    let c = caller(&headers, peer, t.access_token);
    reply(s.admin.add_client(&c, b.client_id, b.secret).await, |()| {
        serde_json::Value::Null
    })
}

/// `GET /admin/cert-types`.
#[utoipa::path(
    get,
    path = "/license-api-release/admin/cert-types",
    tag = "admin",
    params(TokenQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Done", body = Answer<Vec<CertTypeSettingsView>>),
        Failures,
    )
)]
pub async fn cert_types(
    State(s): State<AppState>,
    headers: HeaderMap,
    peer: ClientAddr,
    AdminQuery(t): AdminQuery<TokenQuery>,
) -> Response {
    let c = caller(&headers, peer, t.access_token);
    reply(s.admin.cert_types(&c).await, |v| {
        v.into_iter()
            .map(CertTypeSettingsView::from)
            .collect::<Vec<_>>()
    })
}

/// `PUT /admin/cert-types/{code}`.
#[utoipa::path(
    put,
    path = "/license-api-release/admin/cert-types/{code}",
    tag = "admin",
    params(("code" = String, Path, description = "21-character cert-type code"), TokenQuery),
    request_body = CertTypeBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Done", body = Answer<Option<String>>),
        Failures,
    )
)]
pub async fn set_cert_type(
    State(s): State<AppState>,
    headers: HeaderMap,
    peer: ClientAddr,
    Path(code): Path<String>,
    AdminQuery(t): AdminQuery<TokenQuery>,
    Body(b): Body<CertTypeBody>,
) -> Response {
    let c = caller(&headers, peer, t.access_token);
    let settings = CertTypeSettings {
        code,
        published: b.published,
        verify_fields: b.verify_fields,
    };
    reply(s.admin.set_cert_type(&c, settings).await, |()| {
        serde_json::Value::Null
    })
}

/// `GET /admin/audit`: the audit log, newest first.
#[utoipa::path(
    get,
    path = "/license-api-release/admin/audit",
    tag = "admin",
    params(AuditSearch),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Done", body = Answer<PageView<AuditView>>),
        Failures,
    )
)]
pub async fn audit(
    State(s): State<AppState>,
    headers: HeaderMap,
    peer: ClientAddr,
    AdminQuery(q): AdminQuery<AuditSearch>,
) -> Response {
    let c = caller(&headers, peer, q.access_token.clone());
    let query = (|| {
        let (offset, limit) = paging(q.page, q.size)?;
        let interface = match blank_to_none(q.interface) {
            None => None,
            Some(label) => Some(Interface::from_label(&label).ok_or_else(|| {
                ServiceError::new(
                    ReturnCode::Unparseable,
                    format!("unknown interface {label}"),
                )
            })?),
        };
        Ok(AuditQuery {
            from: time("from", q.from.as_deref())?,
            until: time("until", q.until.as_deref())?,
            username: blank_to_none(q.username),
            interface,
            license: blank_to_none(q.license),
            holder_code: blank_to_none(q.holder_code)
                .map(|c| license_core::normalize_holder_code(&c)),
            offset,
            limit,
        })
    })();
    let r = match query {
        Ok(q) => s.admin.audit_log(&c, q).await,
        Err(e) => Err(e),
    };
    reply(r, |p| page_view(p, AuditView::from))
}

/// An outbox query.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct OutboxSearch {
    /// `pending`, `delivered` or `failed`; all when absent.
    pub state: Option<String>,
    /// 1-based page (default 1).
    pub page: Option<u64>,
    /// Page size (default 20, at most 500).
    pub size: Option<u64>,
    /// The access token (prefer `Authorization: Bearer`).
    pub access_token: Option<String>,
}

/// One push of a city license to the province.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PushView {
    /// Position in the outbox.
    pub sequence: u64,
    /// Unique operation id.
    pub operation_id: String,
    /// `create`, `update` or `revoke`.
    pub operation: String,
    /// The city license's identifier.
    pub license: String,
    /// Its file number.
    pub file_number: String,
    /// `pending`, `delivered` or `failed`.
    pub state: String,
    /// Delivery attempts so far.
    pub attempts: u32,
    /// When the next attempt is due (pending).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The last failure (`code: detail`).
    pub last_error: Option<String>,
    /// The province identifier answered.
    pub province_identifier: Option<String>,
    /// When the push was recorded.
    pub created_at: DateTime<Utc>,
    /// When it was delivered.
    pub delivered_at: Option<DateTime<Utc>>,
}

impl From<Push> for PushView {
    fn from(p: Push) -> Self {
        PushView {
            sequence: p.sequence,
            operation_id: p.push.operation_id,
            operation: p.push.operation.name().to_owned(),
            license: p.push.license,
            file_number: p.push.file_number,
            state: p.state.name().to_owned(),
            attempts: p.attempts,
            next_attempt_at: (p.state == PushState::Pending).then_some(p.next_attempt_at),
            last_error: p.last_error,
            province_identifier: p.province_identifier,
            created_at: p.push.at,
            delivered_at: p.delivered_at,
        }
    }
}

/// `GET /admin/outbox`: a city's pushes to its province, newest first.
#[utoipa::path(
    get,
    path = "/license-api-release/admin/outbox",
    tag = "admin",
    params(OutboxSearch),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Done", body = Answer<PageView<PushView>>),
        Failures,
    )
)]
pub async fn outbox(
    State(s): State<AppState>,
    headers: HeaderMap,
    peer: ClientAddr,
    AdminQuery(q): AdminQuery<OutboxSearch>,
) -> Response {
    let c = caller(&headers, peer, q.access_token.clone());
    let r = match (|| {
        let (offset, limit) = paging(q.page, q.size)?;
        let state = match blank_to_none(q.state) {
            None => None,
            Some(name) => Some(PushState::from_name(&name).ok_or_else(|| {
                ServiceError::new(
                    ReturnCode::Unparseable,
                    "state must be pending, delivered or failed",
                )
            })?),
        };
        Ok((state, offset, limit))
    })() {
        Ok((state, offset, limit)) => s.admin.outbox(&c, state, offset, limit).await,
        Err(e) => Err(e),
    };
    reply(r, |p| page_view(p, PushView::from))
}

/// `POST /admin/outbox/{sequence}/retry`: makes a failed push pending again.
#[utoipa::path(
    post,
    path = "/license-api-release/admin/outbox/{sequence}/retry",
    tag = "admin",
    params(("sequence" = u64, Path, description = "The push's sequence"), TokenQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Done"),
        Failures,
    )
)]
pub async fn retry_push(
    State(s): State<AppState>,
    headers: HeaderMap,
    peer: ClientAddr,
    Path(sequence): Path<String>,
    AdminQuery(t): AdminQuery<TokenQuery>,
) -> Response {
    let c = caller(&headers, peer, t.access_token);
    let r = match sequence.trim().parse::<u64>() {
        Ok(n) => s.admin.retry_push(&c, n).await,
        Err(_) => Err(ServiceError::new(
            ReturnCode::Unparseable,
            "sequence must be a positive integer",
        )),
    };
    reply(r, |()| serde_json::Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_return_code_has_an_admin_status() {
        let table: BTreeMap<String, u16> = ReturnCode::ALL
            .iter()
            .map(|c| (c.code().to_string(), admin_status(*c).as_u16()))
            .collect();
        insta::assert_json_snapshot!(table);
    }

    #[test]
    fn paging_is_bounded() {
        assert_eq!(paging(None, None).unwrap(), (0, DEFAULT_PAGE_SIZE));
        assert_eq!(paging(Some(3), Some(10)).unwrap(), (20, 10));
        assert!(paging(Some(0), None).is_err());
        assert!(paging(None, Some(MAX_PAGE_SIZE + 1)).is_err());
    }
}
