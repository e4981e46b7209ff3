//! The audit log (API.md §3): one event per call, and its queries.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::context::{CallContext, OperatorDetails};
use crate::interface::Interface;
use crate::service::Page;
use crate::status::ReturnCode;

use super::*;

/// One audited call (API.md §3: every call, success or failure, with its full context).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// When the call arrived.
    pub at: DateTime<Utc>,
    /// The transport's request id.
    pub request_id: String,
    /// The interface called.
    pub interface: Interface,
    /// The account, when the token resolved to one (or the username of a login attempt).
    pub username: Option<String>,
    /// The client address.
    pub client_addr: Option<String>,
    /// The validated call context, when it validated.
    pub context: Option<CallContext>,
    /// Operator details, when sent.
    pub operator: Option<OperatorDetails>,
    /// The answer's code.
    pub code: ReturnCode,
    /// Identifiers of the licenses the call touched.
    pub licenses: Vec<String>,
    /// Holder code searched or touched, for "who used my license".
    pub holder_code: Option<String>,
    /// The call read its one license from this node's library, under `holder_code`. The
    /// store then finds the event among that holder's: the library keeps every holder code a
    /// license has had, so this stays true. `false` whenever unsure (the store then links the
    /// event to its licenses explicitly, at a cost).
    pub in_library: bool,
    /// Microseconds the call took.
    pub latency_us: u64,
    /// The reason a verification gave (`useFor`, `useCause`; API.md §3).
    pub purpose: Option<String>,
}

impl AuditEvent {
    /// The event with every value the caller did not choose as a parameter — the request id,
    /// the address, the username tried, the holder code — cut to its column's bound with a
    /// marker ([`crate::limits`]), so that no caller can make an event unstorable.
    pub fn bounded(mut self) -> Self {
        use crate::limits::{self as l, cut_in_place};
        cut_in_place(&mut self.request_id, l::AUDIT_REQUEST_ID_CHARS);
        for (v, max) in [
            (&mut self.username, l::AUDIT_USERNAME_CHARS),
            (&mut self.client_addr, l::AUDIT_CLIENT_ADDR_CHARS),
            (&mut self.purpose, crate::context::MAX_REASON_CHARS),
        ] {
            if let Some(v) = v {
                cut_in_place(v, max);
            }
        }
        if let Some(code) = &mut self.holder_code
            && l::too_long(code, l::AUDIT_HOLDER_CODE_CHARS)
        {
            cut_in_place(code, l::AUDIT_HOLDER_CODE_CHARS);
            // A cut code is no holder's: the store must link the event's licenses itself.
            self.in_library = false;
        }
        self
    }
}

/// What an administrator asks of the audit log; every given field must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// From this time, inclusive.
    pub from: Option<DateTime<Utc>>,
    /// Until this time, exclusive.
    pub until: Option<DateTime<Utc>>,
    /// The account.
    pub username: Option<String>,
    /// The interface.
    pub interface: Option<Interface>,
    /// A license touched (its identifier).
    pub license: Option<String>,
    /// The holder code searched or touched.
    pub holder_code: Option<String>,
    /// The answer's outcome.
    pub outcome: Option<AuditOutcome>,
    /// Zero-based offset.
    pub offset: u64,
    /// Maximum rows.
    pub limit: u64,
}

/// An outcome an audit search asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditOutcome {
    /// Answered with this code.
    Code(ReturnCode),
    /// Answered with any code but success.
    Failed,
}

impl AuditOutcome {
    /// Parses a return code (`0`, `10`, …) or `failed`.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "failed" => Some(AuditOutcome::Failed),
            c => c
                .parse::<u16>()
                .ok()
                .and_then(ReturnCode::from_code)
                .map(AuditOutcome::Code),
        }
    }

    /// Whether an answer's code is this outcome.
    pub fn matches(self, code: ReturnCode) -> bool {
        match self {
            AuditOutcome::Code(c) => c == code,
            AuditOutcome::Failed => code != ReturnCode::Success,
        }
    }
}

/// Where an event stands in the log's time order: when it arrived, then its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct AuditCursor {
    /// When the event arrived.
    pub at: DateTime<Utc>,
    /// Its key in the store (ties of `at` go by it).
    pub key: i64,
}

/// The audit log's storage. Writes come in batches (group commit); a batch is durable when
/// `append` returns.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Appends events in one transaction.
    async fn append(&self, events: &[AuditEvent]) -> PortResult<()>;
    /// Events matching a query, newest first, with the total.
    async fn query(&self, query: &AuditQuery) -> PortResult<Page<AuditEvent>>;
    /// How many events arrived from `from` on, by interface and code.
    async fn tally(&self, from: DateTime<Utc>) -> PortResult<Vec<(Interface, ReturnCode, u64)>>;
    /// Up to `limit` events matching a query (its offset and limit aside) after `after`,
    /// oldest first, each with its cursor: an export or an archive reads the log with it a
    /// page at a time.
    async fn scan(
        &self,
        query: &AuditQuery,
        after: Option<AuditCursor>,
        limit: u64,
    ) -> PortResult<Vec<(AuditCursor, AuditEvent)>>;
    /// When the oldest event arrived.
    async fn oldest(&self) -> PortResult<Option<DateTime<Utc>>>;
}

#[cfg(test)]
mod outcome_tests {
    use super::*;

    #[test]
    fn outcomes_parse_and_match() {
        assert_eq!(AuditOutcome::parse("failed"), Some(AuditOutcome::Failed));
        assert_eq!(
            AuditOutcome::parse(" 21 "),
            Some(AuditOutcome::Code(ReturnCode::Revoked))
        );
        assert_eq!(AuditOutcome::parse("x"), None);
        assert!(AuditOutcome::Failed.matches(ReturnCode::NotFound));
        assert!(!AuditOutcome::Failed.matches(ReturnCode::Success));
        assert!(AuditOutcome::Code(ReturnCode::Success).matches(ReturnCode::Success));
    }
}
