//! Reproduces every expected outcome of `shared/testdata/ofd/` (real signed files from other
//! producers and tampered variants). Without `../shared` this prints that it skips; with
//! `CI=true` a missing `../shared` fails.

use std::path::PathBuf;

use license_file::verify::{Mode, SignatureType};
use serde_json::Value;

fn testdata() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/ofd");
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
fn every_expected_outcome_is_reproduced() {
    let Some(dir) = testdata() else { return };
    let expected: Value =
        serde_json::from_slice(&std::fs::read(dir.join("expected.json")).unwrap()).unwrap();
    let files = expected["files"].as_object().unwrap();
    assert!(
        files.len() >= 15,
        "expected.json lists {} files",
        files.len()
    );
    for (name, want) in files {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        let report = license_file::verify(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let verdict = |m| {
            if report.is_valid(m) {
                "VALID"
            } else {
                "INVALID"
            }
        };
        assert_eq!(
            verdict(Mode::Default),
            want["verdict"],
            "{name}: default verdict"
        );
        assert_eq!(
            verdict(Mode::Strict),
            want["strict_verdict"],
            "{name}: strict verdict"
        );
        let unref: Vec<&str> = want["unreferenced_files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(
            report.unreferenced_files, unref,
            "{name}: unreferenced files"
        );
        let sigs = want["signatures"].as_array().unwrap();
        assert_eq!(report.signatures.len(), sigs.len(), "{name}");
        for (got, want) in report.signatures.iter().zip(sigs) {
            let ctx = format!("{name} signature {}", got.id);
            let kind = match got.kind {
                SignatureType::Seal => "Seal",
                SignatureType::Sign => "Sign",
            };
            assert_eq!(kind, want["type"], "{ctx}: type");
            assert_eq!(got.id, want["id"].as_str().unwrap(), "{ctx}: id");
            assert_eq!(
                got.signature_xml,
                want["signature_xml"].as_str().unwrap(),
                "{ctx}"
            );
            assert_eq!(got.version, want["version"].as_u64(), "{ctx}: version");
            assert_eq!(
                got.check_method,
                want["check_method"].as_str().unwrap(),
                "{ctx}"
            );
            assert_eq!(
                got.reference_count as u64,
                want["reference_count"].as_u64().unwrap(),
                "{ctx}: references"
            );
            assert_eq!(got.digests_ok, want["digests_ok"], "{ctx}: digests");
            let mismatched: Vec<&str> = want["mismatched_refs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            assert_eq!(got.mismatched_refs, mismatched, "{ctx}: mismatched refs");
            assert_eq!(got.data_hash_ok, want["data_hash_ok"], "{ctx}: data hash");
            assert_eq!(got.signature_ok, want["signature_ok"], "{ctx}: signature");
            let signer = got.signer.as_ref().expect("signer read");
            assert_eq!(
                signer.common_name.as_deref(),
                want["signer_cn"].as_str(),
                "{ctx}"
            );
            assert_eq!(
                signer.serial_hex,
                want["signer_serial_hex"].as_str().unwrap(),
                "{ctx}"
            );
            assert_eq!(
                signer.issuer_common_name.as_deref(),
                want["signer_issuer_cn"].as_str(),
                "{ctx}: issuer"
            );
            assert_eq!(
                got.signing_time.as_deref(),
                want["signing_time"].as_str(),
                "{ctx}: time"
            );
            let quirks: Vec<&str> = want["quirks"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            assert_eq!(got.quirks, quirks, "{ctx}: quirks");
            assert_eq!(
                got.verified(Mode::Default),
                want["verified"],
                "{ctx}: verified"
            );
            match (&got.seal, want["seal"].as_object()) {
                (None, None) => {}
                (Some(seal), Some(w)) => {
                    assert_eq!(seal.signer_listed, w["signer_listed"], "{ctx}: listed");
                    assert_eq!(
                        seal.maker_signature_ok, w["maker_signature_ok"],
                        "{ctx}: maker"
                    );
                    assert_eq!(
                        seal.seal_file_ok,
                        w["seal_file_ok"].as_bool(),
                        "{ctx}: seal file"
                    );
                    assert_eq!(seal.es_id, w["es_id"].as_str().unwrap(), "{ctx}: esID");
                    assert_eq!(seal.vid, w["vid"].as_str().unwrap(), "{ctx}: vid");
                }
                (a, b) => panic!("{ctx}: seal {a:?} vs {b:?}"),
            }
            let failing = !want["errors"].as_array().unwrap().is_empty();
            assert_eq!(
                !got.errors.is_empty(),
                failing,
                "{ctx}: errors {:?}",
                got.errors
            );
        }
    }
}
