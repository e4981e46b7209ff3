//! Download links' grants and the cert types' settings on this node.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::*;

/// A download link's grant (API.md §6): the link id is a capability, stored as a digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadGrant {
    /// SHA-256 of the link id, hex.
    pub digest: String,
    /// The license's identifier.
    pub identifier: String,
    /// File-store key of the annotated copy the link serves.
    pub copy_key: String,
    /// Format (`ofd`).
    pub format: String,
    /// File name offered to the downloader.
    pub file_name: String,
    /// When the link stops working.
    pub expires_at: DateTime<Utc>,
    /// Whether the link works once only.
    pub single_use: bool,
    /// Downloads so far.
    pub downloads: u32,
}

/// Download grants.
#[async_trait]
pub trait GrantRepository: Send + Sync {
    /// Stores a grant.
    async fn insert(&self, grant: &DownloadGrant) -> PortResult<()>;
    /// Counts one download of the grant with this digest and returns it, if it exists, has
    /// not expired at `now`, and (single-use) was not used yet — atomically.
    async fn redeem(&self, digest: &str, now: DateTime<Utc>) -> PortResult<Option<DownloadGrant>>;
}

/// Publication and verification settings of a cert type on this node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertTypeSettings {
    /// The 21-character code.
    pub code: String,
    /// Published on this node (unpublished types answer `13`).
    pub published: bool,
    /// Fields the information verification requires (default `certificateNumber`).
    pub verify_fields: Vec<String>,
}

/// Cert-type settings.
#[async_trait]
pub trait CertTypeRepository: Send + Sync {
    /// The settings of a code, if any were stored.
    async fn get(&self, code: &str) -> PortResult<Option<CertTypeSettings>>;
    /// Stores settings.
    async fn put(&self, settings: &CertTypeSettings) -> PortResult<()>;
    /// Every stored setting.
    async fn list(&self) -> PortResult<Vec<CertTypeSettings>>;
}
