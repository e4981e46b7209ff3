//! Verification: ShareVerifyCertInfo's information (4.3.4) and file (4.3.5) variants.

use std::collections::BTreeMap;

use base64::Engine;
use license_core::context::check_length;
use license_core::context::{is_blank, require, validate_reason};
use license_core::limits::MAX_HOLDER_CODE_CHARS;
use license_core::normalize_holder_code;
use license_core::params as p;
use license_core::ports::{HolderSearch, PortError};
use license_core::service::*;
use license_core::{
    FileVerifyResult, InfoVerifyResult, Library, License, LicenseStatus, ReturnCode, Role,
    ServiceError,
};
use serde_json::Value;

use crate::fault::{Res, fail};
use crate::platform::{Call, Platform, Route};

impl Platform {
    pub(crate) async fn do_verify_info(
        &self,
        call: &mut Call,
        caller: &Caller,
        req: VerifyInfoRequest,
    ) -> Res<Answer<InfoVerification>> {
        let session = self.authorize(call, caller, Role::Verify).await?;
        require(&[
            (p::CERT_TYPE_CODE, req.cert_type_code.as_deref()),
            (p::CERTIFICATE_DATA, req.certificate_data.as_deref()),
            (p::USE_FOR, req.use_for.as_deref()),
            (p::CERTIFICATE_HOLDER_CODE, req.holder_code.as_deref()),
        ])?;
        call.purpose = Some(validate_reason(p::USE_FOR, req.use_for.as_deref())?);
        let data: BTreeMap<String, String> = match serde_json::from_str::<Value>(
            req.certificate_data.as_deref().unwrap_or_default(),
        ) {
            Ok(Value::Object(m)) => m
                .into_iter()
                .map(|(k, v)| {
                    let v = match v {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    (k, v)
                })
                .collect(),
            _ => {
                return Err(
                    ServiceError::malformed(p::CERTIFICATE_DATA, "must be a JSON object").into(),
                );
            }
        };
        let ctype = req
            .cert_type_code
            .as_deref()
            .unwrap_or_default()
            .trim()
            .to_owned();
        self.check_cert_type(&ctype, false).await?;
        let holder = normalize_holder_code(req.holder_code.as_deref().unwrap_or_default());
        check_length(
            p::CERTIFICATE_HOLDER_CODE,
            Some(&holder),
            MAX_HOLDER_CODE_CHARS,
        )?;
        call.holder_code = Some(holder.clone());
        match self.route(req.interface_type.as_deref())? {
            Route::Upstream(up) => {
                let upc = Self::upstream_caller(call);
                self.forward(up.verify_cert_info(&upc, req)).await
            }
            Route::Local => {
                if !session.account.may_use_type(&ctype) {
                    return fail(
                        ReturnCode::Unauthorized,
                        format!(
                            "account {} may not use licenses of type {ctype}",
                            session.account.username
                        ),
                    );
                }
                let required = match self.cert_type_settings(&ctype, false).await? {
                    Some(s) if !s.verify_fields.is_empty() => s.verify_fields,
                    _ => vec![p::CERTIFICATE_NUMBER.to_owned()],
                };
                let result = if required
                    .iter()
                    .any(|f| is_blank(data.get(f).map(String::as_str)))
                {
                    InfoVerifyResult::Incomplete
                } else {
                    let page = self
                        .ports
                        .licenses
                        .search_by_holder(&HolderSearch {
                            holder_code: holder,
                            cert_type_code: ctype,
                            certificate_number: data
                                .get(p::CERTIFICATE_NUMBER)
                                .map(|s| s.trim().to_owned()),
                            offset: 0,
                            limit: 20,
                        })
                        .await?;
                    let matching = page
                        .items
                        .into_iter()
                        .find(|l| data.iter().all(|(k, v)| field_matches(l, k, v)));
                    match matching {
                        None => InfoVerifyResult::NoSuchInformation,
                        Some(l) => {
                            call.touch(&l);
                            match l.status_on(self.today()) {
                                LicenseStatus::Valid => InfoVerifyResult::Valid,
                                LicenseStatus::NotActivated => InfoVerifyResult::NotActivated,
                                LicenseStatus::Suspended => InfoVerifyResult::Suspended,
                                LicenseStatus::Revoked | LicenseStatus::Expired => {
                                    InfoVerifyResult::Invalidated
                                }
                            }
                        }
                    }
                };
                let data = match self.config.role {
                    Library::City => Shaped::City(result == InfoVerifyResult::Valid),
                    Library::Province => Shaped::Province(result),
                };
                Ok(self.answer(data))
            }
        }
    }

    pub(crate) async fn do_verify_file(
        &self,
        call: &mut Call,
        caller: &Caller,
        req: VerifyFileRequest,
    ) -> Res<Answer<FileVerifyResult>> {
        let session = self.authorize(call, caller, Role::Verify).await?;
        require(&[
            (p::CERT_TYPE_CODE, req.cert_type_code.as_deref()),
            (p::CONTENT_TYPE, req.content_type.as_deref()),
            (p::CONTENT, req.content.as_deref()),
            (p::USE_CAUSE, req.use_cause.as_deref()),
        ])?;
        call.purpose = Some(validate_reason(p::USE_CAUSE, req.use_cause.as_deref())?);
        if !req
            .content_type
            .as_deref()
            .unwrap_or_default()
            .trim()
            .eq_ignore_ascii_case(p::CONTENT_TYPE_BASE64)
        {
            return Err(ServiceError::malformed(p::CONTENT_TYPE, "must be base64").into());
        }
        let text: String = req
            .content
            .as_deref()
            .unwrap_or_default()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(text.as_bytes()) else {
            return Err(ServiceError::malformed(p::CONTENT, "is not base64").into());
        };
        let ctype = req
            .cert_type_code
            .as_deref()
            .unwrap_or_default()
            .trim()
            .to_owned();
        self.check_cert_type(&ctype, false).await?;
        match self.route(req.interface_type.as_deref())? {
            Route::Upstream(up) => {
                let upc = Self::upstream_caller(call);
                self.forward(up.verify_cert_file(&upc, req)).await
            }
            Route::Local => {
                let check = match self.ports.documents.verify(&bytes).await {
                    Ok(c) => c,
                    Err(PortError::Invalid(_)) => {
                        return Err(
                            ServiceError::malformed(p::CONTENT, "is not an OFD package").into()
                        );
                    }
                    Err(e) => return Err(e.into()),
                };
                let result = if !check.intact {
                    FileVerifyResult::FileFailed
                } else if !check.signatures_trusted {
                    FileVerifyResult::SignatureFailed
                } else {
                    match &check.identifier {
                        None => FileVerifyResult::FileFailed,
                        Some(id) => match self.ports.licenses.find_by_key(id).await? {
                            Some(l) if l.cert_type_code == ctype => {
                                call.touch(&l);
                                self.check_license_type(&session, &l)?;
                                match l.status_on(self.today()) {
                                    LicenseStatus::Valid => FileVerifyResult::Passed,
                                    LicenseStatus::NotActivated => FileVerifyResult::NotActivated,
                                    LicenseStatus::Suspended => FileVerifyResult::Suspended,
                                    LicenseStatus::Revoked | LicenseStatus::Expired => {
                                        FileVerifyResult::Invalidated
                                    }
                                }
                            }
                            _ => FileVerifyResult::FileFailed,
                        },
                    }
                };
                Ok(self.answer(result))
            }
        }
    }
}

/// Whether a verification field matches the license (known metadata names, else the face).
fn field_matches(l: &License, key: &str, value: &str) -> bool {
    let value = value.trim();
    let stored = match key {
        p::CERTIFICATE_NUMBER => Some(l.certificate_number.as_str()),
        "certificateHolder" => Some(l.holder.as_str()),
        p::CERTIFICATE_HOLDER_CODE => Some(l.holder_code.as_str()),
        "certificateName" => Some(l.certificate_name.as_str()),
        "issueDept" => Some(l.issue_dept.as_str()),
        "issueDeptCode" => Some(l.issue_dept_code.as_str()),
        p::CERT_TYPE_CODE => Some(l.cert_type_code.as_str()),
        _ => l.face.get(key).map(String::as_str),
    };
    match stored {
        Some(s) => s.trim() == value,
        // A field this license does not carry cannot contradict it.
        None => true,
    }
}
