//! The internal gRPC mirror of the electronic license sharing service: the proto
//! (`proto/license/v1/license.proto`), its generated code (committed; `cargo xtask codegen`
//! rewrites it), the tonic server with health and reflection, and a gRPC client that
//! implements [`LicenseService`](license_core::LicenseService).
//!
//! Every rule lives in the service; this crate only translates. Failures travel as a gRPC
//! status from one exhaustive mapping of the return code ([`status::grpc_code`]), with the
//! numeric code and its detail in metadata.

#![forbid(unsafe_code)]

/// The generated messages, client and server of `license.v1`.
#[allow(missing_docs, clippy::all, clippy::pedantic)]
pub mod pb {
    include!("generated/license.v1.rs");
}

/// The encoded file descriptor set of the protos (served by reflection).
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!("generated/license_descriptor.bin");

mod batched;
mod client;
mod convert;
mod rpcs;
mod server;
pub mod status;

pub use batched::{BatchedConnector, BatchedWrites, ClientStream, client_tls};
pub use client::{GrpcClient, GrpcClientConfig};
pub use server::{GrpcFront, SERVICE_NAME, Timeouts, routes, routes_with, serve, serve_incoming};
