//! The crate's copies of the dictionaries must equal `shared/spec/dict/` byte for byte.
//! Without `../shared` (a clone elsewhere) this prints that it skips; with `CI=true` a missing
//! `../shared` fails.

use std::path::PathBuf;

fn shared_dict_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/spec/dict");
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI=true but {} is missing", dir.display());
    }
    eprintln!("skipping: {} is absent", dir.display());
    None
}

#[test]
fn bundled_dictionaries_equal_the_shared_specification() {
    let Some(dir) = shared_dict_dir() else { return };
    for (name, bundled) in license_dict::DATA_FILES {
        let shared = std::fs::read_to_string(dir.join(name)).expect(name);
        assert_eq!(
            bundled, shared,
            "crates/license-dict/data/{name} is stale: copy it from shared/spec/dict/"
        );
    }
    let files = std::fs::read_dir(&dir).unwrap().count();
    assert_eq!(
        files,
        license_dict::DATA_FILES.len(),
        "a dictionary file is not bundled"
    );
}
