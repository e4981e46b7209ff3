//! `cargo xtask <command>`: project automation.

#![forbid(unsafe_code)]

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <command>

commands:
  tidy    check architecture invariants (license-core's dependency tree)";

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
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}
