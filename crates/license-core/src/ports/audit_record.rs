//! An audited call as operators read it — the admin API's audit view, a line of
//! `licensed audit export` and of the audit archive — and the filter they read it with.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{AuditEvent, AuditQuery};
use crate::params as p;

/// One audited call in the words of API.md §3 (parameter names for the context and the
/// operator details).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = AuditView))]
#[serde(rename_all = "camelCase")]
pub struct AuditRecord {
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

impl From<AuditEvent> for AuditRecord {
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
        AuditRecord {
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

impl AuditRecord {
    /// Whether the record answers `q` (its offset and limit aside): what the store's query
    /// selects, for records read from the archive.
    pub fn matches(&self, q: &AuditQuery) -> bool {
        q.from.is_none_or(|t| self.at >= t)
            && q.until.is_none_or(|t| self.at < t)
            && q.username
                .as_ref()
                .is_none_or(|u| self.username.as_ref() == Some(u))
            && q.interface.is_none_or(|i| self.interface == i.label())
            && q.license.as_ref().is_none_or(|l| self.licenses.contains(l))
            && q.holder_code
                .as_ref()
                .is_none_or(|h| self.holder_code.as_ref() == Some(h))
            && q.outcome.is_none_or(|o| {
                self.code
                    .parse::<u16>()
                    .ok()
                    .and_then(crate::status::ReturnCode::from_code)
                    .is_some_and(|c| o.matches(c))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interface::Interface;
    use crate::status::ReturnCode;

    fn event() -> AuditEvent {
        AuditEvent {
            at: DateTime::from_timestamp(1_780_000_000, 0).unwrap(),
            request_id: "r1".into(),
            interface: Interface::ShareQueryCertInfoByHo,
            username: Some("hall".into()),
            client_addr: Some("127.0.0.1".into()),
            context: None,
            operator: None,
            code: ReturnCode::Success,
            licenses: vec!["L1".into(), "L2".into()],
            holder_code: Some("H".into()),
            in_library: false,
            latency_us: 7,
            purpose: None,
        }
    }

    #[test]
    fn a_record_matches_what_the_store_would_select() {
        let r = AuditRecord::from(event());
        assert!(r.matches(&AuditQuery::default()));
        let q = |f: fn(&mut AuditQuery)| {
            let mut q = AuditQuery::default();
            f(&mut q);
            r.matches(&q)
        };
        assert!(q(|q| q.license = Some("L2".into())));
        assert!(!q(|q| q.license = Some("L3".into())));
        assert!(q(|q| q.holder_code = Some("H".into())));
        assert!(!q(|q| q.holder_code = Some("X".into())));
        assert!(q(|q| q.username = Some("hall".into())));
        assert!(!q(|q| q.username = Some("other".into())));
        assert!(q(|q| q.interface = Some(Interface::ShareQueryCertInfoByHo)));
        assert!(!q(|q| q.until = DateTime::from_timestamp(1_780_000_000, 0)));
        assert!(q(|q| q.from = DateTime::from_timestamp(1_780_000_000, 0)));
    }

    #[test]
    fn a_record_reads_back_as_written() {
        let r = AuditRecord::from(event());
        let line = serde_json::to_string(&r).unwrap();
        assert!(line.contains("\"requestId\":\"r1\""), "{line}");
        assert_eq!(serde_json::from_str::<AuditRecord>(&line).unwrap(), r);
    }
}
