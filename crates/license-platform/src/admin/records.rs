//! The audit log as administrators read it and the command line writes it; the capability
//! download links and the public verification page.

use license_core::ports::AuditQuery;
use license_core::service::{Caller, Page};
use license_core::{Interface, License, ReturnCode, ServiceError};

use crate::auth::digest;
use crate::fault::{Fault, Res, fail};
use crate::platform::Platform;

use super::*;

impl Platform {
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

    /// Redeems a download link's id: the copy's file name and bytes, or `10` (API.md §6); `21`,
    /// `22` or `23` when the license has left the valid state since the link was made.
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
            // A change committed on any node since the link was made holds (read from the
            // store, not a node's memory): a license no longer valid is not handed out.
            if let Some(l) = self.ports.licenses.find_by_key(&g.identifier).await? {
                self.check_downloadable(&l)?;
            }
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
