//! The service trait every transport serves and every client implements, with its
//! transport-neutral request and response types (API.md §2, §6).
//!
//! Requests carry parameters **raw** (optional strings as they arrived), because validation
//! order is part of the contract (API.md §4: token, role, presence, form, routing, look-up,
//! state) and only the service can apply it. Responses are typed; transports render them in
//! the province or city shape their variant names.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::NaiveDate;

use crate::context::{OperatorDetails, RawCallContext};
use crate::license::{Library, LicenseStatus};
use crate::status::{FileVerifyResult, InfoVerifyResult, ServiceError};

/// Who is calling and how: the bearer token and what the transport knows of the connection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Caller {
    /// The access token (`access_token` or `Authorization: Bearer`), if any.
    pub token: Option<String>,
    /// The client's address as the transport saw it.
    pub client_addr: Option<String>,
    /// The request id the transport assigned (echoed in logs and in `99` details).
    pub request_id: String,
}

/// The header (HTTP) and metadata key (gRPC) that carries a request id both ways.
pub const REQUEST_ID: &str = "x-request-id";

/// Whether a request id a client sent is kept: 1–64 printable ASCII characters. Anything else
/// is replaced, so that ids in logs, audit records and answers always agree.
pub fn acceptable_request_id(id: &[u8]) -> bool {
    !id.is_empty() && id.len() <= 64 && id.iter().all(u8::is_ascii_graphic)
}

/// A new request id (a random UUID, 32 hex digits).
pub fn new_request_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// The token of an `Authorization: Bearer <token>` value (scheme case-insensitive, RFC 6750).
pub fn bearer_token(authorization: Option<&str>) -> Option<String> {
    let (scheme, token) = authorization?.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
        .filter(|t| !t.is_empty())
}

/// A password-grant token request (RFC 6749 §4.3; API.md §2).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PasswordGrant {
    /// OAuth client id.
    pub client_id: Option<String>,
    /// OAuth client secret.
    pub client_secret: Option<String>,
    /// Requested scope (`read write`).
    pub scope: Option<String>,
    /// Account name.
    pub username: Option<String>,
    /// Account password.
    pub password: Option<String>,
}

/// A refresh-grant token request (RFC 6749 §6).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefreshGrant {
    /// OAuth client id.
    pub client_id: Option<String>,
    /// OAuth client secret.
    pub client_secret: Option<String>,
    /// Requested scope; defaults to the original.
    pub scope: Option<String>,
    /// The refresh token.
    pub refresh_token: Option<String>,
}

/// A token revocation request (RFC 7009 §2.1): the client authenticates as at the token
/// endpoint and names an access or refresh token it obtained.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Revocation {
    /// OAuth client id.
    pub client_id: Option<String>,
    /// OAuth client secret.
    pub client_secret: Option<String>,
    /// The access or refresh token to revoke.
    pub token: Option<String>,
    /// `access_token` or `refresh_token`: a hint only (both kinds are looked up).
    pub token_type_hint: Option<String>,
}

/// An issued token pair (API.md §2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenGrant {
    /// Opaque UUID access token.
    pub access_token: String,
    /// Opaque UUID refresh token.
    pub refresh_token: String,
    /// Seconds the access token has left.
    pub expires_in: u64,
    /// Granted scope.
    pub scope: String,
}

/// `token_type` of every grant.
pub const TOKEN_TYPE: &str = "bearer";
/// The scope the contract requires (API.md §2).
pub const DEFAULT_SCOPE: &str = "read write";

/// RFC 6749 §5.2 error codes of the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OAuthErrorKind {
    /// `invalid_request`.
    InvalidRequest,
    /// `invalid_client` (HTTP 401).
    InvalidClient,
    /// `invalid_grant` (bad user or password, bad refresh token).
    InvalidGrant,
    /// `unsupported_grant_type`.
    UnsupportedGrantType,
    /// `invalid_scope`.
    InvalidScope,
    /// `temporarily_unavailable` (an internal fault).
    TemporarilyUnavailable,
    /// `slow_down` (RFC 8628 §3.5): too many token requests from the caller's address (HTTP
    /// 429 with `Retry-After`).
    SlowDown,
}

impl OAuthErrorKind {
    /// Every kind.
    pub const ALL: [OAuthErrorKind; 7] = [
        OAuthErrorKind::InvalidRequest,
        OAuthErrorKind::InvalidClient,
        OAuthErrorKind::InvalidGrant,
        OAuthErrorKind::UnsupportedGrantType,
        OAuthErrorKind::InvalidScope,
        OAuthErrorKind::TemporarilyUnavailable,
        OAuthErrorKind::SlowDown,
    ];

    /// The kind of an RFC 6749 `error` value.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The RFC 6749 `error` value.
    pub const fn code(self) -> &'static str {
        match self {
            OAuthErrorKind::InvalidRequest => "invalid_request",
            OAuthErrorKind::InvalidClient => "invalid_client",
            OAuthErrorKind::InvalidGrant => "invalid_grant",
            OAuthErrorKind::UnsupportedGrantType => "unsupported_grant_type",
            OAuthErrorKind::InvalidScope => "invalid_scope",
            OAuthErrorKind::TemporarilyUnavailable => "temporarily_unavailable",
            OAuthErrorKind::SlowDown => "slow_down",
        }
    }
}

/// A token-endpoint failure in RFC 6749 terms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {description}", kind.code())]
pub struct TokenError {
    /// The RFC 6749 error code.
    pub kind: OAuthErrorKind,
    /// `error_description`, for the caller.
    pub description: String,
}

/// An answer and the library it came from (`head.type`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer<T> {
    /// Which library answered.
    pub library: Library,
    /// The data.
    pub data: T,
}

/// Data whose shape depends on the library that answered (API.md §5: province shape uses the
/// stored face fields, city shape a fixed field set).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shaped<P, C> {
    /// Province shape.
    Province(P),
    /// City shape.
    City(C),
}

/// A license in the province shape: its face fields as stored plus `cert_identifier`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProvinceFace {
    /// `cert_identifier`.
    pub cert_identifier: String,
    /// The type-specific face fields (`certno`, `name`, …).
    pub fields: BTreeMap<String, String>,
}

/// A license in the city shape of ShareQueryCertInfo / ShareQueryCertInfoByHo (API.md §6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CityRecord {
    /// `certificateHolder`.
    pub holder: String,
    /// `certificateValidateStart`.
    pub validate_start: NaiveDate,
    /// `certificateValidateEnd`; `None` renders as 长期.
    pub validate_end: Option<NaiveDate>,
    /// `issueDept`.
    pub issue_dept: String,
    /// `certificateID`: the file number.
    pub certificate_id: String,
    /// `certificateName`.
    pub certificate_name: String,
    /// `certificateHolderType`: the holder-code type.
    pub holder_type: String,
    /// `certificateNumber`.
    pub certificate_number: String,
    /// `issueDeptCode`.
    pub issue_dept_code: String,
    /// `certificateHolderCode`.
    pub holder_code: String,
    /// `issueDate`.
    pub issue_date: NaiveDate,
    /// `digitalSign` (empty, as the source shows).
    pub digital_sign: String,
    /// `certificateType`: the type's primary name.
    pub certificate_type: String,
    /// `certificateState`.
    pub state: LicenseStatus,
}

/// Licenses found, with the full count (`total`) whatever the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// Every match, not just this page.
    pub total: u64,
    /// This page.
    pub items: Vec<T>,
}

/// ShareQueryCertInfo / ShareQueryCertInfoByHo data.
pub type LicenseRecords = Shaped<Page<ProvinceFace>, Page<CityRecord>>;

/// A province-shape download link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvinceLink {
    /// `certIdentifier`.
    pub cert_identifier: String,
    /// `contentType`: `http` or `https`.
    pub content_type: String,
    /// `content`: the URL.
    pub url: String,
}

/// A city-shape download link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CityLink {
    /// `issueDept`.
    pub issue_dept: String,
    /// `certificateNumber`.
    pub certificate_number: String,
    /// `fileUrl`.
    pub file_url: String,
    /// `issueDate`.
    pub issue_date: NaiveDate,
    /// `fileFormat` (`OFD`).
    pub file_format: String,
    /// `certificateType`: the type's primary name.
    pub certificate_type: String,
}

/// ShareDownloadUrl / ShareDownloadUrlsByHolderCode data.
pub type DownloadLinks = Shaped<Page<ProvinceLink>, Page<CityLink>>;

/// The information verification's answer: the province result, or the city's true/false.
pub type InfoVerification = Shaped<InfoVerifyResult, bool>;

/// The QR interface's city answer: one record (API.md §6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrCityRecord {
    /// `img_sign_fileid`.
    pub img_sign_fileid: String,
    /// `license_name`.
    pub license_name: String,
    /// `fileNumber`.
    pub file_number: String,
    /// `issue_unitname`.
    pub issue_unitname: String,
    /// `valid_time_begin`.
    pub valid_time_begin: NaiveDate,
    /// `holder`.
    pub holder: String,
    /// `license_state`.
    pub license_state: LicenseStatus,
    /// `valid_time_end`; `None` = 长期.
    pub valid_time_end: Option<NaiveDate>,
    /// `licenseId`: the identifier.
    pub license_id: String,
    /// `abstractCode`.
    pub abstract_code: String,
    /// `license_number`.
    pub license_number: String,
    /// Milliseconds the look-up took (`head.time`).
    pub elapsed_ms: u64,
}

/// ShareQueryCertInfoByQRcode data.
pub type QrRecords = Shaped<Page<ProvinceFace>, QrCityRecord>;

/// A downloaded file (ShareDownloadFile).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileContent {
    /// An OFD package (an annotated copy).
    Ofd(Vec<u8>),
    /// JPEG page images in page order.
    PageImages(Vec<Vec<u8>>),
}

/// ShareDownloadFile data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadedFile {
    /// `certIdentifier`.
    pub cert_identifier: String,
    /// The file.
    pub content: FileContent,
}

/// One row of shengShiStateInfo: the province face (when the province has it) with the city
/// file number (when the city has it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShengShiRecord {
    /// The face in the province shape.
    pub face: ProvinceFace,
    /// `fileNumber`, when the city library holds the license.
    pub file_number: Option<String>,
}

/// shengShiStateInfo data (API.md §6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShengShiState {
    /// `shengIsExists`.
    pub in_province: bool,
    /// `shiIsExists`.
    pub in_city: bool,
    /// Rows; empty when neither library has the license (`data: null`).
    pub records: Vec<ShengShiRecord>,
}

/// ShareDownloadUrl request (4.3.2).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DownloadUrlRequest {
    /// `certificateID`: identifier, file number or province identifier.
    pub certificate_id: Option<String>,
    /// `expiryTime`, `yyyy-MM-dd`.
    pub expiry_time: Option<String>,
    /// The call context.
    pub context: RawCallContext,
}

crate::named_params!(DownloadUrlRequest {
    certificate_id: CERTIFICATE_ID,
    expiry_time: EXPIRY_TIME,
}; context);

/// ShareQueryCertInfo request (4.3.3).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryCertInfoRequest {
    /// `certificateID`.
    pub certificate_id: Option<String>,
    /// `interfaceType`.
    pub interface_type: Option<String>,
    /// The call context.
    pub context: RawCallContext,
}

crate::named_params!(QueryCertInfoRequest {
    certificate_id: CERTIFICATE_ID,
    interface_type: INTERFACE_TYPE,
}; context);

/// ShareVerifyCertInfo request, information variant (4.3.4).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyInfoRequest {
    /// `certTypeCode`.
    pub cert_type_code: Option<String>,
    /// `certificateData`: a JSON object of fields to compare.
    pub certificate_data: Option<String>,
    /// `useFor`.
    pub use_for: Option<String>,
    /// `certificateHolderCode`.
    pub holder_code: Option<String>,
    /// `interfaceType`.
    pub interface_type: Option<String>,
    /// `callDistrict`, `callDepartment`, `districtLevel` (the rest of the context is unused).
    pub context: RawCallContext,
}

crate::named_params!(VerifyInfoRequest {
    cert_type_code: CERT_TYPE_CODE,
    certificate_data: CERTIFICATE_DATA,
    use_for: USE_FOR,
    holder_code: CERTIFICATE_HOLDER_CODE,
    interface_type: INTERFACE_TYPE,
}; context);

/// ShareVerifyCertInfo request, file variant (4.3.5).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyFileRequest {
    /// `certTypeCode`.
    pub cert_type_code: Option<String>,
    /// `contentType`: must be `base64`.
    pub content_type: Option<String>,
    /// `content`: the OFD file, base64.
    pub content: Option<String>,
    /// `useCause`.
    pub use_cause: Option<String>,
    /// `interfaceType`.
    pub interface_type: Option<String>,
    /// `callDistrict`, `callDepartment`, `districtLevel`.
    pub context: RawCallContext,
}

crate::named_params!(VerifyFileRequest {
    cert_type_code: CERT_TYPE_CODE,
    content_type: CONTENT_TYPE,
    content: CONTENT,
    use_cause: USE_CAUSE,
    interface_type: INTERFACE_TYPE,
}; context);

/// ShareQueryCertInfoByQRcode request (4.3.6).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QrQueryRequest {
    /// `qrValue`: the full URL or its last path segment.
    pub qr_value: Option<String>,
    /// `interfaceType`.
    pub interface_type: Option<String>,
    /// The call context.
    pub context: RawCallContext,
    /// Operator details.
    pub operator: OperatorDetails,
}

crate::named_params!(QrQueryRequest {
    qr_value: QR_VALUE,
    interface_type: INTERFACE_TYPE,
}; context, operator);

/// Holder search (4.3.7, 4.3.13) and holder download (4.3.8) request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HolderQueryRequest {
    /// `certificateHolderCode`.
    pub holder_code: Option<String>,
    /// `certificateHolderCodeType`.
    pub holder_code_type: Option<String>,
    /// `certTypeCode`.
    pub cert_type_code: Option<String>,
    /// `certificateNumber` filter.
    pub certificate_number: Option<String>,
    /// `certificateType` filter.
    pub certificate_type: Option<String>,
    /// `Mode` (accepted, ignored).
    pub mode: Option<String>,
    /// `Page` / `page`.
    pub page: Option<String>,
    /// `Size` / `size`.
    pub size: Option<String>,
    /// `interfaceType`.
    pub interface_type: Option<String>,
    /// The call context.
    pub context: RawCallContext,
    /// Operator details.
    pub operator: OperatorDetails,
}

crate::named_params!(HolderQueryRequest {
    holder_code: CERTIFICATE_HOLDER_CODE,
    holder_code_type: CERTIFICATE_HOLDER_CODE_TYPE,
    cert_type_code: CERT_TYPE_CODE,
    certificate_number: CERTIFICATE_NUMBER,
    certificate_type: CERTIFICATE_TYPE,
    mode: MODE,
    page: PAGE | PAGE_LOWER,
    size: SIZE | SIZE_LOWER,
    interface_type: INTERFACE_TYPE,
}; context, operator);

/// ShareDownloadFile request (4.3.9).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DownloadFileRequest {
    /// `certificateIdentifier`.
    pub certificate_identifier: Option<String>,
    /// `certificateCopyExpiringTime`, `yyyy-MM-dd`.
    pub copy_expiring_time: Option<String>,
    /// `interfaceType`.
    pub interface_type: Option<String>,
    /// `fileType`: `ofd` (default) or `png`.
    pub file_type: Option<String>,
    /// The call context.
    pub context: RawCallContext,
}

crate::named_params!(DownloadFileRequest {
    certificate_identifier: CERTIFICATE_IDENTIFIER,
    copy_expiring_time: CERTIFICATE_COPY_EXPIRING_TIME,
    interface_type: INTERFACE_TYPE,
    file_type: FILE_TYPE,
}; context);

/// insertToProvince / updateToProvince / deleteToProvince request (4.3.10–4.3.12).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncRequest {
    /// `fileNumber`.
    pub file_number: Option<String>,
    /// `certIdentifier` (updateToProvince).
    pub cert_identifier: Option<String>,
}

crate::named_params!(SyncRequest {
    file_number: FILE_NUMBER,
    cert_identifier: CERT_IDENTIFIER,
});

/// What a city asks its province to do with one of its licenses (the province's collection
/// interfaces, this project's extension of the API, API.md §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CollectOperation {
    /// Take the license into the province library; the province assigns its identifier.
    Create,
    /// Replace the province copy's record with the city's.
    Update,
    /// Revoke (作废) the province copy.
    Revoke,
}

impl CollectOperation {
    /// Every operation.
    pub const ALL: [CollectOperation; 3] = [
        CollectOperation::Create,
        CollectOperation::Update,
        CollectOperation::Revoke,
    ];

    /// The name in storage, paths and the proto (`create` | `update` | `revoke`).
    pub const fn name(self) -> &'static str {
        match self {
            CollectOperation::Create => "create",
            CollectOperation::Update => "update",
            CollectOperation::Revoke => "revoke",
        }
    }

    /// Parses a [`name`](Self::name).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.name() == name.trim())
    }
}

/// One push of a city license into the province library. The province applies each
/// `(city, cityFileNumber)`'s pushes once and in `sequence` order: a push it has already
/// applied, or one older than the last it applied, changes nothing and answers the same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectRequest {
    /// What to do.
    pub operation: CollectOperation,
    /// The push's unique id (the city's outbox entry); a repeated delivery carries the same.
    pub operation_id: String,
    /// The push's position in the city's outbox, increasing.
    pub sequence: u64,
    /// The license's file number at the city.
    pub city_file_number: String,
    /// The license as the city holds it (create and update).
    pub license: Option<crate::admin::NewLicense>,
    /// Why (revoke).
    pub reason: Option<String>,
}

/// downloadPdfFile request (4.3.14).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PdfRequest {
    /// `abstractCode`.
    pub abstract_code: Option<String>,
}

crate::named_params!(PdfRequest {
    abstract_code: ABSTRACT_CODE
});

/// Result of a share call.
pub type ServiceResult<T> = Result<T, ServiceError>;

/// The electronic license sharing service: one method per interface of API.md §6, plus token
/// issue and refresh. Implemented in-process by the platform and remotely by the REST and gRPC
/// clients, so a province upstream is just another `dyn LicenseService`.
#[async_trait]
pub trait LicenseService: Send + Sync {
    /// `oauth/token` with `grant_type=password`.
    async fn issue_token(
        &self,
        caller: &Caller,
        grant: PasswordGrant,
    ) -> Result<TokenGrant, TokenError>;

    /// `oauth/token` with `grant_type=refresh_token`: rotates both tokens.
    async fn refresh_token(
        &self,
        caller: &Caller,
        grant: RefreshGrant,
    ) -> Result<TokenGrant, TokenError>;

    /// 4.3.2 `ShareDownloadUrl`: an annotated copy and a capability link for one license.
    async fn share_download_url(
        &self,
        caller: &Caller,
        req: DownloadUrlRequest,
    ) -> ServiceResult<Answer<DownloadLinks>>;

    /// 4.3.3 `ShareQueryCertInfo`: one license by any of its keys.
    async fn query_cert_info(
        &self,
        caller: &Caller,
        req: QueryCertInfoRequest,
    ) -> ServiceResult<Answer<LicenseRecords>>;

    /// 4.3.4 `ShareVerifyCertInfo`, information variant.
    async fn verify_cert_info(
        &self,
        caller: &Caller,
        req: VerifyInfoRequest,
    ) -> ServiceResult<Answer<InfoVerification>>;

    /// 4.3.5 `ShareVerifyCertInfo`, file variant.
    async fn verify_cert_file(
        &self,
        caller: &Caller,
        req: VerifyFileRequest,
    ) -> ServiceResult<Answer<FileVerifyResult>>;

    /// 4.3.6 `ShareQueryCertInfoByQRcode`.
    async fn query_by_qr_code(
        &self,
        caller: &Caller,
        req: QrQueryRequest,
    ) -> ServiceResult<Answer<QrRecords>>;

    /// 4.3.7 `ShareQueryCertInfoByHo` (alias `ShareQueryCertInfoByHolderCode`).
    async fn query_by_holder(
        &self,
        caller: &Caller,
        req: HolderQueryRequest,
    ) -> ServiceResult<Answer<LicenseRecords>>;

    /// 4.3.8 `ShareDownloadUrlsByHolderCode`: links for the holder's currently valid licenses.
    async fn download_urls_by_holder(
        &self,
        caller: &Caller,
        req: HolderQueryRequest,
    ) -> ServiceResult<Answer<DownloadLinks>>;

    /// 4.3.9 `ShareDownloadFile`: an annotated copy (OFD) or page images, inline.
    async fn download_file(
        &self,
        caller: &Caller,
        req: DownloadFileRequest,
    ) -> ServiceResult<Answer<DownloadedFile>>;

    /// 4.3.10 `insertToProvince`: returns the province identifier.
    async fn insert_to_province(&self, caller: &Caller, req: SyncRequest) -> ServiceResult<String>;

    /// 4.3.11 `updateToProvince`.
    async fn update_to_province(&self, caller: &Caller, req: SyncRequest) -> ServiceResult<()>;

    /// 4.3.12 `deleteToProvince` (作废).
    async fn delete_to_province(&self, caller: &Caller, req: SyncRequest) -> ServiceResult<()>;

    /// The province's collection interfaces (this project's extension, API.md §5): applies a
    /// city's push and returns the province identifier of the license.
    async fn collect(&self, caller: &Caller, req: CollectRequest) -> ServiceResult<String>;

    /// 4.3.13 `shengShiStateInfo`: both libraries at once.
    async fn sheng_shi_state(
        &self,
        caller: &Caller,
        req: HolderQueryRequest,
    ) -> ServiceResult<ShengShiState>;

    /// 4.3.14 `downloadPdfFile`: the PDF of the license with that extraction code.
    async fn download_pdf(&self, caller: &Caller, req: PdfRequest) -> ServiceResult<Vec<u8>>;
}

/// What the public verification page shows of a license (API.md §7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationView {
    /// Certificate name.
    pub certificate_name: String,
    /// Holder (unmasked; the page masks it).
    pub holder: String,
    /// Holder code (unmasked; the page masks it).
    pub holder_code: String,
    /// Issuing department.
    pub issue_dept: String,
    /// First day of validity.
    pub valid_from: NaiveDate,
    /// Last day of validity; `None` = 长期.
    pub valid_to: Option<NaiveDate>,
    /// Status today.
    pub status: LicenseStatus,
}

/// What a node serves besides the share interfaces: capability download links, the public
/// verification page, readiness.
#[async_trait]
pub trait NodeService: Send + Sync {
    /// Redeems a download link's id: the file name and bytes, or `10` when unknown or expired.
    async fn redeem_download(
        &self,
        caller: &Caller,
        link_id: &str,
    ) -> ServiceResult<(String, Vec<u8>)>;
    /// The license a QR token names, if any; the visit is audited.
    async fn verification(
        &self,
        caller: &Caller,
        qr_token: &str,
    ) -> ServiceResult<Option<VerificationView>>;
    /// Revokes a token and the pair it belongs to (RFC 7009): `Ok` also for a token that is
    /// unknown, expired or another client's (nothing is revoked then).
    async fn revoke_token(&self, caller: &Caller, revocation: Revocation)
    -> Result<(), TokenError>;
    /// Whether a token is a live access token of an enabled account. Not audited: it lets a
    /// transport hold a caller whose token is dead to the small body limit before it reads a
    /// large body; the call that follows is answered and audited as usual.
    async fn token_live(&self, token: &str) -> bool;
    /// Whether the node's database answers.
    async fn ready(&self) -> bool;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The trait must stay object-safe and shareable across tasks: a province upstream is an
    /// `Arc<dyn LicenseService>`.
    #[test]
    fn the_trait_is_object_safe_send_and_sync() {
        fn assert_send_sync<T: Send + Sync + ?Sized>() {}
        assert_send_sync::<dyn LicenseService>();
        let _: Option<std::sync::Arc<dyn LicenseService>> = None;
    }

    #[test]
    fn oauth_error_codes_follow_rfc_6749() {
        let e = TokenError {
            kind: OAuthErrorKind::InvalidGrant,
            description: "bad credentials".into(),
        };
        assert_eq!(e.to_string(), "invalid_grant: bad credentials");
        assert_eq!(
            OAuthErrorKind::UnsupportedGrantType.code(),
            "unsupported_grant_type"
        );
    }
}
