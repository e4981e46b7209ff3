//! What the share interfaces take: raw parameters as they arrived, each field's parameter
//! declared once with [`request!`](crate::request).

use crate::context::{OperatorDetails, RawCallContext};

crate::request! {
    /// ShareDownloadUrl request (4.3.2).
    DownloadUrlRequest {
        /// `certificateID`: identifier, file number or province identifier.
        certificate_id: CERTIFICATE_ID,
        /// `expiryTime`, `yyyy-MM-dd`.
        expiry_time: EXPIRY_TIME,
    }
    /// The call context.
    context: RawCallContext,
}

crate::request! {
    /// ShareQueryCertInfo request (4.3.3).
    QueryCertInfoRequest {
        /// `certificateID`.
        certificate_id: CERTIFICATE_ID,
        /// `interfaceType`.
        interface_type: INTERFACE_TYPE,
    }
    /// The call context.
    context: RawCallContext,
}

crate::request! {
    /// ShareVerifyCertInfo request, information variant (4.3.4).
    VerifyInfoRequest {
        /// `certTypeCode`.
        cert_type_code: CERT_TYPE_CODE,
        /// `certificateData`: a JSON object of fields to compare.
        certificate_data: CERTIFICATE_DATA,
        /// `useFor`.
        use_for: USE_FOR,
        /// `certificateHolderCode`.
        holder_code: CERTIFICATE_HOLDER_CODE,
        /// `interfaceType`.
        interface_type: INTERFACE_TYPE,
    }
    /// `callDistrict`, `callDepartment`, `districtLevel` (the rest of the context is unused).
    context: RawCallContext,
}

crate::request! {
    /// ShareVerifyCertInfo request, file variant (4.3.5).
    VerifyFileRequest {
        /// `certTypeCode`.
        cert_type_code: CERT_TYPE_CODE,
        /// `contentType`: must be `base64`.
        content_type: CONTENT_TYPE,
        /// `content`: the OFD file, base64.
        content: CONTENT,
        /// `useCause`.
        use_cause: USE_CAUSE,
        /// `interfaceType`.
        interface_type: INTERFACE_TYPE,
    }
    /// `callDistrict`, `callDepartment`, `districtLevel`.
    context: RawCallContext,
}

crate::request! {
    /// ShareQueryCertInfoByQRcode request (4.3.6).
    QrQueryRequest {
        /// `qrValue`: the full URL or its last path segment.
        qr_value: QR_VALUE,
        /// `interfaceType`.
        interface_type: INTERFACE_TYPE,
    }
    /// The call context.
    context: RawCallContext,
    /// Operator details.
    operator: OperatorDetails,
}

crate::request! {
    /// Holder search (4.3.7, 4.3.13) and holder download (4.3.8) request.
    HolderQueryRequest {
        /// `certificateHolderCode`.
        holder_code: CERTIFICATE_HOLDER_CODE,
        /// `certificateHolderCodeType`.
        holder_code_type: CERTIFICATE_HOLDER_CODE_TYPE,
        /// `certTypeCode`.
        cert_type_code: CERT_TYPE_CODE,
        /// `certificateNumber` filter.
        certificate_number: CERTIFICATE_NUMBER,
        /// `certificateType` filter.
        certificate_type: CERTIFICATE_TYPE,
        /// `Mode` (accepted, ignored).
        mode: MODE,
        /// `Page` / `page`.
        page: PAGE | PAGE_LOWER,
        /// `Size` / `size`.
        size: SIZE | SIZE_LOWER,
        /// `interfaceType`.
        interface_type: INTERFACE_TYPE,
    }
    /// The call context.
    context: RawCallContext,
    /// Operator details.
    operator: OperatorDetails,
}

crate::request! {
    /// ShareDownloadFile request (4.3.9).
    DownloadFileRequest {
        /// `certificateIdentifier`.
        certificate_identifier: CERTIFICATE_IDENTIFIER,
        /// `certificateCopyExpiringTime`, `yyyy-MM-dd`.
        copy_expiring_time: CERTIFICATE_COPY_EXPIRING_TIME,
        /// `interfaceType`.
        interface_type: INTERFACE_TYPE,
        /// `fileType`: `ofd` (default) or `png`.
        file_type: FILE_TYPE,
    }
    /// The call context.
    context: RawCallContext,
}

crate::request! {
    /// insertToProvince / updateToProvince / deleteToProvince request (4.3.10–4.3.12).
    SyncRequest {
        /// `fileNumber`.
        file_number: FILE_NUMBER,
        /// `certIdentifier` (updateToProvince).
        cert_identifier: CERT_IDENTIFIER,
    }
}

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

crate::request! {
    /// downloadPdfFile request (4.3.14).
    PdfRequest {
        /// `abstractCode`.
        abstract_code: ABSTRACT_CODE,
    }
}
