//! Holder searches: ShareQueryCertInfoByHo (4.3.7), ShareDownloadUrlsByHolderCode (4.3.8) and
//! shengShiStateInfo (4.3.13), with their checks, paging and per-account limit.

use license_core::context::check_length;
use license_core::context::require;
use license_core::limits::MAX_HOLDER_CODE_CHARS;
use license_core::normalize_holder_code;
use license_core::params as p;
use license_core::ports::HolderSearch;
use license_core::service::*;
use license_core::{Library, License, LicenseStatus, ReturnCode, Role, ServiceError};
use license_dict::holder_code_types;

use crate::auth::Session;
use crate::fault::{Res, fail};
use crate::platform::{Call, Platform, Route};
use crate::shape::province_face;

use super::*;

impl Platform {
    /// Steps 3–4 of a holder interface: presence, holder code, cert type, account types.
    pub(crate) async fn holder_checks(
        &self,
        call: &mut Call,
        session: &Session,
        req: &mut HolderQueryRequest,
    ) -> Res<()> {
        // One holder is one code wherever it enters (the upstream gets it normalised too).
        req.holder_code = req.holder_code.as_deref().map(normalize_holder_code);
        call.holder_code = req.holder_code.clone();
        let mut fields = vec![
            (p::CERTIFICATE_HOLDER_CODE, req.holder_code.as_deref()),
            (
                p::CERTIFICATE_HOLDER_CODE_TYPE,
                req.holder_code_type.as_deref(),
            ),
            (p::CERT_TYPE_CODE, req.cert_type_code.as_deref()),
        ];
        fields.extend(req.context.required());
        require(&fields)?;
        self.context(call, &req.context)?;
        req.operator.check()?;
        call.operator = Some(req.operator.clone());
        check_length(
            p::CERTIFICATE_HOLDER_CODE,
            req.holder_code.as_deref(),
            MAX_HOLDER_CODE_CHARS,
        )?;
        Self::window(req)?;
        if let Some(t) = req
            .interface_type
            .as_deref()
            .filter(|t| !t.trim().is_empty())
            && Library::from_interface_type(t).is_none()
        {
            return Err(ServiceError::malformed(p::INTERFACE_TYPE, "must be 0 or 1").into());
        }
        let holder = req.holder_code.as_deref().unwrap_or_default().trim();
        let htype = req.holder_code_type.as_deref().unwrap_or_default().trim();
        if let Err(e) = holder_code_types().validate(htype, holder) {
            return fail(ReturnCode::BadHolderCode, holder_detail(&e));
        }
        let ctype = req.cert_type_code.as_deref().unwrap_or_default().trim();
        self.check_cert_type(ctype, call.interface.hands_out_files())
            .await?;
        if !session.account.may_use_type(ctype) {
            return fail(
                ReturnCode::Unauthorized,
                format!(
                    "account {} may not search licenses of type {ctype}",
                    session.account.username
                ),
            );
        }
        Ok(())
    }

    /// The page window of a holder query: all (up to 1,000) without Page/Size (API.md §6).
    pub(crate) fn window(req: &HolderQueryRequest) -> Res<(u64, u64)> {
        let page = positive(p::PAGE, req.page.as_deref())?;
        let size = positive(p::SIZE, req.size.as_deref())?;
        Ok(match (page, size) {
            (None, None) => (0, UNPAGED_LIMIT),
            (page, size) => {
                let size = size.unwrap_or(DEFAULT_PAGE_SIZE).min(MAX_PAGE_SIZE);
                let offset = (page.unwrap_or(1) - 1)
                    .checked_mul(size)
                    .filter(|o| *o <= MAX_OFFSET)
                    .ok_or_else(|| {
                        ServiceError::malformed(p::PAGE, "is beyond the last possible page")
                    })?;
                (offset, size)
            }
        })
    }

    pub(crate) async fn holder_search(
        &self,
        call: &mut Call,
        req: &HolderQueryRequest,
        offset: u64,
        limit: u64,
    ) -> Res<license_core::service::Page<License>> {
        let search = HolderSearch {
            holder_code: req
                .holder_code
                .as_deref()
                .unwrap_or_default()
                .trim()
                .to_owned(),
            cert_type_code: req
                .cert_type_code
                .as_deref()
                .unwrap_or_default()
                .trim()
                .to_owned(),
            certificate_number: req
                .certificate_number
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
            offset,
            limit,
        };
        let page = self.ports.licenses.search_by_holder(&search).await?;
        for l in &page.items {
            call.touch(l);
        }
        Ok(page)
    }

    /// A holder request as the upstream gets it: the validated (normalised) context.
    pub(crate) fn forwarded(call: &Call, req: HolderQueryRequest) -> HolderQueryRequest {
        HolderQueryRequest {
            context: call
                .context
                .as_ref()
                .map(|c| c.to_raw())
                .unwrap_or_default(),
            ..req
        }
    }

    pub(crate) async fn do_query_by_holder(
        &self,
        call: &mut Call,
        caller: &Caller,
        mut req: HolderQueryRequest,
    ) -> Res<Answer<LicenseRecords>> {
        let session = self.authorize(call, caller, Role::Search).await?;
        self.check_rate(&session).await?;
        self.holder_checks(call, &session, &mut req).await?;
        match self.route(req.interface_type.as_deref())? {
            Route::Upstream(up) => {
                let upc = Self::upstream_caller(call);
                let fwd = Self::forwarded(call, req);
                self.forward(up.query_by_holder(&upc, fwd)).await
            }
            Route::Local => {
                let (offset, limit) = Self::window(&req)?;
                let page = self.holder_search(call, &req, offset, limit).await?;
                if page.total == 0 {
                    return fail(ReturnCode::NotFound, "no license of this holder and type");
                }
                Ok(self.answer(self.local_records(page.items, page.total)))
            }
        }
    }

    /// 4.3.13 `shengShiStateInfo`: both libraries at once, whatever `interfaceType` says
    /// (API.md §5). Rows are the province's faces with the city's `fileNumber` where the city
    /// holds the same license (by the province identifier it was given, or the same
    /// identifier), then the city's licenses the province does not hold.
    pub(crate) async fn do_sheng_shi_state(
        &self,
        call: &mut Call,
        caller: &Caller,
        mut req: HolderQueryRequest,
    ) -> Res<ShengShiState> {
        let session = self.authorize(call, caller, Role::Search).await?;
        self.check_rate(&session).await?;
        self.holder_checks(call, &session, &mut req).await?;
        let local = self
            .holder_search(call, &req, 0, UNPAGED_LIMIT)
            .await?
            .items;
        let province = match (self.config.role, &self.upstream) {
            // A province node answers from its own library (API.md §5).
            (Library::Province, _) => {
                return Ok(ShengShiState {
                    in_province: !local.is_empty(),
                    in_city: false,
                    records: local
                        .iter()
                        .map(|l| ShengShiRecord {
                            face: province_face(l),
                            file_number: None,
                        })
                        .collect(),
                });
            }
            (Library::City, None) => {
                return fail(
                    ReturnCode::NotProvided,
                    "this city node has no province upstream",
                );
            }
            (Library::City, Some(up)) => {
                let upc = Self::upstream_caller(call);
                let fwd = HolderQueryRequest {
                    interface_type: Some(Library::Province.interface_type().to_owned()),
                    ..Self::forwarded(call, req)
                };
                match self.forward(up.query_by_holder(&upc, fwd)).await {
                    Ok(Answer {
                        data: Shaped::Province(page),
                        ..
                    }) => page.items,
                    Ok(_) => {
                        return fail(
                            ReturnCode::UpstreamUnreachable,
                            "the province upstream answered in the city shape",
                        );
                    }
                    Err(crate::fault::Fault::Service(e)) if e.code == ReturnCode::NotFound => {
                        Vec::new()
                    }
                    Err(e) => return Err(e),
                }
            }
        };
        let mut unmatched: Vec<&License> = local.iter().collect();
        let mut records = Vec::with_capacity(province.len() + local.len());
        for face in province {
            let at = unmatched.iter().position(|l| {
                l.province_identifier.as_deref() == Some(face.cert_identifier.as_str())
                    || l.identifier.as_ref() == face.cert_identifier
            });
            let file_number = at.map(|i| unmatched.remove(i).file_number.clone());
            records.push(ShengShiRecord { face, file_number });
        }
        let in_province = !records.is_empty();
        records.extend(unmatched.into_iter().map(|l| ShengShiRecord {
            face: province_face(l),
            file_number: Some(l.file_number.clone()),
        }));
        Ok(ShengShiState {
            in_province,
            in_city: !local.is_empty(),
            records,
        })
    }

    pub(crate) async fn do_download_urls_by_holder(
        &self,
        call: &mut Call,
        caller: &Caller,
        mut req: HolderQueryRequest,
    ) -> Res<Answer<DownloadLinks>> {
        let session = self.authorize(call, caller, Role::Download).await?;
        self.check_rate(&session).await?;
        self.holder_checks(call, &session, &mut req).await?;
        match self.route(req.interface_type.as_deref())? {
            Route::Upstream(up) => {
                let upc = Self::upstream_caller(call);
                let fwd = Self::forwarded(call, req);
                self.forward(up.download_urls_by_holder(&upc, fwd)).await
            }
            Route::Local => {
                let page = self.holder_search(call, &req, 0, UNPAGED_LIMIT).await?;
                let Some(newest) = page.items.first().cloned() else {
                    return fail(ReturnCode::NotFound, "no license of this holder and type");
                };
                let today = self.today();
                let valid: Vec<License> = page
                    .items
                    .into_iter()
                    .filter(|l| {
                        l.status_on(today) == LicenseStatus::Valid
                            && session.account.may_use_type(&l.cert_type_code)
                    })
                    .collect();
                if valid.is_empty() {
                    self.check_downloadable(&newest)?;
                    return fail(ReturnCode::NotFound, "no currently valid license");
                }
                let ctx = call.context.clone().expect("validated above");
                let mut made = Vec::with_capacity(valid.len());
                for l in valid {
                    let expires_on = self.copy_expiry(&l, None);
                    let copy = self
                        .annotated_copy(&l, &ctx, &session.account.username, expires_on)
                        .await?;
                    let (url, scheme) = self.link(&l, &copy).await?;
                    made.push((l, url, scheme));
                }
                Ok(self.answer(self.links(made)))
            }
        }
    }
}
