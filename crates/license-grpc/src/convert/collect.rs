//! The collection extension's messages: a city's push of a license to its province.

use std::collections::BTreeMap;

use license_core::ServiceError;
use license_core::service::*;

use crate::pb;

use super::*;

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
