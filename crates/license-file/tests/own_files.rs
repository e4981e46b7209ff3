//! Our own files: issue, read back, verify strictly, detect tampering of every signed part,
//! annotate with both signatures valid, trust decisions, PDF and JPEG renderings.

mod common;

use std::io::{Cursor, Read, Write};

use license_file::package::{Limits, Package};
use license_file::verify::{self, Mode};
use license_file::{NodeKey, OfdEngine, TrustStore, ofd};

fn rezip_with(bytes: &[u8], part: &str, change: impl Fn(&mut Vec<u8>)) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        let mut f = archive.by_index(i).unwrap();
        let name = f.name().unwrap().into_owned();
        let mut data = Vec::new();
        f.read_to_end(&mut data).unwrap();
        if name == part {
            change(&mut data);
        }
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        out.write_all(&data).unwrap();
    }
    out.finish().unwrap().into_inner()
}

#[test]
fn issued_files_verify_strictly_and_read_back_exactly() {
    let engine = common::engine("测试节点");
    let doc = common::document();
    let bytes = engine.issue_document(&doc, common::at()).unwrap();
    assert!(bytes.len() <= 150 * 1024, "{} bytes", bytes.len());
    let report = verify::verify(&bytes).unwrap();
    assert!(report.is_valid(Mode::Strict), "{report:#?}");
    assert_eq!(report.signatures.len(), 1);
    let sig = &report.signatures[0];
    assert!(sig.quirks.is_empty());
    assert!(sig.covered.iter().any(|c| c == ofd::METADATA_PART));
    assert!(
        sig.covered
            .iter()
            .any(|c| c == "Doc_0/Pages/Page_0/Content.xml")
    );
    assert_eq!(
        sig.signer.as_ref().unwrap().common_name.as_deref(),
        Some("测试节点")
    );
    let pkg = Package::read(&bytes, Limits::default()).unwrap();
    assert_eq!(ofd::read_metadata(&pkg).unwrap(), doc);
    let custom = ofd::custom_datas(&pkg).unwrap();
    assert!(custom.contains(&(ofd::CUSTOM_IDENTIFIER.to_owned(), doc.identifier.clone())));
    assert_eq!(ofd::read_copy_facts(&pkg).unwrap(), None);
    // The same input gives the same bytes (deterministic signatures and archive).
    assert_eq!(engine.issue_document(&doc, common::at()).unwrap(), bytes);
}

#[test]
fn tampering_any_signed_part_is_detected() {
    let engine = common::engine("测试节点");
    let bytes = engine
        .issue_document(&common::document(), common::at())
        .unwrap();
    let report = verify::verify(&bytes).unwrap();
    let covered = report.signatures[0].covered.clone();
    assert!(covered.len() >= 6, "{covered:?}");
    for part in &covered {
        let bad = rezip_with(&bytes, part, |d| d.push(b' '));
        let r = verify::verify(&bad).unwrap();
        assert!(!r.is_valid(Mode::Default), "{part}");
        assert_eq!(r.signatures[0].mismatched_refs, [format!("/{part}")]);
    }
    let sig_xml = "Doc_0/Signs/Sign_0/Signature.xml";
    let r = verify::verify(&rezip_with(&bytes, sig_xml, |d| d.push(b' '))).unwrap();
    assert!(!r.signatures[0].data_hash_ok && r.signatures[0].digests_ok);
    let value = "Doc_0/Signs/Sign_0/SignedValue.dat";
    let r = verify::verify(&rezip_with(&bytes, value, |d| {
        let n = d.len();
        d[n - 5] ^= 0x01;
    }))
    .unwrap();
    assert!(!r.signatures[0].signature_ok && r.signatures[0].data_hash_ok);
    assert!(!r.is_valid(Mode::Default));
}

#[test]
fn annotated_copies_carry_both_valid_signatures() {
    let engine = common::engine("测试节点");
    let doc = common::document();
    let original = engine.issue_document(&doc, common::at()).unwrap();
    let copy = engine.annotate_bytes(&original, &common::facts()).unwrap();
    let report = verify::verify(&copy).unwrap();
    assert!(report.is_valid(Mode::Strict), "{report:#?}");
    assert_eq!(report.signatures.len(), 2);
    let (issuer, platform) = (&report.signatures[0], &report.signatures[1]);
    assert!(platform.covered.iter().any(|c| c == ofd::ANNOTATIONS_PART));
    assert!(
        platform
            .covered
            .iter()
            .any(|c| c == "Doc_0/Annots/Page_0/Annotation.xml")
    );
    assert!(platform.covered.iter().any(|c| c == "OFD.xml"));
    assert!(
        issuer
            .covered
            .iter()
            .all(|c| !c.starts_with("Doc_0/Annots"))
    );
    let pkg = Package::read(&copy, Limits::default()).unwrap();
    assert_eq!(ofd::read_copy_facts(&pkg).unwrap(), Some(common::facts()));
    assert_eq!(ofd::read_metadata(&pkg).unwrap(), doc);
    let annot = String::from_utf8(
        pkg.get("Doc_0/Annots/Page_0/Annotation.xml")
            .unwrap()
            .to_vec(),
    )
    .unwrap();
    assert!(annot.contains("枣庄市网上办事大厅") && annot.contains("Watermark"));
    // Tampering the annotation is caught by the platform's signature only.
    let bad = rezip_with(&copy, "Doc_0/Annots/Page_0/Annotation.xml", |d| {
        d.push(b' ')
    });
    let r = verify::verify(&bad).unwrap();
    assert!(r.signatures[0].verified(Mode::Strict));
    assert!(!r.signatures[1].verified(Mode::Default));
}

#[test]
fn trust_is_decided_by_the_trust_store() {
    let ours = common::engine("本节点");
    let theirs = common::engine("他节点");
    let doc = common::document();
    let mine = ours.issue_document(&doc, common::at()).unwrap();
    let foreign = theirs.issue_document(&doc, common::at()).unwrap();
    let check = ours.check(&mine).unwrap();
    assert!(check.intact && check.signatures_trusted);
    assert_eq!(check.identifier.as_deref(), Some(doc.identifier.as_str()));
    let check = ours.check(&foreign).unwrap();
    assert!(check.intact && !check.signatures_trusted);
    // Trusting the other node's certificate changes the decision.
    let key = NodeKey::generate("第三节点", "x").unwrap();
    let third = OfdEngine::new(key, "章", TrustStore::default(), "q/").unwrap();
    let mut trust = TrustStore::default();
    let foreign_cert = verify::verify(&foreign).unwrap().signatures[0]
        .signer
        .clone()
        .unwrap()
        .certificate;
    trust.add(&foreign_cert).unwrap();
    assert!(trust.trusts(&foreign_cert));
    assert!(!third.check(&foreign).unwrap().signatures_trusted);
    // Not an OFD at all.
    assert!(ours.check(b"PK\x03\x04 nonsense").is_err());
    // An unsigned package: not intact, no identifier.
    let unsigned = ofd::write_package(&doc).unwrap().write().unwrap();
    let c = ours.check(&unsigned).unwrap();
    assert!(!c.intact && !c.signatures_trusted && c.identifier.is_none());
}

#[test]
fn pdf_and_jpeg_render() {
    let engine = common::engine("测试节点");
    let doc = common::document();
    let pdf = engine.pdf(&doc).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    assert!(pdf.len() < 400 * 1024, "{} bytes", pdf.len());
    let text = String::from_utf8_lossy(&pdf);
    assert!(text.contains("/FontFile"), "the font is embedded");
    let pages = engine.page_images(&doc).unwrap();
    assert_eq!(pages.len(), 1);
    let img = image::load_from_memory_with_format(&pages[0], image::ImageFormat::Jpeg).unwrap();
    assert!(img.width() > 800 && img.height() > img.width());
    // The QR code on the page image carries the license's QR value.
    let mut prepared = rqrr::PreparedImage::prepare(img.to_luma8());
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1);
    let (_, content) = grids[0].decode().unwrap();
    assert_eq!(content, doc.qr_value);
    if let Ok(dir) = std::env::var("LICENSE_FILE_SAMPLES") {
        std::fs::write(format!("{dir}/sample.pdf"), &pdf).unwrap();
        std::fs::write(format!("{dir}/sample.jpg"), &pages[0]).unwrap();
        let ofd = engine.issue_document(&doc, common::at()).unwrap();
        std::fs::write(format!("{dir}/sample.ofd"), &ofd).unwrap();
        let copy = engine.annotate_bytes(&ofd, &common::facts()).unwrap();
        std::fs::write(format!("{dir}/sample-copy.ofd"), copy).unwrap();
    }
}
