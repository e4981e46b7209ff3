//! Ports: what the platform needs from storage, files, the document engine and time. Adapters
//! (`license-store`, `license-file`) implement them; tests substitute doubles.

use chrono::{DateTime, Utc};
use thiserror::Error;

mod access;
mod audit;
mod audit_record;
mod documents;
mod federation;
mod grants;
mod licenses;
mod upkeep;

pub use access::*;
pub use audit::*;
pub use audit_record::*;
pub use documents::*;
pub use federation::*;
pub use grants::*;
pub use licenses::*;
pub use upkeep::*;

/// A fault below the rules: logged with a request id, answered as `99`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PortError {
    /// A unique key already exists (identifier, file number, username…).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The backend could not be reached or failed.
    #[error("backend unavailable: {0}")]
    Unavailable(String),
    /// Stored data could not be read back.
    #[error("corrupt record: {0}")]
    Corrupt(String),
    /// The input could not be processed (a document the engine cannot read, say).
    #[error("invalid input: {0}")]
    Invalid(String),
}

/// Result of a port call.
pub type PortResult<T> = Result<T, PortError>;

/// The time source; the node's local date comes from it and the configured zone.
pub trait Clock: Send + Sync {
    /// Now, in UTC.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}
