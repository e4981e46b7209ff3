//! The rules of the electronic license sharing platform (电子证照共享服务平台): authentication
//! and roles, call-context validation, every share interface of DB3704/T 0042 on the local
//! library (and routing to a province upstream), download grants and annotated copies, both
//! verifications, administration, JSON Lines import, and an audit log committed before every
//! answer. [`Platform`] implements core's [`LicenseService`](license_core::LicenseService).

#![forbid(unsafe_code)]

pub mod admin;
mod admin_service;
pub mod audit;
pub mod auth;
pub mod budget;
mod cache;
pub mod config;
mod console;
mod documents;
mod fault;
mod federation;
pub mod import_file;
mod platform;
pub mod retention;
pub mod sample;
mod service;
mod shape;
mod share;
pub mod telemetry;
pub mod upkeep;

pub use admin::{
    Correction, ImportReport, Importer, NewLicense, Rejected, StateChange, parse_record,
};
pub use audit::{AuditTask, AuditWriter};
pub use config::{Lockout, PlatformConfig};
pub use platform::{Platform, Ports};
