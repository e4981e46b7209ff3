//! A REST client that implements [`LicenseService`] against a node of this contract — a city
//! node's province upstream, and one of the transports the conformance suite runs through.
//!
//! A call that carries the caller's token is made with it; a call without one (a city node
//! forwarding) uses the client's own account, logging in with the password grant and refreshing
//! the token itself. A transport failure or a timeout answers return code `1`.

use std::time::Duration;

use async_trait::async_trait;
use license_core::interface::{BASE_PATH, SHARE_PREFIX, TOKEN_PATH, collect_path};
use license_core::params as p;
use license_core::params::Named;
use license_core::service::*;
use license_core::upstream::{Credentials, OwnAccount};
use license_core::{
    FileVerifyResult, InfoVerifyResult, Interface, Library, LicenseService, ReturnCode,
    ServiceError,
};
use serde_json::Value;

use crate::routes::REQUEST_ID;

mod parse;

use parse::*;

/// Where and as whom the client calls.
#[derive(Debug, Clone)]
pub struct RestClientConfig {
    /// The node's base URL (`https://host:port`, without the base path).
    pub base_url: String,
    /// The client's own account, used for calls that carry no token (`username` empty = none:
    /// such calls go out without a token, as the caller made them).
    pub credentials: Credentials,
    /// How long one HTTP exchange may take before the call answers `1`.
    pub timeout: Duration,
    /// PEM certificates of CAs trusted beside the system's roots for an `https` URL (a
    /// province's own CA).
    pub ca_pem: Option<Vec<u8>>,
}

/// The REST client.
pub struct RestClient {
    http: reqwest::Client,
    config: RestClientConfig,
    own: OwnAccount,
}

impl std::fmt::Debug for RestClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RestClient")
            .field("base_url", &self.config.base_url)
            .field("account", &self.own)
            .finish_non_exhaustive()
    }
}

fn unreachable(e: &reqwest::Error, timeout: Duration) -> ServiceError {
    let detail = if e.is_timeout() {
        format!("the node did not answer within {} ms", timeout.as_millis())
    } else if e.is_connect() {
        "the node cannot be reached".to_owned()
    } else {
        "the node's answer could not be read".to_owned()
    };
    ServiceError::new(ReturnCode::UpstreamUnreachable, detail)
}

/// Form parameters of one call: only the values present, as they were given.
#[derive(Default)]
struct Form(Vec<(&'static str, String)>);

impl Form {
    /// A request's parameters, as its declaration names them ([`Named`]).
    fn of(req: &impl Named) -> Form {
        let mut f = Form::default();
        req.write(&mut |name, v| f.0.push((name, v.to_owned())));
        f
    }
}

/// What a call sends: the share interfaces' form, or a JSON body (collection interfaces).
enum Payload<'a> {
    Form(&'a Form),
    Json(&'a Value),
}

/// An answered envelope: its head, data and the library that answered.
struct Envelope {
    head: Value,
    data: Value,
}

impl Envelope {
    fn library(&self) -> Result<Library, ServiceError> {
        library(&self.head)
    }
}

impl RestClient {
    /// A client; nothing is sent until the first call.
    pub fn new(config: RestClientConfig) -> Result<Self, ServiceError> {
        let mut builder = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout);
        if let Some(pem) = &config.ca_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem).map_err(|e| {
                ServiceError::new(ReturnCode::Other, format!("CA certificates: {e}"))
            })?;
            builder = builder.tls_certs_merge(certs);
        }
        let http = builder.build().map_err(|e| {
            ServiceError::new(ReturnCode::Other, format!("HTTP client setup failed: {e}"))
        })?;
        let own = OwnAccount::new(config.credentials.clone());
        Ok(RestClient {
            http,
            config: RestClientConfig {
                base_url: config.base_url.trim_end_matches('/').to_owned(),
                ..config
            },
            own,
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{BASE_PATH}{path}", self.config.base_url)
    }

    async fn token_request(
        &self,
        request_id: &str,
        form: &[(&str, &str)],
    ) -> Result<Result<TokenGrant, TokenError>, ServiceError> {
        let mut req = self.http.post(self.url(TOKEN_PATH)).form(form);
        if !request_id.is_empty() {
            req = req.header(REQUEST_ID, request_id);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| unreachable(&e, self.config.timeout))?;
        let ok = resp.status().is_success();
        let v: Value = resp
            .json()
            .await
            .map_err(|e| unreachable(&e, self.config.timeout))?;
        if ok {
            Ok(Ok(TokenGrant {
                access_token: text(&v, "access_token")?,
                refresh_token: text(&v, "refresh_token")?,
                expires_in: v["expires_in"].as_u64().unwrap_or(0),
                scope: text(&v, "scope").unwrap_or_default(),
            }))
        } else {
            let kind = v["error"]
                .as_str()
                .and_then(OAuthErrorKind::from_code)
                .unwrap_or(OAuthErrorKind::TemporarilyUnavailable);
            Ok(Err(TokenError {
                kind,
                description: v["error_description"].as_str().unwrap_or("").to_owned(),
            }))
        }
    }

    /// A token request made for a caller: the given values, those present, as they are.
    async fn grant<const N: usize>(
        &self,
        caller: &Caller,
        grant_type: &str,
        values: [(&str, Option<String>); N],
    ) -> Result<TokenGrant, TokenError> {
        let mut form = vec![(p::GRANT_TYPE, grant_type)];
        for (k, v) in &values {
            if let Some(v) = v {
                form.push((k, v.as_str()));
            }
        }
        self.token_request(&caller.request_id, &form)
            .await
            .unwrap_or_else(|e| Err(unavailable_grant(e)))
    }

    async fn post(
        &self,
        token: Option<&str>,
        request_id: &str,
        path: &str,
        body: &Payload<'_>,
    ) -> ServiceResult<(Envelope, Option<u32>)> {
        let req = self.http.post(self.url(path));
        let mut req = match body {
            Payload::Form(form) => req.form(&form.0),
            Payload::Json(v) => req.json(v),
        };
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if !request_id.is_empty() {
            req = req.header(REQUEST_ID, request_id);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| unreachable(&e, self.config.timeout))?;
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        let v: Value = resp
            .json()
            .await
            .map_err(|e| unreachable(&e, self.config.timeout))?;
        Ok((
            Envelope {
                head: v["head"].clone(),
                data: v["data"].clone(),
            },
            retry_after,
        ))
    }

    /// One share call: the caller's token, or the client's own account's.
    async fn call(&self, caller: &Caller, iface: Interface, form: Form) -> ServiceResult<Envelope> {
        let path = format!("{SHARE_PREFIX}{}", iface.name());
        let body = Payload::Form(&form);
        self.own
            .call(self, caller, |c| self.exchange(c, &path, &body))
            .await
    }

    /// One exchange with the node: the envelope of a success, or the failure it stands for.
    async fn exchange(
        &self,
        caller: Caller,
        path: &str,
        body: &Payload<'_>,
    ) -> ServiceResult<Envelope> {
        let (env, retry) = self
            .post(caller.token.as_deref(), &caller.request_id, path, body)
            .await?;
        if env.head["status"].as_str() == Some("0") {
            Ok(env)
        } else if env.head.is_object() {
            Err(envelope_error(&env.head, &env.data, retry))
        } else {
            Err(garbled("head"))
        }
    }
}

impl RestClient {
    /// A share call whose answer names its library: `req`'s form, then the envelope read by
    /// `data` for that library.
    async fn answered<T>(
        &self,
        caller: &Caller,
        iface: Interface,
        req: &(impl Named + Sync),
        data: impl FnOnce(Library, &Envelope) -> ServiceResult<T> + Send,
    ) -> ServiceResult<Answer<T>> {
        let env = self.call(caller, iface, Form::of(req)).await?;
        let library = env.library()?;
        Ok(Answer {
            library,
            data: data(library, &env)?,
        })
    }
}

#[async_trait]
impl LicenseService for RestClient {
    async fn issue_token(
        &self,
        caller: &Caller,
        grant: PasswordGrant,
    ) -> Result<TokenGrant, TokenError> {
        self.grant(
            caller,
            "password",
            [
                (p::CLIENT_ID, grant.client_id),
                (p::CLIENT_SECRET, grant.client_secret),
                (p::SCOPE, grant.scope),
                (p::USERNAME, grant.username),
                (p::PASSWORD, grant.password),
            ],
        )
        .await
    }

    async fn refresh_token(
        &self,
        caller: &Caller,
        grant: RefreshGrant,
    ) -> Result<TokenGrant, TokenError> {
        self.grant(
            caller,
            "refresh_token",
            [
                (p::CLIENT_ID, grant.client_id),
                (p::CLIENT_SECRET, grant.client_secret),
                (p::SCOPE, grant.scope),
                (p::REFRESH_TOKEN, grant.refresh_token),
            ],
        )
        .await
    }

    async fn share_download_url(
        &self,
        caller: &Caller,
        req: DownloadUrlRequest,
    ) -> ServiceResult<Answer<DownloadLinks>> {
        self.answered(caller, Interface::ShareDownloadUrl, &req, |l, e| {
            links(l, &e.data)
        })
        .await
    }

    async fn query_cert_info(
        &self,
        caller: &Caller,
        req: QueryCertInfoRequest,
    ) -> ServiceResult<Answer<LicenseRecords>> {
        self.answered(caller, Interface::ShareQueryCertInfo, &req, |l, e| {
            records(l, &e.data)
        })
        .await
    }

    async fn verify_cert_info(
        &self,
        caller: &Caller,
        req: VerifyInfoRequest,
    ) -> ServiceResult<Answer<InfoVerification>> {
        self.answered(
            caller,
            Interface::ShareVerifyCertInfo,
            &req,
            |library, e| {
                Ok(match library {
                    Library::Province => {
                        let first = &e.data["dataList"][0];
                        let code = first["result"].as_u64().ok_or_else(|| garbled("result"))?;
                        Shaped::Province(
                            u8::try_from(code)
                                .ok()
                                .and_then(InfoVerifyResult::from_code)
                                .ok_or_else(|| garbled("result"))?,
                        )
                    }
                    Library::City => Shaped::City(match e.data["verifyResult"].as_str() {
                        Some("true") => true,
                        Some("false") => false,
                        _ => return Err(garbled("verifyResult")),
                    }),
                })
            },
        )
        .await
    }

    async fn verify_cert_file(
        &self,
        caller: &Caller,
        req: VerifyFileRequest,
    ) -> ServiceResult<Answer<FileVerifyResult>> {
        // The file variant shares the information variant's path (API.md §6).
        self.answered(caller, Interface::ShareVerifyCertFile, &req, |_, e| {
            text(&e.data, "result")?
                .parse()
                .ok()
                .and_then(FileVerifyResult::from_code)
                .ok_or_else(|| garbled("result"))
        })
        .await
    }

    async fn query_by_qr_code(
        &self,
        caller: &Caller,
        req: QrQueryRequest,
    ) -> ServiceResult<Answer<QrRecords>> {
        self.answered(
            caller,
            Interface::ShareQueryCertInfoByQRcode,
            &req,
            |library, e| {
                Ok(match library {
                    Library::Province => Shaped::Province(page(&e.data, province_face)?),
                    Library::City => {
                        let d = &e.data;
                        Shaped::City(QrCityRecord {
                            img_sign_fileid: text(d, "img_sign_fileid")?,
                            license_name: text(d, "license_name")?,
                            file_number: text(d, "fileNumber")?,
                            issue_unitname: text(d, "issue_unitname")?,
                            valid_time_begin: iso_date(d, "valid_time_begin")?,
                            holder: text(d, "holder")?,
                            license_state: status(d, "license_state")?,
                            valid_time_end: end_date(d, "valid_time_end", iso_date)?,
                            license_id: text(d, "licenseId")?,
                            abstract_code: text(d, "abstractCode")?,
                            license_number: text(d, "license_number")?,
                            elapsed_ms: e.head["time"].as_u64().unwrap_or(0),
                        })
                    }
                })
            },
        )
        .await
    }

    async fn query_by_holder(
        &self,
        caller: &Caller,
        req: HolderQueryRequest,
    ) -> ServiceResult<Answer<LicenseRecords>> {
        self.answered(caller, Interface::ShareQueryCertInfoByHo, &req, |l, e| {
            records(l, &e.data)
        })
        .await
    }

    async fn download_urls_by_holder(
        &self,
        caller: &Caller,
        req: HolderQueryRequest,
    ) -> ServiceResult<Answer<DownloadLinks>> {
        self.answered(
            caller,
            Interface::ShareDownloadUrlsByHolderCode,
            &req,
            |l, e| links(l, &e.data),
        )
        .await
    }

    async fn download_file(
        &self,
        caller: &Caller,
        req: DownloadFileRequest,
    ) -> ServiceResult<Answer<DownloadedFile>> {
        let f = Form::of(&req);
        let env = self.call(caller, Interface::ShareDownloadFile, f).await?;
        let library = env.library()?;
        let first = &env.data["dataList"][0];
        let content = match &first["content"] {
            Value::String(s) => FileContent::Ofd(b64(s)?),
            Value::Array(pages) => FileContent::PageImages(
                pages
                    .iter()
                    .map(|p| p.as_str().ok_or_else(|| garbled("content")).and_then(b64))
                    .collect::<Result<_, _>>()?,
            ),
            _ => return Err(garbled("content")),
        };
        Ok(Answer {
            library,
            data: DownloadedFile {
                cert_identifier: text(first, "certIdentifier")?,
                content,
            },
        })
    }

    async fn insert_to_province(&self, caller: &Caller, req: SyncRequest) -> ServiceResult<String> {
        let env = self
            .call(caller, Interface::InsertToProvince, Form::of(&req))
            .await?;
        text(&env.data["dataList"][0], "certIdentifier")
    }

    async fn collect(&self, caller: &Caller, req: CollectRequest) -> ServiceResult<String> {
        let path = collect_path(req.operation);
        let body = serde_json::to_value(crate::collect::CollectBody::of(&req))
            .map_err(|e| ServiceError::new(ReturnCode::Other, format!("push body: {e}")))?;
        let body = Payload::Json(&body);
        let env = self
            .own
            .call(self, caller, |c| self.exchange(c, &path, &body))
            .await?;
        text(&env.data["dataList"][0], "certIdentifier")
    }

    async fn update_to_province(&self, caller: &Caller, req: SyncRequest) -> ServiceResult<()> {
        self.call(caller, Interface::UpdateToProvince, Form::of(&req))
            .await?;
        Ok(())
    }

    async fn delete_to_province(&self, caller: &Caller, req: SyncRequest) -> ServiceResult<()> {
        self.call(caller, Interface::DeleteToProvince, Form::of(&req))
            .await?;
        Ok(())
    }

    async fn sheng_shi_state(
        &self,
        caller: &Caller,
        req: HolderQueryRequest,
    ) -> ServiceResult<ShengShiState> {
        let f = Form::of(&req);
        let env = self.call(caller, Interface::ShengShiStateInfo, f).await?;
        let flag = |k: &str| env.head[k].as_str() == Some("1");
        let records = if env.data.is_null() {
            Vec::new()
        } else {
            page(&env.data, |v| {
                let mut face = province_face(v)?;
                let file_number = face.fields.remove("fileNumber");
                Ok(ShengShiRecord { face, file_number })
            })?
            .items
        };
        Ok(ShengShiState {
            in_province: flag("shengIsExists"),
            in_city: flag("shiIsExists"),
            records,
        })
    }

    async fn download_pdf(&self, caller: &Caller, req: PdfRequest) -> ServiceResult<Vec<u8>> {
        let f = Form::of(&req);
        let env = self.call(caller, Interface::DownloadPdfFile, f).await?;
        let s = env.data["dataList"][0]
            .as_str()
            .ok_or_else(|| garbled("dataList"))?;
        b64(s)
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use license_core::LicenseStatus;

    use super::*;
    use crate::envelope;

    #[test]
    fn failures_come_back_as_they_left() {
        for e in [
            ServiceError::new(ReturnCode::MissingParameter, "certificateID is missing"),
            ServiceError::bare(ReturnCode::NotFound),
            ServiceError::new(ReturnCode::Other, "rate exceeded").with_retry_after(7),
        ] {
            let v = serde_json::to_value(envelope::failure(&e)).unwrap();
            assert_eq!(
                envelope_error(&v["head"], &v["data"], e.retry_after_secs),
                e
            );
        }
    }

    #[test]
    fn city_records_round_trip_through_the_envelope() {
        let r = CityRecord {
            holder: "张三".into(),
            validate_start: NaiveDate::from_ymd_opt(2024, 1, 2).unwrap(),
            validate_end: None,
            issue_dept: "枣庄市市场监督管理局".into(),
            certificate_id: "1.2.3".into(),
            certificate_name: "营业执照".into(),
            holder_type: "法人".into(),
            certificate_number: "N1".into(),
            issue_dept_code: "11370400MB2857869U".into(),
            holder_code: "91370400MA3C7XXXXX".into(),
            issue_date: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
            digital_sign: String::new(),
            certificate_type: "11100000000013338W001".into(),
            state: LicenseStatus::Suspended,
        };
        let a = Answer {
            library: Library::City,
            data: Shaped::City(Page {
                total: 1,
                items: vec![r],
            }),
        };
        let v = serde_json::to_value(envelope::records(&a)).unwrap();
        let back = records(library(&v["head"]).unwrap(), &v["data"]).unwrap();
        assert_eq!(back, a.data);
    }
}
