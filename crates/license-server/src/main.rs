//! `licensed`: the electronic license sharing platform's server (see the library).

#![forbid(unsafe_code)]

use std::process::ExitCode;

/// mimalloc rather than the system allocator: SQLite's worker threads (one per pooled
/// connection) allocate and free page buffers all the time, and glibc's arenas spent a fifth of
/// the CPU on it under load (the platform bench: +19 % look-ups, +10 % ShareQueryCertInfo).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    license_server::run()
}
