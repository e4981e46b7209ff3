//! Parses identifiers in a loop; for profiling with `perf stat` (instructions and cycles).
fn main() {
    let ids = [
        "1.2.156.3005.2.11100000000013127D001.11370000004504927A.CFD93524173848F3A2ED4AB7A36E7A50.001.8",
        "1.2.156.3005.2.11100000000013338W006.113704000042365553.VK33PZ9TY58L.001.9",
        "1.2.156.3005.2.11100000000013127D001.11370000004504927A.CFD93524173848F3A2ED4AB7A36E7A50.001.E",
    ];
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(3_000_000);
    let start = std::time::Instant::now();
    let mut ok = 0usize;
    for i in 0..n {
        let s = std::hint::black_box(ids[i % 3]);
        ok += license_core::CertIdentifier::parse(s, license_core::CheckPolicy::Compatible).is_ok()
            as usize;
    }
    let el = start.elapsed();
    println!(
        "{ok} ok, {:.0} ns/parse, {:.2} M/s",
        el.as_nanos() as f64 / n as f64,
        n as f64 / el.as_secs_f64() / 1e6
    );
}
