//! The platform benchmark (issue: platform and storage): bulk import of N licenses, then
//! ShareQueryCertInfo by identifier with token check and committed audit under 64 concurrent
//! callers, and holder searches' latency.
//!
//! `cargo bench -p license-platform --bench platform`; environment: `BENCH_LICENSES`
//! (default 1000000), `BENCH_DB_URL` (default: SQLite in a fresh temporary directory),
//! `BENCH_CONCURRENCY` (64), `BENCH_SECONDS` (10), `BENCH_KEEP_DIR` (reuse an SQLite library
//! between runs).
#![allow(missing_docs)]

/// The allocator `licensed` uses (SQLite's worker threads allocate and free page buffers all
/// the time); embedders should choose it too.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use license_core::context::RawCallContext;
use license_core::ports::{LicenseFilter, LicenseRepository, SystemClock};
use license_core::service::*;
use license_core::{LicenseService, Role};
use license_file::{NodeKey, OfdEngine, TrustStore};
use license_platform::sample::import_line;
use license_platform::{Platform, PlatformConfig, Ports};
use license_store::{ObjectFileStore, SeaStore};

fn env<T: std::str::FromStr>(k: &str, d: T) -> T {
    std::env::var(k)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(d)
}

fn ctx() -> RawCallContext {
    RawCallContext {
        system_name: Some("基准测试系统".into()),
        call_category: Some("1".into()),
        matter_name: Some("性能测试".into()),
        event_code: Some("BENCH0001".into()),
        copy_cause: Some("性能测试调用".into()),
        ..Default::default()
    }
}

/// CPU seconds this process has used (user + system), from `/proc/self/stat` (Linux; 0 where
/// it cannot be read). CPU per call is steadier than calls per second on a shared host.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name (which is in parentheses and may hold spaces): utime and
    // stime are the 12th and 13th, in clock ticks of 1/100 s (USER_HZ on Linux).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let ticks: Vec<f64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|v| v.parse().ok())
        .collect();
    ticks.iter().sum::<f64>() / 100.0
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx] as f64 / 1000.0
}

async fn load<F, Fut>(
    platform: Arc<Platform>,
    concurrency: usize,
    seconds: u64,
    make: F,
) -> (u64, u64, Vec<u64>, f64)
where
    F: Fn(Arc<Platform>, u64) -> Fut + Send + Sync + Clone + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let cpu_before = cpu_seconds();
    let stop = Arc::new(AtomicBool::new(false));
    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for w in 0..concurrency {
        let (p, stop, ok, failed, make) = (
            platform.clone(),
            stop.clone(),
            ok.clone(),
            failed.clone(),
            make.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut n = w as u64;
            while !stop.load(Ordering::Relaxed) {
                let t = Instant::now();
                if make(p.clone(), n).await {
                    ok.fetch_add(1, Ordering::Relaxed);
                } else {
                    failed.fetch_add(1, Ordering::Relaxed);
                }
                lat.push(t.elapsed().as_micros() as u64);
                n += concurrency as u64;
            }
            lat
        }));
    }
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort_unstable();
    let ok = ok.load(Ordering::Relaxed);
    let cpu_us_per_call = (cpu_seconds() - cpu_before) * 1e6 / (ok.max(1) as f64);
    (ok, failed.load(Ordering::Relaxed), all, cpu_us_per_call)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run());
}

async fn run() {
    let n: u64 = env("BENCH_LICENSES", 1_000_000);
    let concurrency: usize = env("BENCH_CONCURRENCY", 64);
    let seconds: u64 = env("BENCH_SECONDS", 10);
    // BENCH_KEEP_DIR: a directory kept between runs; its SQLite library is reused when it
    // already holds the licenses (repeat the query runs without re-importing).
    let kept = std::env::var_os("BENCH_KEEP_DIR").map(std::path::PathBuf::from);
    let dir = kept.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("platform-bench-{}", std::process::id()))
    });
    if kept.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    let store = match std::env::var("BENCH_DB_URL") {
        Ok(url) => SeaStore::connect(&url, 16).await.unwrap(),
        Err(_) => SeaStore::sqlite_in(&dir).await.unwrap(),
    };
    let reuse = kept.is_some() && store.count().await.unwrap_or(0) >= n;
    if !reuse {
        store.reset().await.unwrap();
    }
    println!(
        "backend: {:?}, licenses: {n}, concurrency: {concurrency}",
        store.backend()
    );
    let files = Arc::new(ObjectFileStore::local(dir.join("files")).unwrap());
    let engine = OfdEngine::new(
        NodeKey::generate("基准", "枣庄市").unwrap(),
        "基准章",
        TrustStore::default(),
        "http://127.0.0.1/v/",
    )
    .unwrap();
    let ports = Ports::from_store(
        Arc::new(store),
        files,
        Arc::new(engine),
        Arc::new(SystemClock),
    );
    let (platform, task) = Platform::new(ports, PlatformConfig::default());
    let platform = Arc::new(platform);

    // 1. Bulk import.
    let started = Instant::now();
    let chunk = 50_000u64;
    let mut imported = 0;
    let mut start = if reuse { n } else { 0 };
    while start < n {
        let end = (start + chunk).min(n);
        let text: String = (start..end).map(|i| import_line(i) + "\n").collect();
        let r = platform.import_jsonl(&text).await;
        assert!(
            r.rejected.is_empty(),
            "{:?}",
            &r.rejected[..r.rejected.len().min(3)]
        );
        imported += r.imported;
        start = end;
    }
    let import_secs = started.elapsed().as_secs_f64();
    println!(
        "import: {imported} licenses in {import_secs:.1} s ({:.0}/s)",
        imported as f64 / import_secs
    );

    // 2. A token and some identifiers.
    if !reuse {
        platform.add_client("bench", "bench-secret").await.unwrap();
        let mut acct = platform
            .create_account("bench", "bench-password", Role::ALL.to_vec(), vec![], None)
            .await
            .unwrap();
        acct.holder_search_per_minute = Some(u32::MAX);
        platform.update_account(&acct).await.unwrap();
    }
    let token = platform
        .issue_token(
            &Caller::default(),
            PasswordGrant {
                client_id: Some("bench".into()),
                client_secret: Some("bench-secret".into()),
                scope: None,
                username: Some("bench".into()),
                password: Some("bench-password".into()),
            },
        )
        .await
        .unwrap()
        .access_token;
    let sample = platform
        .search_licenses(&LicenseFilter {
            limit: 10_000,
            ..Default::default()
        })
        .await
        .unwrap();
    let ids: Arc<Vec<(String, String, String)>> = Arc::new(
        sample
            .items
            .iter()
            .map(|l| {
                (
                    l.identifier.to_string(),
                    l.holder_code.clone(),
                    l.cert_type_code.clone(),
                )
            })
            .collect(),
    );

    // 3a. Baseline: the bare look-up the interface makes, no token, no audit.
    let ids2 = ids.clone();
    let (ok, _, lat, cpu) = load(platform.clone(), concurrency, seconds, move |p, i| {
        let ids = ids2.clone();
        async move {
            let id = &ids[(i as usize * 7919) % ids.len()].0;
            p.ports()
                .licenses
                .find_by_key(id)
                .await
                .is_ok_and(|l| l.is_some())
        }
    })
    .await;
    println!(
        "baseline find_by_key: {:.0} calls/s, p50 {:.2} ms, p99 {:.2} ms, CPU {cpu:.0} µs/call",
        ok as f64 / seconds as f64,
        percentile(&lat, 0.5),
        percentile(&lat, 0.99)
    );

    // 3. ShareQueryCertInfo by identifier.
    let (tok, ids2) = (token.clone(), ids.clone());
    let (ok, failed, lat, cpu) = load(platform.clone(), concurrency, seconds, move |p, i| {
        let (tok, ids) = (tok.clone(), ids2.clone());
        async move {
            let id = &ids[(i as usize * 7919) % ids.len()].0;
            let caller = Caller {
                token: Some(tok),
                client_addr: None,
                request_id: String::new(),
            };
            let req = QueryCertInfoRequest {
                certificate_id: Some(id.clone()),
                interface_type: Some("1".into()),
                context: ctx(),
            };
            p.query_cert_info(&caller, req).await.is_ok()
        }
    })
    .await;
    println!(
        "ShareQueryCertInfo: {:.0} calls/s ({ok} ok, {failed} failed), p50 {:.2} ms, p99 {:.2} ms, CPU {cpu:.0} µs/call",
        ok as f64 / seconds as f64,
        percentile(&lat, 0.5),
        percentile(&lat, 0.99)
    );

    // 4. Holder searches.
    let (tok, ids2) = (token.clone(), ids.clone());
    let (ok, failed, lat, cpu) = load(
        platform.clone(),
        concurrency.min(16),
        seconds,
        move |p, i| {
            let (tok, ids) = (tok.clone(), ids2.clone());
            async move {
                let (_, holder, ctype) = &ids[(i as usize * 104_729) % ids.len()];
                let caller = Caller {
                    token: Some(tok),
                    client_addr: None,
                    request_id: String::new(),
                };
                let req = HolderQueryRequest {
                    holder_code: Some(holder.clone()),
                    holder_code_type: Some("111".into()),
                    cert_type_code: Some(ctype.clone()),
                    interface_type: Some("1".into()),
                    context: ctx(),
                    ..Default::default()
                };
                p.query_by_holder(&caller, req).await.is_ok()
            }
        },
    )
    .await;
    println!(
        "ShareQueryCertInfoByHo: {:.0} calls/s ({ok} ok, {failed} failed), p50 {:.2} ms, p99 {:.2} ms, CPU {cpu:.0} µs/call",
        ok as f64 / seconds as f64,
        percentile(&lat, 0.5),
        percentile(&lat, 0.99)
    );
    drop(platform);
    task.finish().await;
    if kept.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
}
