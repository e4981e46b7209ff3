//! The service trait every transport serves and every client implements, with its
//! transport-neutral request and response types (API.md §2, §6).
//!
//! Requests carry parameters **raw** (optional strings as they arrived), because validation
//! order is part of the contract (API.md §4: token, role, presence, form, routing, look-up,
//! state) and only the service can apply it. Responses are typed; transports render them in
//! the province or city shape their variant names.

use async_trait::async_trait;
use chrono::NaiveDate;

use crate::license::LicenseStatus;
use crate::status::{FileVerifyResult, ServiceError};

mod answers;
mod calls;
mod oauth;
mod requests;

pub use answers::*;
pub use calls::*;
pub use oauth::*;
pub use requests::*;

/// Result of a share call.
pub type ServiceResult<T> = Result<T, ServiceError>;

/// The electronic license sharing service: one method per interface of API.md §6, plus token
/// issue and refresh. Implemented in-process by the platform and remotely by the REST and gRPC
/// clients, so a province upstream is just another `dyn LicenseService`.
#[async_trait]
pub trait LicenseService: Send + Sync {
    /// `oauth/token` with `grant_type=password`.
    async fn issue_token(
        &self,
        caller: &Caller,
        grant: PasswordGrant,
    ) -> Result<TokenGrant, TokenError>;

    /// `oauth/token` with `grant_type=refresh_token`: rotates both tokens.
    async fn refresh_token(
        &self,
        caller: &Caller,
        grant: RefreshGrant,
    ) -> Result<TokenGrant, TokenError>;

    /// 4.3.2 `ShareDownloadUrl`: an annotated copy and a capability link for one license.
    async fn share_download_url(
        &self,
        caller: &Caller,
        req: DownloadUrlRequest,
    ) -> ServiceResult<Answer<DownloadLinks>>;

    /// 4.3.3 `ShareQueryCertInfo`: one license by any of its keys.
    async fn query_cert_info(
        &self,
        caller: &Caller,
        req: QueryCertInfoRequest,
    ) -> ServiceResult<Answer<LicenseRecords>>;

    /// 4.3.4 `ShareVerifyCertInfo`, information variant.
    async fn verify_cert_info(
        &self,
        caller: &Caller,
        req: VerifyInfoRequest,
    ) -> ServiceResult<Answer<InfoVerification>>;

    /// 4.3.5 `ShareVerifyCertInfo`, file variant.
    async fn verify_cert_file(
        &self,
        caller: &Caller,
        req: VerifyFileRequest,
    ) -> ServiceResult<Answer<FileVerifyResult>>;

    /// 4.3.6 `ShareQueryCertInfoByQRcode`.
    async fn query_by_qr_code(
        &self,
        caller: &Caller,
        req: QrQueryRequest,
    ) -> ServiceResult<Answer<QrRecords>>;

    /// 4.3.7 `ShareQueryCertInfoByHo` (alias `ShareQueryCertInfoByHolderCode`).
    async fn query_by_holder(
        &self,
        caller: &Caller,
        req: HolderQueryRequest,
    ) -> ServiceResult<Answer<LicenseRecords>>;

    /// 4.3.8 `ShareDownloadUrlsByHolderCode`: links for the holder's currently valid licenses.
    async fn download_urls_by_holder(
        &self,
        caller: &Caller,
        req: HolderQueryRequest,
    ) -> ServiceResult<Answer<DownloadLinks>>;

    /// 4.3.9 `ShareDownloadFile`: an annotated copy (OFD) or page images, inline.
    async fn download_file(
        &self,
        caller: &Caller,
        req: DownloadFileRequest,
    ) -> ServiceResult<Answer<DownloadedFile>>;

    /// 4.3.10 `insertToProvince`: returns the province identifier.
    async fn insert_to_province(&self, caller: &Caller, req: SyncRequest) -> ServiceResult<String>;

    /// 4.3.11 `updateToProvince`.
    async fn update_to_province(&self, caller: &Caller, req: SyncRequest) -> ServiceResult<()>;

    /// 4.3.12 `deleteToProvince` (作废).
    async fn delete_to_province(&self, caller: &Caller, req: SyncRequest) -> ServiceResult<()>;

    /// The province's collection interfaces (this project's extension, API.md §5): applies a
    /// city's push and returns the province identifier of the license.
    async fn collect(&self, caller: &Caller, req: CollectRequest) -> ServiceResult<String>;

    /// 4.3.13 `shengShiStateInfo`: both libraries at once.
    async fn sheng_shi_state(
        &self,
        caller: &Caller,
        req: HolderQueryRequest,
    ) -> ServiceResult<ShengShiState>;

    /// 4.3.14 `downloadPdfFile`: the PDF of the license with that extraction code.
    async fn download_pdf(&self, caller: &Caller, req: PdfRequest) -> ServiceResult<Vec<u8>>;
}

/// What the public verification page shows of a license (API.md §7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationView {
    /// Certificate name.
    pub certificate_name: String,
    /// Holder (unmasked; the page masks it).
    pub holder: String,
    /// Holder code (unmasked; the page masks it).
    pub holder_code: String,
    /// Issuing department.
    pub issue_dept: String,
    /// First day of validity.
    pub valid_from: NaiveDate,
    /// Last day of validity; `None` = 长期.
    pub valid_to: Option<NaiveDate>,
    /// Status today.
    pub status: LicenseStatus,
}

/// What a node serves besides the share interfaces: capability download links, the public
/// verification page, readiness.
#[async_trait]
pub trait NodeService: Send + Sync {
    /// Redeems a download link's id: the file name and bytes, or `10` when unknown or expired.
    async fn redeem_download(
        &self,
        caller: &Caller,
        link_id: &str,
    ) -> ServiceResult<(String, Vec<u8>)>;
    /// The license a QR token names, if any; the visit is audited.
    async fn verification(
        &self,
        caller: &Caller,
        qr_token: &str,
    ) -> ServiceResult<Option<VerificationView>>;
    /// Revokes a token and the pair it belongs to (RFC 7009): `Ok` also for a token that is
    /// unknown, expired or another client's (nothing is revoked then).
    async fn revoke_token(&self, caller: &Caller, revocation: Revocation)
    -> Result<(), TokenError>;
    /// Whether a token is a live access token of an enabled account. Not audited: it lets a
    /// transport hold a caller whose token is dead to the small body limit before it reads a
    /// large body; the call that follows is answered and audited as usual.
    async fn token_live(&self, token: &str) -> bool;
    /// Whether the node's database answers.
    async fn ready(&self) -> bool;
    /// Signs an operator in to the console with an account's password (no OAuth client):
    /// the token endpoint's per-address throttle and lock-out, then the `admin` role. The
    /// pair's access token ends after the console's idle time; audited as a token request.
    async fn console_sign_in(
        &self,
        caller: &Caller,
        username: &str,
        password: &str,
    ) -> Result<TokenGrant, TokenError>;
    /// Keeps the live console session whose access token the caller holds alive: it now ends
    /// after the idle time from now. `false` when it has already ended (it is not revived).
    async fn console_touch(&self, caller: &Caller) -> Result<bool, TokenError>;
    /// Ends the console session whose access token the caller holds.
    async fn console_sign_out(&self, caller: &Caller);
}

/// Where a transport reports each call it answered (the node's metrics).
pub trait CallObserver: Send + Sync {
    /// One call of `interface` answered with `code` (a return code, or an OAuth error) in
    /// `seconds`.
    fn answered(&self, interface: &str, code: &str, seconds: f64);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The trait must stay object-safe and shareable across tasks: a province upstream is an
    /// `Arc<dyn LicenseService>`.
    #[test]
    fn the_trait_is_object_safe_send_and_sync() {
        fn assert_send_sync<T: Send + Sync + ?Sized>() {}
        assert_send_sync::<dyn LicenseService>();
        let _: Option<std::sync::Arc<dyn LicenseService>> = None;
    }

    #[test]
    fn oauth_error_codes_follow_rfc_6749() {
        let e = TokenError {
            kind: OAuthErrorKind::InvalidGrant,
            description: "bad credentials".into(),
        };
        assert_eq!(e.to_string(), "invalid_grant: bad credentials");
        assert_eq!(
            OAuthErrorKind::UnsupportedGrantType.code(),
            "unsupported_grant_type"
        );
    }
}
