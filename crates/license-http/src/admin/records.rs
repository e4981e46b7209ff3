//! The admin API's views of what the node recorded: the audit log and the outbox.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use license_core::params as p;
use license_core::ports::{AuditEvent, Push, PushState};
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
    /// 1-based page (default 1).
    pub page: Option<u64>,
    /// Page size (default 20, at most 500).
    pub size: Option<u64>,
}

/// One audited call.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditView {
    /// When the call arrived.
    pub at: DateTime<Utc>,
    /// Request id.
    pub request_id: String,
    /// Interface.
    pub interface: String,
    /// Account (or the username of a login attempt).
    pub username: Option<String>,
    /// Client address.
    pub client_addr: Option<String>,
    /// Return code.
    pub code: String,
    /// Licenses touched.
    pub licenses: Vec<String>,
    /// Holder code searched or touched.
    pub holder_code: Option<String>,
    /// The validated call context (API.md §3 parameter names).
    pub context: Option<BTreeMap<String, String>>,
    /// The operator details sent with the call (API.md §3 parameter names).
    pub operator: Option<BTreeMap<String, String>>,
    /// The reason a verification gave (`useFor`, `useCause`).
    pub purpose: Option<String>,
    /// Microseconds the call took.
    pub latency_us: u64,
}

impl From<AuditEvent> for AuditView {
    fn from(e: AuditEvent) -> Self {
        let context = e.context.map(|c| {
            let mut m = BTreeMap::new();
            m.insert(p::CERTIFICATE_SYSTEM_NAME.to_owned(), c.system_name);
            m.insert(
                p::CERTIFICATE_CALL_CATEGORY.to_owned(),
                c.call_category.code().to_owned(),
            );
            m.insert(p::CERTIFICATE_MATTER_NAME.to_owned(), c.matter_name);
            m.insert(p::CERTIFICATE_EVENT_CODE.to_owned(), c.event_code);
            m.insert(p::CERTIFICATE_COPY_CAUSE.to_owned(), c.copy_cause);
            for (k, v) in [
                (p::CALL_DISTRICT, c.call_district),
                (p::CALL_DEPARTMENT, c.call_department),
                (p::DISTRICT_LEVEL, c.district_level),
            ] {
                if let Some(v) = v {
                    m.insert(k.to_owned(), v);
                }
            }
            m
        });
        AuditView {
            at: e.at,
            request_id: e.request_id,
            interface: e.interface.label().to_owned(),
            username: e.username,
            client_addr: e.client_addr,
            code: e.code.code().to_string(),
            licenses: e.licenses,
            holder_code: e.holder_code,
            context,
            operator: e.operator.map(|o| {
                o.fields()
                    .into_iter()
                    .filter_map(|(k, v)| v.clone().map(|v| (k.to_owned(), v)))
                    .collect()
            }),
            purpose: e.purpose,
            latency_us: e.latency_us,
        }
    }
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
