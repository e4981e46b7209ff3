//! Administration: issuing, state changes, correction and re-issue, accounts, OAuth clients,
//! cert-type settings, audit queries, and download-link redemption. Used by the admin API and
//! the command line.

use chrono::NaiveDate;
use license_core::holder::validate_uscc;
use license_core::ports::{
    Account, AuditQuery, CertTypeSettings, LicenseFilter, LicenseWrite, NewPush, OAuthClient,
    PortError,
};
use license_core::service::{Caller, CollectOperation, Page, new_request_id};
use license_core::{
    CertIdentifier, CheckPolicy, Interface, License, LicenseState, ReturnCode, Role, ServiceError,
    Validity,
};
use license_dict::{cert_types, holder_code_types};
use sha2::Digest;

use crate::auth::{digest, hash_secret_off};
use crate::fault::{Fault, Res, fail};
use crate::platform::Platform;

pub use license_core::admin::{Correction, ImportReport, NewLicense, Rejected, StateChange};

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

/// A fault of an administration step as its answer ([`Fault::answer`]), under a request id
/// of its own.
pub(crate) fn fault_to_service(f: Fault) -> ServiceError {
    f.answer(&new_request_id(), "administration")
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
        self.check_cert_type(ctype)
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
        let mut report = ImportReport::default();
        let mut batch: Vec<(usize, License)> = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            if line.trim().is_empty() {
                continue;
            }
            let prepared = match serde_json::from_str::<NewLicense>(line) {
                Ok(new) => self.prepare_license(&new).await.map_err(|e| e.message()),
                Err(e) => Err(format!("not a license record: {e}")),
            };
            match prepared {
                Ok(l) => batch.push((n, l)),
                Err(reason) => report.rejected.push(Rejected { line: n, reason }),
            }
            if batch.len() >= 2_000 {
                self.flush_import(&mut batch, &mut report).await;
            }
        }
        self.flush_import(&mut batch, &mut report).await;
        report.rejected.sort_by_key(|r| r.line);
        report
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

    /// Creates an account (password hashed with argon2).
    pub async fn create_account(
        &self,
        username: &str,
        password: &str,
        roles: Vec<Role>,
        cert_types_allowed: Vec<String>,
        department: Option<String>,
    ) -> Result<Account, ServiceError> {
        if username.trim().is_empty() {
            return Err(ServiceError::missing("username"));
        }
        if password.chars().count() < 8 {
            return Err(bad("password must have at least 8 characters"));
        }
        for t in &cert_types_allowed {
            if !cert_types().contains(t) {
                return Err(ServiceError::new(
                    ReturnCode::UnknownCertType,
                    format!("{t} is not in the type table"),
                ));
            }
        }
        let account = Account {
            username: username.trim().to_owned(),
            password_hash: hash_secret_off(password.to_owned())
                .await
                .map_err(|e| fault_to_service(e.into()))?,
            roles,
            cert_types: cert_types_allowed,
            enabled: true,
            department,
            holder_search_per_minute: None,
            rate_limit_per_minute: None,
        };
        self.ports
            .accounts
            .insert(&account)
            .await
            .map_err(|e| match e {
                PortError::Conflict(_) => {
                    bad(format!("account {} already exists", account.username))
                }
                e => fault_to_service(e.into()),
            })?;
        Ok(account)
    }

    /// Every account.
    pub async fn accounts(&self) -> Result<Vec<Account>, ServiceError> {
        self.ports
            .accounts
            .list()
            .await
            .map_err(|e| fault_to_service(e.into()))
    }

    /// Sets an account's password (at least 8 characters); every token of the account is
    /// revoked at once and its failed logins are forgotten.
    pub async fn set_password(&self, username: &str, password: &str) -> Result<(), ServiceError> {
        if password.chars().count() < 8 {
            return Err(bad("password must have at least 8 characters"));
        }
        let port = |e: PortError| fault_to_service(e.into());
        let Some(mut account) = self
            .ports
            .accounts
            .find(username.trim())
            .await
            .map_err(port)?
        else {
            return Err(ServiceError::new(
                ReturnCode::NotFound,
                format!("no account {username}"),
            ));
        };
        account.password_hash = hash_secret_off(password.to_owned()).await.map_err(port)?;
        self.ports.accounts.update(&account).await.map_err(port)?;
        self.ports
            .tokens
            .revoke_account(&account.username)
            .await
            .map_err(port)?;
        self.sessions.forget_account(&account.username);
        self.ports
            .logins
            .clear(&account.username)
            .await
            .map_err(port)?;
        Ok(())
    }

    /// Enables or disables an account; disabling revokes its tokens at once.
    pub async fn set_account_enabled(
        &self,
        username: &str,
        enabled: bool,
    ) -> Result<(), ServiceError> {
        let found = self
            .ports
            .accounts
            .set_enabled(username, enabled)
            .await
            .map_err(|e| fault_to_service(e.into()))?;
        if !found {
            return Err(ServiceError::new(
                ReturnCode::NotFound,
                format!("no account {username}"),
            ));
        }
        if !enabled {
            self.ports
                .tokens
                .revoke_account(username)
                .await
                .map_err(|e| fault_to_service(e.into()))?;
            self.sessions.forget_account(username);
        }
        Ok(())
    }

    /// Replaces an account's roles, cert types and rate limit.
    pub async fn update_account(&self, account: &Account) -> Result<(), ServiceError> {
        if !self
            .ports
            .accounts
            .update(account)
            .await
            .map_err(|e| fault_to_service(e.into()))?
        {
            return Err(ServiceError::new(
                ReturnCode::NotFound,
                format!("no account {}", account.username),
            ));
        }
        self.sessions.forget_account(&account.username);
        Ok(())
    }

    /// Registers an OAuth client (secret hashed).
    pub async fn add_client(&self, client_id: &str, secret: &str) -> Result<(), ServiceError> {
        if client_id.trim().is_empty() || secret.is_empty() {
            return Err(ServiceError::missing(if secret.is_empty() {
                "secret"
            } else {
                "client_id"
            }));
        }
        let c = OAuthClient {
            client_id: client_id.trim().to_owned(),
            secret_hash: hash_secret_off(secret.to_owned())
                .await
                .map_err(|e| fault_to_service(e.into()))?,
        };
        self.ports.clients.insert(&c).await.map_err(|e| match e {
            PortError::Conflict(_) => bad(format!("client {client_id} already exists")),
            e => fault_to_service(e.into()),
        })
    }

    /// Every client id.
    pub async fn clients(&self) -> Result<Vec<String>, ServiceError> {
        Ok(self
            .ports
            .clients
            .list()
            .await
            .map_err(|e| fault_to_service(e.into()))?
            .into_iter()
            .map(|c| c.client_id)
            .collect())
    }

    /// Publishes or withdraws a cert type and sets its verification fields.
    pub async fn set_cert_type(
        &self,
        code: &str,
        published: bool,
        verify_fields: Vec<String>,
    ) -> Result<(), ServiceError> {
        if !cert_types().contains(code) {
            return Err(ServiceError::new(
                ReturnCode::UnknownCertType,
                format!("{code} is not in the type table"),
            ));
        }
        let s = CertTypeSettings {
            code: code.to_owned(),
            published,
            verify_fields,
        };
        self.ports
            .cert_types
            .put(&s)
            .await
            .map_err(|e| fault_to_service(e.into()))?;
        self.type_cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(code);
        Ok(())
    }

    /// The audit log.
    pub async fn audit_log(
        &self,
        q: &AuditQuery,
    ) -> Result<Page<license_core::ports::AuditEvent>, ServiceError> {
        self.ports
            .audit
            .query(q)
            .await
            .map_err(|e| fault_to_service(e.into()))
    }

    /// Records an operator's action on the node's command line (accounts, clients, imports) in
    /// the audit log: interface `admin`, account `cli:<operator>`, the action as the context's
    /// matter name, the outcome's code.
    pub async fn audit_cli(
        &self,
        operator: &str,
        action: &str,
        outcome: &Result<(), ServiceError>,
    ) -> Result<(), ServiceError> {
        let mut call = self.begin(
            &Caller {
                client_addr: Some("local".into()),
                ..Caller::default()
            },
            Interface::Admin,
        );
        call.username = Some(format!("cli:{operator}"));
        call.context = Some(license_core::CallContext {
            system_name: "licensed".into(),
            call_category: license_core::CallCategory::NonMatter,
            matter_name: license_core::limits::cut(action, license_core::limits::MAX_TEXT_CHARS)
                .into_owned(),
            event_code: "cli".into(),
            copy_cause: "operator action on the command line".into(),
            call_district: None,
            call_department: None,
            district_level: None,
        });
        let result: Res<()> = outcome.clone().map_err(Fault::Service);
        match self.finish(call, result).await {
            Err(e) if e.code == ReturnCode::Other && outcome.is_ok() => Err(e),
            _ => Ok(()),
        }
    }

    /// Redeems a download link's id: the copy's file name and bytes, or `10` (API.md §6).
    pub async fn redeem_download(
        &self,
        caller: &Caller,
        link_id: &str,
    ) -> Result<(String, Vec<u8>), ServiceError> {
        let mut call = self.begin(caller, Interface::DownloadLink);
        let r: Res<(String, Vec<u8>)> = async {
            let Some(g) = self
                .ports
                .grants
                .redeem(&digest(link_id.trim()), self.now())
                .await?
            else {
                return fail(
                    ReturnCode::NotFound,
                    "the download link is unknown or has expired",
                );
            };
            call.licenses.push(g.identifier.clone());
            match self.ports.files.get(&g.copy_key).await? {
                Some(bytes) => Ok((g.file_name, bytes)),
                None => fail(ReturnCode::NotFound, "the download link's file is gone"),
            }
        }
        .await;
        self.finish(call, r).await
    }

    /// The license a QR token names, for the public verification page (no token needed);
    /// every visit is audited (interface `verify`, the license touched, `10` when none).
    pub async fn verification(
        &self,
        caller: &Caller,
        qr_token: &str,
    ) -> Result<Option<(License, license_core::LicenseStatus)>, ServiceError> {
        let mut call = self.begin(caller, Interface::VerifyPage);
        let r: Res<(License, license_core::LicenseStatus)> = async {
            let t = qr_token.trim();
            let found =
                if t.is_empty() || t.len() > 64 || !t.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    None
                } else {
                    self.ports.licenses.find_by_qr_token(t).await?
                };
            match found {
                Some(l) => {
                    call.touch(&l);
                    let s = l.status_on(self.today());
                    Ok((l, s))
                }
                None => fail(ReturnCode::NotFound, "no license has this QR value"),
            }
        }
        .await;
        match self.finish(call, r).await {
            Ok(found) => Ok(Some(found)),
            Err(e) if e.code == ReturnCode::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}
