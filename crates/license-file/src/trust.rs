//! The trust store: issuer certificates the node accepts, its own always included. Trust is a
//! policy on top of a verification report.

use std::path::Path;

use crate::cert::{self, CertInfo};
use crate::error::FileError;
use crate::keys::pem_certificates;

/// Certificates whose signatures (and whose issued certificates' signatures) the node trusts.
#[derive(Debug, Clone, Default)]
pub struct TrustStore {
    anchors: Vec<(Vec<u8>, CertInfo)>,
}

impl TrustStore {
    /// A store holding the node's own certificate.
    pub fn with_own(own_cert_der: &[u8]) -> Result<Self, FileError> {
        let mut s = TrustStore::default();
        s.add(own_cert_der)?;
        Ok(s)
    }

    /// Adds a DER certificate.
    pub fn add(&mut self, der: &[u8]) -> Result<(), FileError> {
        let info = cert::parse(der)?;
        if !self.anchors.iter().any(|(d, _)| d == der) {
            self.anchors.push((der.to_vec(), info));
        }
        Ok(())
    }

    /// Adds every certificate in a PEM text.
    pub fn add_pem(&mut self, pem: &str) -> Result<usize, FileError> {
        let certs = pem_certificates(pem)?;
        for c in &certs {
            self.add(c)?;
        }
        Ok(certs.len())
    }

    /// Adds every `.pem`, `.crt`, `.cer` (PEM or DER) and `.der` file of a directory.
    pub fn add_dir(&mut self, dir: &Path) -> Result<usize, FileError> {
        let io = |e: std::io::Error| FileError::Key(format!("trust store: {e}"));
        let mut n = 0;
        for entry in std::fs::read_dir(dir).map_err(io)? {
            let path = entry.map_err(io)?.path();
            let ext = path
                .extension()
                .and_then(|e| e.to_str())
                .unwrap_or_default();
            if !["pem", "crt", "cer", "der"].contains(&ext) {
                continue;
            }
            let bytes = std::fs::read(&path).map_err(io)?;
            match std::str::from_utf8(&bytes) {
                Ok(text) if text.contains("-----BEGIN") => n += self.add_pem(text)?,
                _ => {
                    self.add(&bytes)?;
                    n += 1;
                }
            }
        }
        Ok(n)
    }

    /// Number of anchors.
    pub fn len(&self) -> usize {
        self.anchors.len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.anchors.is_empty()
    }

    /// Whether a signer certificate is trusted: it is an anchor, or an anchor signed it.
    pub fn trusts(&self, signer_der: &[u8]) -> bool {
        if self.anchors.iter().any(|(d, _)| d == signer_der) {
            return true;
        }
        let Ok(signer) = cert::parse(signer_der) else {
            return false;
        };
        self.anchors.iter().any(|(_, a)| signer.is_signed_by(a))
    }
}
