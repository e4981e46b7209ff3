//! Federation between a city and its province (API.md §5, §6): the city's sync interfaces
//! (`insertToProvince`, `updateToProvince`, `deleteToProvince`) record each push in a durable
//! outbox and deliver it — at once when the province answers, else in the background with
//! exponential backoff and jitter, one license's pushes in order; the province's collection
//! interfaces apply each push once, by the city's file number and the push's sequence.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use license_core::admin::NewLicense;
use license_core::ports::NewPush;
use license_core::service::CollectOperation;
use license_core::{CertIdentifier, Library, License, ReturnCode, ServiceError};
use sha2::Digest;

use crate::fault::Fault;
use crate::platform::Platform;

mod collect;
mod outbox;
mod sync;

/// Pushes read per background round.
const ROUND: u64 = 1_000;
/// Licenses delivered at once in a background round.
const PARALLEL: usize = 8;
/// Longest idle wait between background rounds (pushes recorded by another process sharing
/// the database are seen within it).
const IDLE: Duration = Duration::from_millis(500);

/// Who delivers what: one delivery of a license at a time in this process (across nodes, the
/// outbox lease held under `holder`), and a bell that
/// wakes the background deliverer when a push is recorded.
pub(crate) struct Deliveries {
    busy: std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    wake: tokio::sync::Notify,
    /// This node's name on the outbox's leases.
    pub(crate) holder: String,
}

impl Default for Deliveries {
    fn default() -> Self {
        Deliveries {
            busy: Default::default(),
            wake: Default::default(),
            holder: uuid::Uuid::new_v4().simple().to_string(),
        }
    }
}

impl Deliveries {
    fn lock_for(&self, license: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut busy = self.busy.lock().unwrap_or_else(|p| p.into_inner());
        // Forget locks nobody holds or waits for, so the map stays small.
        busy.retain(|_, l| Arc::strong_count(l) > 1);
        busy.entry(license.to_owned()).or_default().clone()
    }
}

/// How one delivery attempt ended.
#[derive(Debug)]
pub(crate) enum Attempt {
    /// The province applied it and answered this identifier.
    Delivered(String),
    /// It stays pending (the province could not be reached, or could not answer now).
    Retry(ServiceError),
    /// The province refused it for good.
    Refused(ServiceError),
}

/// Answers that may change by themselves: the push is retried. Anything else is the
/// province's verdict on the push itself.
fn is_transient(code: ReturnCode) -> bool {
    matches!(
        code,
        ReturnCode::UpstreamUnreachable
            | ReturnCode::NotProvided
            | ReturnCode::Unauthorized
            | ReturnCode::Other
    )
}

/// How a refusal is kept in the outbox: `code: detail`, read back by [`stored_error`].
fn error_text(e: &ServiceError) -> String {
    format!(
        "{}: {}",
        e.code.code(),
        e.detail.as_deref().unwrap_or_default()
    )
}

fn stored_error(text: &str) -> ServiceError {
    let (code, detail) = text.split_once(": ").unwrap_or(("99", text));
    let code = code
        .parse::<u16>()
        .ok()
        .and_then(ReturnCode::from_code)
        .unwrap_or(ReturnCode::Other);
    if detail.is_empty() {
        ServiceError::bare(code)
    } else {
        ServiceError::new(code, detail.to_owned())
    }
}

fn queued(sequence: u64, why: &ServiceError) -> Fault {
    Fault::Service(ServiceError::new(
        ReturnCode::UpstreamUnreachable,
        format!(
            "the province could not take the push now ({}); it is queued as outbox entry \
             {sequence} and retried in the background",
            why.message()
        ),
    ))
}

/// The identifier a province assigns to a city's license: derived from the city and its file
/// number, so the same push made twice, even concurrently, names one license (GB/T 36904).
fn province_identifier(
    origin: &str,
    city_file_number: &str,
    record: &NewLicense,
) -> Result<CertIdentifier, ServiceError> {
    let seed = format!("province|{origin}|{city_file_number}");
    let serial = hex::encode_upper(sha2::Sha256::digest(seed.as_bytes()));
    CertIdentifier::build(
        record.cert_type_code.trim(),
        record.issue_dept_code.trim(),
        &serial[..20],
        1,
    )
    .map_err(|e| ServiceError::new(ReturnCode::Unparseable, format!("license: {e}")))
}

impl Platform {
    /// Whether this node pushes its license changes to the province as they are made.
    pub(crate) fn syncs_automatically(&self) -> bool {
        self.config.role == Library::City && self.upstream.is_some() && self.config.auto_sync
    }

    /// A push of `l` as it is now.
    pub(crate) fn push_of(&self, l: &License, operation: CollectOperation) -> NewPush {
        NewPush {
            operation_id: uuid::Uuid::new_v4().simple().to_string(),
            license: l.identifier.to_string(),
            file_number: l.file_number.clone(),
            operation,
            record: match operation {
                CollectOperation::Revoke => None,
                _ => Some(NewLicense::snapshot(l)),
            },
            reason: match operation {
                CollectOperation::Revoke => l.state_reason.clone(),
                _ => None,
            },
            at: self.now(),
        }
    }
}
