//! Parameter names of the sharing API, spelled exactly as the contract (API.md §2, §3, §6).
//! Transports read and write them from here; nothing retypes them.

/// OAuth token parameter / query parameter.
pub const ACCESS_TOKEN: &str = "access_token";
/// OAuth client id.
pub const CLIENT_ID: &str = "client_id";
/// OAuth client secret.
pub const CLIENT_SECRET: &str = "client_secret";
/// OAuth grant type.
pub const GRANT_TYPE: &str = "grant_type";
/// OAuth scope.
pub const SCOPE: &str = "scope";
/// OAuth resource owner's username.
pub const USERNAME: &str = "username";
/// OAuth resource owner's password.
pub const PASSWORD: &str = "password";
/// OAuth refresh token.
pub const REFRESH_TOKEN: &str = "refresh_token";
/// The token to revoke (RFC 7009 §2.1).
pub const TOKEN: &str = "token";
/// Which kind of token is revoked: a hint (RFC 7009 §2.1).
pub const TOKEN_TYPE_HINT: &str = "token_type_hint";

/// Calling system's name (ctx).
pub const CERTIFICATE_SYSTEM_NAME: &str = "certificateSystemName";
/// `0` matter call, `1` non-matter call (ctx).
pub const CERTIFICATE_CALL_CATEGORY: &str = "certificateCallCategory";
/// Matter name (ctx).
pub const CERTIFICATE_MATTER_NAME: &str = "certificateMatterName";
/// Matter code, 实施编码 (ctx).
pub const CERTIFICATE_EVENT_CODE: &str = "certificateEventCode";
/// The reason, ≤ 200 characters (ctx).
pub const CERTIFICATE_COPY_CAUSE: &str = "certificateCopyCause";
/// Calling district (ctx, optional).
pub const CALL_DISTRICT: &str = "callDistrict";
/// Calling department (ctx, optional).
pub const CALL_DEPARTMENT: &str = "callDepartment";
/// District level (ctx, optional).
pub const DISTRICT_LEVEL: &str = "districtLevel";

/// Operator detail: area code.
pub const CLIENT_INFO_AREA_CODE: &str = "clientInfo_areaCode";
/// Operator detail: department code.
pub const CLIENT_INFO_DEPT_CODE: &str = "clientInfo_deptCode";
/// Operator detail: operator name.
pub const CLIENT_INFO_OPER_NAME: &str = "clientInfo_operName";
/// Operator detail: department name.
pub const DEPT_NAME: &str = "deptName";
/// Operator detail: 0 person, 1 legal person.
pub const WHOSE: &str = "whose";
/// Operator detail: 1 license, 0 approval document.
pub const CATEGORY: &str = "category";
/// Operator detail: license type code.
pub const LICENSE_TYPE_CODE: &str = "licenseTypeCode";
/// Operator detail: operating user's name.
pub const OPER_USER_NAME: &str = "operUserName";
/// Operator detail: operation time.
pub const OPER_TIME: &str = "operTime";
/// Operator detail: operating user's IP.
pub const OPER_USER_IP: &str = "operUserIp";

/// Library selector: `0` province (default), `1` city.
pub const INTERFACE_TYPE: &str = "interfaceType";
/// License key of ShareDownloadUrl / ShareQueryCertInfo.
pub const CERTIFICATE_ID: &str = "certificateID";
/// License key of ShareDownloadFile.
pub const CERTIFICATE_IDENTIFIER: &str = "certificateIdentifier";
/// Expiry of an annotated copy, `yyyy-MM-dd` (ShareDownloadUrl).
pub const EXPIRY_TIME: &str = "expiryTime";
/// Expiry of an annotated copy, `yyyy-MM-dd` (ShareDownloadFile).
pub const CERTIFICATE_COPY_EXPIRING_TIME: &str = "certificateCopyExpiringTime";
/// `ofd` (default) or `png` (ShareDownloadFile).
pub const FILE_TYPE: &str = "fileType";
/// Cert-type code, 21 characters.
pub const CERT_TYPE_CODE: &str = "certTypeCode";
/// Fields to verify, a JSON object (verification, info variant).
pub const CERTIFICATE_DATA: &str = "certificateData";
/// Reason of the info verification.
pub const USE_FOR: &str = "useFor";
/// Reason of the file verification.
pub const USE_CAUSE: &str = "useCause";
/// `base64` (verification, file variant).
pub const CONTENT_TYPE: &str = "contentType";
/// The file, base64 (verification, file variant).
pub const CONTENT: &str = "content";
/// Holder code.
pub const CERTIFICATE_HOLDER_CODE: &str = "certificateHolderCode";
/// Holder-code type.
pub const CERTIFICATE_HOLDER_CODE_TYPE: &str = "certificateHolderCodeType";
/// Certificate number filter.
pub const CERTIFICATE_NUMBER: &str = "certificateNumber";
/// Certificate type filter.
pub const CERTIFICATE_TYPE: &str = "certificateType";
/// Accepted and ignored (预留字段).
pub const MODE: &str = "Mode";
/// Page number, 1-based (also `page`).
pub const PAGE: &str = "Page";
/// Page size (also `size`).
pub const SIZE: &str = "Size";
/// Lower-case alias of `Page`.
pub const PAGE_LOWER: &str = "page";
/// Lower-case alias of `Size`.
pub const SIZE_LOWER: &str = "size";
/// Content of a license's QR code.
pub const QR_VALUE: &str = "qrValue";
/// City file number (sync interfaces).
pub const FILE_NUMBER: &str = "fileNumber";
/// Identifier (updateToProvince).
pub const CERT_IDENTIFIER: &str = "certIdentifier";
/// Extraction code (downloadPdfFile).
pub const ABSTRACT_CODE: &str = "abstractCode";

/// The only `contentType` the file verification accepts.
pub const CONTENT_TYPE_BASE64: &str = "base64";
/// `fileType` of an OFD download.
pub const FILE_TYPE_OFD: &str = "ofd";
/// `fileType` of page images.
pub const FILE_TYPE_PNG: &str = "png";

/// A request whose parameters travel by name (the REST form, in either direction): each
/// field's parameter is declared once, with [`request!`](crate::request), and read and written
/// from that declaration.
pub trait Named: Default {
    /// Reads the request from a look-up by name; a field takes the first of its names that is
    /// present.
    fn read(get: &dyn Fn(&str) -> Option<String>) -> Self;
    /// Gives every parameter that has a value, under its (first) name.
    fn write(&self, put: &mut dyn FnMut(&'static str, &str));
    /// Gives the (first) name of every parameter the request reads, nested parts included, in
    /// declaration order.
    fn names(out: &mut dyn FnMut(&'static str));
}

/// Declares a request: its fields (raw `Option<String>`s, each with the parameter that carries
/// it, aliases after `|`) and the [`Named`] parts it holds (the call context, operator details),
/// once — the struct and its [`Named`] implementation both follow from it.
#[macro_export]
macro_rules! request {
    (
        $(#[$meta:meta])*
        $name:ident {
            $($(#[$fmeta:meta])* $field:ident: $param:ident $(| $alias:ident)*),* $(,)?
        }
        $($(#[$nmeta:meta])* $nested:ident: $nty:ty),* $(,)?
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        pub struct $name {
            $($(#[$fmeta])* pub $field: Option<String>,)*
            $($(#[$nmeta])* pub $nested: $nty,)*
        }

        impl $crate::params::Named for $name {
            fn read(get: &dyn Fn(&str) -> Option<String>) -> Self {
                Self {
                    $($field: get($crate::params::$param)
                        $(.or_else(|| get($crate::params::$alias)))*,)*
                    $($nested: $crate::params::Named::read(get),)*
                }
            }

            fn write(&self, put: &mut dyn FnMut(&'static str, &str)) {
                $(if let Some(v) = &self.$field {
                    put($crate::params::$param, v);
                })*
                $($crate::params::Named::write(&self.$nested, put);)*
            }

            fn names(out: &mut dyn FnMut(&'static str)) {
                $(out($crate::params::$param);)*
                $(<$nty as $crate::params::Named>::names(out);)*
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::service::HolderQueryRequest;

    /// A request is read by its declared names (an alias when the first name is absent) and
    /// written under the first name, nested parts included: what one side writes, the other
    /// reads back whole.
    #[test]
    fn a_request_reads_and_writes_its_declared_parameters() {
        let given: BTreeMap<&str, &str> = [
            (CERTIFICATE_HOLDER_CODE, "11010519491231002X"),
            (PAGE_LOWER, "2"),
            (CERTIFICATE_SYSTEM_NAME, "办事大厅"),
            (OPER_USER_NAME, "张三"),
        ]
        .into();
        let req = HolderQueryRequest::read(&|n| given.get(n).map(|v| (*v).to_owned()));
        assert_eq!(req.holder_code.as_deref(), Some("11010519491231002X"));
        assert_eq!(req.page.as_deref(), Some("2"), "read through the alias");
        assert_eq!(req.context.system_name.as_deref(), Some("办事大厅"));
        assert_eq!(req.operator.oper_user_name.as_deref(), Some("张三"));
        assert_eq!(req.size, None);
        let mut written = BTreeMap::new();
        req.write(&mut |n, v| {
            written.insert(n, v.to_owned());
        });
        assert_eq!(
            written.get(PAGE).map(String::as_str),
            Some("2"),
            "written as Page"
        );
        assert_eq!(written.len(), 4, "{written:?}");
        let back = HolderQueryRequest::read(&|n| written.get(n).cloned());
        assert_eq!(back, req);
        let mut names = Vec::new();
        HolderQueryRequest::names(&mut |n| names.push(n));
        assert_eq!(names[0], CERTIFICATE_HOLDER_CODE);
        assert!(
            names.contains(&PAGE) && !names.contains(&PAGE_LOWER),
            "first names only"
        );
        assert!(names.contains(&CERTIFICATE_SYSTEM_NAME) && names.contains(&OPER_USER_NAME));
    }
}
