//! Licenses in the two answer shapes (API.md §5, §6).

use chrono::NaiveDate;
use license_core::License;
use license_core::service::{CityRecord, ProvinceFace, QrCityRecord};
use license_dict::cert_types;

/// The type's primary name, falling back to the license's own name.
pub(crate) fn type_name(l: &License) -> String {
    cert_types()
        .primary_name(&l.cert_type_code)
        .map_or_else(|| l.certificate_name.clone(), str::to_owned)
}

/// Province shape: the stored face fields plus `cert_identifier`.
pub(crate) fn province_face(l: &License) -> ProvinceFace {
    ProvinceFace {
        cert_identifier: l
            .province_identifier
            .clone()
            .unwrap_or_else(|| l.identifier.to_string()),
        fields: l.face.clone(),
    }
}

/// City shape of ShareQueryCertInfo / ShareQueryCertInfoByHo.
pub(crate) fn city_record(l: &License, today: NaiveDate) -> CityRecord {
    CityRecord {
        holder: l.holder.clone(),
        validate_start: l.validity.start,
        validate_end: l.validity.end,
        issue_dept: l.issue_dept.clone(),
        certificate_id: l.file_number.clone(),
        certificate_name: l.certificate_name.clone(),
        holder_type: l.holder_code_type.clone(),
        certificate_number: l.certificate_number.clone(),
        issue_dept_code: l.issue_dept_code.clone(),
        holder_code: l.holder_code.clone(),
        issue_date: l.issue_date,
        digital_sign: String::new(),
        certificate_type: type_name(l),
        state: l.status_on(today),
    }
}

/// City shape of ShareQueryCertInfoByQRcode.
pub(crate) fn qr_city(l: &License, today: NaiveDate, elapsed_ms: u64) -> QrCityRecord {
    QrCityRecord {
        img_sign_fileid: l.identifier.to_string(),
        license_name: l.certificate_name.clone(),
        file_number: l.file_number.clone(),
        issue_unitname: l.issue_dept.clone(),
        valid_time_begin: l.validity.start,
        holder: l.holder.clone(),
        license_state: l.status_on(today),
        valid_time_end: l.validity.end,
        license_id: l.identifier.to_string(),
        abstract_code: l.abstract_code.clone(),
        license_number: l.certificate_number.clone(),
        elapsed_ms,
    }
}
