//! Failures on the wire: one exhaustive mapping of [`ReturnCode`] to a gRPC status code, with
//! the numeric return code and its detail in metadata so a client rebuilds the exact
//! [`ServiceError`] (and, for the token RPCs, the exact [`TokenError`]).

use license_core::ReturnCode;
use license_core::ServiceError;
use license_core::service::{OAuthErrorKind, TokenError};
use tonic::metadata::{MetadataMap, MetadataValue};
use tonic::{Code, Status};

/// Metadata key of the numeric return code (DB3704/T 0042 §5.2).
pub const RETURN_CODE: &str = "license-return-code";
/// Binary metadata key of the failure's detail (UTF-8).
pub const DETAIL: &str = "license-detail-bin";
/// Metadata key of the seconds after which a retry may succeed.
pub const RETRY_AFTER: &str = "retry-after";
/// Metadata key of the RFC 6749 error code of a refused token request.
pub const OAUTH_ERROR: &str = "license-oauth-error";

/// The gRPC status code of a return code: the one mapping, exhaustive by construction.
pub const fn grpc_code(code: ReturnCode) -> Code {
    match code {
        ReturnCode::Success => Code::Ok,
        ReturnCode::UpstreamUnreachable => Code::Unavailable,
        ReturnCode::NotProvided => Code::Unimplemented,
        ReturnCode::NotFound => Code::NotFound,
        ReturnCode::Unauthorized => Code::Unauthenticated,
        ReturnCode::MissingParameter
        | ReturnCode::UnknownCertType
        | ReturnCode::BadHolderCode
        | ReturnCode::Unparseable
        | ReturnCode::BadReason => Code::InvalidArgument,
        ReturnCode::Revoked | ReturnCode::Expired | ReturnCode::Restricted => {
            Code::FailedPrecondition
        }
        ReturnCode::Other => Code::Unknown,
    }
}

/// The gRPC status code of a refused token request (RFC 6749 §5.2 error).
pub const fn oauth_grpc_code(kind: OAuthErrorKind) -> Code {
    match kind {
        OAuthErrorKind::InvalidRequest
        | OAuthErrorKind::UnsupportedGrantType
        | OAuthErrorKind::InvalidScope => Code::InvalidArgument,
        OAuthErrorKind::InvalidClient | OAuthErrorKind::InvalidGrant => Code::Unauthenticated,
        OAuthErrorKind::TemporarilyUnavailable => Code::Unavailable,
        OAuthErrorKind::SlowDown => Code::ResourceExhausted,
    }
}

/// A service failure as a status: the code's message (`head.message` of the REST envelope)
/// and the metadata a client needs to rebuild it.
pub fn to_status(e: &ServiceError) -> Status {
    let mut md = MetadataMap::new();
    md.insert(RETURN_CODE, MetadataValue::from(e.code.code()));
    if let Some(d) = &e.detail {
        md.insert_bin(DETAIL, MetadataValue::from_bytes(d.as_bytes()));
    }
    if let Some(s) = e.retry_after_secs {
        md.insert(RETRY_AFTER, MetadataValue::from(s));
    }
    Status::with_metadata(grpc_code(e.code), e.message(), md)
}

/// A refused token request as a status.
pub fn token_status(e: &TokenError) -> Status {
    let mut md = MetadataMap::new();
    md.insert(OAUTH_ERROR, MetadataValue::from_static(e.kind.code()));
    Status::with_metadata(oauth_grpc_code(e.kind), e.description.clone(), md)
}

fn text<'a>(md: &'a MetadataMap, key: &str) -> Option<&'a str> {
    md.get(key).and_then(|v| v.to_str().ok())
}

/// What a status that did not come from a node of this contract (a transport failure, a
/// proxy, a timeout) means for the caller.
fn transport_failure(s: &Status) -> ServiceError {
    match s.code() {
        Code::Unimplemented => ServiceError::new(
            ReturnCode::NotProvided,
            "the node does not serve this interface",
        ),
        Code::DeadlineExceeded | Code::Cancelled => ServiceError::new(
            ReturnCode::UpstreamUnreachable,
            "the node did not answer in time",
        ),
        _ => ServiceError::new(
            ReturnCode::UpstreamUnreachable,
            "the node cannot be reached",
        ),
    }
}

/// The service failure a status stands for (inverse of [`to_status`]).
pub fn from_status(s: &Status) -> ServiceError {
    let md = s.metadata();
    let Some(code) = text(md, RETURN_CODE)
        .and_then(|c| c.parse().ok())
        .and_then(ReturnCode::from_code)
    else {
        return transport_failure(s);
    };
    ServiceError {
        code,
        detail: md
            .get_bin(DETAIL)
            .and_then(|v| v.to_bytes().ok())
            .and_then(|b| String::from_utf8(b.to_vec()).ok()),
        retry_after_secs: text(md, RETRY_AFTER).and_then(|v| v.parse().ok()),
    }
}

/// The token failure a status stands for (inverse of [`token_status`]); a transport failure
/// is `temporarily_unavailable` with what happened.
pub fn token_error(s: &Status) -> TokenError {
    let kind = match text(s.metadata(), OAUTH_ERROR).and_then(OAuthErrorKind::from_code) {
        Some(kind) => kind,
        None => {
            let e = transport_failure(s);
            return TokenError {
                kind: OAuthErrorKind::TemporarilyUnavailable,
                description: e.detail.unwrap_or_default(),
            };
        }
    };
    TokenError {
        kind,
        description: s.message().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_return_code_has_a_grpc_code() {
        let table: Vec<String> = ReturnCode::ALL
            .iter()
            .map(|c| format!("{:>3} {:?} -> {:?}", c.code(), c, grpc_code(*c)))
            .collect();
        insta::assert_snapshot!(table.join("\n"));
    }

    #[test]
    fn failures_come_back_exactly() {
        for e in [
            ServiceError::new(ReturnCode::MissingParameter, "certificateID"),
            ServiceError::bare(ReturnCode::NotFound),
            ServiceError::new(ReturnCode::Unauthorized, "账号无权使用 ShareDownloadFile"),
            ServiceError::new(ReturnCode::Other, "rate exceeded").with_retry_after(7),
            ServiceError::new(ReturnCode::BadReason, "certificateCopyCause 超过 200 字"),
        ] {
            let s = to_status(&e);
            assert_eq!(s.code(), grpc_code(e.code));
            assert_eq!(s.message(), e.message());
            assert_eq!(from_status(&s), e);
        }
        for kind in OAuthErrorKind::ALL {
            let e = TokenError {
                kind,
                description: "用户名或密码错误".into(),
            };
            assert_eq!(token_error(&token_status(&e)), e);
        }
    }

    #[test]
    fn a_status_from_elsewhere_is_code_1_or_2() {
        let e = from_status(&Status::unavailable("connection refused"));
        assert_eq!(e.code, ReturnCode::UpstreamUnreachable);
        let e = from_status(&Status::deadline_exceeded("timeout"));
        assert_eq!(e.code, ReturnCode::UpstreamUnreachable);
        let e = from_status(&Status::unimplemented("no such method"));
        assert_eq!(e.code, ReturnCode::NotProvided);
        let t = token_error(&Status::unavailable("connection refused"));
        assert_eq!(t.kind, OAuthErrorKind::TemporarilyUnavailable);
    }
}
