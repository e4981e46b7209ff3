//! The routes: share interfaces (POST and GET, with the `ShareQueryCertInfoByHolderCode`
//! alias), the OAuth token endpoint, capability download links, the public verification page,
//! and health checks.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, FromRef, Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{MethodRouter, any, get, post};
use axum::{Json, Router};
use base64::Engine;
use license_core::interface::{
    BASE_PATH, CITY_DOWNLOAD_PATH, COLLECT_PREFIX, HOLDER_QUERY_ALIAS, PROVINCE_DOWNLOAD_PATH,
    REVOKE_PATH, SHARE_PREFIX, TOKEN_PATH, VERIFY_PAGE_PATH,
};
use license_core::params as p;
use license_core::params::Named;
use license_core::service::*;
use license_core::{AdminService, Interface, LicenseService, ReturnCode, ServiceError};
use serde::Serialize;
use serde_json::json;

use crate::admin::{self, ADMIN_PREFIX};
use crate::envelope;
use crate::metrics::{Metrics, metrics, observe};
use crate::openapi::{DOCS_PATH, OPENAPI_PATH};
use crate::page;
use crate::params::{BodyError, Params, bearer};
use crate::peer::ClientAddr;

/// Default body limit where no file arrives: 1 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 1 << 20;
/// Default body limit where files arrive (file verification, import): 20 MiB, to allow
/// base64 files (API.md §1).
pub const DEFAULT_FILE_BODY_LIMIT: usize = 20 << 20;
/// The request id header.
pub use license_core::service::REQUEST_ID;

/// What the routes serve from.
#[derive(Clone, FromRef)]
pub struct AppState {
    /// The share interfaces.
    pub service: Arc<dyn LicenseService>,
    /// Download links, verification page, readiness.
    pub node: Arc<dyn NodeService>,
    /// The admin API.
    pub admin: Arc<dyn AdminService>,
    /// Request metrics.
    pub metrics: Arc<Metrics>,
}

/// An envelope as the response body, serialized in one pass into one buffer.
fn json_response(status: StatusCode, v: &impl Serialize) -> Response {
    let mut body = Vec::with_capacity(1024);
    let mut r = match serde_json::to_writer(&mut body, v) {
        Ok(()) => (status, body).into_response(),
        Err(e) => {
            // Only a map with non-string keys fails, and no envelope has one.
            tracing::error!(error = %e, "an answer could not be serialized");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    };
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=UTF-8"),
    );
    r
}

pub(crate) fn envelope_error(status: StatusCode, e: &ServiceError) -> Response {
    let mut r = json_response(status, &envelope::failure(e));
    r.extensions_mut().insert(e.code);
    if let Some(secs) = e.retry_after_secs {
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    r
}

/// A body that could not be read (too large, broken stream): the envelope with the
/// rejection's HTTP status (413 for the body limit, API.md §1).
pub(crate) fn body_rejected(e: BytesRejection) -> Response {
    if timed_out(&e) {
        return envelope_error(
            StatusCode::REQUEST_TIMEOUT,
            &ServiceError::new(
                ReturnCode::Unparseable,
                "the request body did not arrive in time",
            ),
        );
    }
    let detail = if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        "the request body is larger than this node accepts".to_owned()
    } else {
        format!("the request body could not be read: {}", e.body_text())
    };
    envelope_error(
        e.status(),
        &ServiceError::new(ReturnCode::Unparseable, detail),
    )
}

/// Whether a body failed because it did not arrive within the server's body timeout
/// ([`tower_http::timeout::TimeoutError`] somewhere in the error's chain).
pub(crate) fn timed_out(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(e);
    while let Some(e) = next {
        if e.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        next = e.source();
    }
    false
}

/// A known path called with a method it does not answer: 405 with the envelope.
async fn method_not_allowed() -> Response {
    envelope_error(
        StatusCode::METHOD_NOT_ALLOWED,
        &ServiceError::new(
            ReturnCode::Unparseable,
            "this path does not answer that method",
        ),
    )
}

pub(crate) fn ok(v: impl Serialize) -> Response {
    let mut r = json_response(StatusCode::OK, &v);
    r.extensions_mut().insert(ReturnCode::Success);
    r
}

/// Tags a response with the interface that answered it (for metrics and the request log).
fn tagged(mut r: Response, interface: Interface) -> Response {
    r.extensions_mut().insert(interface);
    r
}

/// The caller of a request: the token from the `access_token` parameter or else
/// `Authorization: Bearer`, the client address ([`crate::peer`]), the request id.
pub(crate) fn caller(headers: &HeaderMap, peer: ClientAddr, token_param: Option<String>) -> Caller {
    Caller {
        token: token_param.or_else(|| {
            bearer(
                headers
                    .get(header::AUTHORIZATION)
                    .and_then(|v| v.to_str().ok()),
            )
        }),
        client_addr: peer.recorded(),
        request_id: request_id(headers),
    }
}

/// The request id the [`observe`](crate::metrics::observe) middleware put on the request.
fn request_id(headers: &HeaderMap) -> String {
    headers
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map_or_else(new_request_id, str::to_owned)
}

fn body_params(
    headers: &HeaderMap,
    query: Option<&str>,
    body: &[u8],
) -> Result<Params, Box<Response>> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    Params::merge(query, ct, body).map_err(|e| {
        Box::new(match e {
            BodyError::UnsupportedType(t) => envelope_error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                &ServiceError::new(
                    ReturnCode::Unparseable,
                    format!("unsupported body type {t}"),
                ),
            ),
            BodyError::Malformed(m) => envelope_error(
                StatusCode::BAD_REQUEST,
                &ServiceError::new(ReturnCode::Unparseable, m),
            ),
        })
    })
}

/// The envelope of a service result: `render` writes a success, [`envelope::failure`] the rest.
fn answer<T>(r: ServiceResult<T>, render: impl FnOnce(&T) -> Response) -> Response {
    match r {
        Ok(a) => render(&a),
        Err(e) => envelope_error(StatusCode::OK, &e),
    }
}

async fn share(
    State(s): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    peer: ClientAddr,
    RawQuery(query): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    share_named(s, name, headers, peer, query, body).await
}

/// `ShareVerifyCertInfo`, the one share path where files arrive: routed apart so that it
/// alone takes bodies up to the file limit.
async fn share_verify(
    State(s): State<AppState>,
    headers: HeaderMap,
    peer: ClientAddr,
    RawQuery(query): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let name = Interface::ShareVerifyCertInfo.name().to_owned();
    share_named(s, name, headers, peer, query, body).await
}

async fn share_named(
    s: AppState,
    name: String,
    headers: HeaderMap,
    peer: ClientAddr,
    query: Option<String>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(b) => b,
        Err(e) => return body_rejected(e),
    };
    let name = if name == HOLDER_QUERY_ALIAS {
        Interface::ShareQueryCertInfoByHo.name().to_owned()
    } else {
        name
    };
    let named = Interface::SHARE.into_iter().find(|i| i.name() == name);
    let q = match body_params(&headers, query.as_deref(), &body) {
        Ok(q) => q,
        Err(r) => {
            return match named {
                Some(i) => tagged(*r, i),
                None => *r,
            };
        }
    };
    let caller = caller(&headers, peer, q.get(p::ACCESS_TOKEN));
    let svc = &s.service;
    let get = |name: &str| q.get(name);
    // The two verification variants share a path; a `content` parameter means the file one.
    let iface = match named {
        Some(Interface::ShareVerifyCertInfo) if q.has(p::CONTENT) => {
            Some(Interface::ShareVerifyCertFile)
        }
        other => other,
    };
    let answered = match iface {
        Some(Interface::ShareDownloadUrl) => {
            let req = DownloadUrlRequest::read(&get);
            answer(svc.share_download_url(&caller, req).await, |a| {
                ok(envelope::links(a))
            })
        }
        Some(Interface::ShareQueryCertInfo) => {
            let req = QueryCertInfoRequest::read(&get);
            answer(svc.query_cert_info(&caller, req).await, |a| {
                ok(envelope::records(a))
            })
        }
        Some(Interface::ShareVerifyCertFile) => {
            let req = VerifyFileRequest::read(&get);
            answer(svc.verify_cert_file(&caller, req).await, |a| {
                ok(envelope::file_verification(a))
            })
        }
        Some(Interface::ShareVerifyCertInfo) => {
            let req = VerifyInfoRequest::read(&get);
            answer(svc.verify_cert_info(&caller, req).await, |a| {
                ok(envelope::info_verification(a))
            })
        }
        Some(Interface::ShareQueryCertInfoByQRcode) => {
            let req = QrQueryRequest::read(&get);
            answer(svc.query_by_qr_code(&caller, req).await, |a| {
                ok(envelope::qr(a))
            })
        }
        Some(Interface::ShareQueryCertInfoByHo) => answer(
            svc.query_by_holder(&caller, HolderQueryRequest::read(&get))
                .await,
            |a| ok(envelope::records(a)),
        ),
        Some(Interface::ShareDownloadUrlsByHolderCode) => answer(
            svc.download_urls_by_holder(&caller, HolderQueryRequest::read(&get))
                .await,
            |a| ok(envelope::links(a)),
        ),
        Some(Interface::ShareDownloadFile) => {
            let req = DownloadFileRequest::read(&get);
            answer(svc.download_file(&caller, req).await, |a| {
                ok(envelope::downloaded_file(a))
            })
        }
        Some(Interface::InsertToProvince) => {
            let req = SyncRequest::read(&get);
            answer(svc.insert_to_province(&caller, req).await, |id| {
                ok(envelope::inserted(license_core::Library::Province, id))
            })
        }
        Some(Interface::UpdateToProvince) => {
            let req = SyncRequest::read(&get);
            answer(svc.update_to_province(&caller, req).await, |_| {
                ok(envelope::no_data(license_core::Library::Province))
            })
        }
        Some(Interface::DeleteToProvince) => {
            let req = SyncRequest::read(&get);
            answer(svc.delete_to_province(&caller, req).await, |_| {
                ok(envelope::no_data(license_core::Library::Province))
            })
        }
        Some(Interface::ShengShiStateInfo) => answer(
            svc.sheng_shi_state(&caller, HolderQueryRequest::read(&get))
                .await,
            |a| ok(envelope::sheng_shi(a)),
        ),
        Some(Interface::DownloadPdfFile) => {
            let req = PdfRequest::read(&get);
            answer(svc.download_pdf(&caller, req).await, |b| {
                ok(envelope::pdf(license_core::Library::City, b))
            })
        }
        _ => return not_found().await,
    };
    match iface {
        Some(i) => tagged(answered, i),
        None => answered,
    }
}

fn oauth_error(e: &TokenError) -> Response {
    let status = match e.kind {
        OAuthErrorKind::InvalidClient => StatusCode::UNAUTHORIZED,
        OAuthErrorKind::SlowDown => StatusCode::TOO_MANY_REQUESTS,
        OAuthErrorKind::InvalidRequest
        | OAuthErrorKind::InvalidGrant
        | OAuthErrorKind::UnsupportedGrantType
        | OAuthErrorKind::InvalidScope
        | OAuthErrorKind::TemporarilyUnavailable => StatusCode::BAD_REQUEST,
    };
    let mut r = (
        status,
        Json(json!({ "error": e.kind.code(), "error_description": e.description })),
    )
        .into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if status == StatusCode::TOO_MANY_REQUESTS {
        // The address's budget is counted in one-minute windows.
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
    }
    if status == StatusCode::UNAUTHORIZED {
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"license-api-release\""),
        );
    }
    r
}

/// Client credentials from HTTP Basic (RFC 6749 §2.3.1: form-encoded id and secret).
fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let h = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, b64) = h.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (id, secret) = text.split_once(':')?;
    let dec = |s: &str| {
        percent_encoding::percent_decode_str(&s.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    };
    Some((dec(id), dec(secret)))
}

/// An OAuth endpoint's parameters and the client's credentials (HTTP Basic, else
/// `client_id` / `client_secret`); the answer for a body that cannot be read.
fn oauth_request(
    headers: &HeaderMap,
    query: Option<&str>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(Params, Option<String>, Option<String>), Box<Response>> {
    let body = body.map_err(|e| Box::new(body_rejected(e)))?;
    let q = body_params(headers, query, &body).map_err(|_| {
        Box::new(oauth_error(&TokenError {
            kind: OAuthErrorKind::InvalidRequest,
            description: "malformed body".into(),
        }))
    })?;
    let (client_id, client_secret) = match basic(headers) {
        Some((id, secret)) => (Some(id), Some(secret)),
        None => (q.get(p::CLIENT_ID), q.get(p::CLIENT_SECRET)),
    };
    Ok((q, client_id, client_secret))
}

async fn token(
    State(s): State<AppState>,
    headers: HeaderMap,
    peer: ClientAddr,
    RawQuery(query): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let (q, client_id, client_secret) = match oauth_request(&headers, query.as_deref(), body) {
        Ok(r) => r,
        Err(r) => return tagged(*r, Interface::Token),
    };
    let caller = caller(&headers, peer, None);
    let result = match q.get(p::GRANT_TYPE).as_deref() {
        Some("password") => {
            s.service
                .issue_token(
                    &caller,
                    PasswordGrant {
                        client_id,
                        client_secret,
                        scope: q.get(p::SCOPE),
                        username: q.get(p::USERNAME),
                        password: q.get(p::PASSWORD),
                    },
                )
                .await
        }
        Some("refresh_token") => {
            s.service
                .refresh_token(
                    &caller,
                    RefreshGrant {
                        client_id,
                        client_secret,
                        scope: q.get(p::SCOPE),
                        refresh_token: q.get(p::REFRESH_TOKEN),
                    },
                )
                .await
        }
        Some(other) => Err(TokenError {
            kind: OAuthErrorKind::UnsupportedGrantType,
            description: format!("grant_type {other} is not supported"),
        }),
        None => Err(TokenError {
            kind: OAuthErrorKind::InvalidRequest,
            description: "grant_type is required".into(),
        }),
    };
    let answered = match result {
        Ok(g) => {
            let mut r = Json(json!({
                "access_token": g.access_token,
                "token_type": TOKEN_TYPE,
                "refresh_token": g.refresh_token,
                "expires_in": g.expires_in,
                "scope": g.scope,
            }))
            .into_response();
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        Err(e) => oauth_error(&e),
    };
    tagged(answered, Interface::Token)
}

/// `POST /oauth/revoke` (RFC 7009): the client authenticates as at the token endpoint (HTTP
/// Basic or `client_id`/`client_secret`) and names a `token`; 200 with an empty body whether
/// or not there was such a token of that client.
async fn revoke(
    State(s): State<AppState>,
    headers: HeaderMap,
    peer: ClientAddr,
    RawQuery(query): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let answered = match oauth_request(&headers, query.as_deref(), body) {
        Err(r) => *r,
        Ok((q, client_id, client_secret)) => {
            let revocation = Revocation {
                client_id,
                client_secret,
                token: q.get(p::TOKEN),
                token_type_hint: q.get(p::TOKEN_TYPE_HINT),
            };
            match s
                .node
                .revoke_token(&caller(&headers, peer, None), revocation)
                .await
            {
                Ok(()) => StatusCode::OK.into_response(),
                Err(e) => oauth_error(&e),
            }
        }
    };
    tagged(answered, Interface::Revoke)
}

/// `Content-Disposition` with exactly one `filename=` and nothing after it (real clients split
/// on `=`).
pub fn content_disposition(file_name: &str) -> String {
    // RFC 3986 unreserved characters stay as they are; everything else is percent-encoded.
    const ENCODED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'.')
        .remove(b'-')
        .remove(b'_')
        .remove(b'~');
    let encoded = percent_encoding::utf8_percent_encode(file_name, ENCODED).to_string();
    format!("attachment; filename={encoded}")
}

async fn download(
    State(s): State<AppState>,
    headers: HeaderMap,
    peer: ClientAddr,
    RawQuery(query): RawQuery,
) -> Response {
    let q = Params::merge(query.as_deref(), None, b"").unwrap_or_default();
    let Some(id) = q.first(&["fileId", "id"]) else {
        return tagged(
            envelope_error(
                StatusCode::NOT_FOUND,
                &ServiceError::new(ReturnCode::NotFound, "the download link is unknown"),
            ),
            Interface::DownloadLink,
        );
    };
    let caller = caller(&headers, peer, None);
    let answered = match s.node.redeem_download(&caller, &id).await {
        Ok((name, bytes)) => {
            let mut r = bytes.into_response();
            let h = r.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/ofd"),
            );
            if let Ok(v) = HeaderValue::from_str(&content_disposition(&name)) {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
            r.extensions_mut().insert(ReturnCode::Success);
            r
        }
        Err(e) if e.code == ReturnCode::NotFound => envelope_error(StatusCode::NOT_FOUND, &e),
        Err(e) => envelope_error(StatusCode::OK, &e),
    };
    tagged(answered, Interface::DownloadLink)
}

async fn verify_page(
    State(s): State<AppState>,
    headers: HeaderMap,
    peer: ClientAddr,
    Path(token): Path<String>,
) -> Response {
    let caller = caller(&headers, peer, None);
    match s.node.verification(&caller, &token).await {
        Ok(Some(v)) => Html(page::verification(&v, chrono::Utc::now())).into_response(),
        Ok(None) => (StatusCode::NOT_FOUND, Html(page::not_found())).into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, Html(page::not_found())).into_response(),
    }
}

pub(crate) async fn not_found() -> Response {
    envelope_error(
        StatusCode::NOT_FOUND,
        &ServiceError::new(ReturnCode::NotFound, "unknown path"),
    )
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(s): State<AppState>) -> Response {
    if s.node.ready().await {
        (StatusCode::OK, "ready").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
    }
}

/// The routes where files arrive: the large body limit, for callers admitted by
/// [`crate::admit`].
struct FileRoutes {
    limit: usize,
    admission: crate::admit::Admission,
}

impl FileRoutes {
    fn layer(&self, route: MethodRouter<AppState>) -> MethodRouter<AppState> {
        route
            .layer(DefaultBodyLimit::max(self.limit))
            .layer(axum::middleware::from_fn_with_state(
                self.admission.clone(),
                crate::admit::admit,
            ))
    }
}

fn admin_routes(files: &FileRoutes) -> Router<AppState> {
    let a = |path: &str| format!("{BASE_PATH}{ADMIN_PREFIX}{path}");
    Router::new()
        .route(&a("/licenses"), get(admin::search).post(admin::issue))
        .route(&a("/licenses/import"), files.layer(post(admin::import)))
        .route(&a("/licenses/{key}"), get(admin::license))
        .route(&a("/licenses/{key}/state"), post(admin::change_state))
        .route(&a("/licenses/{key}/reissue"), post(admin::reissue))
        .route(
            &a("/accounts"),
            get(admin::accounts).post(admin::create_account),
        )
        .route(&a("/accounts/{username}/enabled"), post(admin::set_enabled))
        .route(
            &a("/accounts/{username}/password"),
            post(admin::set_password),
        )
        .route(&a("/clients"), get(admin::clients).post(admin::add_client))
        .route(&a("/cert-types"), get(admin::cert_types))
        .route(
            &a("/cert-types/{code}"),
            axum::routing::put(admin::set_cert_type),
        )
        .route(&a("/audit"), get(admin::audit))
        .route(&a("/outbox"), get(admin::outbox))
        .route(&a("/outbox/{sequence}/retry"), post(admin::retry_push))
}

/// How the REST front reads requests, beyond what it serves from.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Largest request body, except where files arrive (413 past it).
    pub body_limit: usize,
    /// Largest request body where files arrive: file verification and license import.
    pub file_body_limit: usize,
    /// Proxies whose forwarding headers name the client ([`crate::peer`]).
    pub trusted_proxies: license_core::peer::TrustedProxies,
    /// Metrics, Swagger UI and the OpenAPI document are served by [`ops_router`] on a
    /// listener of their own: this router answers 404 for them.
    pub separate_ops: bool,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            body_limit: DEFAULT_BODY_LIMIT,
            file_body_limit: DEFAULT_FILE_BODY_LIMIT,
            trusted_proxies: Default::default(),
            separate_ops: false,
        }
    }
}

/// The REST application.
pub fn router(state: AppState, options: HttpOptions) -> Router {
    let share_path = format!("{BASE_PATH}{SHARE_PREFIX}{{name}}");
    let verify_path = format!(
        "{BASE_PATH}{SHARE_PREFIX}{}",
        Interface::ShareVerifyCertInfo.name()
    );
    let files = FileRoutes {
        limit: options.file_body_limit,
        admission: crate::admit::Admission {
            node: state.node.clone(),
            small_limit: options.body_limit,
        },
    };
    let router = Router::new()
        .route(&share_path, get(share).post(share))
        .route(
            &verify_path,
            files.layer(get(share_verify).post(share_verify)),
        )
        .route(&format!("{BASE_PATH}{TOKEN_PATH}"), post(token))
        .route(&format!("{BASE_PATH}{REVOKE_PATH}"), post(revoke))
        .route(
            &format!("{BASE_PATH}{COLLECT_PREFIX}{{operation}}"),
            post(crate::collect::collect),
        )
        .route(&format!("{BASE_PATH}{CITY_DOWNLOAD_PATH}"), get(download))
        .route(
            &format!("{BASE_PATH}{PROVINCE_DOWNLOAD_PATH}"),
            get(download),
        )
        .route(
            &format!("{BASE_PATH}{VERIFY_PAGE_PATH}{{token}}"),
            get(verify_page),
        )
        .route("/healthz", any(healthz))
        .route("/readyz", any(readyz))
        .merge(admin_routes(&files));
    let router = if options.separate_ops {
        router
    } else {
        router.merge(ops_routes())
    };
    router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(options.body_limit))
        .layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            observe,
        ))
        .layer(axum::middleware::from_fn_with_state(
            std::sync::Arc::new(options.trusted_proxies),
            crate::peer::resolve,
        ))
        .layer(axum::middleware::from_fn(crate::headers::protect))
        .with_state(state)
}

/// What operators and tools read: metrics, Swagger UI and the OpenAPI document.
fn ops_routes() -> Router<AppState> {
    Router::new().route("/metrics", get(metrics)).merge(
        utoipa_swagger_ui::SwaggerUi::new(format!("{BASE_PATH}{DOCS_PATH}")).url(
            format!("{BASE_PATH}{OPENAPI_PATH}"),
            crate::openapi::document(),
        ),
    )
}

/// The operations listener's application (`admin_addr`): metrics, Swagger UI and the OpenAPI
/// document, beside a [`router`] built with [`HttpOptions::separate_ops`].
pub fn ops_router(state: AppState) -> Router {
    ops_routes()
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn(crate::headers::protect))
        .with_state(state)
}
