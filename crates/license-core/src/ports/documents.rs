//! Files and the document engine: where license files live, and what makes, annotates,
//! renders and verifies them.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use crate::license::License;

use super::*;

/// Where license files and annotated copies live (local directory or object store).
#[async_trait]
pub trait FileStore: Send + Sync {
    /// Stores bytes under a key atomically: a reader sees all of them or none.
    async fn put(&self, key: &str, bytes: &[u8]) -> PortResult<()>;
    /// The bytes under a key.
    async fn get(&self, key: &str) -> PortResult<Option<Vec<u8>>>;
    /// Removes a key (no error if absent).
    async fn delete(&self, key: &str) -> PortResult<()>;
}

/// The facts an annotated copy (加注件) states and records (API.md §7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    /// Calling system.
    pub system_name: String,
    /// Matter.
    pub matter_name: String,
    /// Cause.
    pub cause: String,
    /// Who made the copy (the account).
    pub creator: String,
    /// When the copy was made.
    pub made_at: DateTime<Utc>,
    /// Last day the copy is valid.
    pub expires_on: NaiveDate,
}

/// What verifying a file established (GB/T 38540 signatures, then the identifier it carries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileCheck {
    /// The package has at least one signature and every signed part is unaltered.
    pub intact: bool,
    /// Every signature value verifies and every signer is trusted by the node.
    pub signatures_trusted: bool,
    /// The GB/T 36904 identifier embedded in the file, if any.
    pub identifier: Option<String>,
}

/// The document engine: makes, annotates, renders and verifies license files (GB/T 36905).
#[async_trait]
pub trait DocumentEngine: Send + Sync {
    /// The license's signed OFD.
    async fn issue(&self, license: &License) -> PortResult<Vec<u8>>;
    /// An annotated copy of a signed OFD, signed again by the platform.
    async fn annotate(&self, ofd: &[u8], annotation: &Annotation) -> PortResult<Vec<u8>>;
    /// Verifies a file from anyone; [`PortError::Invalid`] if it is not an OFD package at all.
    async fn verify(&self, ofd: &[u8]) -> PortResult<FileCheck>;
    /// The license's face as PDF.
    async fn render_pdf(&self, license: &License) -> PortResult<Vec<u8>>;
    /// The license's face as JPEG page images.
    async fn render_page_images(&self, license: &License) -> PortResult<Vec<Vec<u8>>>;
}
