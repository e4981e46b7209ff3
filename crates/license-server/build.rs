//! Records the git commit the binary is built from (`licensed_build_info`), or `unknown`
//! outside a git checkout. (Not under a `LICENSED_` name: cargo also sets the variable for the
//! package's tests, whose nodes would take it for a setting.)

use std::process::Command;

fn main() {
    let hash = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=LICENSE_SERVER_GIT_HASH={hash}");
    // A new commit changes HEAD or the branch it names.
    if let Ok(top) = Command::new("git")
        .args(["rev-parse", "--absolute-git-dir"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        && !top.is_empty()
    {
        println!("cargo:rerun-if-changed={top}/HEAD");
        println!("cargo:rerun-if-changed={top}/refs/heads");
    }
}
