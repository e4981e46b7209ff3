//! Throughput of identifier parsing and holder-code validation (issue: foundation).
#![allow(missing_docs)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use license_core::{CertIdentifier, CheckPolicy, validate_holder_code};
use std::hint::black_box;

const IDS: [&str; 3] = [
    "1.2.156.3005.2.11100000000013127D001.11370000004504927A.CFD93524173848F3A2ED4AB7A36E7A50.001.8",
    "1.2.156.3005.2.11100000000013338W006.113704000042365553.VK33PZ9TY58L.001.9",
    "1.2.156.3005.2.11100000000013127D001.11370000004504927A.CFD93524173848F3A2ED4AB7A36E7A50.001.E",
];

fn identifiers(c: &mut Criterion) {
    let mut g = c.benchmark_group("identifier");
    g.throughput(Throughput::Elements(IDS.len() as u64));
    g.bench_function("parse_validate", |b| {
        b.iter(|| {
            for s in IDS {
                black_box(CertIdentifier::parse(black_box(s), CheckPolicy::Compatible).unwrap());
            }
        })
    });
    g.throughput(Throughput::Elements(1));
    g.bench_function("parse_validate_standard", |b| {
        b.iter(|| {
            black_box(CertIdentifier::parse(black_box(IDS[2]), CheckPolicy::Compatible).unwrap())
        })
    });
    g.bench_function("parse_validate_legacy", |b| {
        b.iter(|| {
            black_box(CertIdentifier::parse(black_box(IDS[0]), CheckPolicy::Compatible).unwrap())
        })
    });
    g.bench_function("check_standard_only", |b| {
        let body = b"11100000000013127D00111370000004504927ACFD93524173848F3A2ED4AB7A36E7A50001";
        b.iter(|| {
            black_box(license_core::check::standard(
                black_box(body).iter().copied(),
            ))
        })
    });
    g.finish();
}

fn holder_codes(c: &mut Criterion) {
    let codes = [
        ("111", "11010519491231002X"),
        ("001", "91110000600037341L"),
        ("111", "370403197612090017"),
        ("414", "E12345678"),
    ];
    let mut g = c.benchmark_group("holder_code");
    g.throughput(Throughput::Elements(codes.len() as u64));
    g.bench_function("validate", |b| {
        b.iter(|| {
            for (t, code) in codes {
                let _ = black_box(validate_holder_code(black_box(t), black_box(code)));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, identifiers, holder_codes);
criterion_main!(benches);
