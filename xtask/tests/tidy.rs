//! Architecture invariants that hold across crates.

#[test]
fn core_depends_on_no_transport_or_database() {
    let bad = xtask::core_violations().expect("cargo tree runs");
    assert!(bad.is_empty(), "license-core depends on {bad:?}");
}

#[test]
fn the_check_sees_dependencies() {
    // Guards against a check that passes because it sees nothing.
    let names = xtask::dependency_names("license-core").unwrap();
    assert!(names.iter().any(|n| n == "chrono"), "{names:?}");
}
