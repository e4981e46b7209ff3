//! The share interfaces of API.md §6, each in the order of API.md §4: token, role, presence,
//! form, routing, look-up, the account's types, state.

use std::collections::BTreeMap;

use base64::Engine;
use license_core::context::check_length;
use license_core::context::{is_blank, parse_future_date, require, validate_reason};
use license_core::interface::{BASE_PATH, CITY_DOWNLOAD_PATH, PROVINCE_DOWNLOAD_PATH};
use license_core::limits::MAX_HOLDER_CODE_CHARS;
use license_core::normalize_holder_code;
use license_core::params as p;
use license_core::ports::{DownloadGrant, HolderSearch, PortError};
use license_core::service::*;
use license_core::{
    FileVerifyResult, InfoVerifyResult, Interface, Library, License, LicenseStatus, ReturnCode,
    Role, ServiceError,
};
use license_dict::holder_code_types;
use serde_json::Value;

use crate::auth::{Session, digest};
use crate::documents::{OFD, file_stem};
use crate::fault::{Res, fail};
use crate::platform::{Call, Platform, Route};
use crate::shape::{city_record, province_face, qr_city, type_name};

/// Most matches a holder interface returns without paging (API.md §6).
pub const UNPAGED_LIMIT: u64 = 1_000;
/// Default page size.
pub const DEFAULT_PAGE_SIZE: u64 = 20;
/// Largest page size.
pub const MAX_PAGE_SIZE: u64 = 100;
/// Largest offset a page may start at (the databases take signed 64-bit offsets); a page
/// beyond it answers `24`.
pub const MAX_OFFSET: u64 = i64::MAX as u64;

fn holder_detail(e: &license_dict::HolderCodeRejection) -> String {
    match e {
        license_dict::HolderCodeRejection::UnknownType => {
            format!(
                "{} is not a holder-code type of the dictionary",
                p::CERTIFICATE_HOLDER_CODE_TYPE
            )
        }
        license_dict::HolderCodeRejection::Invalid(e) => {
            format!("{}: {e}", p::CERTIFICATE_HOLDER_CODE)
        }
    }
}

fn positive(name: &str, v: Option<&str>) -> Res<Option<u64>> {
    match v.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => match s.parse::<u64>() {
            Ok(n) if n > 0 => Ok(Some(n)),
            _ => Err(ServiceError::malformed(name, "must be a positive integer").into()),
        },
    }
}

/// A license by any of its three keys, else `10`.
pub(crate) async fn by_key(platform: &Platform, call: &mut Call, key: &str) -> Res<License> {
    match platform.license_by_key(key).await? {
        Some(l) => {
            call.touch(&l);
            Ok((*l).clone())
        }
        None => fail(
            ReturnCode::NotFound,
            format!("no license has the key {key}"),
        ),
    }
}

impl Platform {
    fn local_records(&self, licenses: Vec<License>, total: u64) -> LicenseRecords {
        match self.config.role {
            Library::City => {
                let today = self.today();
                Shaped::City(Page {
                    total,
                    items: licenses.iter().map(|l| city_record(l, today)).collect(),
                })
            }
            Library::Province => Shaped::Province(Page {
                total,
                items: licenses.iter().map(province_face).collect(),
            }),
        }
    }

    fn answer<T>(&self, data: T) -> Answer<T> {
        Answer {
            library: self.config.role,
            data,
        }
    }

    /// A download link for a copy: grant stored as a digest, URL on the public base URL. The
    /// copy is stored under a name of its own, so that nothing stored reveals the link.
    async fn link(&self, l: &License, copy: &[u8]) -> Res<(String, String)> {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let name = uuid::Uuid::new_v4().simple().to_string();
        let copy_key = format!("copies/{}/{name}.ofd", &name[..2]);
        self.ports.files.put(&copy_key, copy).await?;
        let grant = DownloadGrant {
            digest: digest(&id),
            identifier: l.identifier.to_string(),
            copy_key,
            format: OFD.into(),
            file_name: format!("{}.ofd", file_stem(l.identifier.as_str())),
            expires_at: self.now() + self.config.download_ttl,
            single_use: self.config.single_use_links,
            downloads: 0,
        };
        self.ports.grants.insert(&grant).await?;
        let base = self.config.public_url.trim_end_matches('/');
        let url = match self.config.role {
            Library::City => {
                format!("{base}{BASE_PATH}{CITY_DOWNLOAD_PATH}?fileId={id}&fileFormat=OFD")
            }
            Library::Province => format!("{base}{BASE_PATH}{PROVINCE_DOWNLOAD_PATH}?id={id}"),
        };
        let scheme = if url.starts_with("https:") {
            "https"
        } else {
            "http"
        };
        Ok((url, scheme.to_owned()))
    }

    fn links(&self, made: Vec<(License, String, String)>) -> DownloadLinks {
        let total = made.len() as u64;
        match self.config.role {
            Library::City => Shaped::City(Page {
                total,
                items: made
                    .into_iter()
                    .map(|(l, url, _)| CityLink {
                        issue_dept: l.issue_dept.clone(),
                        certificate_number: l.certificate_number.clone(),
                        file_url: url,
                        issue_date: l.issue_date,
                        file_format: "OFD".into(),
                        certificate_type: type_name(&l),
                    })
                    .collect(),
            }),
            Library::Province => Shaped::Province(Page {
                total,
                items: made
                    .into_iter()
                    .map(|(l, url, scheme)| ProvinceLink {
                        cert_identifier: province_face(&l).cert_identifier,
                        content_type: scheme,
                        url,
                    })
                    .collect(),
            }),
        }
    }

    pub(crate) async fn do_download_url(
        &self,
        call: &mut Call,
        caller: &Caller,
        req: DownloadUrlRequest,
    ) -> Res<Answer<DownloadLinks>> {
        let session = self.authorize(call, caller, Role::Download).await?;
        let mut fields = vec![(p::CERTIFICATE_ID, req.certificate_id.as_deref())];
        fields.extend(req.context.required());
        require(&fields)?;
        let ctx = self.context(call, &req.context)?;
        let expiry = match req.expiry_time.as_deref().filter(|v| !v.trim().is_empty()) {
            Some(v) => Some(parse_future_date(p::EXPIRY_TIME, v, self.today())?),
            None => None,
        };
        let key = req
            .certificate_id
            .as_deref()
            .unwrap_or_default()
            .trim()
            .to_owned();
        // No interfaceType: this library first, then the province (API.md §5).
        let found = self.ports.licenses.find_by_key(&key).await?;
        let l = match (found, &self.upstream) {
            (Some(l), _) => {
                call.touch(&l);
                l
            }
            (None, Some(up)) if self.config.role == Library::City => {
                let upc = Self::upstream_caller(call);
                let fwd = DownloadUrlRequest {
                    context: ctx.to_raw(),
                    ..req.clone()
                };
                return self.forward(up.share_download_url(&upc, fwd)).await;
            }
            (None, _) => {
                return fail(
                    ReturnCode::NotFound,
                    format!("no license has the key {key}"),
                );
            }
        };
        self.check_license_type(&session, &l)?;
        self.check_downloadable(&l)?;
        let expires_on = self.copy_expiry(&l, expiry);
        let copy = self
            .annotated_copy(&l, &ctx, &session.account.username, expires_on)
            .await?;
        let (url, scheme) = self.link(&l, &copy).await?;
        Ok(self.answer(self.links(vec![(l, url, scheme)])))
    }

    pub(crate) async fn do_query_cert_info(
        &self,
        call: &mut Call,
        caller: &Caller,
        req: QueryCertInfoRequest,
    ) -> Res<Answer<LicenseRecords>> {
        let session = self.authorize(call, caller, Role::Info).await?;
        let mut fields = vec![(p::CERTIFICATE_ID, req.certificate_id.as_deref())];
        fields.extend(req.context.required());
        require(&fields)?;
        let ctx = self.context(call, &req.context)?;
        match self.route(req.interface_type.as_deref())? {
            Route::Upstream(up) => {
                let upc = Self::upstream_caller(call);
                let fwd = QueryCertInfoRequest {
                    context: ctx.to_raw(),
                    ..req
                };
                self.forward(up.query_cert_info(&upc, fwd)).await
            }
            Route::Local => {
                let l = by_key(
                    self,
                    call,
                    req.certificate_id.as_deref().unwrap_or_default(),
                )
                .await?;
                self.check_license_type(&session, &l)?;
                Ok(self.answer(self.local_records(vec![l], 1)))
            }
        }
    }

    pub(crate) async fn do_query_by_qr(
        &self,
        call: &mut Call,
        caller: &Caller,
        req: QrQueryRequest,
    ) -> Res<Answer<QrRecords>> {
        let started = std::time::Instant::now();
        let session = self.authorize(call, caller, Role::Info).await?;
        let mut fields = vec![(p::QR_VALUE, req.qr_value.as_deref())];
        fields.extend(req.context.required());
        require(&fields)?;
        let ctx = self.context(call, &req.context)?;
        req.operator.check()?;
        call.operator = Some(req.operator.clone());
        match self.route(req.interface_type.as_deref())? {
            Route::Upstream(up) => {
                let upc = Self::upstream_caller(call);
                let fwd = QrQueryRequest {
                    context: ctx.to_raw(),
                    ..req
                };
                self.forward(up.query_by_qr_code(&upc, fwd)).await
            }
            Route::Local => {
                let value = req.qr_value.as_deref().unwrap_or_default().trim();
                let token = value
                    .split(['?', '#'])
                    .next()
                    .unwrap_or_default()
                    .trim_end_matches('/')
                    .rsplit('/')
                    .next()
                    .unwrap_or_default();
                let Some(l) = self.ports.licenses.find_by_qr_token(token).await? else {
                    return fail(ReturnCode::NotFound, "no license has this QR value");
                };
                call.touch(&l);
                self.check_license_type(&session, &l)?;
                let data = match self.config.role {
                    Library::City => Shaped::City(qr_city(
                        &l,
                        self.today(),
                        started.elapsed().as_millis() as u64,
                    )),
                    Library::Province => Shaped::Province(Page {
                        total: 1,
                        items: vec![province_face(&l)],
                    }),
                };
                Ok(self.answer(data))
            }
        }
    }

    /// Steps 3–4 of a holder interface: presence, holder code, cert type, account types.
    async fn holder_checks(
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
        self.check_cert_type(ctype).await?;
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
    fn window(req: &HolderQueryRequest) -> Res<(u64, u64)> {
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

    async fn holder_search(
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
    fn forwarded(call: &Call, req: HolderQueryRequest) -> HolderQueryRequest {
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
        self.check_rate(&session)?;
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
        self.check_rate(&session)?;
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
        self.check_rate(&session)?;
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

    pub(crate) async fn do_download_file(
        &self,
        call: &mut Call,
        caller: &Caller,
        req: DownloadFileRequest,
    ) -> Res<Answer<DownloadedFile>> {
        let role = Interface::download_file_role(req.file_type.as_deref());
        let session = self.authorize(call, caller, role).await?;
        let mut fields = vec![(
            p::CERTIFICATE_IDENTIFIER,
            req.certificate_identifier.as_deref(),
        )];
        fields.extend(req.context.required());
        require(&fields)?;
        let ctx = self.context(call, &req.context)?;
        let png = match req
            .file_type
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => false,
            Some(t) if t.eq_ignore_ascii_case(p::FILE_TYPE_OFD) => false,
            Some(t) if t.eq_ignore_ascii_case(p::FILE_TYPE_PNG) => true,
            Some(_) => {
                return Err(ServiceError::malformed(p::FILE_TYPE, "must be ofd or png").into());
            }
        };
        let expiry = match req
            .copy_expiring_time
            .as_deref()
            .filter(|v| !v.trim().is_empty())
        {
            Some(v) => Some(parse_future_date(
                p::CERTIFICATE_COPY_EXPIRING_TIME,
                v,
                self.today(),
            )?),
            None => None,
        };
        match self.route(req.interface_type.as_deref())? {
            Route::Upstream(up) => {
                let upc = Self::upstream_caller(call);
                let fwd = DownloadFileRequest {
                    context: ctx.to_raw(),
                    ..req
                };
                self.forward(up.download_file(&upc, fwd)).await
            }
            Route::Local => {
                let l = by_key(
                    self,
                    call,
                    req.certificate_identifier.as_deref().unwrap_or_default(),
                )
                .await?;
                self.check_license_type(&session, &l)?;
                self.check_downloadable(&l)?;
                let content = if png {
                    FileContent::PageImages(self.ports.documents.render_page_images(&l).await?)
                } else {
                    let expires_on = self.copy_expiry(&l, expiry);
                    FileContent::Ofd(
                        self.annotated_copy(&l, &ctx, &session.account.username, expires_on)
                            .await?,
                    )
                };
                Ok(self.answer(DownloadedFile {
                    cert_identifier: province_face(&l).cert_identifier,
                    content,
                }))
            }
        }
    }

    pub(crate) async fn do_download_pdf(
        &self,
        call: &mut Call,
        caller: &Caller,
        req: PdfRequest,
    ) -> Res<Vec<u8>> {
        let session = self.authorize(call, caller, Role::Download).await?;
        require(&[(p::ABSTRACT_CODE, req.abstract_code.as_deref())])?;
        let code = req
            .abstract_code
            .as_deref()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        let Some(l) = self.ports.licenses.find_by_abstract_code(&code).await? else {
            if let (Library::City, Some(up)) = (self.config.role, &self.upstream) {
                let upc = Self::upstream_caller(call);
                return self.forward(up.download_pdf(&upc, req)).await;
            }
            return fail(ReturnCode::NotFound, "no license has this abstractCode");
        };
        call.touch(&l);
        self.check_license_type(&session, &l)?;
        self.check_downloadable(&l)?;
        Ok(self.ports.documents.render_pdf(&l).await?)
    }

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
        self.check_cert_type(&ctype).await?;
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
                let required = match self.cert_type_settings(&ctype).await? {
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
        self.check_cert_type(&ctype).await?;
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
