//! The electronic license file (GB/T 36905): OFD packages (GB/T 33190) with SM2/SM3 seals in
//! the GB/T 38540 structure, their verification, annotated copies, and PDF/JPEG renderings.

#![forbid(unsafe_code)]

pub mod asn1;
pub mod cert;
pub mod cms;
pub mod error;
pub mod package;
pub mod ses;
pub mod sm2sig;
pub mod verify;
pub mod xml;

pub use error::FileError;
pub use verify::{Mode, Report, SignatureReport, verify};
