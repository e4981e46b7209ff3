//! The province's collection interfaces: each city push applied once, by the city's file
//! number and the push's sequence (API.md §5).

use license_core::admin::NewLicense;
use license_core::context::require;
use license_core::ports::{CollectedLink, LicenseWrite, PortError};
use license_core::service::{Caller, CollectOperation, CollectRequest};
use license_core::{Library, LicenseState, ReturnCode, Role, ServiceError};

use crate::fault::{Fault, Res, fail};
use crate::platform::{Call, Platform};

use super::*;

impl Platform {
    /// The province's collection interfaces: applies a city's push once and in order.
    pub(crate) async fn do_collect(
        &self,
        call: &mut Call,
        caller: &Caller,
        req: CollectRequest,
    ) -> Res<String> {
        let session = self.authorize(call, caller, Role::Sync).await?;
        if self.config.role != Library::Province {
            return fail(
                ReturnCode::NotProvided,
                "only a province node collects licenses",
            );
        }
        require(&[
            ("operationId", Some(req.operation_id.as_str())),
            ("cityFileNumber", Some(req.city_file_number.as_str())),
        ])?;
        let origin = session.account.username.clone();
        let city_file_number = req.city_file_number.trim();
        let link = self.ports.collected.link(&origin, city_file_number).await?;
        if let Some(link) = &link
            && req.sequence <= link.sequence
        {
            // Applied before (a repeated delivery) or overtaken by a later push.
            return Ok(link.province_identifier.clone());
        }
        let next = |province_identifier: String| CollectedLink {
            origin: origin.clone(),
            city_file_number: city_file_number.to_owned(),
            province_identifier,
            sequence: req.sequence,
            operation_id: req.operation_id.trim().to_owned(),
            updated_at: self.now(),
        };
        let record = || {
            req.license
                .clone()
                .ok_or_else(|| Fault::Service(ServiceError::missing("license")))
        };
        match (link, req.operation) {
            (None, CollectOperation::Create) => {
                let record = record()?;
                let id = province_identifier(&origin, city_file_number, &record)?;
                // The province copy keeps the city's file number (文件标识), so a call forwarded
                // with it finds the license here too (API.md §7).
                let l = self
                    .prepare_license(&NewLicense {
                        cert_identifier: Some(id.to_string()),
                        file_number: Some(city_file_number.to_owned()),
                        abstract_code: None,
                        ..record
                    })
                    .await?;
                self.check_license_type(&session, &l)?;
                call.touch(&l);
                let link = next(l.identifier.to_string());
                match self
                    .ports
                    .collected
                    .collect(&link, LicenseWrite::Insert(&l))
                    .await
                {
                    Ok(_) => {
                        self.forget_licenses();
                        Ok(link.province_identifier)
                    }
                    Err(PortError::Conflict(what)) => {
                        // The same push delivered twice at once: the other delivery stored it.
                        match self.ports.collected.link(&origin, city_file_number).await? {
                            Some(stored) => Ok(stored.province_identifier),
                            None => fail(
                                ReturnCode::Unparseable,
                                format!(
                                    "cityFileNumber {city_file_number} names another license of \
                                     the province library ({what})"
                                ),
                            ),
                        }
                    }
                    Err(e) => Err(e.into()),
                }
            }
            (None, _) => fail(
                ReturnCode::NotFound,
                format!("no license of {origin} with file number {city_file_number} was collected"),
            ),
            (Some(link), op) => {
                let Some(current) = self.license_by_key(&link.province_identifier, true).await?
                else {
                    return fail(
                        ReturnCode::Other,
                        format!("collected license {} is missing", link.province_identifier),
                    );
                };
                let mut l = match op {
                    CollectOperation::Revoke => {
                        let mut l = (*current).clone();
                        l.state = LicenseState::Revoked;
                        l.state_reason = Some(
                            req.reason
                                .clone()
                                .filter(|r| !r.trim().is_empty())
                                .unwrap_or_else(|| format!("revoked by {origin}")),
                        );
                        l.state_changed_at = Some(self.now());
                        l
                    }
                    CollectOperation::Create | CollectOperation::Update => {
                        let mut l = self
                            .prepare_license(&NewLicense {
                                cert_identifier: Some(link.province_identifier.clone()),
                                file_number: Some(city_file_number.to_owned()),
                                abstract_code: None,
                                ..record()?
                            })
                            .await?;
                        l.file_number = current.file_number.clone();
                        l.abstract_code = current.abstract_code.clone();
                        l.qr_token = current.qr_token.clone();
                        l.created_at = current.created_at;
                        if l.state != current.state {
                            l.state_changed_at = Some(self.now());
                            l.state_reason = Some(format!("changed by {origin}"));
                        } else {
                            l.state_changed_at = current.state_changed_at;
                            l.state_reason = current.state_reason.clone();
                        }
                        l
                    }
                };
                self.check_license_type(&session, &l)?;
                l.updated_at = self.now();
                call.touch(&l);
                let link = next(link.province_identifier.clone());
                self.ports
                    .collected
                    .collect(&link, LicenseWrite::Update(&l))
                    .await?;
                self.forget_licenses();
                Ok(link.province_identifier)
            }
        }
    }
}
