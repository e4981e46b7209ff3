//! Every share RPC, declared once: the [`LicenseService`](license_core::LicenseService)
//! method (the same name on the generated client and server), the RPC's name on the wire (for
//! logs), the core request (whose protobuf message has the same name) and answer, and the
//! protobuf reply. The client ([`crate::client`]) and the server ([`crate::server`]) are both
//! generated from this list; the token RPCs and `Collect` (whose request the server checks
//! before the service sees it) are written out beside it.

/// Calls `$then!` with the list of share RPCs.
macro_rules! share_rpcs {
    ($then:ident) => {
        $then! {
            (share_download_url, "ShareDownloadUrl", DownloadUrlRequest, Answer<DownloadLinks>, DownloadLinksAnswer),
            (query_cert_info, "QueryCertInfo", QueryCertInfoRequest, Answer<LicenseRecords>, LicenseRecordsAnswer),
            (verify_cert_info, "VerifyCertInfo", VerifyInfoRequest, Answer<InfoVerification>, InfoVerificationAnswer),
            (verify_cert_file, "VerifyCertFile", VerifyFileRequest, Answer<FileVerifyResult>, FileVerificationAnswer),
            (query_by_qr_code, "QueryByQrCode", QrQueryRequest, Answer<QrRecords>, QrRecordsAnswer),
            (query_by_holder, "QueryByHolder", HolderQueryRequest, Answer<LicenseRecords>, LicenseRecordsAnswer),
            (download_urls_by_holder, "DownloadUrlsByHolder", HolderQueryRequest, Answer<DownloadLinks>, DownloadLinksAnswer),
            (download_file, "DownloadFile", DownloadFileRequest, Answer<DownloadedFile>, DownloadedFileAnswer),
            (insert_to_province, "InsertToProvince", SyncRequest, String, InsertToProvinceReply),
            (update_to_province, "UpdateToProvince", SyncRequest, (), SyncReply),
            (delete_to_province, "DeleteToProvince", SyncRequest, (), SyncReply),
            (sheng_shi_state, "ShengShiState", HolderQueryRequest, ShengShiState, ShengShiStateReply),
            (download_pdf, "DownloadPdf", PdfRequest, Vec<u8>, PdfReply),
        }
    };
}

pub(crate) use share_rpcs;
