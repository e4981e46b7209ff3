//! `cargo xtask <command>`: project automation.

#![forbid(unsafe_code)]

use std::process::ExitCode;

mod bench;
mod hostile;

const USAGE: &str = "usage: cargo xtask <command>

commands:
  tidy     check architecture invariants (license-core's dependency tree)
  openapi  write openapi.json (the REST front's OpenAPI 3.1 document)
  codegen  generate the gRPC code from proto/ into crates/license-grpc/src/generated
  bench    load-run the release binary with wrk (BENCH_LICENSES, BENCH_DB_URL, BENCH_SECONDS, BENCH_BIN)
  hostile  measure the timing oracle and stalling by hostile callers (BENCH_BIN)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("tidy") => match xtask::core_violations() {
            Ok(bad) if bad.is_empty() => {
                println!("tidy: license-core depends on no transport or database crate");
                ExitCode::SUCCESS
            }
            Ok(bad) => {
                eprintln!("tidy: license-core depends on {}", bad.join(", "));
                ExitCode::FAILURE
            }
            Err(e) => {
                eprintln!("tidy: {e}");
                ExitCode::FAILURE
            }
        },
        Some("bench") => match bench::main() {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("bench: {e}");
                ExitCode::FAILURE
            }
        },
        Some("hostile") => match hostile::main() {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("hostile: {e}");
                ExitCode::FAILURE
            }
        },
        Some("codegen") => match xtask::codegen(&xtask::generated_dir()) {
            Ok(()) => {
                println!("wrote {}", xtask::generated_dir().display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("codegen: {e}");
                ExitCode::FAILURE
            }
        },
        Some("openapi") => {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi.json");
            match std::fs::write(&path, license_http::openapi::document_json()) {
                Ok(()) => {
                    println!("wrote {}", path.display());
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("openapi: {}: {e}", path.display());
                    ExitCode::FAILURE
                }
            }
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}
