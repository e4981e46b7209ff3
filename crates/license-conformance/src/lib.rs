//! The conformance suite: one set of scenarios, written once against `dyn LicenseService`,
//! that every transport must pass with identical results — the in-process `Platform`, the REST
//! client against a running `licensed`, and the gRPC client against the same binary.
//!
//! [`seed`] issues a [`World`] of licenses (every state, a holder with several licenses of one
//! type, several types) on a city node; [`principals`] creates the accounts one run uses (every
//! run its own, so lock-outs and rate limits of one run never touch another); [`run`] plays
//! every scenario, checks each answer against the contract and returns a [`Transcript`] with
//! what differs per call by design (tokens, link ids, timings, account names) reduced to its
//! kind, so transcripts of different transports compare equal.

#![forbid(unsafe_code)]

mod scenarios;
mod world;

pub use scenarios::{Transcript, run};
pub use world::{CLIENT_ID, CLIENT_SECRET, Principals, World, principals, seed};
