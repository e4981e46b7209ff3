//! Errors of the document engine.

use thiserror::Error;

/// Why a file could not be read, made or verified. Messages are safe to show to callers: they
/// carry no paths of this machine.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FileError {
    /// Not an OFD package at all (not a ZIP, no `OFD.xml`).
    #[error("not an OFD package: {0}")]
    NotOfd(String),
    /// A package or a part exceeds a limit.
    #[error("too large: {0}")]
    TooLarge(String),
    /// An entry name or reference leaves the package or is malformed.
    #[error("bad path in package: {0}")]
    BadPath(String),
    /// An XML part is malformed or too deeply nested.
    #[error("malformed XML in {part}: {reason}")]
    Xml {
        /// The part.
        part: String,
        /// What is wrong.
        reason: String,
    },
    /// A DER structure is malformed.
    #[error("malformed DER: {0}")]
    Der(String),
    /// A key or certificate problem.
    #[error("key or certificate: {0}")]
    Key(String),
    /// Rendering failed.
    #[error("rendering: {0}")]
    Render(String),
    /// A fault of this program.
    #[error("internal: {0}")]
    Internal(String),
}
