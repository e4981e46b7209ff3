//! The audit log as administrators read it and the command line writes it; the capability
//! download links and the public verification page.

use license_core::ports::AuditQuery;
use license_core::service::{Caller, Page};
use license_core::{Interface, License, ReturnCode, ServiceError};

use crate::auth::digest;
use crate::fault::{Fault, Res, fail};
use crate::platform::Platform;

use super::*;

/// The context an operator's action is audited with: the node as the system, the action as
/// the matter name (what `licensed audit export` and the console show as the matter).
pub(crate) fn operator_action(
    action: &str,
    channel: &str,
    cause: &str,
) -> license_core::CallContext {
    license_core::CallContext {
        system_name: "licensed".into(),
        call_category: license_core::CallCategory::NonMatter,
        matter_name: license_core::limits::cut(action, license_core::limits::MAX_TEXT_CHARS)
            .into_owned(),
        event_code: channel.into(),
        copy_cause: cause.into(),
        call_district: None,
        call_department: None,
        district_level: None,
    }
}

impl Platform {
    /// Today's calls (days in the node's time zone) by interface and code, the outbox and
    /// the database's health. A database that does not answer is shown as such, with nothing
    /// counted, rather than failing the overview.
    pub async fn overview(&self) -> Result<license_core::admin::Overview, ServiceError> {
        use license_core::ports::PushState;
        let since = self.day_start(self.today());
        let tally = self.ports.audit.tally(since).await;
        let pending = self.ports.outbox.list(Some(PushState::Pending), 0, 1).await;
        let failed = self.ports.outbox.list(Some(PushState::Failed), 0, 1).await;
        let oldest = self.ports.outbox.pending(1).await;
        let answered = tally.is_ok() && pending.is_ok() && failed.is_ok() && oldest.is_ok();
        let mut calls: Vec<license_core::admin::CallTally> = tally
            .unwrap_or_default()
            .into_iter()
            .map(|(interface, code, calls)| license_core::admin::CallTally {
                interface,
                code,
                calls,
            })
            .collect();
        calls.sort_by(|a, b| b.calls.cmp(&a.calls).then(a.interface.cmp(&b.interface)));
        Ok(license_core::admin::Overview {
            calls,
            since,
            outbox_pending: pending.map_or(0, |p| p.total),
            outbox_failed: failed.map_or(0, |p| p.total),
            outbox_oldest: oldest.ok().and_then(|p| p.first().map(|p| p.push.at)),
            database_ready: answered && self.ports.licenses.find_by_key("-").await.is_ok(),
        })
    }

    /// A license's face as JPEG page images.
    pub async fn face_images(&self, l: &License) -> Result<Vec<Vec<u8>>, ServiceError> {
        self.ports
            .documents
            .render_page_images(l)
            .await
            .map_err(|e| fault_to_service(e.into()))
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
        call.context = Some(operator_action(
            action,
            "cli",
            "operator action on the command line",
        ));
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
