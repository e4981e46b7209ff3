//! The library: licenses, their look-ups and holder searches, their files' records.

use async_trait::async_trait;

use crate::license::{License, LicenseState};
use crate::service::Page;

use super::*;

/// Filters of a holder search (API.md §6, 4.3.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolderSearch {
    /// Holder code.
    pub holder_code: String,
    /// Cert-type code.
    pub cert_type_code: String,
    /// Certificate number, when given.
    pub certificate_number: Option<String>,
    /// Zero-based offset.
    pub offset: u64,
    /// Maximum rows.
    pub limit: u64,
}

/// Filters of the administrators' license search; every given field must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LicenseFilter {
    /// Holder code.
    pub holder_code: Option<String>,
    /// Cert-type code.
    pub cert_type_code: Option<String>,
    /// Issuing department's code.
    pub issue_dept_code: Option<String>,
    /// Stored state.
    pub state: Option<LicenseState>,
    /// Certificate number.
    pub certificate_number: Option<String>,
    /// Zero-based offset.
    pub offset: u64,
    /// Maximum rows.
    pub limit: u64,
}

/// A stored file of a license (GB/T 36905 package), by file-store key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    /// Key in the file store.
    pub key: String,
    /// Format (`ofd`).
    pub format: String,
    /// SM3 of the bytes, hex.
    pub sm3: String,
    /// Size in bytes.
    pub size: u64,
}

/// The license library.
#[async_trait]
pub trait LicenseRepository: Send + Sync {
    /// Stores a new license; [`PortError::Conflict`] on a duplicate key.
    async fn insert(&self, license: &License) -> PortResult<()>;
    /// Stores many licenses; each gets its own result (a duplicate fails only itself).
    async fn insert_many(&self, licenses: &[License]) -> PortResult<Vec<PortResult<()>>>;
    /// Replaces a stored license's record (matched by identifier); `false` if none.
    async fn update(&self, license: &License) -> PortResult<bool>;
    /// The license with this identifier, file number or province identifier.
    async fn find_by_key(&self, key: &str) -> PortResult<Option<License>>;
    /// The license whose QR value ends in this token.
    async fn find_by_qr_token(&self, token: &str) -> PortResult<Option<License>>;
    /// The license with this extraction code.
    async fn find_by_abstract_code(&self, code: &str) -> PortResult<Option<License>>;
    /// A page of the holder's licenses of one type, most recently issued first, with the total.
    async fn search_by_holder(&self, search: &HolderSearch) -> PortResult<Page<License>>;
    /// A page of licenses matching an administrator's filter, newest first.
    async fn search(&self, filter: &LicenseFilter) -> PortResult<Page<License>>;
    /// Number of licenses in the library.
    async fn count(&self) -> PortResult<u64>;
    /// The license's stored file of a format, if made.
    async fn file(&self, identifier: &str, format: &str) -> PortResult<Option<StoredFile>>;
    /// Records a license's file (after the bytes are durable in the file store).
    async fn set_file(&self, identifier: &str, file: &StoredFile) -> PortResult<()>;
}
