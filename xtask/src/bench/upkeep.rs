//! Two measurements for running a node for years, on the audited query (`ShareQueryCertInfo`,
//! Rust HTTP/1.1 clients):
//!
//! - `BENCH_SYNCHRONOUS=1`: SQLite's `synchronous` as `full` and as `normal`, the node
//!   restarted with each in rounds of F N N F: calls/s and p99 of each, and their ratio;
//! - `BENCH_PURGE=1`: `BENCH_PURGE_EVENTS` (default 1,000,000) audit events 30 to 40 days
//!   old are added to the library, the node serves with a 7-day retention, and the query is
//!   measured quiet, then while `licensed purge` archives and deletes them: p99 of each and the
//!   ratio, the purge's time and what it reported.

use std::process::Stdio;
use std::time::Instant;

use license_core::ports::{AuditEvent, AuditStore};
use license_core::{Interface, ReturnCode};

use super::drivers::{DriverResult, rest_load};
use super::{Load, QUERY_PATH, Server, env, licensed, serve};

impl Load<'_> {
    /// One measured run against `base`.
    fn measure(&self, label: &str, base: &str) -> Result<DriverResult, String> {
        println!(
            "{label}: ShareQueryCertInfo, {} Rust HTTP/1.1 clients, {} s…",
            self.connections, self.seconds
        );
        let r = rest_load(
            &[format!("{base}{QUERY_PATH}")],
            self.token,
            self.ids,
            self.tail,
            self.connections,
            self.seconds,
        )?;
        println!(
            "  {:.0} req/s, p99 {:.2} ms, failures {}",
            r.rps, r.p99_ms, r.failures
        );
        Ok(r)
    }

    /// A node on the library with `extra` settings.
    fn node(&self, extra: &[(&str, &str)]) -> Result<(Server, String), String> {
        let mut settings = self.settings.to_vec();
        settings.extend_from_slice(extra);
        let (server, base, _) = serve(self.bin, self.dir, self.db, &settings)?;
        Ok((server, base))
    }
}

fn mean(runs: &[DriverResult]) -> (f64, f64) {
    let n = runs.len().max(1) as f64;
    (
        runs.iter().map(|r| r.rps).sum::<f64>() / n,
        runs.iter().map(|r| r.p99_ms).sum::<f64>() / n,
    )
}

/// `BENCH_SYNCHRONOUS`: `full` against `normal` (SQLite only).
pub(super) fn synchronous(load: &Load<'_>) -> Result<(), String> {
    if load.db.is_some_and(|u| !u.starts_with("sqlite")) {
        return Err("BENCH_SYNCHRONOUS measures SQLite: leave BENCH_DB_URL unset".into());
    }
    let (mut full, mut normal) = (Vec::new(), Vec::new());
    for _ in 0..load.rounds {
        for mode in ["full", "normal", "normal", "full"] {
            let (server, base) = load.node(&[("LICENSED_SQLITE_SYNCHRONOUS", mode)])?;
            let r = load.measure(&format!("synchronous = {mode}"), &base)?;
            drop(server);
            if mode == "full" {
                full.push(r);
            } else {
                normal.push(r);
            }
        }
    }
    let ((f, fp), (n, np)) = (mean(&full), mean(&normal));
    println!();
    println!(
        "synchronous = full (mean of {} runs): {f:.0} req/s, p99 {fp:.2} ms",
        full.len()
    );
    println!(
        "synchronous = normal (mean of {} runs): {n:.0} req/s, p99 {np:.2} ms",
        normal.len()
    );
    println!(
        "full / normal: {:.2}x calls/s, {:.2}x p99",
        f / n.max(1e-9),
        fp / np.max(1e-9)
    );
    Ok(())
}

/// Adds `count` audit events between 30 and 40 days old, in batches.
async fn old_events(url: &str, count: u64, ids: &[String]) -> Result<(), String> {
    let store = license_store::SeaStore::connect(url, 2)
        .await
        .map_err(|e| e.to_string())?;
    let now = chrono::Utc::now();
    let span = 10 * 86_400 * 1_000_000i64;
    let mut batch = Vec::with_capacity(2_000);
    for i in 0..count {
        let age = 30 * 86_400 * 1_000_000i64
            + span * i64::try_from(i).unwrap_or(0) / i64::try_from(count).unwrap_or(1).max(1);
        batch.push(AuditEvent {
            at: now - chrono::Duration::microseconds(age),
            request_id: format!("old-{i}"),
            interface: Interface::ShareQueryCertInfo,
            username: Some("bench".into()),
            client_addr: Some("127.0.0.1".into()),
            context: None,
            operator: None,
            code: ReturnCode::Success,
            licenses: vec![ids[(i as usize) % ids.len()].clone()],
            holder_code: None,
            in_library: false,
            latency_us: 100,
            purpose: None,
        });
        if batch.len() == 2_000 || i + 1 == count {
            store.append(&batch).await.map_err(|e| e.to_string())?;
            batch.clear();
        }
    }
    store.close().await.map_err(|e| e.to_string())
}

/// `BENCH_PURGE`: the query quiet and while a purge of old events runs.
pub(super) fn purge(load: &Load<'_>) -> Result<(), String> {
    let count: u64 = env("BENCH_PURGE_EVENTS", 1_000_000);
    let url = load.db.map_or_else(
        || {
            format!(
                "sqlite://{}?mode=rwc",
                load.dir.join("licensed.sqlite3").display()
            )
        },
        str::to_owned,
    );
    println!("adding {count} audit events 30 to 40 days old…");
    let started = Instant::now();
    tokio::runtime::Runtime::new()
        .map_err(|e| e.to_string())?
        .block_on(old_events(&url, count, load.ids))?;
    println!("  {:.0} s", started.elapsed().as_secs_f64());
    // No purge but the measured one: the node's own would start after a week.
    let retention = [
        ("LICENSED_AUDIT_RETENTION_DAYS", "7"),
        ("LICENSED_PURGE_INTERVAL_SECS", "604800"),
    ];
    let (server, base) = load.node(&retention)?;
    let quiet = load.measure("quiet", &base)?;
    let started = Instant::now();
    let mut purge = licensed(load.bin, load.dir, load.db)
        .envs(retention)
        .arg("purge")
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    // Runs one after another until the purge ends (the last may outlast it).
    let mut during = Vec::new();
    loop {
        let k = during.len() + 1;
        during.push(load.measure(&format!("during the purge, run {k}"), &base)?);
        if purge.try_wait().map_err(|e| e.to_string())?.is_some() {
            break;
        }
    }
    let out = purge.wait_with_output().map_err(|e| e.to_string())?;
    let took = started.elapsed().as_secs_f64();
    drop(server);
    let (rps, p99) = mean(&during);
    let worst = during.iter().map(|r| r.p99_ms).fold(0.0, f64::max);
    println!();
    println!("quiet: {:.0} req/s, p99 {:.2} ms", quiet.rps, quiet.p99_ms);
    println!(
        "during the purge ({} runs): {rps:.0} req/s ({:.2}x quiet), p99 {p99:.2} ms ({:.2}x quiet), worst run's p99 {worst:.2} ms ({:.2}x quiet)",
        during.len(),
        rps / quiet.rps.max(1e-9),
        p99 / quiet.p99_ms.max(1e-9),
        worst / quiet.p99_ms.max(1e-9),
    );
    println!(
        "purge of {count} events: {took:.0} s, exit {}, {}",
        out.status,
        String::from_utf8_lossy(&out.stdout).trim()
    );
    Ok(())
}
