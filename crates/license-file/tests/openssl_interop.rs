//! An implementation nobody here wrote agrees with ours: OpenSSL 3 verifies the SM2-with-SM3
//! signature inside our `SES_Signature` (over the exact `TBS_Sign` bytes, user id
//! `1234567812345678`) and our self-signed node certificate. Skips with a message where the
//! `openssl` command is absent; with `CI=true` its absence fails.

mod common;

use std::path::Path;
use std::process::Command;

use license_file::asn1;
use license_file::package::{Limits, Package};

fn openssl_available() -> bool {
    let ok = Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("CI=true but the openssl command is missing");
        }
        eprintln!("skipping: the openssl command is absent");
    }
    ok
}

fn run(dir: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn openssl_verifies_our_seal_signature_and_certificate() {
    if !openssl_available() {
        return;
    }
    let engine = common::engine("互操作测试");
    let bytes = engine
        .issue_document(&common::document(), common::at())
        .unwrap();
    let pkg = Package::read(&bytes, Limits::default()).unwrap();
    let value = pkg.get("Doc_0/Signs/Sign_0/SignedValue.dat").unwrap();
    let top = asn1::read_all(value).unwrap();
    let mut c = top.children();
    let tbs = c.next_tlv("tbs").unwrap().raw;
    let cert = c.next_tlv("cert").unwrap().value;
    let _alg = c.next_tlv("alg").unwrap();
    let sig = &c.next_tlv("signature").unwrap().value[1..];

    let dir = std::env::temp_dir().join(format!("openssl-interop-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("tbs.bin"), tbs).unwrap();
    std::fs::write(dir.join("cert.der"), cert).unwrap();
    std::fs::write(dir.join("sig.der"), sig).unwrap();
    let (ok, out) = run(
        &dir,
        &[
            "x509", "-inform", "DER", "-in", "cert.der", "-out", "cert.pem",
        ],
    );
    assert!(ok, "{out}");
    let (ok, out) = run(
        &dir,
        &[
            "x509", "-in", "cert.pem", "-pubkey", "-noout", "-out", "pub.pem",
        ],
    );
    assert!(ok, "{out}");
    let verify = |file: &str| {
        run(
            &dir,
            &[
                "pkeyutl",
                "-verify",
                "-pubin",
                "-inkey",
                "pub.pem",
                "-rawin",
                "-in",
                file,
                "-sigfile",
                "sig.der",
                "-digest",
                "sm3",
                "-pkeyopt",
                "distid:1234567812345678",
            ],
        )
    };
    let (ok, out) = verify("tbs.bin");
    assert!(
        ok && out.contains("Signature Verified Successfully"),
        "{out}"
    );
    // A changed byte of the signed data fails under OpenSSL too.
    let mut bad = tbs.to_vec();
    bad[10] ^= 1;
    std::fs::write(dir.join("bad.bin"), bad).unwrap();
    let (ok, _) = verify("bad.bin");
    assert!(!ok);
    let (ok, out) = run(&dir, &["verify", "-CAfile", "cert.pem", "cert.pem"]);
    assert!(ok && out.contains("OK"), "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}
