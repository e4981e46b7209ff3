//! Explicit conversions between core's transport-neutral types and the proto messages.
//!
//! Requests convert both ways without loss (every raw parameter is an `optional string`).
//! Answers convert from core infallibly; back into core they are checked, and an answer that
//! is not in the contract's shape is return code `1` (the node's answer cannot be used).

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use license_core::context::{OperatorDetails, RawCallContext};
use license_core::service::*;
use license_core::{FileVerifyResult, InfoVerifyResult, Library, LicenseStatus, ReturnCode};
use license_core::{ServiceError, Shaped};

use crate::pb;

/// An answer that is not in the contract's shape.
pub(crate) fn garbled(what: &str) -> ServiceError {
    ServiceError::new(
        ReturnCode::UpstreamUnreachable,
        format!("the node's answer is not in the contract's shape: {what}"),
    )
}

type Checked<T> = Result<T, ServiceError>;

// ---- scalars ---------------------------------------------------------------------------------

fn date(d: NaiveDate) -> pb::Date {
    pb::Date {
        year: d.year(),
        month: d.month(),
        day: d.day(),
    }
}

fn naive(d: Option<pb::Date>, what: &str) -> Checked<NaiveDate> {
    d.and_then(|d| NaiveDate::from_ymd_opt(d.year, d.month, d.day))
        .ok_or_else(|| garbled(what))
}

fn open_end(d: Option<pb::Date>, what: &str) -> Checked<Option<NaiveDate>> {
    d.map(|d| naive(Some(d), what)).transpose()
}

fn library(l: Library) -> i32 {
    match l {
        Library::Province => pb::Library::Province,
        Library::City => pb::Library::City,
    }
    .into()
}

fn core_library(l: i32) -> Checked<Library> {
    match pb::Library::try_from(l) {
        Ok(pb::Library::Province) => Ok(Library::Province),
        Ok(pb::Library::City) => Ok(Library::City),
        _ => Err(garbled("library")),
    }
}

fn status(s: LicenseStatus) -> i32 {
    match s {
        LicenseStatus::NotActivated => pb::LicenseStatus::NotActivated,
        LicenseStatus::Valid => pb::LicenseStatus::Valid,
        LicenseStatus::Suspended => pb::LicenseStatus::Suspended,
        LicenseStatus::Revoked => pb::LicenseStatus::Revoked,
        LicenseStatus::Expired => pb::LicenseStatus::Expired,
    }
    .into()
}

fn core_status(s: i32) -> Checked<LicenseStatus> {
    match pb::LicenseStatus::try_from(s) {
        Ok(pb::LicenseStatus::NotActivated) => Ok(LicenseStatus::NotActivated),
        Ok(pb::LicenseStatus::Valid) => Ok(LicenseStatus::Valid),
        Ok(pb::LicenseStatus::Suspended) => Ok(LicenseStatus::Suspended),
        Ok(pb::LicenseStatus::Revoked) => Ok(LicenseStatus::Revoked),
        Ok(pb::LicenseStatus::Expired) => Ok(LicenseStatus::Expired),
        _ => Err(garbled("state")),
    }
}

// ---- requests: both ways, lossless ----------------------------------------------------------

impl From<RawCallContext> for pb::CallContext {
    fn from(c: RawCallContext) -> Self {
        pb::CallContext {
            system_name: c.system_name,
            call_category: c.call_category,
            matter_name: c.matter_name,
            event_code: c.event_code,
            copy_cause: c.copy_cause,
            call_district: c.call_district,
            call_department: c.call_department,
            district_level: c.district_level,
        }
    }
}

impl From<pb::CallContext> for RawCallContext {
    fn from(c: pb::CallContext) -> Self {
        RawCallContext {
            system_name: c.system_name,
            call_category: c.call_category,
            matter_name: c.matter_name,
            event_code: c.event_code,
            copy_cause: c.copy_cause,
            call_district: c.call_district,
            call_department: c.call_department,
            district_level: c.district_level,
        }
    }
}

fn context(c: Option<pb::CallContext>) -> RawCallContext {
    c.map(Into::into).unwrap_or_default()
}

impl From<OperatorDetails> for pb::OperatorDetails {
    fn from(o: OperatorDetails) -> Self {
        pb::OperatorDetails {
            area_code: o.area_code,
            dept_code: o.dept_code,
            oper_name: o.oper_name,
            dept_name: o.dept_name,
            whose: o.whose,
            category: o.category,
            license_type_code: o.license_type_code,
            oper_user_name: o.oper_user_name,
            oper_time: o.oper_time,
            oper_user_ip: o.oper_user_ip,
        }
    }
}

impl From<pb::OperatorDetails> for OperatorDetails {
    fn from(o: pb::OperatorDetails) -> Self {
        OperatorDetails {
            area_code: o.area_code,
            dept_code: o.dept_code,
            oper_name: o.oper_name,
            dept_name: o.dept_name,
            whose: o.whose,
            category: o.category,
            license_type_code: o.license_type_code,
            oper_user_name: o.oper_user_name,
            oper_time: o.oper_time,
            oper_user_ip: o.oper_user_ip,
        }
    }
}

/// Both directions of a request whose fields keep their names; the call context (and operator
/// details) are messages, absent meaning "nothing given".
macro_rules! request {
    ($core:ident <-> $pb:ident { $($f:ident),* } $(context $c:ident)? $(operator $o:ident)?) => {
        impl From<$core> for pb::$pb {
            fn from(r: $core) -> Self {
                pb::$pb {
                    $($f: r.$f,)*
                    $($c: Some(r.$c.into()),)?
                    $($o: Some(r.$o.into()),)?
                }
            }
        }
        impl From<pb::$pb> for $core {
            fn from(r: pb::$pb) -> Self {
                $core {
                    $($f: r.$f,)*
                    $($c: context(r.$c),)?
                    $($o: r.$o.map(Into::into).unwrap_or_default(),)?
                }
            }
        }
    };
}

request!(PasswordGrant <-> PasswordGrant { client_id, client_secret, scope, username, password });
request!(RefreshGrant <-> RefreshGrant { client_id, client_secret, scope, refresh_token });
request!(DownloadUrlRequest <-> DownloadUrlRequest { certificate_id, expiry_time } context context);
request!(QueryCertInfoRequest <-> QueryCertInfoRequest { certificate_id, interface_type } context context);
request!(VerifyInfoRequest <-> VerifyInfoRequest {
    cert_type_code, certificate_data, use_for, holder_code, interface_type
} context context);
request!(VerifyFileRequest <-> VerifyFileRequest {
    cert_type_code, content_type, content, use_cause, interface_type
} context context);
request!(QrQueryRequest <-> QrQueryRequest { qr_value, interface_type } context context operator operator);
request!(HolderQueryRequest <-> HolderQueryRequest {
    holder_code, holder_code_type, cert_type_code, certificate_number, certificate_type, mode,
    page, size, interface_type
} context context operator operator);
request!(DownloadFileRequest <-> DownloadFileRequest {
    certificate_identifier, copy_expiring_time, interface_type, file_type
} context context);
request!(SyncRequest <-> SyncRequest { file_number, cert_identifier });
request!(PdfRequest <-> PdfRequest { abstract_code });

// ---- the collection extension ------------------------------------------------------------------

impl From<license_core::admin::NewLicense> for pb::LicenseRecord {
    fn from(n: license_core::admin::NewLicense) -> Self {
        pb::LicenseRecord {
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
            face: n.face.into_iter().collect(),
            cert_identifier: n.cert_identifier,
            file_number: n.file_number,
            abstract_code: n.abstract_code,
        }
    }
}

impl From<pb::LicenseRecord> for license_core::admin::NewLicense {
    fn from(r: pb::LicenseRecord) -> Self {
        license_core::admin::NewLicense {
            cert_type_code: r.cert_type_code,
            certificate_name: r.certificate_name,
            certificate_number: r.certificate_number,
            certificate_holder: r.certificate_holder,
            certificate_holder_code: r.certificate_holder_code,
            certificate_holder_type: r.certificate_holder_type,
            issue_dept: r.issue_dept,
            issue_dept_code: r.issue_dept_code,
            issue_date: r.issue_date,
            certificate_validate_start: r.certificate_validate_start,
            certificate_validate_end: r.certificate_validate_end,
            state: r.state,
            face: r.face.into_iter().collect::<BTreeMap<_, _>>(),
            cert_identifier: r.cert_identifier,
            file_number: r.file_number,
            abstract_code: r.abstract_code,
        }
    }
}

impl From<CollectRequest> for pb::CollectRequest {
    fn from(r: CollectRequest) -> Self {
        let operation = match r.operation {
            CollectOperation::Create => pb::CollectOperation::Create,
            CollectOperation::Update => pb::CollectOperation::Update,
            CollectOperation::Revoke => pb::CollectOperation::Revoke,
        };
        pb::CollectRequest {
            operation: operation.into(),
            operation_id: r.operation_id,
            sequence: r.sequence,
            city_file_number: r.city_file_number,
            license: r.license.map(Into::into),
            reason: r.reason,
        }
    }
}

impl TryFrom<pb::CollectRequest> for CollectRequest {
    type Error = ServiceError;
    /// `24` for an operation that is not create, update or revoke.
    fn try_from(r: pb::CollectRequest) -> Checked<Self> {
        let operation = match pb::CollectOperation::try_from(r.operation) {
            Ok(pb::CollectOperation::Create) => CollectOperation::Create,
            Ok(pb::CollectOperation::Update) => CollectOperation::Update,
            Ok(pb::CollectOperation::Revoke) => CollectOperation::Revoke,
            _ => {
                return Err(ServiceError::malformed(
                    "operation",
                    "must be create, update or revoke",
                ));
            }
        };
        Ok(CollectRequest {
            operation,
            operation_id: r.operation_id,
            sequence: r.sequence,
            city_file_number: r.city_file_number,
            license: r.license.map(Into::into),
            reason: r.reason,
        })
    }
}

impl IntoCore for pb::CollectReply {
    type Core = String;
    fn into_core(self) -> Checked<String> {
        Ok(self.cert_identifier)
    }
}

impl From<String> for pb::CollectReply {
    fn from(cert_identifier: String) -> Self {
        pb::CollectReply { cert_identifier }
    }
}

// ---- answers: from core -------------------------------------------------------------------

impl From<TokenGrant> for pb::TokenGrant {
    fn from(g: TokenGrant) -> Self {
        pb::TokenGrant {
            access_token: g.access_token,
            refresh_token: g.refresh_token,
            expires_in: g.expires_in,
            scope: g.scope,
            token_type: TOKEN_TYPE.to_owned(),
        }
    }
}

impl From<ProvinceFace> for pb::ProvinceFace {
    fn from(f: ProvinceFace) -> Self {
        pb::ProvinceFace {
            cert_identifier: f.cert_identifier,
            fields: f.fields.into_iter().collect(),
        }
    }
}

impl From<CityRecord> for pb::CityRecord {
    fn from(r: CityRecord) -> Self {
        pb::CityRecord {
            holder: r.holder,
            validate_start: Some(date(r.validate_start)),
            validate_end: r.validate_end.map(date),
            issue_dept: r.issue_dept,
            certificate_id: r.certificate_id,
            certificate_name: r.certificate_name,
            holder_type: r.holder_type,
            certificate_number: r.certificate_number,
            issue_dept_code: r.issue_dept_code,
            holder_code: r.holder_code,
            issue_date: Some(date(r.issue_date)),
            digital_sign: r.digital_sign,
            certificate_type: r.certificate_type,
            state: status(r.state),
        }
    }
}

fn faces(p: Page<ProvinceFace>) -> pb::ProvinceFaces {
    pb::ProvinceFaces {
        total: p.total,
        items: p.items.into_iter().map(Into::into).collect(),
    }
}

impl From<Answer<LicenseRecords>> for pb::LicenseRecordsAnswer {
    fn from(a: Answer<LicenseRecords>) -> Self {
        use pb::license_records_answer::Records;
        pb::LicenseRecordsAnswer {
            library: library(a.library),
            records: Some(match a.data {
                Shaped::Province(p) => Records::Province(faces(p)),
                Shaped::City(p) => Records::City(pb::CityRecords {
                    total: p.total,
                    items: p.items.into_iter().map(Into::into).collect(),
                }),
            }),
        }
    }
}

impl From<Answer<DownloadLinks>> for pb::DownloadLinksAnswer {
    fn from(a: Answer<DownloadLinks>) -> Self {
        use pb::download_links_answer::Links;
        pb::DownloadLinksAnswer {
            library: library(a.library),
            links: Some(match a.data {
                Shaped::Province(p) => Links::Province(pb::ProvinceLinks {
                    total: p.total,
                    items: p
                        .items
                        .into_iter()
                        .map(|l| pb::ProvinceLink {
                            cert_identifier: l.cert_identifier,
                            content_type: l.content_type,
                            url: l.url,
                        })
                        .collect(),
                }),
                Shaped::City(p) => Links::City(pb::CityLinks {
                    total: p.total,
                    items: p
                        .items
                        .into_iter()
                        .map(|l| pb::CityLink {
                            issue_dept: l.issue_dept,
                            certificate_number: l.certificate_number,
                            file_url: l.file_url,
                            issue_date: Some(date(l.issue_date)),
                            file_format: l.file_format,
                            certificate_type: l.certificate_type,
                        })
                        .collect(),
                }),
            }),
        }
    }
}

fn info_result(r: InfoVerifyResult) -> pb::InfoVerifyResult {
    match r {
        InfoVerifyResult::Valid => pb::InfoVerifyResult::Valid,
        InfoVerifyResult::NotActivated => pb::InfoVerifyResult::NotActivated,
        InfoVerifyResult::Suspended => pb::InfoVerifyResult::Suspended,
        InfoVerifyResult::Invalidated => pb::InfoVerifyResult::Invalidated,
        InfoVerifyResult::Incomplete => pb::InfoVerifyResult::Incomplete,
        InfoVerifyResult::NoSuchInformation => pb::InfoVerifyResult::NoSuchInformation,
    }
}

fn file_result(r: FileVerifyResult) -> pb::FileVerifyResult {
    match r {
        FileVerifyResult::Passed => pb::FileVerifyResult::Passed,
        FileVerifyResult::SignatureFailed => pb::FileVerifyResult::SignatureFailed,
        FileVerifyResult::FileFailed => pb::FileVerifyResult::FileFailed,
        FileVerifyResult::NotActivated => pb::FileVerifyResult::NotActivated,
        FileVerifyResult::Suspended => pb::FileVerifyResult::Suspended,
        FileVerifyResult::Invalidated => pb::FileVerifyResult::Invalidated,
    }
}

impl From<Answer<InfoVerification>> for pb::InfoVerificationAnswer {
    fn from(a: Answer<InfoVerification>) -> Self {
        use pb::info_verification_answer::Result as R;
        pb::InfoVerificationAnswer {
            library: library(a.library),
            result: Some(match a.data {
                Shaped::Province(r) => R::Province(info_result(r).into()),
                Shaped::City(ok) => R::City(ok),
            }),
        }
    }
}

impl From<Answer<FileVerifyResult>> for pb::FileVerificationAnswer {
    fn from(a: Answer<FileVerifyResult>) -> Self {
        pb::FileVerificationAnswer {
            library: library(a.library),
            result: file_result(a.data).into(),
        }
    }
}

impl From<Answer<QrRecords>> for pb::QrRecordsAnswer {
    fn from(a: Answer<QrRecords>) -> Self {
        use pb::qr_records_answer::Records;
        pb::QrRecordsAnswer {
            library: library(a.library),
            records: Some(match a.data {
                Shaped::Province(p) => Records::Province(faces(p)),
                Shaped::City(r) => Records::City(pb::QrCityRecord {
                    img_sign_fileid: r.img_sign_fileid,
                    license_name: r.license_name,
                    file_number: r.file_number,
                    issue_unitname: r.issue_unitname,
                    valid_time_begin: Some(date(r.valid_time_begin)),
                    holder: r.holder,
                    license_state: status(r.license_state),
                    valid_time_end: r.valid_time_end.map(date),
                    license_id: r.license_id,
                    abstract_code: r.abstract_code,
                    license_number: r.license_number,
                    elapsed_ms: r.elapsed_ms,
                }),
            }),
        }
    }
}

impl From<Answer<DownloadedFile>> for pb::DownloadedFileAnswer {
    fn from(a: Answer<DownloadedFile>) -> Self {
        use pb::downloaded_file_answer::Content;
        pb::DownloadedFileAnswer {
            library: library(a.library),
            cert_identifier: a.data.cert_identifier,
            content: Some(match a.data.content {
                FileContent::Ofd(b) => Content::Ofd(b),
                FileContent::PageImages(pages) => Content::PageImages(pb::PageImages { pages }),
            }),
        }
    }
}

impl From<ShengShiState> for pb::ShengShiStateReply {
    fn from(s: ShengShiState) -> Self {
        pb::ShengShiStateReply {
            in_province: s.in_province,
            in_city: s.in_city,
            records: s
                .records
                .into_iter()
                .map(|r| pb::ShengShiRecord {
                    face: Some(r.face.into()),
                    file_number: r.file_number,
                })
                .collect(),
        }
    }
}

// ---- answers: back into core, checked -------------------------------------------------------

/// An answer from the library a message names.
fn answer<T>(library: i32, data: T) -> Checked<Answer<T>> {
    Ok(Answer {
        library: core_library(library)?,
        data,
    })
}

/// An answer message that converts back into its core type, or says what is wrong with it.
pub(crate) trait IntoCore {
    /// The core type.
    type Core;
    /// The core value.
    fn into_core(self) -> Checked<Self::Core>;
}

impl From<pb::TokenGrant> for TokenGrant {
    fn from(g: pb::TokenGrant) -> Self {
        TokenGrant {
            access_token: g.access_token,
            refresh_token: g.refresh_token,
            expires_in: g.expires_in,
            scope: g.scope,
        }
    }
}

fn face(f: pb::ProvinceFace) -> ProvinceFace {
    ProvinceFace {
        cert_identifier: f.cert_identifier,
        fields: f.fields.into_iter().collect::<BTreeMap<_, _>>(),
    }
}

fn core_faces(p: pb::ProvinceFaces) -> Page<ProvinceFace> {
    Page {
        total: p.total,
        items: p.items.into_iter().map(face).collect(),
    }
}

fn city_record(r: pb::CityRecord) -> Checked<CityRecord> {
    Ok(CityRecord {
        holder: r.holder,
        validate_start: naive(r.validate_start, "validate_start")?,
        validate_end: open_end(r.validate_end, "validate_end")?,
        issue_dept: r.issue_dept,
        certificate_id: r.certificate_id,
        certificate_name: r.certificate_name,
        holder_type: r.holder_type,
        certificate_number: r.certificate_number,
        issue_dept_code: r.issue_dept_code,
        holder_code: r.holder_code,
        issue_date: naive(r.issue_date, "issue_date")?,
        digital_sign: r.digital_sign,
        certificate_type: r.certificate_type,
        state: core_status(r.state)?,
    })
}

fn page<P, T>(total: u64, items: Vec<P>, item: impl Fn(P) -> Checked<T>) -> Checked<Page<T>> {
    Ok(Page {
        total,
        items: items.into_iter().map(item).collect::<Checked<_>>()?,
    })
}

impl IntoCore for pb::LicenseRecordsAnswer {
    type Core = Answer<LicenseRecords>;
    fn into_core(self) -> Checked<Self::Core> {
        use pb::license_records_answer::Records;
        let data = match self.records.ok_or_else(|| garbled("records"))? {
            Records::Province(p) => Shaped::Province(core_faces(p)),
            Records::City(p) => Shaped::City(page(p.total, p.items, city_record)?),
        };
        answer(self.library, data)
    }
}

impl IntoCore for pb::DownloadLinksAnswer {
    type Core = Answer<DownloadLinks>;
    fn into_core(self) -> Checked<Self::Core> {
        use pb::download_links_answer::Links;
        let data = match self.links.ok_or_else(|| garbled("links"))? {
            Links::Province(p) => Shaped::Province(page(p.total, p.items, |l| {
                Ok(ProvinceLink {
                    cert_identifier: l.cert_identifier,
                    content_type: l.content_type,
                    url: l.url,
                })
            })?),
            Links::City(p) => Shaped::City(page(p.total, p.items, |l| {
                Ok(CityLink {
                    issue_dept: l.issue_dept,
                    certificate_number: l.certificate_number,
                    file_url: l.file_url,
                    issue_date: naive(l.issue_date, "issue_date")?,
                    file_format: l.file_format,
                    certificate_type: l.certificate_type,
                })
            })?),
        };
        answer(self.library, data)
    }
}

impl IntoCore for pb::InfoVerificationAnswer {
    type Core = Answer<InfoVerification>;
    fn into_core(self) -> Checked<Self::Core> {
        use pb::info_verification_answer::Result as R;
        let data = match self.result.ok_or_else(|| garbled("result"))? {
            R::Province(code) => Shaped::Province(
                u8::try_from(code)
                    .ok()
                    .and_then(InfoVerifyResult::from_code)
                    .ok_or_else(|| garbled("result"))?,
            ),
            R::City(ok) => Shaped::City(ok),
        };
        answer(self.library, data)
    }
}

impl IntoCore for pb::FileVerificationAnswer {
    type Core = Answer<FileVerifyResult>;
    fn into_core(self) -> Checked<Self::Core> {
        Ok(Answer {
            library: core_library(self.library)?,
            data: u8::try_from(self.result)
                .ok()
                .and_then(FileVerifyResult::from_code)
                .ok_or_else(|| garbled("result"))?,
        })
    }
}

impl IntoCore for pb::QrRecordsAnswer {
    type Core = Answer<QrRecords>;
    fn into_core(self) -> Checked<Self::Core> {
        use pb::qr_records_answer::Records;
        let data = match self.records.ok_or_else(|| garbled("records"))? {
            Records::Province(p) => Shaped::Province(core_faces(p)),
            Records::City(r) => Shaped::City(QrCityRecord {
                img_sign_fileid: r.img_sign_fileid,
                license_name: r.license_name,
                file_number: r.file_number,
                issue_unitname: r.issue_unitname,
                valid_time_begin: naive(r.valid_time_begin, "valid_time_begin")?,
                holder: r.holder,
                license_state: core_status(r.license_state)?,
                valid_time_end: open_end(r.valid_time_end, "valid_time_end")?,
                license_id: r.license_id,
                abstract_code: r.abstract_code,
                license_number: r.license_number,
                elapsed_ms: r.elapsed_ms,
            }),
        };
        answer(self.library, data)
    }
}

impl IntoCore for pb::DownloadedFileAnswer {
    type Core = Answer<DownloadedFile>;
    fn into_core(self) -> Checked<Self::Core> {
        use pb::downloaded_file_answer::Content;
        let content = match self.content.ok_or_else(|| garbled("content"))? {
            Content::Ofd(b) => FileContent::Ofd(b),
            Content::PageImages(p) => FileContent::PageImages(p.pages),
        };
        Ok(Answer {
            library: core_library(self.library)?,
            data: DownloadedFile {
                cert_identifier: self.cert_identifier,
                content,
            },
        })
    }
}

impl IntoCore for pb::InsertToProvinceReply {
    type Core = String;
    fn into_core(self) -> Checked<String> {
        Ok(self.cert_identifier)
    }
}

impl IntoCore for pb::SyncReply {
    type Core = ();
    fn into_core(self) -> Checked<()> {
        Ok(())
    }
}

impl IntoCore for pb::ShengShiStateReply {
    type Core = ShengShiState;
    fn into_core(self) -> Checked<ShengShiState> {
        Ok(ShengShiState {
            in_province: self.in_province,
            in_city: self.in_city,
            records: self
                .records
                .into_iter()
                .map(|r| {
                    Ok(ShengShiRecord {
                        face: face(r.face.ok_or_else(|| garbled("face"))?),
                        file_number: r.file_number,
                    })
                })
                .collect::<Checked<_>>()?,
        })
    }
}

impl IntoCore for pb::PdfReply {
    type Core = Vec<u8>;
    fn into_core(self) -> Checked<Vec<u8>> {
        Ok(self.pdf)
    }
}

impl From<String> for pb::InsertToProvinceReply {
    fn from(cert_identifier: String) -> Self {
        pb::InsertToProvinceReply { cert_identifier }
    }
}

impl From<()> for pb::SyncReply {
    fn from((): ()) -> Self {
        pb::SyncReply {}
    }
}

impl From<Vec<u8>> for pb::PdfReply {
    fn from(pdf: Vec<u8>) -> Self {
        pb::PdfReply { pdf }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn city() -> CityRecord {
        CityRecord {
            holder: "张三".into(),
            validate_start: NaiveDate::from_ymd_opt(2024, 1, 2).unwrap(),
            validate_end: None,
            issue_dept: "枣庄市市场监督管理局".into(),
            certificate_id: "1.2.3".into(),
            certificate_name: "营业执照".into(),
            holder_type: "法人".into(),
            certificate_number: "N1".into(),
            issue_dept_code: "11370400MB2857869U".into(),
            holder_code: "91370400MA3C7XXXXX".into(),
            issue_date: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
            digital_sign: String::new(),
            certificate_type: "11100000000013338W001".into(),
            state: LicenseStatus::Suspended,
        }
    }

    #[test]
    fn answers_round_trip() {
        let a = Answer {
            library: Library::City,
            data: Shaped::City(Page {
                total: 7,
                items: vec![city()],
            }),
        };
        let back = pb::LicenseRecordsAnswer::from(a.clone())
            .into_core()
            .unwrap();
        assert_eq!(back, a);
        let p: Answer<LicenseRecords> = Answer {
            library: Library::Province,
            data: Shaped::Province(Page {
                total: 1,
                items: vec![ProvinceFace {
                    cert_identifier: "1.2.156".into(),
                    fields: [("name".to_owned(), "张三".to_owned())].into(),
                }],
            }),
        };
        assert_eq!(
            pb::LicenseRecordsAnswer::from(p.clone())
                .into_core()
                .unwrap(),
            p
        );
        for r in InfoVerifyResult::ALL {
            let a = Answer {
                library: Library::Province,
                data: Shaped::Province(r),
            };
            assert_eq!(
                pb::InfoVerificationAnswer::from(a.clone())
                    .into_core()
                    .unwrap(),
                a
            );
        }
        for r in FileVerifyResult::ALL {
            let a = Answer {
                library: Library::City,
                data: r,
            };
            assert_eq!(
                pb::FileVerificationAnswer::from(a.clone())
                    .into_core()
                    .unwrap(),
                a
            );
        }
        for s in LicenseStatus::ALL {
            assert_eq!(core_status(status(s)).unwrap(), s);
        }
    }

    #[test]
    fn requests_keep_absent_and_empty_apart() {
        let r = HolderQueryRequest {
            holder_code: Some(String::new()),
            page: Some("2".into()),
            context: RawCallContext {
                copy_cause: Some("办理".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        assert_eq!(
            HolderQueryRequest::from(pb::HolderQueryRequest::from(r.clone())),
            r
        );
    }

    #[test]
    fn an_answer_out_of_shape_is_code_1() {
        let mut bad = pb::LicenseRecordsAnswer::from(Answer {
            library: Library::City,
            data: Shaped::City(Page {
                total: 1,
                items: vec![city()],
            }),
        });
        if let Some(pb::license_records_answer::Records::City(c)) = &mut bad.records {
            c.items[0].issue_date = Some(pb::Date {
                year: 2024,
                month: 2,
                day: 30,
            });
        }
        assert_eq!(
            bad.into_core().unwrap_err().code,
            ReturnCode::UpstreamUnreachable
        );
        let missing = pb::LicenseRecordsAnswer {
            library: 0,
            records: None,
        };
        assert_eq!(
            missing.into_core().unwrap_err().code,
            ReturnCode::UpstreamUnreachable
        );
    }
}
