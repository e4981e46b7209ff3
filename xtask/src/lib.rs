//! Project automation shared by the `xtask` binary and its tests.

#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// Crates that must never appear in `license-core`'s dependency tree (ARCHITECTURE.md,
/// license-core: the core knows no transport and no database).
pub const CORE_FORBIDDEN: [&str; 5] = ["axum", "tonic", "hyper", "sea-orm", "sqlx"];

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace root")
        .to_path_buf()
}

/// The package names in `cargo tree -p PACKAGE` (normal and build edges, every target).
pub fn dependency_names(package: &str) -> Result<Vec<String>, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(workspace_root())
        .args(["tree", "--quiet", "-p", package, "-e", "normal,build"])
        .args(["--target", "all", "--prefix", "none", "--format", "{p}"])
        .output()
        .map_err(|e| format!("cannot run cargo tree: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo tree failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_owned)
        .collect())
}

/// The forbidden crates found in `license-core`'s dependency tree.
pub fn core_violations() -> Result<Vec<String>, String> {
    let names = dependency_names("license-core")?;
    if !names.iter().any(|n| n == "license-core") {
        return Err("cargo tree did not list license-core itself".into());
    }
    let mut bad: Vec<String> = names
        .into_iter()
        .filter(|n| CORE_FORBIDDEN.contains(&n.as_str()))
        .collect();
    bad.sort();
    bad.dedup();
    Ok(bad)
}

/// The proto files of the gRPC mirror, relative to `proto/`.
pub const PROTOS: [&str; 1] = ["license/v1/license.proto"];

/// Where the generated gRPC code is committed.
pub fn generated_dir() -> PathBuf {
    workspace_root().join("crates/license-grpc/src/generated")
}

/// The file descriptor set of the protos, encoded (what gRPC reflection serves).
pub const DESCRIPTOR_FILE: &str = "license_descriptor.bin";

/// Generates the gRPC code and the descriptor set into `out` with `protox` and
/// `tonic-prost-build` — no `protoc` needed.
pub fn codegen(out: &Path) -> Result<(), String> {
    use prost::Message;
    let fds = protox::compile(PROTOS, [workspace_root().join("proto")])
        .map_err(|e| format!("proto: {e}"))?;
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    std::fs::write(out.join(DESCRIPTOR_FILE), fds.encode_to_vec())
        .map_err(|e| format!("{}: {e}", out.display()))?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .out_dir(out)
        .compile_fds(fds)
        .map_err(|e| format!("codegen: {e}"))
}
