//! Seals in the v1 layout (GM/T 0031-2014) verify like v4 ones: built here by hand, since the
//! shared test files are all v4.

mod common;

use base64::Engine;
use license_file::asn1::{self, write};
use license_file::package::{Limits, Package};
use license_file::verify::{self, Mode};
use license_file::{NodeKey, ofd, sm2sig};
use sm3::{Digest, Sm3};

fn v1_package(tamper_seal_maker: bool) -> Vec<u8> {
    let key = NodeKey::generate("v1 签章人", "测试").unwrap();
    let cert = key.cert_der().to_vec();
    let sign = |m: &[u8]| sm2sig::sign(key.signing_key(), m).unwrap();
    let mut pkg = ofd::write_package(&common::document()).unwrap();
    let refs = [
        "Doc_0/Document.xml",
        "Doc_0/Pages/Page_0/Content.xml",
        ofd::METADATA_PART,
    ];
    let mut refs_xml = String::new();
    for r in refs {
        let d = base64::engine::general_purpose::STANDARD.encode(Sm3::digest(pkg.get(r).unwrap()));
        refs_xml.push_str(&format!(
            r#"<ofd:Reference FileRef="/{r}"><ofd:CheckValue>{d}</ofd:CheckValue></ofd:Reference>"#
        ));
    }
    let sig_xml = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><ofd:Signature xmlns:ofd="http://www.ofdspec.org/2016"><ofd:SignedInfo><ofd:Provider ProviderName="v1-test"/><ofd:SignatureMethod>1.2.156.10197.1.501</ofd:SignatureMethod><ofd:References CheckMethod="1.2.156.10197.1.401">{refs_xml}</ofd:References></ofd:SignedInfo><ofd:SignedValue>SignedValue.dat</ofd:SignedValue></ofd:Signature>"#
    );
    let utc = |s: &str| write::tlv(asn1::UTC_TIME, s.as_bytes());
    let header = write::seq(&[
        &write::ia5("ES"),
        &write::small_uint(1),
        &write::ia5("v1-test"),
    ]);
    let property = write::seq(&[
        &write::small_uint(1),
        &write::utf8("测试专用章"),
        &write::seq(&[&write::octets(&cert)]),
        &utc("250101000000Z"),
        &utc("250101000000Z"),
        &utc("350101000000Z"),
    ]);
    let picture = write::seq(&[
        &write::ia5("PNG"),
        &write::octets(b"png"),
        &write::small_uint(40),
        &write::small_uint(40),
    ]);
    let info = write::seq(&[&header, &write::ia5("ES-V1-1"), &property, &picture]);
    let mut maker_sig = sign(&info);
    if tamper_seal_maker {
        let n = maker_sig.len();
        maker_sig[n - 1] ^= 1;
    }
    let sign_info = write::seq(&[
        &write::octets(&cert),
        &write::oid("1.2.156.10197.1.501"),
        &write::bit_string(&maker_sig),
    ]);
    let seal = write::seq(&[&info, &sign_info]);
    let data_hash = Sm3::digest(sig_xml.as_bytes());
    let tbs = write::seq(&[
        &write::small_uint(1),
        &seal,
        &write::bit_string(b"20251122101010Z"),
        &write::bit_string(&data_hash),
        &write::ia5("/Doc_0/Signs/Sign_0/Signature.xml"),
        &write::octets(&cert),
        &write::oid("1.2.156.10197.1.501"),
    ]);
    let value = write::seq(&[&tbs, &write::bit_string(&sign(&tbs))]);
    pkg.insert("Doc_0/Signs/Sign_0/Signature.xml", sig_xml.into_bytes());
    pkg.insert("Doc_0/Signs/Sign_0/SignedValue.dat", value);
    pkg.insert(
        ofd::SIGNATURES_PART,
        br#"<?xml version="1.0" encoding="UTF-8"?><ofd:Signatures xmlns:ofd="http://www.ofdspec.org/2016"><ofd:MaxSignId>1</ofd:MaxSignId><ofd:Signature ID="1" BaseLoc="Sign_0/Signature.xml"/></ofd:Signatures>"#.to_vec(),
    );
    pkg.write().unwrap()
}

#[test]
fn v1_seals_verify() {
    let bytes = v1_package(false);
    let report = verify::verify(&bytes).unwrap();
    assert!(report.is_valid(Mode::Strict), "{report:#?}");
    let s = &report.signatures[0];
    assert_eq!(s.version, Some(1));
    assert_eq!(s.signing_time.as_deref(), Some("2025-11-22T10:10:10Z"));
    let seal = s.seal.as_ref().unwrap();
    assert!(seal.signer_listed && seal.maker_signature_ok);
    assert_eq!(seal.es_id, "ES-V1-1");
    let pkg = Package::read(&bytes, Limits::default()).unwrap();
    assert!(pkg.contains(ofd::METADATA_PART));
}

#[test]
fn a_v1_seal_with_a_bad_maker_signature_fails() {
    let report = verify::verify(&v1_package(true)).unwrap();
    let s = &report.signatures[0];
    assert!(s.signature_ok && s.digests_ok && s.data_hash_ok);
    assert!(!s.seal.as_ref().unwrap().maker_signature_ok);
    assert!(!report.is_valid(Mode::Default));
}
