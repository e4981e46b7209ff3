//! What a license file carries: the GB/T 36903 metadata of the license, and for an annotated
//! copy (加注件) the facts of its making.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use license_core::License;
use license_core::license::OPEN_ENDED;

/// The license as its file states it (GB/T 36903 metadata plus the face fields).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LicenseDocument {
    /// GB/T 36904 identifier.
    pub identifier: String,
    /// City file number.
    pub file_number: String,
    /// Certificate name (the title of the face).
    pub certificate_name: String,
    /// 21-character cert-type code.
    pub cert_type_code: String,
    /// Certificate number.
    pub certificate_number: String,
    /// Holder.
    pub holder: String,
    /// Holder code.
    pub holder_code: String,
    /// Holder-code type.
    pub holder_code_type: String,
    /// Issuing department.
    pub issue_dept: String,
    /// Issuing department's code.
    pub issue_dept_code: String,
    /// Issue date.
    pub issue_date: NaiveDate,
    /// First day of validity.
    pub valid_from: NaiveDate,
    /// Last day of validity; `None` = 长期.
    pub valid_to: Option<NaiveDate>,
    /// Type-specific face fields.
    pub face: BTreeMap<String, String>,
    /// The QR value (verification page URL).
    pub qr_value: String,
}

impl LicenseDocument {
    /// The document for a license and its QR value.
    pub fn from_license(license: &License, qr_value: impl Into<String>) -> Self {
        LicenseDocument {
            identifier: license.identifier.to_string(),
            file_number: license.file_number.clone(),
            certificate_name: license.certificate_name.clone(),
            cert_type_code: license.cert_type_code.clone(),
            certificate_number: license.certificate_number.clone(),
            holder: license.holder.clone(),
            holder_code: license.holder_code.clone(),
            holder_code_type: license.holder_code_type.clone(),
            issue_dept: license.issue_dept.clone(),
            issue_dept_code: license.issue_dept_code.clone(),
            issue_date: license.issue_date,
            valid_from: license.validity.start,
            valid_to: license.validity.end,
            face: license.face.clone(),
            qr_value: qr_value.into(),
        }
    }

    /// Validity as printed on the face: `2020年01月01日 至 2025年12月31日`, or 长期 when
    /// open-ended.
    pub fn validity_text(&self) -> String {
        match self.valid_to {
            Some(end) => format!("{} 至 {}", chinese_date(self.valid_from), chinese_date(end)),
            None => format!("{} 至 {OPEN_ENDED}", chinese_date(self.valid_from)),
        }
    }
}

/// `yyyy年MM月dd日` (API.md §1).
pub fn chinese_date(d: NaiveDate) -> String {
    d.format("%Y年%m月%d日").to_string()
}

/// The facts an annotated copy (加注件) states and records (API.md §7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyFacts {
    /// Calling system.
    pub system_name: String,
    /// Matter.
    pub matter_name: String,
    /// Cause.
    pub cause: String,
    /// Who made the copy.
    pub creator: String,
    /// When it was made.
    pub made_at: DateTime<Utc>,
    /// Last day the copy is valid.
    pub expires_on: NaiveDate,
}

impl From<&license_core::ports::Annotation> for CopyFacts {
    fn from(a: &license_core::ports::Annotation) -> Self {
        CopyFacts {
            system_name: a.system_name.clone(),
            matter_name: a.matter_name.clone(),
            cause: a.cause.clone(),
            creator: a.creator.clone(),
            made_at: a.made_at,
            expires_on: a.expires_on,
        }
    }
}
