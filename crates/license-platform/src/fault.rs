//! Internal failures of a call: a business answer, or a fault below the rules that becomes
//! `99` with a request id (API.md §1: never leak internals).

use license_core::ports::PortError;
use license_core::{ReturnCode, ServiceError};

/// What went wrong inside a call.
#[derive(Debug)]
pub(crate) enum Fault {
    /// A business answer.
    Service(ServiceError),
    /// A fault below the rules (storage, files, documents).
    Port(PortError),
}

impl From<ServiceError> for Fault {
    fn from(e: ServiceError) -> Self {
        Fault::Service(e)
    }
}

impl From<ReturnCode> for Fault {
    fn from(c: ReturnCode) -> Self {
        Fault::Service(ServiceError::bare(c))
    }
}

impl From<PortError> for Fault {
    fn from(e: PortError) -> Self {
        Fault::Port(e)
    }
}

/// Result inside the platform.
pub(crate) type Res<T> = Result<T, Fault>;

/// Shorthand for a business failure with a detail.
pub(crate) fn fail<T>(code: ReturnCode, detail: impl Into<String>) -> Res<T> {
    Err(Fault::Service(ServiceError::new(code, detail)))
}

impl Fault {
    /// The caller's answer to a fault — the platform's one mapping: a business answer as it
    /// is; any fault below the rules, `99` with the request id, under which it is logged with
    /// the interface it happened in (API.md §1: never leak internals).
    pub(crate) fn answer(self, request_id: &str, interface: &str) -> ServiceError {
        match self {
            Fault::Service(e) => e,
            Fault::Port(e) => {
                tracing::error!(request_id, interface, error = %e, "internal fault");
                ServiceError::new(ReturnCode::Other, format!("request id {request_id}"))
            }
        }
    }
}
