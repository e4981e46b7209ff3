//! Reading a node's answers back into core's types: envelope failures, dates, states, pages,
//! faces, records and links; anything out of shape is `1` (garbled).

use std::collections::BTreeMap;

use base64::Engine;
use chrono::NaiveDate;
use license_core::license::OPEN_ENDED;
use license_core::service::*;
use license_core::{Library, LicenseStatus, ReturnCode, ServiceError};
use serde_json::Value;

pub(super) fn garbled(what: &str) -> ServiceError {
    ServiceError::new(
        ReturnCode::UpstreamUnreachable,
        format!("the node's answer is not in the contract's shape: {what}"),
    )
}

/// A token request that never reached an answer.
pub(super) fn unavailable_grant(e: ServiceError) -> TokenError {
    TokenError {
        kind: OAuthErrorKind::TemporarilyUnavailable,
        description: e.detail.unwrap_or_else(|| e.code.message().to_owned()),
    }
}

/// The `ServiceError` an envelope's failure head and data stand for (inverse of
/// [`envelope::failure`](crate::envelope::failure)).
pub(super) fn envelope_error(head: &Value, data: &Value, retry_after: Option<u32>) -> ServiceError {
    let code = head["status"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .and_then(ReturnCode::from_code)
        .unwrap_or(ReturnCode::Other);
    let detail = data
        .as_str()
        .filter(|d| !d.is_empty() && *d != code.message())
        .map(str::to_owned);
    ServiceError {
        code,
        detail,
        retry_after_secs: retry_after,
    }
}

pub(super) fn library(head: &Value) -> Result<Library, ServiceError> {
    match head["type"].as_str() {
        Some("1") => Ok(Library::Province),
        Some("2") => Ok(Library::City),
        _ => Err(garbled("head.type")),
    }
}

pub(super) fn text(v: &Value, key: &str) -> Result<String, ServiceError> {
    match &v[key] {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err(garbled(key)),
    }
}

pub(super) fn city_date(v: &Value, key: &str) -> Result<NaiveDate, ServiceError> {
    NaiveDate::parse_from_str(&text(v, key)?, "%Y年%m月%d日").map_err(|_| garbled(key))
}

pub(super) fn iso_date(v: &Value, key: &str) -> Result<NaiveDate, ServiceError> {
    NaiveDate::parse_from_str(&text(v, key)?, "%Y-%m-%d").map_err(|_| garbled(key))
}

pub(super) fn end_date(
    v: &Value,
    key: &str,
    parse: fn(&Value, &str) -> Result<NaiveDate, ServiceError>,
) -> Result<Option<NaiveDate>, ServiceError> {
    if text(v, key)? == OPEN_ENDED {
        Ok(None)
    } else {
        parse(v, key).map(Some)
    }
}

pub(super) fn status(v: &Value, key: &str) -> Result<LicenseStatus, ServiceError> {
    LicenseStatus::from_label(&text(v, key)?).ok_or_else(|| garbled(key))
}

pub(super) fn page<T>(
    data: &Value,
    item: impl Fn(&Value) -> Result<T, ServiceError>,
) -> Result<Page<T>, ServiceError> {
    let total = data["total"].as_u64().ok_or_else(|| garbled("total"))?;
    let items = data["dataList"]
        .as_array()
        .ok_or_else(|| garbled("dataList"))?
        .iter()
        .map(item)
        .collect::<Result<_, _>>()?;
    Ok(Page { total, items })
}

pub(super) fn province_face(v: &Value) -> Result<ProvinceFace, ServiceError> {
    let obj = v.as_object().ok_or_else(|| garbled("face"))?;
    let mut fields = BTreeMap::new();
    let mut cert_identifier = None;
    for (k, val) in obj {
        let s = match val {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        };
        if k == "cert_identifier" {
            cert_identifier = Some(s);
        } else {
            fields.insert(k.clone(), s);
        }
    }
    Ok(ProvinceFace {
        cert_identifier: cert_identifier.ok_or_else(|| garbled("cert_identifier"))?,
        fields,
    })
}

pub(super) fn city_record(v: &Value) -> Result<CityRecord, ServiceError> {
    Ok(CityRecord {
        holder: text(v, "certificateHolder")?,
        validate_start: city_date(v, "certificateValidateStart")?,
        validate_end: end_date(v, "certificateValidateEnd", city_date)?,
        issue_dept: text(v, "issueDept")?,
        certificate_id: text(v, "certificateID")?,
        certificate_name: text(v, "certificateName")?,
        holder_type: text(v, "certificateHolderType")?,
        certificate_number: text(v, "certificateNumber")?,
        issue_dept_code: text(v, "issueDeptCode")?,
        holder_code: text(v, "certificateHolderCode")?,
        issue_date: city_date(v, "issueDate")?,
        digital_sign: text(v, "digitalSign")?,
        certificate_type: text(v, "certificateType")?,
        state: status(v, "certificateState")?,
    })
}

pub(super) fn b64(s: &str) -> Result<Vec<u8>, ServiceError> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|_| garbled("base64 content"))
}

pub(super) fn records(library: Library, data: &Value) -> Result<LicenseRecords, ServiceError> {
    Ok(match library {
        Library::Province => Shaped::Province(page(data, province_face)?),
        Library::City => Shaped::City(page(data, city_record)?),
    })
}

pub(super) fn links(library: Library, data: &Value) -> Result<DownloadLinks, ServiceError> {
    Ok(match library {
        Library::Province => Shaped::Province(page(data, |v| {
            Ok(ProvinceLink {
                cert_identifier: text(v, "certIdentifier")?,
                content_type: text(v, "contentType")?,
                url: text(v, "content")?,
            })
        })?),
        Library::City => Shaped::City(page(data, |v| {
            Ok(CityLink {
                issue_dept: text(v, "issueDept")?,
                certificate_number: text(v, "certificateNumber")?,
                file_url: text(v, "fileUrl")?,
                issue_date: city_date(v, "issueDate")?,
                file_format: text(v, "fileFormat")?,
                certificate_type: text(v, "certificateType")?,
            })
        })?),
    })
}
