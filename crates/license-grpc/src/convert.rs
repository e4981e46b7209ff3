//! Explicit conversions between core's transport-neutral types and the proto messages.
//!
//! Requests convert both ways without loss (every raw parameter is an `optional string`).
//! Answers convert from core infallibly; back into core they are checked, and an answer that
//! is not in the contract's shape is return code `1` (the node's answer cannot be used).

use chrono::{Datelike, NaiveDate};
use license_core::ServiceError;
use license_core::context::{OperatorDetails, RawCallContext};
use license_core::service::*;
use license_core::{Library, LicenseStatus, ReturnCode};

use crate::pb;

mod answers;
mod checked;
mod collect;

pub(crate) use checked::*;

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

#[cfg(test)]
mod tests;
