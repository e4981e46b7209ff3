//! Answers from core into their replies (infallible).

use license_core::Shaped;
use license_core::service::*;
use license_core::{FileVerifyResult, InfoVerifyResult};

use crate::pb;

use super::*;

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

pub(super) fn faces(p: Page<ProvinceFace>) -> pb::ProvinceFaces {
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

pub(super) fn info_result(r: InfoVerifyResult) -> pb::InfoVerifyResult {
    match r {
        InfoVerifyResult::Valid => pb::InfoVerifyResult::Valid,
        InfoVerifyResult::NotActivated => pb::InfoVerifyResult::NotActivated,
        InfoVerifyResult::Suspended => pb::InfoVerifyResult::Suspended,
        InfoVerifyResult::Invalidated => pb::InfoVerifyResult::Invalidated,
        InfoVerifyResult::Incomplete => pb::InfoVerifyResult::Incomplete,
        InfoVerifyResult::NoSuchInformation => pb::InfoVerifyResult::NoSuchInformation,
    }
}

pub(super) fn file_result(r: FileVerifyResult) -> pb::FileVerifyResult {
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
