//! Administration as a service: issuing, state changes, correction and re-issue, accounts,
//! OAuth clients, cert-type settings and audit queries — what the admin API and the command
//! line use. Every method needs the `admin` role and is audited like a share call.

use std::collections::BTreeMap;

use async_trait::async_trait;

use crate::License;
use crate::interface::Role;
use crate::ports::{Account, AuditEvent, AuditQuery, CertTypeSettings, LicenseFilter};
use crate::service::{Caller, Page, ServiceResult};

/// A license to issue or import (the import format's fields, API issue "import format"); also
/// what a city pushes to its province (the collection extension, API.md §5).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewLicense {
    /// 21-character cert-type code.
    pub cert_type_code: String,
    /// Certificate name; the type's primary name when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_name: Option<String>,
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
    /// Issuing department's 18-character code.
    pub issue_dept_code: String,
    /// `yyyy-MM-dd`.
    pub issue_date: String,
    /// `yyyy-MM-dd`.
    pub certificate_validate_start: String,
    /// `yyyy-MM-dd`, or absent/null for 长期.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_validate_end: Option<String>,
    /// `pending` | `valid` | `suspended` | `revoked` (default `valid`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Face fields.
    #[serde(default)]
    pub face: BTreeMap<String, String>,
    /// An existing GB/T 36904 identifier to keep.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_identifier: Option<String>,
    /// An existing file number to keep.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_number: Option<String>,
    /// An existing extraction code to keep.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abstract_code: Option<String>,
}

impl NewLicense {
    /// The record of a stored license as its holder's node sees it: metadata, state and face,
    /// without this node's keys (a province assigns its own, API.md §7).
    pub fn snapshot(l: &License) -> Self {
        let day = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
        NewLicense {
            cert_type_code: l.cert_type_code.clone(),
            certificate_name: Some(l.certificate_name.clone()),
            certificate_number: l.certificate_number.clone(),
            certificate_holder: l.holder.clone(),
            certificate_holder_code: l.holder_code.clone(),
            certificate_holder_type: l.holder_code_type.clone(),
            issue_dept: l.issue_dept.clone(),
            issue_dept_code: l.issue_dept_code.clone(),
            issue_date: day(l.issue_date),
            certificate_validate_start: day(l.validity.start),
            certificate_validate_end: l.validity.end.map(day),
            state: Some(l.state.name().to_owned()),
            face: l.face.clone(),
            cert_identifier: None,
            file_number: None,
            abstract_code: None,
        }
    }
}

impl NewLicense {
    /// A stored license in the import format, keeping this node's identifier, file number and
    /// extraction code: what `licensed license export` writes, so that an export imports again
    /// as the same licenses.
    pub fn exported(l: &License) -> Self {
        NewLicense {
            cert_identifier: Some(l.identifier.to_string()),
            file_number: Some(l.file_number.clone()),
            abstract_code: Some(l.abstract_code.clone()),
            ..Self::snapshot(l)
        }
    }
}

/// The event code (`certificateEventCode` of the audit record's context) of an
/// administrator's read; the matter name says what was read.
pub const ADMIN_READ: &str = "admin-read";
/// The event code of an administrator's change; the matter name says what changed and why.
pub const ADMIN_CHANGE: &str = "admin-change";

/// A state change (API.md §7 states).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateChange {
    /// 未激活 → 正常有效.
    Activate,
    /// 正常有效 → 暂时失效.
    Suspend,
    /// Any → 已废止.
    Revoke,
    /// 暂时失效 → 正常有效.
    Reinstate,
}

impl StateChange {
    /// Every change.
    pub const ALL: [StateChange; 4] = [
        StateChange::Activate,
        StateChange::Suspend,
        StateChange::Revoke,
        StateChange::Reinstate,
    ];

    /// The name [`StateChange::from_name`] reads.
    pub const fn name(self) -> &'static str {
        match self {
            StateChange::Activate => "activate",
            StateChange::Suspend => "suspend",
            StateChange::Revoke => "revoke",
            StateChange::Reinstate => "reinstate",
        }
    }

    /// The change in the console's words.
    pub const fn label(self) -> &'static str {
        match self {
            StateChange::Activate => "激活",
            StateChange::Suspend => "暂停",
            StateChange::Revoke => "废止",
            StateChange::Reinstate => "恢复",
        }
    }

    /// Parses `activate` | `suspend` | `revoke` | `reinstate`.
    pub fn from_name(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name() == s.trim())
    }
}

/// Corrections for a re-issue; absent fields stay as they were.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Correction {
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
    /// Why.
    pub reason: String,
}

/// One rejected import line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// 1-based line number.
    pub line: usize,
    /// Why.
    pub reason: String,
}

/// The outcome of an import.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Licenses imported.
    pub imported: usize,
    /// Lines rejected, with reasons.
    pub rejected: Vec<Rejected>,
}

/// A new account of a business system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount {
    /// Unique login name.
    pub username: String,
    /// The password (at least 8 characters); stored as an argon2 hash.
    pub password: String,
    /// Roles held.
    pub roles: Vec<Role>,
    /// Cert-type codes the account may use; empty means all.
    pub cert_types: Vec<String>,
    /// The department the account belongs to.
    pub department: Option<String>,
    /// Holder searches allowed per minute; `None` = the node's default.
    pub holder_search_per_minute: Option<u32>,
    /// Calls per minute of the interfaces that return or confirm personal data; `None` = the
    /// node's default.
    pub rate_limit_per_minute: Option<u32>,
}

/// A cert type of the dictionary with this node's settings for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertTypeView {
    /// Settings (stored, or the defaults).
    pub settings: CertTypeSettings,
    /// The type's primary name in the dictionary.
    pub name: String,
}

/// Administration of a node (the admin API, the CLI). Every call needs the `admin` role.
#[async_trait]
pub trait AdminService: Send + Sync {
    /// Issues a license: checks, assigns identifier and codes, stores it.
    async fn issue_license(&self, caller: &Caller, new: NewLicense) -> ServiceResult<License>;
    /// Imports a file in the import format — JSON Lines, or CSV with the format's field names
    /// as columns; UTF-8 or GB18030 — rejected lines reported, the rest stored. `progress` is
    /// told how many lines have been read, now and then.
    async fn import_licenses(
        &self,
        caller: &Caller,
        file: Vec<u8>,
        progress: &(dyn Fn(usize) + Send + Sync),
    ) -> ServiceResult<ImportReport>;
    /// A license by identifier, file number or province identifier.
    async fn license(&self, caller: &Caller, key: String) -> ServiceResult<License>;
    /// Changes a license's state with a reason.
    async fn change_state(
        &self,
        caller: &Caller,
        key: String,
        change: StateChange,
        reason: String,
    ) -> ServiceResult<License>;
    /// Corrects and re-issues a license at version + 1.
    async fn reissue(
        &self,
        caller: &Caller,
        key: String,
        correction: Correction,
    ) -> ServiceResult<License>;
    /// Licenses matching a filter.
    async fn search_licenses(
        &self,
        caller: &Caller,
        filter: LicenseFilter,
    ) -> ServiceResult<Page<License>>;
    /// Creates an account.
    async fn create_account(&self, caller: &Caller, account: NewAccount) -> ServiceResult<Account>;
    /// Every account.
    async fn accounts(&self, caller: &Caller) -> ServiceResult<Vec<Account>>;
    /// Enables or disables an account (disabling revokes its tokens).
    async fn set_account_enabled(
        &self,
        caller: &Caller,
        username: String,
        enabled: bool,
    ) -> ServiceResult<()>;
    /// Sets an account's password; every token of the account ends at once.
    async fn set_password(
        &self,
        caller: &Caller,
        username: String,
        password: String,
    ) -> ServiceResult<()>;
    /// Registers an OAuth client.
    async fn add_client(
        &self,
        caller: &Caller,
        client_id: String,
        secret: String,
    ) -> ServiceResult<()>;
    /// Every OAuth client id.
    async fn clients(&self, caller: &Caller) -> ServiceResult<Vec<String>>;
    /// Removes an OAuth client; every token it obtained ends at once.
    async fn remove_client(&self, caller: &Caller, client_id: String) -> ServiceResult<()>;
    /// Every cert type of the dictionary with its settings on this node.
    async fn cert_types(&self, caller: &Caller) -> ServiceResult<Vec<CertTypeView>>;
    /// Publishes or withdraws a cert type and sets its verification fields.
    async fn set_cert_type(&self, caller: &Caller, settings: CertTypeSettings)
    -> ServiceResult<()>;
    /// A city's outbox of pushes to its province, newest first, optionally of one state.
    async fn outbox(
        &self,
        caller: &Caller,
        state: Option<crate::ports::PushState>,
        offset: u64,
        limit: u64,
    ) -> ServiceResult<Page<crate::ports::Push>>;
    /// Makes a failed push pending again.
    async fn retry_push(&self, caller: &Caller, sequence: u64) -> ServiceResult<()>;
    /// The audit log.
    async fn audit_log(
        &self,
        caller: &Caller,
        query: AuditQuery,
    ) -> ServiceResult<Page<AuditEvent>>;
    /// Today's calls by interface and code, the outbox and the database's health.
    async fn overview(&self, caller: &Caller) -> ServiceResult<Overview>;
    /// The license's face as JPEG page images (the first page first).
    async fn face_images(&self, caller: &Caller, key: String) -> ServiceResult<Vec<Vec<u8>>>;
}

/// How many calls of one interface answered with one code (the console's overview).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallTally {
    /// The interface.
    pub interface: crate::Interface,
    /// The return code it answered.
    pub code: crate::ReturnCode,
    /// How many calls.
    pub calls: u64,
}

/// What an operator sees first: calls since a moment by interface and code, and the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overview {
    /// Calls since `since`, by interface and code, most first.
    pub calls: Vec<CallTally>,
    /// Where the count starts (the start of today in the node's time zone).
    pub since: chrono::DateTime<chrono::Utc>,
    /// Pushes waiting for delivery.
    pub outbox_pending: u64,
    /// Pushes that failed for good (an operator retries them).
    pub outbox_failed: u64,
    /// When the oldest waiting push was recorded.
    pub outbox_oldest: Option<chrono::DateTime<chrono::Utc>>,
    /// Whether the database answers.
    pub database_ready: bool,
}
