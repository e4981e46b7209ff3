//! The REST front of the electronic license sharing platform: the contract's envelope and data
//! shapes (API.md §1, §6), parameters, the OAuth token endpoint and download links.

#![forbid(unsafe_code)]

pub mod admin;
pub mod admit;
pub mod client;
pub mod collect;
pub mod console;
pub mod envelope;
pub mod headers;
pub mod metrics;
pub mod openapi;
pub mod page;
pub mod params;
pub mod peer;
pub mod routes;
pub mod trace;

pub use client::{RestClient, RestClientConfig};
pub use metrics::{Metrics, Sampled, Sampler};
pub use routes::{
    AppState, DEFAULT_BODY_LIMIT, DEFAULT_FILE_BODY_LIMIT, HttpOptions, ops_router, router,
};
