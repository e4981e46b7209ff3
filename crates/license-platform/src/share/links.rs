//! Download links and files: ShareDownloadUrl (4.3.2), ShareDownloadFile (4.3.9),
//! downloadPdfFile (4.3.14), and the annotated copies and links they make.

use license_core::context::{parse_future_date, require};
use license_core::interface::{BASE_PATH, CITY_DOWNLOAD_PATH, PROVINCE_DOWNLOAD_PATH};
use license_core::params as p;
use license_core::ports::DownloadGrant;
use license_core::service::*;
use license_core::{Interface, Library, License, ReturnCode, Role, ServiceError};

use crate::auth::digest;
use crate::documents::{OFD, file_stem};
use crate::fault::{Res, fail};
use crate::platform::{Call, Platform, Route};
use crate::shape::{province_face, type_name};

use super::*;

impl Platform {
    /// A download link for a copy: grant stored as a digest, URL on the public base URL. The
    /// copy is stored under a name of its own, so that nothing stored reveals the link.
    pub(crate) async fn link(&self, l: &License, copy: &[u8]) -> Res<(String, String)> {
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

    pub(crate) fn links(&self, made: Vec<(License, String, String)>) -> DownloadLinks {
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
}
