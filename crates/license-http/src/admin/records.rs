//! The admin API's views of what the node recorded: the audit log and the outbox.

use chrono::{DateTime, Utc};
use license_core::ports::{Push, PushState};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// An audit-log query: every given field must match.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct AuditSearch {
    /// From (RFC 3339), inclusive.
    pub from: Option<String>,
    /// Until (RFC 3339), exclusive.
    pub until: Option<String>,
    /// The account.
    pub username: Option<String>,
    /// The interface (`ShareQueryCertInfo`, `oauth/token`, `admin`, …).
    pub interface: Option<String>,
    /// A license's identifier: who used this license.
    pub license: Option<String>,
    /// A holder code: who used this holder's licenses.
    pub holder_code: Option<String>,
    /// The answer's return code (`0` for successes), or `failed` for every failure.
    pub code: Option<String>,
    /// 1-based page (default 1).
    pub page: Option<u64>,
    /// Page size (default 20, at most 500).
    pub size: Option<u64>,
}

/// One audited call: the audit log's record (`AuditView` in the OpenAPI document).
pub use license_core::ports::AuditRecord as AuditView;

/// The CSV columns of an audit export (`licensed audit export --format csv`, the console's
/// CSV): the record's fields; the licenses joined by `;`, the context and the operator details
/// as JSON objects.
pub const AUDIT_CSV_COLUMNS: [&str; 12] = [
    "at",
    "requestId",
    "interface",
    "username",
    "clientAddr",
    "code",
    "licenses",
    "holderCode",
    "context",
    "operator",
    "purpose",
    "latencyUs",
];

/// An audit record as CSV cells, in [`AUDIT_CSV_COLUMNS`]' order.
pub fn audit_csv_cells(r: &AuditView) -> Vec<String> {
    use serde_json::Value;
    let m = match serde_json::to_value(r) {
        Ok(Value::Object(m)) => m,
        _ => serde_json::Map::new(),
    };
    AUDIT_CSV_COLUMNS
        .iter()
        .map(|c| match m.get(*c) {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(";"),
            Some(v) => v.to_string(),
        })
        .collect()
}

/// An outbox query.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct OutboxSearch {
    /// `pending`, `delivered` or `failed`; all when absent.
    pub state: Option<String>,
    /// 1-based page (default 1).
    pub page: Option<u64>,
    /// Page size (default 20, at most 500).
    pub size: Option<u64>,
}

/// One push of a city license to the province.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PushView {
    /// Position in the outbox.
    pub sequence: u64,
    /// Unique operation id.
    pub operation_id: String,
    /// `create`, `update` or `revoke`.
    pub operation: String,
    /// The city license's identifier.
    pub license: String,
    /// Its file number.
    pub file_number: String,
    /// `pending`, `delivered` or `failed`.
    pub state: String,
    /// Delivery attempts so far.
    pub attempts: u32,
    /// When the next attempt is due (pending).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The last failure (`code: detail`).
    pub last_error: Option<String>,
    /// The province identifier answered.
    pub province_identifier: Option<String>,
    /// When the push was recorded.
    pub created_at: DateTime<Utc>,
    /// When it was delivered.
    pub delivered_at: Option<DateTime<Utc>>,
}

impl From<Push> for PushView {
    fn from(p: Push) -> Self {
        PushView {
            sequence: p.sequence,
            operation_id: p.push.operation_id,
            operation: p.push.operation.name().to_owned(),
            license: p.push.license,
            file_number: p.push.file_number,
            state: p.state.name().to_owned(),
            attempts: p.attempts,
            next_attempt_at: (p.state == PushState::Pending).then_some(p.next_attempt_at),
            last_error: p.last_error,
            province_identifier: p.province_identifier,
            created_at: p.push.at,
            delivered_at: p.delivered_at,
        }
    }
}
