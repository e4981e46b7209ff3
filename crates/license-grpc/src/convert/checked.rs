//! Replies back into core, checked: an answer out of the contract's shape is `1`.

use std::collections::BTreeMap;

use license_core::Shaped;
use license_core::service::*;
use license_core::{FileVerifyResult, InfoVerifyResult};

use crate::pb;

use super::*;

// ---- answers: back into core, checked -------------------------------------------------------

/// An answer from the library a message names.
pub(super) fn answer<T>(library: i32, data: T) -> Checked<Answer<T>> {
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

pub(super) fn face(f: pb::ProvinceFace) -> ProvinceFace {
    ProvinceFace {
        cert_identifier: f.cert_identifier,
        fields: f.fields.into_iter().collect::<BTreeMap<_, _>>(),
    }
}

pub(super) fn core_faces(p: pb::ProvinceFaces) -> Page<ProvinceFace> {
    Page {
        total: p.total,
        items: p.items.into_iter().map(face).collect(),
    }
}

pub(super) fn city_record(r: pb::CityRecord) -> Checked<CityRecord> {
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

pub(super) fn page<P, T>(
    total: u64,
    items: Vec<P>,
    item: impl Fn(P) -> Checked<T>,
) -> Checked<Page<T>> {
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
