//! Administration: issuing, state changes, correction and re-issue, accounts, OAuth clients,
//! cert-type settings, audit queries, and download-link redemption. Used by the admin API and
//! the command line.

use chrono::NaiveDate;
use license_core::holder::validate_uscc;
use license_core::ports::{LicenseFilter, LicenseWrite, NewPush, PortError};
use license_core::service::{CollectOperation, Page, new_request_id};
use license_core::{
    CertIdentifier, CheckPolicy, License, LicenseState, ReturnCode, ServiceError, Validity,
};
use license_dict::{cert_types, holder_code_types};
use sha2::Digest;

use crate::fault::Fault;
use crate::platform::Platform;

pub use license_core::admin::{Correction, ImportReport, NewLicense, Rejected, StateChange};

mod access;
mod records;

pub(crate) use records::operator_action;

fn bad(detail: impl Into<String>) -> ServiceError {
    ServiceError::new(ReturnCode::Unparseable, detail)
}

fn date(name: &str, s: &str) -> Result<NaiveDate, ServiceError> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| bad(format!("{name} must be a date yyyy-MM-dd")))
}

/// Random lower-case alphanumerics.
fn random_code(n: usize) -> String {
    const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = String::with_capacity(n);
    while out.len() < n {
        for b in uuid::Uuid::new_v4().into_bytes() {
            if out.len() < n && (b as usize) < 252 {
                out.push(char::from(ALPHABET[b as usize % 36]));
            }
        }
    }
    out
}

/// A fault of an administration step as its answer: a key already taken is the
/// administrator's input, `24` — without the database's words, which may quote the value;
/// anything else as [`Fault::answer`], under a request id of its own.
pub(crate) fn fault_to_service(f: Fault) -> ServiceError {
    match f {
        Fault::Port(PortError::Conflict(_)) => bad("a key is already taken: such a record exists"),
        f => f.answer(&new_request_id(), "administration"),
    }
}

impl Platform {
    /// Checks a new license and gives it its identifier and codes (not stored).
    pub async fn prepare_license(&self, new: &NewLicense) -> Result<License, ServiceError> {
        for (name, v) in [
            ("certTypeCode", &new.cert_type_code),
            ("certificateNumber", &new.certificate_number),
            ("certificateHolder", &new.certificate_holder),
            ("certificateHolderCode", &new.certificate_holder_code),
            ("certificateHolderType", &new.certificate_holder_type),
            ("issueDept", &new.issue_dept),
            ("issueDeptCode", &new.issue_dept_code),
            ("issueDate", &new.issue_date),
            ("certificateValidateStart", &new.certificate_validate_start),
        ] {
            if v.trim().is_empty() {
                return Err(ServiceError::missing(name));
            }
        }
        let ctype = new.cert_type_code.trim();
        self.check_cert_type(ctype, true)
            .await
            .map_err(fault_to_service)?;
        let holder_code = license_core::normalize_holder_code(&new.certificate_holder_code);
        if let Err(e) = holder_code_types().validate(&new.certificate_holder_type, &holder_code) {
            let detail = match e {
                license_dict::HolderCodeRejection::UnknownType => {
                    "certificateHolderType is not a holder-code type".to_owned()
                }
                license_dict::HolderCodeRejection::Invalid(e) => {
                    format!("certificateHolderCode: {e}")
                }
            };
            return Err(ServiceError::new(ReturnCode::BadHolderCode, detail));
        }
        let dept = new.issue_dept_code.trim();
        validate_uscc(dept).map_err(|e| {
            bad(format!(
                "issueDeptCode must be an 18-character GB 32100 code: {e}"
            ))
        })?;
        let issue_date = date("issueDate", &new.issue_date)?;
        let start = date("certificateValidateStart", &new.certificate_validate_start)?;
        let end = match new
            .certificate_validate_end
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(s) => Some(date("certificateValidateEnd", s)?),
            None => None,
        };
        if end.is_some_and(|e| e < start) {
            return Err(bad(
                "certificateValidateEnd is before certificateValidateStart",
            ));
        }
        let state = match new.state.as_deref() {
            None => LicenseState::Valid,
            Some(s) => LicenseState::from_name(s.trim())
                .ok_or_else(|| bad("state must be pending, valid, suspended or revoked"))?,
        };
        let identifier = match new
            .cert_identifier
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(s) => {
                let id = CertIdentifier::parse_lenient(s, CheckPolicy::Compatible)
                    .map_err(|e| bad(format!("certIdentifier: {e}")))?;
                if id.type_code() != ctype {
                    return Err(bad(
                        "certIdentifier names another cert type than certTypeCode",
                    ));
                }
                id
            }
            None => {
                // The serial derives from the certificate number, so the same license imported
                // twice is recognised as a duplicate; certificate numbers are unique within a
                // type and issuer.
                let seed = format!("{ctype}|{dept}|{}", new.certificate_number.trim());
                let serial = hex::encode_upper(sha2::Sha256::digest(seed.as_bytes()));
                CertIdentifier::build(ctype, dept, &serial[..20], 1)
                    .map_err(|e| bad(format!("identifier: {e}")))?
            }
        };
        let now = self.now();
        let abstract_code = match new
            .abstract_code
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(c) if c.len() <= 16 && c.bytes().all(|b| b.is_ascii_alphanumeric()) => {
                c.to_ascii_lowercase()
            }
            Some(_) => return Err(bad("abstractCode must be at most 16 letters or digits")),
            None => random_code(9),
        };
        Ok(License {
            file_number: new
                .file_number
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map_or_else(|| identifier.to_string(), str::to_owned),
            identifier,
            province_identifier: None,
            cert_type_code: ctype.to_owned(),
            certificate_name: new
                .certificate_name
                .clone()
                .filter(|s| !s.trim().is_empty())
                .or_else(|| cert_types().primary_name(ctype).map(str::to_owned))
                .unwrap_or_default(),
            certificate_number: new.certificate_number.trim().to_owned(),
            holder: new.certificate_holder.trim().to_owned(),
            holder_code,
            holder_code_type: new.certificate_holder_type.trim().to_owned(),
            issue_dept: new.issue_dept.trim().to_owned(),
            issue_dept_code: dept.to_owned(),
            issue_date,
            validity: Validity { start, end },
            state,
            state_reason: None,
            state_changed_at: None,
            face: new.face.clone(),
            abstract_code,
            qr_token: uuid::Uuid::new_v4().simple().to_string(),
            version: 1,
            created_at: now,
            updated_at: now,
        })
    }

    /// Issues a license: checks it, assigns its keys, stores it. Its file is made when first
    /// needed.
    pub async fn issue_license(&self, new: &NewLicense) -> Result<License, ServiceError> {
        let l = self.prepare_license(new).await?;
        let push = self.push_of(&l, CollectOperation::Create);
        self.write_licenses(&[LicenseWrite::Insert(&l)], vec![push])
            .await
            .map_err(|e| fault_to_service(e.into()))?;
        Ok(l)
    }

    /// Imports JSON Lines: every line is checked and imported or rejected with its reason.
    pub async fn import_jsonl(&self, text: &str) -> ImportReport {
        self.import_file(text.as_bytes(), &|_| {}).await
    }

    /// An import fed one record at a time: memory stays bounded whatever the file's size
    /// (`licensed license import` streams through it).
    pub fn importer(&self) -> Importer<'_> {
        Importer {
            platform: self,
            batch: Vec::new(),
            report: ImportReport::default(),
        }
    }

    async fn flush_import(&self, batch: &mut Vec<(usize, License)>, report: &mut ImportReport) {
        if batch.is_empty() {
            return;
        }
        let licenses: Vec<License> = batch.iter().map(|(_, l)| l.clone()).collect();
        match self.ports.licenses.insert_many(&licenses).await {
            Ok(results) => {
                for ((line, _), r) in batch.iter().zip(results) {
                    match r {
                        Ok(()) => report.imported += 1,
                        Err(PortError::Conflict(_)) => report.rejected.push(Rejected {
                            line: *line,
                            reason: "identifier, file number or abstractCode already exists".into(),
                        }),
                        Err(e) => report.rejected.push(Rejected {
                            line: *line,
                            reason: format!("not stored: {e}"),
                        }),
                    }
                }
            }
            Err(e) => {
                for (line, _) in batch.iter() {
                    report.rejected.push(Rejected {
                        line: *line,
                        reason: format!("not stored: {e}"),
                    });
                }
            }
        }
        self.forget_licenses();
        batch.clear();
    }

    /// A license by any key, for administrators.
    pub async fn license(&self, key: &str) -> Result<License, ServiceError> {
        match self
            .ports
            .licenses
            .find_by_key(key)
            .await
            .map_err(|e| fault_to_service(e.into()))?
        {
            Some(l) => Ok(l),
            None => Err(ServiceError::new(
                ReturnCode::NotFound,
                format!("no license has the key {key}"),
            )),
        }
    }

    /// Changes a license's state with a reason.
    pub async fn change_state(
        &self,
        key: &str,
        change: StateChange,
        reason: &str,
    ) -> Result<License, ServiceError> {
        if reason.trim().is_empty() {
            return Err(ServiceError::missing("reason"));
        }
        let mut l = self.license(key).await?;
        let next = match (change, l.state) {
            (StateChange::Activate, LicenseState::Pending) => LicenseState::Valid,
            (StateChange::Suspend, LicenseState::Valid) => LicenseState::Suspended,
            (StateChange::Reinstate, LicenseState::Suspended) => LicenseState::Valid,
            (StateChange::Revoke, s) if s != LicenseState::Revoked => LicenseState::Revoked,
            (c, s) => {
                return Err(bad(
                    format!("cannot {c:?} a license that is {}", s.name()).to_lowercase()
                ));
            }
        };
        let now = self.now();
        l.state = next;
        l.state_reason = Some(reason.trim().to_owned());
        l.state_changed_at = Some(now);
        l.updated_at = now;
        let push = self.sync_push(&l).await?;
        self.write_licenses(&[LicenseWrite::Update(&l)], push)
            .await
            .map_err(|e| fault_to_service(e.into()))?;
        Ok(l)
    }

    /// Corrects a license and re-issues it at version + 1 (new identifier, new codes); the old
    /// version is kept, revoked, with a reason naming its successor.
    pub async fn reissue(&self, key: &str, c: &Correction) -> Result<License, ServiceError> {
        if c.reason.trim().is_empty() {
            return Err(ServiceError::missing("reason"));
        }
        let mut old = self.license(key).await?;
        let mut new = old.clone();
        new.identifier = old
            .identifier
            .next_version()
            .map_err(|e| bad(format!("cannot re-issue: {e}")))?;
        new.file_number = new.identifier.to_string();
        new.version = old.version + 1;
        new.province_identifier = None;
        if let Some(v) = &c.certificate_number {
            new.certificate_number = v.trim().to_owned();
        }
        if let Some(v) = &c.certificate_holder {
            new.holder = v.trim().to_owned();
        }
        if let Some(v) = &c.certificate_validate_end {
            new.validity.end = if v.trim().is_empty() {
                None
            } else {
                Some(date("certificateValidateEnd", v)?)
            };
        }
        if let Some(f) = &c.face {
            new.face = f.clone();
        }
        let now = self.now();
        new.abstract_code = random_code(9);
        new.qr_token = uuid::Uuid::new_v4().simple().to_string();
        new.state = LicenseState::Valid;
        new.state_reason = Some(c.reason.trim().to_owned());
        new.state_changed_at = Some(now);
        new.created_at = now;
        new.updated_at = now;
        old.state = LicenseState::Revoked;
        old.state_reason = Some(format!(
            "superseded by {} ({})",
            new.identifier,
            c.reason.trim()
        ));
        old.state_changed_at = Some(now);
        old.updated_at = now;
        // The successor and the revoked predecessor commit together, with their pushes.
        let mut pushes = vec![self.push_of(&new, CollectOperation::Create)];
        pushes.extend(self.sync_push(&old).await?);
        self.write_licenses(
            &[LicenseWrite::Insert(&new), LicenseWrite::Update(&old)],
            pushes,
        )
        .await
        .map_err(|e| fault_to_service(e.into()))?;
        Ok(new)
    }

    /// The push a change of `l` makes under automatic sync (none without it).
    async fn sync_push(&self, l: &License) -> Result<Vec<NewPush>, ServiceError> {
        if !self.syncs_automatically() {
            return Ok(Vec::new());
        }
        self.change_push(l)
            .await
            .map(|p| vec![p])
            .map_err(|e| fault_to_service(e.into()))
    }

    /// Licenses matching a filter.
    pub async fn search_licenses(&self, f: &LicenseFilter) -> Result<Page<License>, ServiceError> {
        self.ports
            .licenses
            .search(f)
            .await
            .map_err(|e| fault_to_service(e.into()))
    }
}

/// A line of JSON Lines as an import record.
pub fn parse_record(line: &str) -> Result<NewLicense, String> {
    serde_json::from_str::<NewLicense>(line).map_err(|e| format!("not a license record: {e}"))
}

/// Records stored per batch of an import.
const IMPORT_BATCH: usize = 2_000;

/// An import in progress ([`Platform::importer`]): records are checked as they come and
/// stored [`IMPORT_BATCH`] at a time; what was rejected waits in the report until taken.
pub struct Importer<'a> {
    platform: &'a Platform,
    batch: Vec<(usize, License)>,
    report: ImportReport,
}

impl Importer<'_> {
    /// Checks the record of line `line` (or the reason it could not be read) and imports it
    /// with its batch.
    pub async fn add(&mut self, line: usize, record: Result<NewLicense, String>) {
        let prepared = match record {
            Ok(new) => self
                .platform
                .prepare_license(&new)
                .await
                .map_err(|e| e.message()),
            Err(reason) => Err(reason),
        };
        match prepared {
            Ok(l) => self.batch.push((line, l)),
            Err(reason) => self.report.rejected.push(Rejected { line, reason }),
        }
        if self.batch.len() >= IMPORT_BATCH {
            self.platform
                .flush_import(&mut self.batch, &mut self.report)
                .await;
        }
    }

    /// Licenses imported so far (stored; those waiting in the batch are not counted).
    pub fn imported(&self) -> usize {
        self.report.imported
    }

    /// The rejections since the last call, in the order found (a batch's come when it is
    /// stored).
    pub fn take_rejected(&mut self) -> Vec<Rejected> {
        std::mem::take(&mut self.report.rejected)
    }

    /// Stores the last batch; the report of what was not taken yet.
    pub async fn finish(mut self) -> ImportReport {
        self.platform
            .flush_import(&mut self.batch, &mut self.report)
            .await;
        self.report
    }
}
