//! Who is calling: the caller of a call, its request id, its bearer token.

/// Who is calling and how: the bearer token and what the transport knows of the connection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Caller {
    /// The access token (`access_token` or `Authorization: Bearer`), if any.
    pub token: Option<String>,
    /// The client's address as the transport saw it.
    pub client_addr: Option<String>,
    /// The request id the transport assigned (echoed in logs and in `99` details).
    pub request_id: String,
}

/// The header (HTTP) and metadata key (gRPC) that carries a request id both ways.
pub const REQUEST_ID: &str = "x-request-id";

/// Whether a request id a client sent is kept: 1–64 printable ASCII characters. Anything else
/// is replaced, so that ids in logs, audit records and answers always agree.
pub fn acceptable_request_id(id: &[u8]) -> bool {
    !id.is_empty() && id.len() <= 64 && id.iter().all(u8::is_ascii_graphic)
}

/// A new request id (a random UUID, 32 hex digits).
pub fn new_request_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// The token of an `Authorization: Bearer <token>` value (scheme case-insensitive, RFC 6750).
pub fn bearer_token(authorization: Option<&str>) -> Option<String> {
    let (scheme, token) = authorization?.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
        .filter(|t| !t.is_empty())
}
