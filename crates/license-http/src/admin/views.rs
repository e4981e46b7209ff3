//! The admin API's request bodies, query strings and views, and their conversions to and
//! from the service's types.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use license_core::admin::{CertTypeView, ImportReport, NewLicense};
use license_core::ports::Account;
use license_core::service::Page;
use license_core::{License, ReturnCode, ServiceError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::*;

/// A license as administrators see it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LicenseView {
    /// GB/T 36904 identifier.
    #[schema(
        example = "1.2.156.3005.2.11100000000013338W001.113704000043519521.00000000000000001.001.K"
    )]
    pub cert_identifier: String,
    /// File number.
    pub file_number: String,
    /// The province library's identifier, once pushed.
    pub province_identifier: Option<String>,
    /// 21-character cert-type code.
    pub cert_type_code: String,
    /// Certificate name.
    pub certificate_name: String,
    /// Certificate number.
    pub certificate_number: String,
    /// Holder.
    pub certificate_holder: String,
    /// Holder code.
    pub certificate_holder_code: String,
    /// Holder-code type.
    pub certificate_holder_type: String,
    /// Issuing department.
    pub issue_dept: String,
    /// Issuing department's code.
    pub issue_dept_code: String,
    /// `yyyy-MM-dd`.
    pub issue_date: String,
    /// `yyyy-MM-dd`.
    pub certificate_validate_start: String,
    /// `yyyy-MM-dd`, or null for 长期.
    pub certificate_validate_end: Option<String>,
    /// `pending` | `valid` | `suspended` | `revoked`.
    pub state: String,
    /// Why the state last changed.
    pub state_reason: Option<String>,
    /// When the state last changed.
    pub state_changed_at: Option<DateTime<Utc>>,
    /// Face fields.
    pub face: BTreeMap<String, String>,
    /// 9-character extraction code.
    pub abstract_code: String,
    /// The QR value (the public verification page).
    pub qr_token: String,
    /// Version (001 = 1).
    pub version: u16,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<License> for LicenseView {
    fn from(l: License) -> Self {
        LicenseView {
            cert_identifier: l.identifier.to_string(),
            file_number: l.file_number,
            province_identifier: l.province_identifier,
            cert_type_code: l.cert_type_code,
            certificate_name: l.certificate_name,
            certificate_number: l.certificate_number,
            certificate_holder: l.holder,
            certificate_holder_code: l.holder_code,
            certificate_holder_type: l.holder_code_type,
            issue_dept: l.issue_dept,
            issue_dept_code: l.issue_dept_code,
            issue_date: crate::envelope::iso_date(l.issue_date),
            certificate_validate_start: crate::envelope::iso_date(l.validity.start),
            certificate_validate_end: l.validity.end.map(crate::envelope::iso_date),
            state: l.state.name().to_owned(),
            state_reason: l.state_reason,
            state_changed_at: l.state_changed_at,
            face: l.face,
            abstract_code: l.abstract_code,
            qr_token: l.qr_token,
            version: l.version,
            created_at: l.created_at,
            updated_at: l.updated_at,
        }
    }
}

/// One page of a listing.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageView<T> {
    /// Every match, not just this page.
    pub total: u64,
    /// This page.
    pub items: Vec<T>,
}

pub(crate) fn page_view<T, V>(p: Page<T>, f: impl Fn(T) -> V) -> PageView<V> {
    PageView {
        total: p.total,
        items: p.items.into_iter().map(f).collect(),
    }
}

/// A license to issue (the import format of one line).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IssueLicenseBody {
    /// 21-character cert-type code.
    #[schema(example = "11100000000013338W001")]
    pub cert_type_code: String,
    /// Certificate name; the type's primary name when absent.
    #[serde(default)]
    pub certificate_name: Option<String>,
    /// Certificate number.
    pub certificate_number: String,
    /// Holder.
    pub certificate_holder: String,
    /// Holder code.
    pub certificate_holder_code: String,
    /// Holder-code type code.
    pub certificate_holder_type: String,
    /// Issuing department.
    pub issue_dept: String,
    /// Issuing department's 18-character code.
    pub issue_dept_code: String,
    /// `yyyy-MM-dd`.
    pub issue_date: String,
    /// `yyyy-MM-dd`.
    pub certificate_validate_start: String,
    /// `yyyy-MM-dd`; absent or null = 长期.
    #[serde(default)]
    pub certificate_validate_end: Option<String>,
    /// `pending` | `valid` | `suspended` | `revoked` (default `valid`).
    #[serde(default)]
    pub state: Option<String>,
    /// Face fields.
    #[serde(default)]
    pub face: BTreeMap<String, String>,
    /// An existing GB/T 36904 identifier to keep.
    #[serde(default)]
    pub cert_identifier: Option<String>,
    /// An existing file number to keep.
    #[serde(default)]
    pub file_number: Option<String>,
    /// An existing extraction code to keep.
    #[serde(default)]
    pub abstract_code: Option<String>,
}

impl From<IssueLicenseBody> for NewLicense {
    fn from(b: IssueLicenseBody) -> Self {
        NewLicense {
            cert_type_code: b.cert_type_code,
            certificate_name: b.certificate_name,
            certificate_number: b.certificate_number,
            certificate_holder: b.certificate_holder,
            certificate_holder_code: b.certificate_holder_code,
            certificate_holder_type: b.certificate_holder_type,
            issue_dept: b.issue_dept,
            issue_dept_code: b.issue_dept_code,
            issue_date: b.issue_date,
            certificate_validate_start: b.certificate_validate_start,
            certificate_validate_end: b.certificate_validate_end,
            state: b.state,
            face: b.face,
            cert_identifier: b.cert_identifier,
            file_number: b.file_number,
            abstract_code: b.abstract_code,
        }
    }
}

impl From<NewLicense> for IssueLicenseBody {
    fn from(n: NewLicense) -> Self {
        IssueLicenseBody {
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
            face: n.face,
            cert_identifier: n.cert_identifier,
            file_number: n.file_number,
            abstract_code: n.abstract_code,
        }
    }
}

/// A license search.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct LicenseSearch {
    /// Holder code.
    pub holder_code: Option<String>,
    /// Cert-type code.
    pub cert_type_code: Option<String>,
    /// Issuing department's code.
    pub issue_dept_code: Option<String>,
    /// `pending` | `valid` | `suspended` | `revoked`.
    pub state: Option<String>,
    /// Certificate number.
    pub certificate_number: Option<String>,
    /// 1-based page (default 1).
    pub page: Option<u64>,
    /// Page size (default 20, at most 500).
    pub size: Option<u64>,
}

pub(crate) fn paging(page: Option<u64>, size: Option<u64>) -> Result<(u64, u64), ServiceError> {
    let page = page.unwrap_or(1);
    let size = size.unwrap_or(DEFAULT_PAGE_SIZE);
    if page == 0 || size == 0 || size > MAX_PAGE_SIZE {
        return Err(ServiceError::new(
            ReturnCode::Unparseable,
            format!("page must be at least 1 and size between 1 and {MAX_PAGE_SIZE}"),
        ));
    }
    Ok(((page - 1).saturating_mul(size), size))
}

/// A state change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StateChangeBody {
    /// `activate` | `suspend` | `revoke` | `reinstate`.
    #[schema(example = "suspend")]
    pub change: String,
    /// Why (required).
    #[schema(example = "核查中")]
    pub reason: String,
}

/// Corrections for a re-issue; absent fields stay as they were.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CorrectionBody {
    /// New certificate number.
    #[serde(default)]
    pub certificate_number: Option<String>,
    /// New holder name.
    #[serde(default)]
    pub certificate_holder: Option<String>,
    /// New end of validity (`yyyy-MM-dd`; empty string = 长期).
    #[serde(default)]
    pub certificate_validate_end: Option<String>,
    /// New face fields (replacing the old).
    #[serde(default)]
    pub face: Option<BTreeMap<String, String>>,
    /// Why (required).
    pub reason: String,
}

/// An import's outcome.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportView {
    /// Licenses imported.
    pub imported: usize,
    /// Lines rejected, with reasons.
    pub rejected: Vec<RejectedView>,
}

/// A rejected import line.
#[derive(Debug, Serialize, ToSchema)]
pub struct RejectedView {
    /// 1-based line number.
    pub line: usize,
    /// Why.
    pub reason: String,
}

impl From<ImportReport> for ImportView {
    fn from(r: ImportReport) -> Self {
        ImportView {
            imported: r.imported,
            rejected: r
                .rejected
                .into_iter()
                .map(|r| RejectedView {
                    line: r.line,
                    reason: r.reason,
                })
                .collect(),
        }
    }
}

/// An account (never its password hash).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccountView {
    /// Login name.
    pub username: String,
    /// Roles: `search`, `info`, `view`, `download`, `verify`, `sync`, `admin`.
    pub roles: Vec<String>,
    /// Cert types the account may use; empty = all.
    pub cert_types: Vec<String>,
    /// Whether it may log in.
    pub enabled: bool,
    /// Its department.
    pub department: Option<String>,
    /// Holder searches per minute; null = the node's default.
    pub holder_search_per_minute: Option<u32>,
    /// Calls of personal data per minute, all interfaces together; null = the node's default.
    pub rate_limit_per_minute: Option<u32>,
}

impl From<Account> for AccountView {
    fn from(a: Account) -> Self {
        AccountView {
            username: a.username,
            roles: a.roles.iter().map(|r| r.name().to_owned()).collect(),
            cert_types: a.cert_types,
            enabled: a.enabled,
            department: a.department,
            holder_search_per_minute: a.holder_search_per_minute,
            rate_limit_per_minute: a.rate_limit_per_minute,
        }
    }
}

/// A new account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewAccountBody {
    /// Login name.
    #[schema(example = "zwfw-hall")]
    pub username: String,
    /// At least 8 characters; stored as an argon2 hash.
    pub password: String,
    /// Roles.
    #[schema(example = json!(["search", "info", "download", "verify"]))]
    pub roles: Vec<String>,
    /// Cert types the account may use; empty or absent = all.
    #[serde(default)]
    pub cert_types: Vec<String>,
    /// Its department.
    #[serde(default)]
    pub department: Option<String>,
    /// Holder searches per minute (default: the node's).
    #[serde(default)]
    pub holder_search_per_minute: Option<u32>,
    /// Calls of personal data per minute, all interfaces together (default: the node's).
    #[serde(default)]
    pub rate_limit_per_minute: Option<u32>,
}

/// Enables or disables an account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnabledBody {
    /// `false` disables the account and revokes its tokens.
    pub enabled: bool,
}

/// A new password.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    /// The new password (at least 8 characters). Every token of the account ends.
    pub password: String,
}

/// A new OAuth client.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewClientBody {
    /// Client id.
    #[schema(example = "zwfw-hall")]
    pub client_id: String,
    /// Secret; stored as an argon2 hash.
    pub secret: String,
}

/// A cert type and its settings on this node.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CertTypeSettingsView {
    /// 21-character code.
    pub code: String,
    /// Primary name in the dictionary.
    pub name: String,
    /// Published (unpublished types answer 13).
    pub published: bool,
    /// Fields the information verification requires.
    pub verify_fields: Vec<String>,
}

impl From<CertTypeView> for CertTypeSettingsView {
    fn from(v: CertTypeView) -> Self {
        CertTypeSettingsView {
            code: v.settings.code,
            name: v.name,
            published: v.settings.published,
            verify_fields: v.settings.verify_fields,
        }
    }
}

/// A cert type's settings.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CertTypeBody {
    /// Published on this node.
    pub published: bool,
    /// Fields the information verification requires (default `certificateNumber`).
    #[serde(default)]
    pub verify_fields: Vec<String>,
}

pub(crate) fn time(name: &str, v: Option<&str>) -> Result<Option<DateTime<Utc>>, ServiceError> {
    v.map(|s| {
        DateTime::parse_from_rfc3339(s.trim())
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| {
                ServiceError::new(
                    ReturnCode::Unparseable,
                    format!("{name} must be an RFC 3339 time"),
                )
            })
    })
    .transpose()
}

pub(crate) fn blank_to_none(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}
