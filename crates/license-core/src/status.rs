//! Return codes (`head.status`, DB3704/T 0042 §5.2 and `dict/return-codes.csv`), the service
//! error, the verification result sets (§4.3.4, §4.3.5) and the success messages (API.md §1).

use std::fmt;

use thiserror::Error;

/// `head.message` of a successful province-shape answer (with the full-width ！).
pub const SUCCESS_MESSAGE_PROVINCE: &str = "接口调用成功！";
/// `head.message` of a successful city-shape answer.
pub const SUCCESS_MESSAGE_CITY: &str = "接口调用成功";
/// `head.message` of the QR interface's city answer.
pub const SUCCESS_MESSAGE_QR_CITY: &str = "查询成功";
/// Separator between a code's message and its detail in `head.message` (full-width colon).
pub const DETAIL_SEPARATOR: &str = "：";

/// Every `head.status` the platform answers (API.md §4). The numeric values are the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReturnCode {
    /// 0 — success.
    Success,
    /// 1 — the province upstream could not be reached in time.
    UpstreamUnreachable,
    /// 2 — the chosen library does not provide this interface.
    NotProvided,
    /// 10 — no license matched.
    NotFound,
    /// 11 — token, role or cert-type authorisation failed.
    Unauthorized,
    /// 12 — a required parameter is missing or blank.
    MissingParameter,
    /// 13 — cert-type code unknown or not published.
    UnknownCertType,
    /// 14 — holder-code type unknown or holder code fails its check.
    BadHolderCode,
    /// 21 — download of a revoked or cancelled license.
    Revoked,
    /// 22 — download of an expired license.
    Expired,
    /// 23 — download of a suspended or not-yet-activated license.
    Restricted,
    /// 24 — a value cannot be parsed or is out of its domain.
    Unparseable,
    /// 99 — any other fault; also the holder-search rate limit.
    Other,
    /// 199 — the reason (`certificateCopyCause`, `useFor`, `useCause`) breaks its rule.
    BadReason,
}

impl ReturnCode {
    /// All codes in numeric order.
    pub const ALL: [ReturnCode; 14] = [
        ReturnCode::Success,
        ReturnCode::UpstreamUnreachable,
        ReturnCode::NotProvided,
        ReturnCode::NotFound,
        ReturnCode::Unauthorized,
        ReturnCode::MissingParameter,
        ReturnCode::UnknownCertType,
        ReturnCode::BadHolderCode,
        ReturnCode::Revoked,
        ReturnCode::Expired,
        ReturnCode::Restricted,
        ReturnCode::Unparseable,
        ReturnCode::Other,
        ReturnCode::BadReason,
    ];

    /// The numeric code.
    pub const fn code(self) -> u16 {
        match self {
            ReturnCode::Success => 0,
            ReturnCode::UpstreamUnreachable => 1,
            ReturnCode::NotProvided => 2,
            ReturnCode::NotFound => 10,
            ReturnCode::Unauthorized => 11,
            ReturnCode::MissingParameter => 12,
            ReturnCode::UnknownCertType => 13,
            ReturnCode::BadHolderCode => 14,
            ReturnCode::Revoked => 21,
            ReturnCode::Expired => 22,
            ReturnCode::Restricted => 23,
            ReturnCode::Unparseable => 24,
            ReturnCode::Other => 99,
            ReturnCode::BadReason => 199,
        }
    }

    /// The exact Chinese message of the code (`dict/return-codes.csv`).
    pub const fn message(self) -> &'static str {
        match self {
            ReturnCode::Success => "接口调用成功",
            ReturnCode::UpstreamUnreachable => "第三方接口连接超时",
            ReturnCode::NotProvided => "证照源未提供此服务接口",
            ReturnCode::NotFound => "未找到匹配的证照信息",
            ReturnCode::Unauthorized => "身份验证不通过",
            ReturnCode::MissingParameter => "要求必填的输入参数值为空",
            ReturnCode::UnknownCertType => "证照类型不存在或未发布",
            ReturnCode::BadHolderCode => "错误的持证主体代码类型",
            ReturnCode::Revoked => "该电子证照已废止或已注销",
            ReturnCode::Expired => "该电子证照已过期",
            ReturnCode::Restricted => "该电子证照已受限使用",
            ReturnCode::Unparseable => "申请查验的证照数据无法解析",
            ReturnCode::Other => "其他异常",
            ReturnCode::BadReason => "应用理由未按照规范填写，请阅读接口文档进行修改！",
        }
    }

    /// The code for a numeric value, if it is one of the fourteen.
    pub fn from_code(code: u16) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }
}

impl fmt::Display for ReturnCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code(), self.message())
    }
}

/// A business failure: the return code and an optional detail (the parameter's name, the rule
/// it broke, a request id). Details are for callers: they never carry internals.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{}", self.message())]
pub struct ServiceError {
    /// The return code.
    pub code: ReturnCode,
    /// What exactly went wrong, for the caller.
    pub detail: Option<String>,
    /// Seconds after which a retry may succeed (rate limits); transports add `Retry-After`.
    pub retry_after_secs: Option<u32>,
}

impl ServiceError {
    /// An error with a detail.
    pub fn new(code: ReturnCode, detail: impl Into<String>) -> Self {
        ServiceError {
            code,
            detail: Some(detail.into()),
            retry_after_secs: None,
        }
    }

    /// An error without a detail.
    pub fn bare(code: ReturnCode) -> Self {
        ServiceError {
            code,
            detail: None,
            retry_after_secs: None,
        }
    }

    /// Adds a retry hint.
    pub fn with_retry_after(mut self, secs: u32) -> Self {
        self.retry_after_secs = Some(secs);
        self
    }

    /// `12` naming the missing parameter.
    pub fn missing(param: &str) -> Self {
        Self::new(ReturnCode::MissingParameter, param)
    }

    /// `24` naming the parameter and the rule its value broke.
    pub fn malformed(param: &str, rule: &str) -> Self {
        Self::new(ReturnCode::Unparseable, format!("{param} {rule}"))
    }

    /// The `head.message` of the failure: the code's message, then `：` and the detail if any
    /// (API.md §1).
    pub fn message(&self) -> String {
        match &self.detail {
            Some(d) if !d.is_empty() => {
                format!("{}{DETAIL_SEPARATOR}{d}", self.code.message())
            }
            _ => self.code.message().to_owned(),
        }
    }
}

impl From<ReturnCode> for ServiceError {
    fn from(code: ReturnCode) -> Self {
        ServiceError::bare(code)
    }
}

/// Result of the information variant of `ShareVerifyCertInfo` (DB3704/T 0042 §4.3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InfoVerifyResult {
    /// 0 信息正确且有效.
    Valid,
    /// 1 信息正确且未激活.
    NotActivated,
    /// 2 信息正确且证照暂时失效.
    Suspended,
    /// 3 信息正确且证照已失效 (revoked or expired).
    Invalidated,
    /// 4 信息不全无法验证 (a required field is missing).
    Incomplete,
    /// 5 查无此信息 (no such license, or a field does not match).
    NoSuchInformation,
}

impl InfoVerifyResult {
    /// All results in numeric order.
    pub const ALL: [InfoVerifyResult; 6] = [
        InfoVerifyResult::Valid,
        InfoVerifyResult::NotActivated,
        InfoVerifyResult::Suspended,
        InfoVerifyResult::Invalidated,
        InfoVerifyResult::Incomplete,
        InfoVerifyResult::NoSuchInformation,
    ];

    /// The numeric result (a JSON number on the wire).
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// The exact Chinese message.
    pub const fn message(self) -> &'static str {
        match self {
            InfoVerifyResult::Valid => "信息正确且有效",
            InfoVerifyResult::NotActivated => "信息正确且未激活",
            InfoVerifyResult::Suspended => "信息正确且证照暂时失效",
            InfoVerifyResult::Invalidated => "信息正确且证照已失效",
            InfoVerifyResult::Incomplete => "信息不全无法验证",
            InfoVerifyResult::NoSuchInformation => "查无此信息",
        }
    }

    /// The result for a numeric value.
    pub fn from_code(code: u8) -> Option<Self> {
        Self::ALL.get(usize::from(code)).copied()
    }
}

/// Result of the file variant of `ShareVerifyCertInfo` (DB3704/T 0042 §4.3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileVerifyResult {
    /// 0 验证通过.
    Passed,
    /// 1 签章校验失败 (signature value fails, or signer not trusted).
    SignatureFailed,
    /// 2 文件校验失败 (unsigned, altered, or not a license of this library and type).
    FileFailed,
    /// 3 证照未激活.
    NotActivated,
    /// 4 证照暂时失效.
    Suspended,
    /// 5 证照已失效.
    Invalidated,
}

impl FileVerifyResult {
    /// All results in numeric order.
    pub const ALL: [FileVerifyResult; 6] = [
        FileVerifyResult::Passed,
        FileVerifyResult::SignatureFailed,
        FileVerifyResult::FileFailed,
        FileVerifyResult::NotActivated,
        FileVerifyResult::Suspended,
        FileVerifyResult::Invalidated,
    ];

    /// The numeric result (a JSON string on the wire).
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// The exact Chinese message.
    pub const fn message(self) -> &'static str {
        match self {
            FileVerifyResult::Passed => "验证通过",
            FileVerifyResult::SignatureFailed => "签章校验失败",
            FileVerifyResult::FileFailed => "文件校验失败",
            FileVerifyResult::NotActivated => "证照未激活",
            FileVerifyResult::Suspended => "证照暂时失效",
            FileVerifyResult::Invalidated => "证照已失效",
        }
    }

    /// The result for a numeric value.
    pub fn from_code(code: u8) -> Option<Self> {
        Self::ALL.get(usize::from(code)).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_distinct() {
        let mut seen = std::collections::HashSet::new();
        for c in ReturnCode::ALL {
            assert!(seen.insert(c.code()));
            assert_eq!(ReturnCode::from_code(c.code()), Some(c));
        }
        assert_eq!(ReturnCode::from_code(3), None);
    }

    #[test]
    fn failure_message_appends_the_detail() {
        let e = ServiceError::missing("certificateID");
        assert_eq!(e.message(), "要求必填的输入参数值为空：certificateID");
        assert_eq!(
            ServiceError::bare(ReturnCode::NotFound).message(),
            "未找到匹配的证照信息"
        );
        assert_eq!(e.to_string(), e.message());
    }

    #[test]
    fn verification_results() {
        for (i, r) in InfoVerifyResult::ALL.iter().enumerate() {
            assert_eq!(usize::from(r.code()), i);
            assert_eq!(InfoVerifyResult::from_code(r.code()), Some(*r));
        }
        for (i, r) in FileVerifyResult::ALL.iter().enumerate() {
            assert_eq!(usize::from(r.code()), i);
            assert_eq!(FileVerifyResult::from_code(r.code()), Some(*r));
        }
        assert_eq!(
            InfoVerifyResult::Invalidated.message(),
            "信息正确且证照已失效"
        );
        assert_eq!(FileVerifyResult::SignatureFailed.message(), "签章校验失败");
        assert_eq!(FileVerifyResult::from_code(6), None);
    }
}
