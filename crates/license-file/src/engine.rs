//! The document engine the platform uses (core's [`DocumentEngine`] port): issue signed
//! license files, make annotated copies, verify files from anyone against the node's trust
//! store, render PDF and page images.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use license_core::License;
use license_core::ports::{Annotation, DocumentEngine, FileCheck, PortError, PortResult};

use crate::error::FileError;
use crate::keys::NodeKey;
use crate::layout;
use crate::model::{CopyFacts, LicenseDocument};
use crate::ofd::{self, METADATA_PART};
use crate::package::{Limits, Package};
use crate::raster;
use crate::sign::{SealSigner, Stamp};
use crate::trust::TrustStore;
use crate::verify::{self, Mode};

/// Where the seal mark stands on the face (`StampAnnot`), mm.
pub const STAMP_BOUNDARY: (f32, f32, f32, f32) = (129.0, 211.0, 42.0, 42.0);

/// JPEG quality of page images.
pub const JPEG_QUALITY: u8 = 82;

/// The common name of a node key's certificate.
pub const NODE_KEY_NAME: &str = "电子证照共享服务平台";
/// The organisation of a node key's certificate.
pub const NODE_KEY_ORGANIZATION: &str = "license-platform";
/// The name of the platform's seal on annotated copies.
pub const NODE_SEAL_NAME: &str = "电子证照共享服务平台签章";

/// The OFD document engine.
#[derive(Debug, Clone)]
pub struct OfdEngine {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    signer: SealSigner,
    trust: TrustStore,
    qr_prefix: String,
    /// Document jobs running at once: as many as the machine has cores. Rendering and signing
    /// are CPU-bound, so more at once only queue for the cores while each holds its page
    /// images in memory (a burst of downloads would otherwise take one blocking thread and
    /// tens of MiB each).
    jobs: tokio::sync::Semaphore,
}

impl OfdEngine {
    /// A node's engine as `licensed` wires it: the node key under `keys_dir` (made on first
    /// start), the platform's seal, QR values pointing at the verification page under `qr_prefix`.
    /// Every process serving the same data directory makes the same engine.
    pub fn for_node(
        keys_dir: &std::path::Path,
        qr_prefix: impl Into<String>,
    ) -> Result<Self, FileError> {
        let key = NodeKey::load_or_create(keys_dir, NODE_KEY_NAME, NODE_KEY_ORGANIZATION)?;
        OfdEngine::new(key, NODE_SEAL_NAME, TrustStore::default(), qr_prefix)
    }

    /// An engine signing with `key` under a seal named `seal_name`, trusting `trust` (the
    /// node's own certificate is added), and making QR values `qr_prefix` + QR token.
    pub fn new(
        key: NodeKey,
        seal_name: &str,
        mut trust: TrustStore,
        qr_prefix: impl Into<String>,
    ) -> Result<Self, FileError> {
        trust.add(key.cert_der())?;
        Ok(OfdEngine {
            inner: Arc::new(Inner {
                signer: SealSigner::new(key, seal_name)?,
                trust,
                qr_prefix: qr_prefix.into(),
                jobs: tokio::sync::Semaphore::new(
                    std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get),
                ),
            }),
        })
    }

    /// The document of a license as this engine renders it.
    pub fn document(&self, license: &License) -> LicenseDocument {
        LicenseDocument::from_license(
            license,
            format!("{}{}", self.inner.qr_prefix, license.qr_token),
        )
    }

    /// The signed OFD of a document.
    pub fn issue_document(
        &self,
        doc: &LicenseDocument,
        at: DateTime<Utc>,
    ) -> Result<Vec<u8>, FileError> {
        let mut pkg = ofd::write_package(doc)?;
        let refs: Vec<String> = pkg
            .paths()
            .filter(|p| !["OFD.xml", ofd::SIGNATURES_PART, ofd::ANNOTATIONS_PART].contains(p))
            .map(str::to_owned)
            .collect();
        let stamp = Stamp {
            page_id: 1,
            boundary: STAMP_BOUNDARY,
        };
        self.inner.signer.sign(&mut pkg, &refs, at, Some(stamp))?;
        pkg.write()
    }

    /// An annotated copy of one of our signed files.
    pub fn annotate_bytes(
        &self,
        ofd_bytes: &[u8],
        facts: &CopyFacts,
    ) -> Result<Vec<u8>, FileError> {
        let pkg = Package::read(ofd_bytes, Limits::default())?;
        let doc = ofd::read_metadata(&pkg)?;
        crate::annotate::annotate(&pkg, &doc, facts, &self.inner.signer)?.write()
    }

    /// Verifies a file: signatures and integrity, trust in every signer, and the identifier
    /// carried by a part a verified signature covers.
    pub fn check(&self, bytes: &[u8]) -> Result<FileCheck, FileError> {
        let pkg = Package::read(bytes, Limits::default())?;
        let report = verify::verify_package(&pkg)?;
        let intact = !report.signatures.is_empty() && report.signatures.iter().all(|s| s.intact());
        let signatures_trusted = !report.signatures.is_empty()
            && report.signatures.iter().all(|s| {
                s.verified(Mode::Default)
                    && s.signer
                        .as_ref()
                        .is_some_and(|signer| self.inner.trust.trusts(&signer.certificate))
            });
        let metadata_signed = report
            .signatures
            .iter()
            .any(|s| s.verified(Mode::Default) && s.covered.iter().any(|c| c == METADATA_PART));
        let identifier = if metadata_signed {
            ofd::read_metadata(&pkg).ok().map(|d| d.identifier)
        } else {
            None
        };
        Ok(FileCheck {
            intact,
            signatures_trusted,
            identifier,
        })
    }

    /// The face as PDF.
    pub fn pdf(&self, doc: &LicenseDocument) -> Result<Vec<u8>, FileError> {
        crate::pdf::render(&[layout::face(doc)?])
    }

    /// The face as JPEG page images.
    pub fn page_images(&self, doc: &LicenseDocument) -> Result<Vec<Vec<u8>>, FileError> {
        let img = raster::render_page(&layout::face(doc)?, raster::PAGE_DPI);
        Ok(vec![raster::jpeg(&img, JPEG_QUALITY)?])
    }
}

fn port(e: FileError) -> PortError {
    match e {
        FileError::NotOfd(_)
        | FileError::TooLarge(_)
        | FileError::BadPath(_)
        | FileError::Xml { .. }
        | FileError::Der(_) => PortError::Invalid(e.to_string()),
        FileError::Key(_) | FileError::Render(_) | FileError::Internal(_) => {
            PortError::Unavailable(e.to_string())
        }
    }
}

impl OfdEngine {
    /// Runs a document job off the async threads, at most one per core at a time.
    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> Result<T, FileError> + Send + 'static,
    ) -> PortResult<T> {
        let _permit = self
            .inner
            .jobs
            .acquire()
            .await
            .map_err(|_| PortError::Unavailable("the document engine is closed".into()))?;
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => handle
                .spawn_blocking(f)
                .await
                .map_err(|e| PortError::Unavailable(format!("document task failed: {e}")))?
                .map_err(port),
            Err(_) => f().map_err(port),
        }
    }
}

#[async_trait]
impl DocumentEngine for OfdEngine {
    async fn issue(&self, license: &License) -> PortResult<Vec<u8>> {
        let doc = self.document(license);
        let engine = self.clone();
        self.blocking(move || engine.issue_document(&doc, Utc::now()))
            .await
    }

    async fn annotate(&self, ofd: &[u8], annotation: &Annotation) -> PortResult<Vec<u8>> {
        let (engine, bytes, facts) = (self.clone(), ofd.to_vec(), CopyFacts::from(annotation));
        self.blocking(move || engine.annotate_bytes(&bytes, &facts))
            .await
    }

    async fn verify(&self, ofd: &[u8]) -> PortResult<FileCheck> {
        let (engine, bytes) = (self.clone(), ofd.to_vec());
        self.blocking(move || engine.check(&bytes)).await
    }

    async fn render_pdf(&self, license: &License) -> PortResult<Vec<u8>> {
        let (engine, doc) = (self.clone(), self.document(license));
        self.blocking(move || engine.pdf(&doc)).await
    }

    async fn render_page_images(&self, license: &License) -> PortResult<Vec<Vec<u8>>> {
        let (engine, doc) = (self.clone(), self.document(license));
        self.blocking(move || engine.page_images(&doc)).await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn document_jobs_run_at_most_one_per_core() {
        let engine = OfdEngine::new(
            NodeKey::generate("测试", "枣庄市").unwrap(),
            "测试章",
            TrustStore::default(),
            "http://127.0.0.1/v/",
        )
        .unwrap();
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
        let (running, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let mut jobs = tokio::task::JoinSet::new();
        for _ in 0..cores * 3 {
            let (engine, running, most) = (engine.clone(), running.clone(), most.clone());
            jobs.spawn(async move {
                engine
                    .blocking(move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(30));
                        running.fetch_sub(1, Ordering::SeqCst);
                        Ok(())
                    })
                    .await
            });
        }
        while let Some(r) = jobs.join_next().await {
            r.unwrap().unwrap();
        }
        assert_eq!(
            most.load(Ordering::SeqCst),
            cores,
            "as many as cores, never more"
        );
    }
}
