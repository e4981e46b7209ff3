//! Core of the electronic license sharing platform (电子证照共享服务平台): entities after
//! GB/T 36903, identifiers after GB/T 36904, holder-code checks (GB 11643, GB 32100), the
//! return codes of DB3704/T 0042, and the [`LicenseService`] trait every transport serves.
//!
//! This crate knows no transport and no database (a tidy test enforces it).

#![forbid(unsafe_code)]

pub mod admin;
pub mod check;
pub mod context;
pub mod holder;
pub mod identifier;
pub mod interface;
pub mod license;
pub mod limits;
pub mod params;
pub mod peer;
pub mod ports;
pub mod service;
pub mod status;
pub mod upstream;

pub use admin::AdminService;
pub use context::{CallCategory, CallContext, OperatorDetails, RawCallContext};
pub use holder::{HolderCodeError, normalize_holder_code, validate_holder_code};
pub use identifier::{
    CertIdentifier, CheckPolicy, CheckScheme, Deviation, IdentifierError, Segment,
};
pub use interface::{Interface, Role};
pub use license::{Library, License, LicenseState, LicenseStatus, Validity};
pub use service::{Answer, Caller, LicenseService, Shaped};
pub use status::{FileVerifyResult, InfoVerifyResult, ReturnCode, ServiceError};
