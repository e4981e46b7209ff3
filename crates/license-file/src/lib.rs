//! The electronic license file (GB/T 36905): OFD packages (GB/T 33190) with SM2/SM3 seals in
//! the GB/T 38540 structure, their verification, annotated copies, and PDF/JPEG renderings.

#![forbid(unsafe_code)]

pub mod annotate;
pub mod asn1;
pub mod cert;
pub mod cms;
pub mod engine;
pub mod error;
pub mod keys;
pub mod layout;
pub mod model;
pub mod ofd;
pub mod package;
pub mod pdf;
pub mod raster;
pub mod ses;
pub mod sign;
pub mod sm2sig;
pub mod trust;
pub mod verify;
pub mod xml;

pub use engine::OfdEngine;
pub use error::FileError;
pub use keys::NodeKey;
pub use model::{CopyFacts, LicenseDocument};
pub use trust::TrustStore;
pub use verify::{Mode, Report, SignatureReport, verify};
