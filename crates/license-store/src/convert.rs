//! Conversions between stored rows and core's types.

use std::collections::BTreeMap;

use license_core::context::{CallCategory, CallContext, OperatorDetails};
use license_core::ports::{Account, AuditEvent, PortError, PortResult, StoredToken};
use license_core::{
    CertIdentifier, CheckPolicy, Interface, License, LicenseState, ReturnCode, Role, Validity,
};
use sea_orm::ActiveValue::{NotSet, Set};
use serde_json::{Map, Value, json};

use crate::entity::{account, audit_event, license, token};

fn corrupt(what: impl Into<String>) -> PortError {
    PortError::Corrupt(what.into())
}

/// A stored license row back to a license.
pub(crate) fn license_from(m: license::Model) -> PortResult<License> {
    let identifier = CertIdentifier::parse_lenient(&m.identifier, CheckPolicy::Compatible)
        .map_err(|e| corrupt(format!("license {}: identifier {e}", m.id)))?;
    let state = LicenseState::from_name(&m.state)
        .ok_or_else(|| corrupt(format!("license {}: state {:?}", m.id, m.state)))?;
    let face: BTreeMap<String, String> = match m.face {
        Value::Object(map) => map
            .into_iter()
            .map(|(k, v)| match v {
                Value::String(s) => (k, s),
                other => (k, other.to_string()),
            })
            .collect(),
        _ => BTreeMap::new(),
    };
    Ok(License {
        identifier,
        file_number: m.file_number,
        province_identifier: m.province_identifier,
        cert_type_code: m.cert_type_code,
        certificate_name: m.certificate_name,
        certificate_number: m.certificate_number,
        holder: m.holder,
        holder_code: m.holder_code,
        holder_code_type: m.holder_code_type,
        issue_dept: m.issue_dept,
        issue_dept_code: m.issue_dept_code,
        issue_date: m.issue_date,
        validity: Validity {
            start: m.valid_from,
            end: m.valid_to,
        },
        state,
        state_reason: m.state_reason,
        state_changed_at: m.state_changed_at,
        face,
        abstract_code: m.abstract_code,
        qr_token: m.qr_token,
        version: u16::try_from(m.version).map_err(|_| corrupt("version out of range"))?,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

/// A license as a row to insert (`id` unset) or update.
pub(crate) fn license_to(l: &License) -> license::ActiveModel {
    let face: Map<String, Value> = l
        .face
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    license::ActiveModel {
        id: NotSet,
        identifier: Set(l.identifier.to_string()),
        file_number: Set(l.file_number.clone()),
        province_identifier: Set(l.province_identifier.clone()),
        cert_type_code: Set(l.cert_type_code.clone()),
        certificate_name: Set(l.certificate_name.clone()),
        certificate_number: Set(l.certificate_number.clone()),
        holder: Set(l.holder.clone()),
        holder_code: Set(l.holder_code.clone()),
        holder_code_type: Set(l.holder_code_type.clone()),
        issue_dept: Set(l.issue_dept.clone()),
        issue_dept_code: Set(l.issue_dept_code.clone()),
        issue_date: Set(l.issue_date),
        valid_from: Set(l.validity.start),
        valid_to: Set(l.validity.end),
        state: Set(l.state.name().to_owned()),
        state_reason: Set(l.state_reason.clone()),
        state_changed_at: Set(l.state_changed_at),
        face: Set(Value::Object(face)),
        abstract_code: Set(l.abstract_code.clone()),
        qr_token: Set(l.qr_token.clone()),
        version: Set(i32::from(l.version)),
        created_at: Set(l.created_at),
        updated_at: Set(l.updated_at),
    }
}

fn join<T>(items: &[T], f: impl Fn(&T) -> &str) -> String {
    items.iter().map(f).collect::<Vec<_>>().join(",")
}

fn split(s: &str) -> impl Iterator<Item = &str> {
    s.split(',').map(str::trim).filter(|x| !x.is_empty())
}

pub(crate) fn account_from(m: account::Model) -> PortResult<Account> {
    let roles = split(&m.roles)
        .map(|r| {
            Role::from_name(r).ok_or_else(|| corrupt(format!("account {}: role {r}", m.username)))
        })
        .collect::<PortResult<Vec<_>>>()?;
    Ok(Account {
        username: m.username,
        password_hash: m.password_hash,
        roles,
        cert_types: split(&m.cert_types).map(str::to_owned).collect(),
        enabled: m.enabled,
        department: m.department,
        holder_search_per_minute: m
            .holder_search_per_minute
            .and_then(|n| u32::try_from(n).ok()),
        rate_limit_per_minute: m.rate_limit_per_minute.and_then(|n| u32::try_from(n).ok()),
    })
}

pub(crate) fn account_to(
    a: &Account,
    created_at: chrono::DateTime<chrono::Utc>,
) -> account::ActiveModel {
    account::ActiveModel {
        id: NotSet,
        username: Set(a.username.clone()),
        password_hash: Set(a.password_hash.clone()),
        roles: Set(join(&a.roles, |r| r.name())),
        cert_types: Set(join(&a.cert_types, String::as_str)),
        enabled: Set(a.enabled),
        department: Set(a.department.clone()),
        holder_search_per_minute: Set(a
            .holder_search_per_minute
            .map(|n| n.min(i32::MAX as u32) as i32)),
        rate_limit_per_minute: Set(a
            .rate_limit_per_minute
            .map(|n| n.min(i32::MAX as u32) as i32)),
        created_at: Set(created_at),
    }
}

pub(crate) fn token_from(m: token::Model) -> StoredToken {
    StoredToken {
        access_digest: m.access_digest,
        refresh_digest: m.refresh_digest,
        username: m.username,
        client_id: m.client_id,
        scope: m.scope,
        access_expires_at: m.access_expires_at,
        refresh_expires_at: m.refresh_expires_at,
    }
}

fn context_json(c: &CallContext) -> Value {
    json!({
        "certificateSystemName": c.system_name,
        "certificateCallCategory": c.call_category.code(),
        "certificateMatterName": c.matter_name,
        "certificateEventCode": c.event_code,
        "certificateCopyCause": c.copy_cause,
        "callDistrict": c.call_district,
        "callDepartment": c.call_department,
        "districtLevel": c.district_level,
    })
}

fn context_from(v: &Value) -> Option<CallContext> {
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    Some(CallContext {
        system_name: s("certificateSystemName")?,
        call_category: match s("certificateCallCategory")?.as_str() {
            "0" => CallCategory::Matter,
            _ => CallCategory::NonMatter,
        },
        matter_name: s("certificateMatterName")?,
        event_code: s("certificateEventCode")?,
        copy_cause: s("certificateCopyCause")?,
        call_district: s("callDistrict"),
        call_department: s("callDepartment"),
        district_level: s("districtLevel"),
    })
}

/// Operator details as stored: a JSON object of the given fields under their parameter names.
fn operator_json(o: &OperatorDetails) -> Value {
    let map: Map<String, Value> = o
        .fields()
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| (k.to_owned(), Value::String(v.clone()))))
        .collect();
    Value::Object(map)
}

fn operator_from(v: &Value) -> OperatorDetails {
    use license_core::params as p;
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    OperatorDetails {
        area_code: s(p::CLIENT_INFO_AREA_CODE),
        dept_code: s(p::CLIENT_INFO_DEPT_CODE),
        oper_name: s(p::CLIENT_INFO_OPER_NAME),
        dept_name: s(p::DEPT_NAME),
        whose: s(p::WHOSE),
        category: s(p::CATEGORY),
        license_type_code: s(p::LICENSE_TYPE_CODE),
        oper_user_name: s(p::OPER_USER_NAME),
        oper_time: s(p::OPER_TIME),
        oper_user_ip: s(p::OPER_USER_IP),
    }
}

pub(crate) fn audit_to(e: &AuditEvent, event_key: String) -> audit_event::ActiveModel {
    audit_event::ActiveModel {
        id: NotSet,
        event_key: Set(event_key),
        at: Set(e.at),
        request_id: Set(e.request_id.clone()),
        interface: Set(e.interface.label().to_owned()),
        username: Set(e.username.clone()),
        client_addr: Set(e.client_addr.clone()),
        code: Set(i32::from(e.code.code())),
        context: Set(e.context.as_ref().map(context_json)),
        operator: Set(e.operator.as_ref().map(operator_json)),
        licenses: Set(Value::Array(
            e.licenses.iter().cloned().map(Value::String).collect(),
        )),
        license: Set(single_license(e).map(str::to_owned)),
        holder_code: Set(e.holder_code.clone()),
        in_library: Set(e.in_library),
        latency_us: Set(i64::try_from(e.latency_us).unwrap_or(i64::MAX)),
        purpose: Set(e.purpose.clone()),
    }
}

/// The one license an event touched, kept on its own row; `None` when it touched none or
/// several (those link through `audit_licenses`).
pub(crate) fn single_license(e: &AuditEvent) -> Option<&str> {
    match e.licenses.as_slice() {
        [one] => Some(one),
        _ => None,
    }
}

pub(crate) fn audit_from(m: audit_event::Model) -> PortResult<AuditEvent> {
    Ok(AuditEvent {
        at: m.at,
        request_id: m.request_id,
        interface: Interface::from_label(&m.interface)
            .ok_or_else(|| corrupt(format!("audit {}: interface {}", m.id, m.interface)))?,
        username: m.username,
        client_addr: m.client_addr,
        context: m.context.as_ref().and_then(context_from),
        operator: m.operator.as_ref().map(operator_from),
        code: u16::try_from(m.code)
            .ok()
            .and_then(ReturnCode::from_code)
            .ok_or_else(|| corrupt(format!("audit {}: code {}", m.id, m.code)))?,
        licenses: match m.licenses {
            Value::Array(a) => a
                .into_iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        },
        holder_code: m.holder_code,
        in_library: m.in_library,
        latency_us: u64::try_from(m.latency_us).unwrap_or(0),
        purpose: m.purpose,
    })
}
