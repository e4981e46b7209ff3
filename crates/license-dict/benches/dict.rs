//! Throughput of dictionary look-ups (issue: foundation).
#![allow(missing_docs)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use license_dict::{cert_types, holder_code_types};
use std::hint::black_box;

fn lookups(c: &mut Criterion) {
    let certs = cert_types();
    let holders = holder_code_types();
    let codes = [
        "11100000000013127D001",
        "111000000000131433007",
        "11100000000013338W006",
        "99999999999999999999X",
    ];
    let mut g = c.benchmark_group("dict");
    g.throughput(Throughput::Elements(codes.len() as u64));
    g.bench_function("cert_type_primary_name", |b| {
        b.iter(|| {
            for code in codes {
                black_box(certs.primary_name(black_box(code)));
            }
        })
    });
    let names = [
        "建筑业企业资质证书",
        "律师工作证",
        "中华人民共和国居民身份证",
        "不存在",
    ];
    g.bench_function("cert_type_codes_by_name", |b| {
        b.iter(|| {
            for n in names {
                black_box(certs.codes(black_box(n)));
            }
        })
    });
    let types = ["111", "001", "999", "123"];
    g.bench_function("holder_code_type", |b| {
        b.iter(|| {
            for t in types {
                black_box(holders.get(black_box(t)));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, lookups);
criterion_main!(benches);
