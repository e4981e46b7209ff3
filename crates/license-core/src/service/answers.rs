//! What the share interfaces answer, in the province and city shapes (API.md §6).

use chrono::NaiveDate;
use std::collections::BTreeMap;

use crate::license::{Library, LicenseStatus};
use crate::status::InfoVerifyResult;

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
