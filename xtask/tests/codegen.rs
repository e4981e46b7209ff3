//! The committed gRPC code is what `cargo xtask codegen` generates from `proto/` today.

#[test]
fn generated_grpc_code_is_current() {
    let out = std::env::temp_dir().join(format!("license-codegen-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    xtask::codegen(&out).unwrap();
    let committed = xtask::generated_dir();
    let mut names: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["license.v1.rs", xtask::DESCRIPTOR_FILE],
        "the generated files"
    );
    for name in names {
        let fresh = std::fs::read(out.join(&name)).unwrap();
        let old = std::fs::read(committed.join(&name)).unwrap_or_default();
        assert!(
            fresh == old,
            "{} is stale: run `cargo xtask codegen` and commit the result",
            name.to_string_lossy()
        );
    }
    let _ = std::fs::remove_dir_all(&out);
}
