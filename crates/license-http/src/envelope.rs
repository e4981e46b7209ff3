//! The response envelope and the data shapes of every interface (API.md §1, §6): exactly one
//! serializer for what fixed clients parse.
//!
//! Every answer is a typed value that borrows from the service's answer and serializes in one
//! pass, its keys in the order the contract lists them. (Building a `serde_json::Value` first —
//! a map of owned strings per record, copied again into the envelope — took a fifth of the
//! REST front's CPU under load, more than the platform call it answered.)

use std::borrow::Cow;
use std::fmt;

use base64::Engine;
use chrono::{Datelike, NaiveDate};
use license_core::license::OPEN_ENDED;
use license_core::service::*;
use license_core::status::{
    SUCCESS_MESSAGE_CITY, SUCCESS_MESSAGE_PROVINCE, SUCCESS_MESSAGE_QR_CITY,
};
use license_core::{FileVerifyResult, Library, ServiceError};
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

/// How a date is written: the city library's `yyyy年MM月dd日`, or `yyyy-MM-dd` (province faces
/// and the QR city answer).
#[derive(Debug, Clone, Copy)]
enum Style {
    City,
    Iso,
}

/// A date in a [`Style`], written as chrono writes its pattern (digits formatted directly for
/// the years 0–9999, chrono's parser only outside them).
#[derive(Debug, Clone, Copy)]
struct Day(NaiveDate, Style);

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Day(d, style) = *self;
        let (year, month, day, pattern) = match style {
            Style::City => ("年", "月", "日", "%Y年%m月%d日"),
            Style::Iso => ("-", "-", "", "%Y-%m-%d"),
        };
        if (0..=9999).contains(&d.year()) {
            write!(
                f,
                "{:04}{year}{:02}{month}{:02}{day}",
                d.year(),
                d.month(),
                d.day()
            )
        } else {
            write!(f, "{}", d.format(pattern))
        }
    }
}

fn city(d: NaiveDate) -> Day {
    Day(d, Style::City)
}

fn iso(d: NaiveDate) -> Day {
    Day(d, Style::Iso)
}

/// A validity end: the date, or [`OPEN_ENDED`] when the license has none.
#[derive(Debug, Clone, Copy)]
struct Until<D>(Option<D>);

impl<D: fmt::Display> fmt::Display for Until<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(d) => d.fmt(f),
            None => f.write_str(OPEN_ENDED),
        }
    }
}

/// Serializes a displayable value as a JSON string without an intermediate `String`.
#[derive(Debug, Clone, Copy)]
struct Text<T>(T);

impl<T: fmt::Display> Serialize for Text<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

/// City-library dates: `yyyy年MM月dd日`.
pub fn city_date(d: NaiveDate) -> String {
    city(d).to_string()
}

/// Province face and QR city dates: `yyyy-MM-dd`.
pub fn iso_date(d: NaiveDate) -> String {
    iso(d).to_string()
}

/// The `head` of an envelope (API.md §1): a string status and the message; on successes the
/// answering library's `type`; the QR city answer's `sign` and `time`; shengShiStateInfo's
/// `shengIsExists` and `shiIsExists`.
#[derive(Debug, Clone, Serialize)]
pub struct Head<'a> {
    status: Cow<'a, str>,
    message: Cow<'a, str>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sign: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    time: Option<u64>,
    #[serde(rename = "shengIsExists", skip_serializing_if = "Option::is_none")]
    sheng_is_exists: Option<&'static str>,
    #[serde(rename = "shiIsExists", skip_serializing_if = "Option::is_none")]
    shi_is_exists: Option<&'static str>,
}

impl Head<'static> {
    fn success(library: Library, message: &'static str) -> Self {
        Head {
            status: Cow::Borrowed("0"),
            message: Cow::Borrowed(message),
            kind: Some(library.head_type()),
            sign: None,
            time: None,
            sheng_is_exists: None,
            shi_is_exists: None,
        }
    }
}

/// An answer on the wire: `{"head": …, "data": …}`.
#[derive(Debug, Clone, Serialize)]
pub struct Envelope<'a, D> {
    /// Status, message and the interface's extra head fields.
    pub head: Head<'a>,
    /// The interface's data shape (API.md §6).
    pub data: D,
}

/// `{"total": …, "dataList": […]}`.
#[derive(Debug, Clone, Serialize)]
pub struct List<T> {
    total: u64,
    #[serde(rename = "dataList")]
    data_list: Vec<T>,
}

fn list<T>(total: u64, data_list: Vec<T>) -> List<T> {
    List { total, data_list }
}

/// One of two data shapes, written as the shape itself (the province's or the city's).
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Either<P, C> {
    /// The province library's shape.
    Province(P),
    /// The city library's shape.
    City(C),
}

fn message_for(library: Library) -> &'static str {
    match library {
        Library::Province => SUCCESS_MESSAGE_PROVINCE,
        Library::City => SUCCESS_MESSAGE_CITY,
    }
}

/// A success envelope.
pub fn success<D>(library: Library, data: D) -> Envelope<'static, D> {
    Envelope {
        head: Head::success(library, message_for(library)),
        data,
    }
}

/// A failure envelope: the code's message with `：detail`, and the reason again as `data`.
pub fn failure(e: &ServiceError) -> Envelope<'static, String> {
    let data = e
        .detail
        .clone()
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| e.code.message().to_owned());
    Envelope {
        head: Head {
            status: Cow::Owned(e.code.code().to_string()),
            message: Cow::Owned(e.message()),
            kind: None,
            sign: None,
            time: None,
            sheng_is_exists: None,
            shi_is_exists: None,
        },
        data,
    }
}

/// A province face: the stored fields in key order, then `cert_identifier`, then (on
/// shengShiStateInfo) the city's `fileNumber`. A stored field of either name keeps its place
/// and takes the value.
#[derive(Debug, Clone, Copy)]
pub struct Face<'a> {
    face: &'a ProvinceFace,
    file_number: Option<&'a str>,
}

const CERT_IDENTIFIER: &str = "cert_identifier";
const FILE_NUMBER: &str = "fileNumber";

impl Serialize for Face<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let f = self.face;
        let mut m = s.serialize_map(None)?;
        for (k, v) in &f.fields {
            match k.as_str() {
                CERT_IDENTIFIER => m.serialize_entry(k, &f.cert_identifier)?,
                FILE_NUMBER if self.file_number.is_some() => {
                    m.serialize_entry(k, &self.file_number)?
                }
                _ => m.serialize_entry(k, v)?,
            }
        }
        if !f.fields.contains_key(CERT_IDENTIFIER) {
            m.serialize_entry(CERT_IDENTIFIER, &f.cert_identifier)?;
        }
        if let Some(n) = self.file_number
            && !f.fields.contains_key(FILE_NUMBER)
        {
            m.serialize_entry(FILE_NUMBER, n)?;
        }
        m.end()
    }
}

/// A province face: the stored fields plus `cert_identifier`.
pub fn province_face(f: &ProvinceFace) -> Face<'_> {
    Face {
        face: f,
        file_number: None,
    }
}

/// A city record of ShareQueryCertInfo / ShareQueryCertInfoByHo.
#[derive(Debug, Clone, Serialize)]
pub struct CityRecordOut<'a> {
    #[serde(rename = "certificateHolder")]
    holder: &'a str,
    #[serde(rename = "certificateValidateStart")]
    validate_start: Text<Day>,
    #[serde(rename = "certificateValidateEnd")]
    validate_end: Text<Until<Day>>,
    #[serde(rename = "issueDept")]
    issue_dept: &'a str,
    #[serde(rename = "certificateID")]
    certificate_id: &'a str,
    #[serde(rename = "certificateName")]
    certificate_name: &'a str,
    #[serde(rename = "certificateHolderType")]
    holder_type: &'a str,
    #[serde(rename = "certificateNumber")]
    certificate_number: &'a str,
    #[serde(rename = "issueDeptCode")]
    issue_dept_code: &'a str,
    #[serde(rename = "certificateHolderCode")]
    holder_code: &'a str,
    detail: [(); 0],
    #[serde(rename = "issueDate")]
    issue_date: Text<Day>,
    #[serde(rename = "digitalSign")]
    digital_sign: &'a str,
    #[serde(rename = "certificateType")]
    certificate_type: &'a str,
    #[serde(rename = "certificateState")]
    state: &'static str,
}

/// A city record of ShareQueryCertInfo / ShareQueryCertInfoByHo.
pub fn city_record(r: &CityRecord) -> CityRecordOut<'_> {
    CityRecordOut {
        holder: &r.holder,
        validate_start: Text(city(r.validate_start)),
        validate_end: Text(Until(r.validate_end.map(city))),
        issue_dept: &r.issue_dept,
        certificate_id: &r.certificate_id,
        certificate_name: &r.certificate_name,
        holder_type: &r.holder_type,
        certificate_number: &r.certificate_number,
        issue_dept_code: &r.issue_dept_code,
        holder_code: &r.holder_code,
        detail: [],
        issue_date: Text(city(r.issue_date)),
        digital_sign: &r.digital_sign,
        certificate_type: &r.certificate_type,
        state: r.state.label(),
    }
}

/// ShareQueryCertInfo / ShareQueryCertInfoByHo.
pub fn records(
    a: &Answer<LicenseRecords>,
) -> Envelope<'static, Either<List<Face<'_>>, List<CityRecordOut<'_>>>> {
    let data = match &a.data {
        Shaped::Province(p) => {
            Either::Province(list(p.total, p.items.iter().map(province_face).collect()))
        }
        Shaped::City(p) => Either::City(list(p.total, p.items.iter().map(city_record).collect())),
    };
    success(a.library, data)
}

/// A province download link.
#[derive(Debug, Clone, Serialize)]
pub struct ProvinceLinkOut<'a> {
    #[serde(rename = "certIdentifier")]
    cert_identifier: &'a str,
    #[serde(rename = "contentType")]
    content_type: &'a str,
    content: &'a str,
}

/// A city download link.
#[derive(Debug, Clone, Serialize)]
pub struct CityLinkOut<'a> {
    #[serde(rename = "issueDept")]
    issue_dept: &'a str,
    #[serde(rename = "certificateNumber")]
    certificate_number: &'a str,
    #[serde(rename = "fileUrl")]
    file_url: &'a str,
    #[serde(rename = "issueDate")]
    issue_date: Text<Day>,
    #[serde(rename = "fileFormat")]
    file_format: &'a str,
    #[serde(rename = "certificateType")]
    certificate_type: &'a str,
}

/// ShareDownloadUrl / ShareDownloadUrlsByHolderCode.
pub fn links(
    a: &Answer<DownloadLinks>,
) -> Envelope<'static, Either<List<ProvinceLinkOut<'_>>, List<CityLinkOut<'_>>>> {
    let data = match &a.data {
        Shaped::Province(p) => Either::Province(list(
            p.total,
            p.items
                .iter()
                .map(|l| ProvinceLinkOut {
                    cert_identifier: &l.cert_identifier,
                    content_type: &l.content_type,
                    content: &l.url,
                })
                .collect(),
        )),
        Shaped::City(p) => Either::City(list(
            p.total,
            p.items
                .iter()
                .map(|l| CityLinkOut {
                    issue_dept: &l.issue_dept,
                    certificate_number: &l.certificate_number,
                    file_url: &l.file_url,
                    issue_date: Text(city(l.issue_date)),
                    file_format: &l.file_format,
                    certificate_type: &l.certificate_type,
                })
                .collect(),
        )),
    };
    success(a.library, data)
}

/// A verification result with its message; `R` is a number (information variant, province)
/// or a string (file variant).
#[derive(Debug, Clone, Serialize)]
pub struct Verdict<R> {
    result: R,
    message: &'static str,
}

/// The city's answer to an information verification.
#[derive(Debug, Clone, Serialize)]
pub struct CityVerdict {
    #[serde(rename = "verifyResult")]
    verify_result: &'static str,
}

/// ShareVerifyCertInfo, information variant: the result is a JSON number.
pub fn info_verification(
    a: &Answer<InfoVerification>,
) -> Envelope<'static, Either<List<Verdict<u8>>, CityVerdict>> {
    let data = match &a.data {
        Shaped::Province(r) => Either::Province(list(
            1,
            vec![Verdict {
                result: r.code(),
                message: r.message(),
            }],
        )),
        Shaped::City(ok) => Either::City(CityVerdict {
            verify_result: if *ok { "true" } else { "false" },
        }),
    };
    success(a.library, data)
}

/// ShareVerifyCertInfo, file variant: the result is a JSON string.
pub fn file_verification(a: &Answer<FileVerifyResult>) -> Envelope<'static, Verdict<String>> {
    success(
        a.library,
        Verdict {
            result: a.data.code().to_string(),
            message: a.data.message(),
        },
    )
}

/// The city record of ShareQueryCertInfoByQRcode.
#[derive(Debug, Clone, Serialize)]
pub struct QrCityOut<'a> {
    img_sign_fileid: &'a str,
    license_name: &'a str,
    #[serde(rename = "fileNumber")]
    file_number: &'a str,
    issue_unitname: &'a str,
    valid_time_begin: Text<Day>,
    holder: &'a str,
    license_state: &'static str,
    valid_time_end: Text<Until<Day>>,
    #[serde(rename = "licenseId")]
    license_id: &'a str,
    #[serde(rename = "abstractCode")]
    abstract_code: &'a str,
    license_number: &'a str,
}

/// ShareQueryCertInfoByQRcode; the city answer's head adds `sign` and `time`.
pub fn qr(a: &Answer<QrRecords>) -> Envelope<'static, Either<List<Face<'_>>, QrCityOut<'_>>> {
    match &a.data {
        Shaped::Province(p) => success(
            a.library,
            Either::Province(list(p.total, p.items.iter().map(province_face).collect())),
        ),
        Shaped::City(r) => Envelope {
            head: Head {
                sign: Some(""),
                time: Some(r.elapsed_ms),
                ..Head::success(a.library, SUCCESS_MESSAGE_QR_CITY)
            },
            data: Either::City(QrCityOut {
                img_sign_fileid: &r.img_sign_fileid,
                license_name: &r.license_name,
                file_number: &r.file_number,
                issue_unitname: &r.issue_unitname,
                valid_time_begin: Text(iso(r.valid_time_begin)),
                holder: &r.holder,
                license_state: r.license_state.label(),
                valid_time_end: Text(Until(r.valid_time_end.map(iso))),
                license_id: &r.license_id,
                abstract_code: &r.abstract_code,
                license_number: &r.license_number,
            }),
        },
    }
}

/// A file's content: one base64 OFD, or base64 JPEG pages.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Content {
    /// The OFD.
    One(String),
    /// The page images.
    Pages(Vec<String>),
}

/// A downloaded file.
#[derive(Debug, Clone, Serialize)]
pub struct FileOut<'a> {
    #[serde(rename = "certIdentifier")]
    cert_identifier: &'a str,
    #[serde(rename = "contentType")]
    content_type: &'static str,
    content: Content,
}

/// ShareDownloadFile: base64 OFD, or an array of base64 JPEG pages.
pub fn downloaded_file(a: &Answer<DownloadedFile>) -> Envelope<'static, List<FileOut<'_>>> {
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let content = match &a.data.content {
        FileContent::Ofd(b) => Content::One(b64(b)),
        FileContent::PageImages(pages) => Content::Pages(pages.iter().map(|p| b64(p)).collect()),
    };
    success(
        a.library,
        list(
            1,
            vec![FileOut {
                cert_identifier: &a.data.cert_identifier,
                content_type: "base64",
                content,
            }],
        ),
    )
}

/// The identifier insertToProvince gave.
#[derive(Debug, Clone, Serialize)]
pub struct Inserted<'a> {
    #[serde(rename = "certIdentifier")]
    cert_identifier: &'a str,
}

/// insertToProvince.
pub fn inserted(library: Library, identifier: &str) -> Envelope<'static, List<Inserted<'_>>> {
    success(
        library,
        list(
            1,
            vec![Inserted {
                cert_identifier: identifier,
            }],
        ),
    )
}

/// updateToProvince / deleteToProvince.
pub fn no_data(library: Library) -> Envelope<'static, ()> {
    success(library, ())
}

/// downloadPdfFile.
pub fn pdf(library: Library, bytes: &[u8]) -> Envelope<'static, List<String>> {
    success(
        library,
        list(
            1,
            vec![base64::engine::general_purpose::STANDARD.encode(bytes)],
        ),
    )
}

/// shengShiStateInfo: head adds `shengIsExists` / `shiIsExists`; `data` null when neither.
pub fn sheng_shi(s: &ShengShiState) -> Envelope<'static, Option<List<Face<'_>>>> {
    let library = if s.in_province {
        Library::Province
    } else {
        Library::City
    };
    let flag = |b: bool| Some(if b { "1" } else { "0" });
    let data = (!s.records.is_empty()).then(|| {
        list(
            s.records.len() as u64,
            s.records
                .iter()
                .map(|r| Face {
                    face: &r.face,
                    file_number: r.file_number.as_deref(),
                })
                .collect(),
        )
    });
    Envelope {
        head: Head {
            sheng_is_exists: flag(s.in_province),
            shi_is_exists: flag(s.in_city),
            ..Head::success(library, message_for(library))
        },
        data,
    }
}

#[cfg(test)]
mod tests;
