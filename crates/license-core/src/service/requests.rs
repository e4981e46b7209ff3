//! What the share interfaces take: raw parameters as they arrived, each field's parameter
//! declared once with [`named_params!`](crate::named_params).

use crate::context::{OperatorDetails, RawCallContext};

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
