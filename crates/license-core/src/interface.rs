//! The interfaces of the sharing API (DB3704/T 0042 §4.3, API.md §6), their paths and the role
//! each needs.

/// Base path of every endpoint (API.md §1).
pub const BASE_PATH: &str = "/license-api-release";
/// Path of the OAuth token endpoint, under the base path.
pub const TOKEN_PATH: &str = "/oauth/token";
/// Path of the OAuth token revocation endpoint (RFC 7009), under the base path.
pub const REVOKE_PATH: &str = "/oauth/revoke";
/// Prefix of the share interfaces, under the base path.
pub const SHARE_PREFIX: &str = "/m/v/license/external/api/";
/// City-shape download link path, under the base path.
pub const CITY_DOWNLOAD_PATH: &str = "/elssp/v1/download_national";
/// Public verification page of a license (its QR value), under the base path; the license's
/// QR token follows (API.md §7).
pub const VERIFY_PAGE_PATH: &str = "/verify/";
/// Prefix of the province's collection interfaces (this project's extension, API.md §5), under
/// the base path; the operation's name follows ([`collect_path`]).
pub const COLLECT_PREFIX: &str = "/m/v/license/province/api/collect/";

/// The path of a collection interface under the base path, e.g.
/// `/m/v/license/province/api/collect/create`.
pub fn collect_path(operation: crate::service::CollectOperation) -> String {
    format!("{COLLECT_PREFIX}{}", operation.name())
}

/// Province-shape download link path, under the base path.
pub const PROVINCE_DOWNLOAD_PATH: &str = "/CertShare/zzgxpt/download";

/// A role an account may hold; each interface needs one (API.md §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// 检索证照 — holder searches.
    Search,
    /// 获取信息 — license information.
    Info,
    /// 查看证照 — page images.
    View,
    /// 下载证照 — files and links.
    Download,
    /// 核验 — verification.
    Verify,
    /// Pushing licenses to the province.
    Sync,
    /// Administration.
    Admin,
}

impl Role {
    /// All roles.
    pub const ALL: [Role; 7] = [
        Role::Search,
        Role::Info,
        Role::View,
        Role::Download,
        Role::Verify,
        Role::Sync,
        Role::Admin,
    ];

    /// The role's name in configuration and storage.
    pub const fn name(self) -> &'static str {
        match self {
            Role::Search => "search",
            Role::Info => "info",
            Role::View => "view",
            Role::Download => "download",
            Role::Verify => "verify",
            Role::Sync => "sync",
            Role::Admin => "admin",
        }
    }

    /// Parses a role name (case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|r| r.name().eq_ignore_ascii_case(name.trim()))
    }
}

/// Every interface the node answers; the audit log records which.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Interface {
    /// `oauth/token` (§2).
    Token,
    /// 4.3.2 `ShareDownloadUrl`.
    ShareDownloadUrl,
    /// 4.3.3 `ShareQueryCertInfo`.
    ShareQueryCertInfo,
    /// 4.3.4 `ShareVerifyCertInfo`, information variant.
    ShareVerifyCertInfo,
    /// 4.3.5 `ShareVerifyCertInfo`, file variant (same path).
    ShareVerifyCertFile,
    /// 4.3.6 `ShareQueryCertInfoByQRcode`.
    ShareQueryCertInfoByQRcode,
    /// 4.3.7 `ShareQueryCertInfoByHo`.
    ShareQueryCertInfoByHo,
    /// 4.3.8 `ShareDownloadUrlsByHolderCode`.
    ShareDownloadUrlsByHolderCode,
    /// 4.3.9 `ShareDownloadFile`.
    ShareDownloadFile,
    /// 4.3.10 `insertToProvince`.
    InsertToProvince,
    /// 4.3.11 `updateToProvince`.
    UpdateToProvince,
    /// 4.3.12 `deleteToProvince`.
    DeleteToProvince,
    /// 4.3.13 `shengShiStateInfo`.
    ShengShiStateInfo,
    /// The province's collection interfaces (create, update, revoke; our extension).
    Collect,
    /// 4.3.14 `downloadPdfFile`.
    DownloadPdfFile,
    /// A capability download link being fetched.
    DownloadLink,
    /// The administration API.
    Admin,
    /// `oauth/revoke` (RFC 7009).
    Revoke,
    /// The public verification page of a license's QR value (API.md §7).
    VerifyPage,
}

impl Interface {
    /// The share interfaces of API.md §6 in contract order (the file variant shares its path).
    pub const SHARE: [Interface; 13] = [
        Interface::ShareDownloadUrl,
        Interface::ShareQueryCertInfo,
        Interface::ShareVerifyCertInfo,
        Interface::ShareVerifyCertFile,
        Interface::ShareQueryCertInfoByQRcode,
        Interface::ShareQueryCertInfoByHo,
        Interface::ShareDownloadUrlsByHolderCode,
        Interface::ShareDownloadFile,
        Interface::InsertToProvince,
        Interface::UpdateToProvince,
        Interface::DeleteToProvince,
        Interface::ShengShiStateInfo,
        Interface::DownloadPdfFile,
    ];

    /// Every interface.
    pub const ALL: [Interface; 19] = [
        Interface::Token,
        Interface::ShareDownloadUrl,
        Interface::ShareQueryCertInfo,
        Interface::ShareVerifyCertInfo,
        Interface::ShareVerifyCertFile,
        Interface::ShareQueryCertInfoByQRcode,
        Interface::ShareQueryCertInfoByHo,
        Interface::ShareDownloadUrlsByHolderCode,
        Interface::ShareDownloadFile,
        Interface::InsertToProvince,
        Interface::UpdateToProvince,
        Interface::DeleteToProvince,
        Interface::ShengShiStateInfo,
        Interface::DownloadPdfFile,
        Interface::Collect,
        Interface::DownloadLink,
        Interface::Admin,
        Interface::Revoke,
        Interface::VerifyPage,
    ];

    /// The interface with this [`label`](Self::label).
    pub fn from_label(label: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|i| i.label() == label)
    }

    /// The interface's name: its last path segment for share interfaces.
    pub const fn name(self) -> &'static str {
        match self {
            Interface::Token => "oauth/token",
            Interface::ShareDownloadUrl => "ShareDownloadUrl",
            Interface::ShareQueryCertInfo => "ShareQueryCertInfo",
            Interface::ShareVerifyCertInfo | Interface::ShareVerifyCertFile => {
                "ShareVerifyCertInfo"
            }
            Interface::ShareQueryCertInfoByQRcode => "ShareQueryCertInfoByQRcode",
            Interface::ShareQueryCertInfoByHo => "ShareQueryCertInfoByHo",
            Interface::ShareDownloadUrlsByHolderCode => "ShareDownloadUrlsByHolderCode",
            Interface::ShareDownloadFile => "ShareDownloadFile",
            Interface::InsertToProvince => "insertToProvince",
            Interface::UpdateToProvince => "updateToProvince",
            Interface::DeleteToProvince => "deleteToProvince",
            Interface::ShengShiStateInfo => "shengShiStateInfo",
            Interface::DownloadPdfFile => "downloadPdfFile",
            Interface::Collect => "collect",
            Interface::DownloadLink => "download",
            Interface::Admin => "admin",
            Interface::Revoke => "oauth/revoke",
            Interface::VerifyPage => "verify",
        }
    }

    /// A distinct label for logs and metrics (the two verification variants differ).
    pub const fn label(self) -> &'static str {
        match self {
            Interface::ShareVerifyCertFile => "ShareVerifyCertInfo(file)",
            other => other.name(),
        }
    }

    /// The role the interface needs (API.md §6); `None` for endpoints that need no token.
    /// `ShareDownloadFile` needs `download`, or `view` for `fileType=png`
    /// ([`Interface::download_file_role`]).
    pub const fn role(self) -> Option<Role> {
        match self {
            Interface::Token
            | Interface::Revoke
            | Interface::DownloadLink
            | Interface::VerifyPage => None,
            Interface::ShareDownloadUrl
            | Interface::ShareDownloadUrlsByHolderCode
            | Interface::ShareDownloadFile
            | Interface::DownloadPdfFile => Some(Role::Download),
            Interface::ShareQueryCertInfo | Interface::ShareQueryCertInfoByQRcode => {
                Some(Role::Info)
            }
            Interface::ShareVerifyCertInfo | Interface::ShareVerifyCertFile => Some(Role::Verify),
            Interface::ShareQueryCertInfoByHo | Interface::ShengShiStateInfo => Some(Role::Search),
            Interface::InsertToProvince
            | Interface::UpdateToProvince
            | Interface::DeleteToProvince
            | Interface::Collect => Some(Role::Sync),
            Interface::Admin => Some(Role::Admin),
        }
    }

    /// The role `ShareDownloadFile` needs for a raw `fileType`: `view` for `png`, else
    /// `download` (an unknown type is rejected later, with `24`).
    pub fn download_file_role(file_type: Option<&str>) -> Role {
        match file_type.map(str::trim) {
            Some(t) if t.eq_ignore_ascii_case(crate::params::FILE_TYPE_PNG) => Role::View,
            _ => Role::Download,
        }
    }

    /// Whether the interface returns personal data or answers a question about it (a
    /// verification is a yes/no oracle on a citizen's data): these share one budget per
    /// account and minute.
    pub const fn returns_personal_data(self) -> bool {
        // Every interface that can ask either library does, and three that cannot.
        self.takes_interface_type()
            || matches!(
                self,
                Interface::ShareDownloadUrl
                    | Interface::ShengShiStateInfo
                    | Interface::DownloadPdfFile
            )
    }

    /// Whether the interface hands out a license's file or a link to it: it reads the token,
    /// the license and the cert type from the database, never from a node's memory, so that a
    /// change committed on any node holds on every node at once.
    pub const fn hands_out_files(self) -> bool {
        matches!(
            self,
            Interface::ShareDownloadUrl
                | Interface::ShareDownloadUrlsByHolderCode
                | Interface::ShareDownloadFile
                | Interface::DownloadPdfFile
                | Interface::DownloadLink
        )
    }

    /// Whether the interface takes `interfaceType` (API.md §5).
    pub const fn takes_interface_type(self) -> bool {
        matches!(
            self,
            Interface::ShareQueryCertInfo
                | Interface::ShareVerifyCertInfo
                | Interface::ShareVerifyCertFile
                | Interface::ShareQueryCertInfoByQRcode
                | Interface::ShareQueryCertInfoByHo
                | Interface::ShareDownloadUrlsByHolderCode
                | Interface::ShareDownloadFile
        )
    }
}

/// The alias of `ShareQueryCertInfoByHo` (API.md §6, **Decision**).
pub const HOLDER_QUERY_ALIAS: &str = "ShareQueryCertInfoByHolderCode";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_per_api_md_section_6() {
        use Interface::*;
        let expected = [
            (ShareDownloadUrl, Role::Download),
            (ShareQueryCertInfo, Role::Info),
            (ShareVerifyCertInfo, Role::Verify),
            (ShareVerifyCertFile, Role::Verify),
            (ShareQueryCertInfoByQRcode, Role::Info),
            (ShareQueryCertInfoByHo, Role::Search),
            (ShareDownloadUrlsByHolderCode, Role::Download),
            (ShareDownloadFile, Role::Download),
            (InsertToProvince, Role::Sync),
            (UpdateToProvince, Role::Sync),
            (DeleteToProvince, Role::Sync),
            (ShengShiStateInfo, Role::Search),
            (DownloadPdfFile, Role::Download),
        ];
        for (i, r) in expected {
            assert_eq!(i.role(), Some(r), "{i:?}");
        }
        assert_eq!(Token.role(), None);
        assert_eq!(Interface::download_file_role(Some("PNG")), Role::View);
        assert_eq!(Interface::download_file_role(Some("ofd")), Role::Download);
        assert_eq!(Interface::download_file_role(None), Role::Download);
    }

    #[test]
    fn labels_are_distinct_and_round_trip() {
        for i in Interface::ALL {
            assert_eq!(Interface::from_label(i.label()), Some(i));
        }
    }

    #[test]
    fn role_names() {
        for r in Role::ALL {
            assert_eq!(Role::from_name(r.name()), Some(r));
        }
        assert_eq!(Role::from_name(" Admin"), Some(Role::Admin));
        assert_eq!(Role::from_name("root"), None);
    }

    #[test]
    fn interface_type_is_taken_where_api_md_section_5_says() {
        assert!(Interface::ShareDownloadFile.takes_interface_type());
        assert!(!Interface::ShareDownloadUrl.takes_interface_type());
        assert!(!Interface::DownloadPdfFile.takes_interface_type());
        assert!(!Interface::ShengShiStateInfo.takes_interface_type());
    }
}
