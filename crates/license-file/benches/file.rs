//! Throughput of issuing, annotating and verifying license files (issue: license-file).
#![allow(missing_docs)]

use std::collections::BTreeMap;
use std::hint::black_box;

use chrono::{DateTime, NaiveDate, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use license_file::verify::{self, Mode};
use license_file::{CopyFacts, LicenseDocument, NodeKey, OfdEngine, TrustStore};

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn fixtures() -> (OfdEngine, LicenseDocument, CopyFacts) {
    let key = NodeKey::generate("基准节点", "枣庄市").unwrap();
    let engine = OfdEngine::new(
        key,
        "枣庄市电子证照签章",
        TrustStore::default(),
        "https://zz.example/v/",
    )
    .unwrap();
    let mut face = BTreeMap::new();
    face.insert("name".to_owned(), "张三".to_owned());
    face.insert("certno".to_owned(), "11010519491231002X".to_owned());
    let doc = LicenseDocument {
        identifier: "1.2.156.3005.2.11100000000013127D001.11370000004504927A.CFD93524173848F3A2ED4AB7A36E7A50.001.E".into(),
        file_number: "1.2.156.3005.2.11100000000013127D001.11370000004504927A.CFD93524173848F3A2ED4AB7A36E7A50.001.E".into(),
        certificate_name: "中华人民共和国居民身份证".into(),
        cert_type_code: "11100000000013127D001".into(),
        certificate_number: "11010519491231002X".into(),
        holder: "张三".into(),
        holder_code: "11010519491231002X".into(),
        holder_code_type: "111".into(),
        issue_dept: "枣庄市公安局市中分局".into(),
        issue_dept_code: "11370000004504927A".into(),
        issue_date: date("2020-01-01"),
        valid_from: date("2020-01-01"),
        valid_to: Some(date("2040-01-01")),
        face,
        qr_value: "https://zz.example/license-api-release/verify/k3J9xQ2mZ8pL4vN7rT1wY6sB".into(),
    };
    let facts = CopyFacts {
        system_name: "枣庄市网上办事大厅".into(),
        matter_name: "户籍证明".into(),
        cause: "办理业务".into(),
        creator: "hall".into(),
        made_at: DateTime::<Utc>::from_timestamp(1_763_800_000, 0).unwrap(),
        expires_on: date("2026-12-31"),
    };
    (engine, doc, facts)
}

fn file(c: &mut Criterion) {
    let (engine, doc, facts) = fixtures();
    let at = DateTime::<Utc>::from_timestamp(1_763_800_000, 0).unwrap();
    let ofd = engine.issue_document(&doc, at).unwrap();
    eprintln!(
        "typical license OFD: {} bytes; an annotated copy: {} bytes",
        ofd.len(),
        engine.annotate_bytes(&ofd, &facts).unwrap().len()
    );
    let mut g = c.benchmark_group("license_file");
    g.throughput(Throughput::Elements(1));
    g.bench_function("issue_render_sign", |b| {
        b.iter(|| black_box(engine.issue_document(black_box(&doc), at).unwrap()))
    });
    g.bench_function("annotated_copy", |b| {
        b.iter(|| black_box(engine.annotate_bytes(black_box(&ofd), &facts).unwrap()))
    });
    g.bench_function("verify", |b| {
        b.iter(|| {
            assert!(
                verify::verify(black_box(&ofd))
                    .unwrap()
                    .is_valid(Mode::Strict)
            )
        })
    });
    g.finish();
}

criterion_group!(benches, file);
criterion_main!(benches);
