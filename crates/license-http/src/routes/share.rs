//! The share interfaces: one path per interface name (and the holder-search alias), the
//! request read from its declared parameters, the answer in its envelope.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use license_core::Interface;
use license_core::interface::HOLDER_QUERY_ALIAS;
use license_core::params as p;
use license_core::params::Named;
use license_core::service::*;

use crate::envelope;
use crate::peer::ClientAddr;

use super::*;

pub(crate) async fn share(
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
pub(crate) async fn share_verify(
    State(s): State<AppState>,
    headers: HeaderMap,
    peer: ClientAddr,
    RawQuery(query): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let name = Interface::ShareVerifyCertInfo.name().to_owned();
    share_named(s, name, headers, peer, query, body).await
}

pub(crate) async fn share_named(
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
