//! `BENCH_NODES=N`: the audited query on one node and on N nodes of one database server, the
//! load of one driver spread over them call by call (as a load balancer's round robin), in
//! rounds of 1 N N 1: calls/s, p99, the nodes' CPU per call (summed over the nodes serving) and
//! how busy the whole host was (the database server shares it).

use super::drivers::{DriverResult, rest_load};
use super::probes::{cpu_per_call, cpu_seconds, mean_of};
use super::{Load, QUERY_PATH, Server, env, serve};

/// The host's busy and total CPU time so far, in clock ticks (`/proc/stat`).
fn host_ticks() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let f: Vec<u64> = stat
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    let total: u64 = f.iter().sum();
    // idle and iowait
    let idle = f.get(3).copied().unwrap_or(0) + f.get(4).copied().unwrap_or(0);
    (total - idle, total)
}

/// Runs the comparison; `BENCH_NODES` nodes, the first (`first`: its pid and URL) serving
/// already.
pub(super) fn run(fleet: &Load<'_>, first: (u32, String)) -> Result<(), String> {
    let n: usize = env("BENCH_NODES", 1usize).max(1);
    if n > 1 && fleet.db.is_none_or(|u| u.starts_with("sqlite")) {
        return Err(
            "BENCH_NODES above 1 needs BENCH_DB_URL: the nodes share a database server".into(),
        );
    }
    // Every node keeps its files where the first one does.
    let files = format!("file://{}", fleet.dir.join("files").display());
    let mut settings = fleet.settings.to_vec();
    settings.push(("LICENSED_OBJECT_STORE_URL", &files));
    let mut others: Vec<(Server, String)> = Vec::new();
    for k in 2..=n {
        let home = fleet.dir.join(format!("node{k}"));
        std::fs::create_dir_all(&home).map_err(|e| e.to_string())?;
        let (server, base, _) = serve(fleet.bin, &home, fleet.db, &settings)?;
        others.push((server, base));
    }
    let pids: Vec<u32> = std::iter::once(first.0)
        .chain(others.iter().map(|(s, _)| s.0.id()))
        .collect();
    let urls: Vec<String> = std::iter::once(&first.1)
        .chain(others.iter().map(|(_, b)| b))
        .map(|b| format!("{b}{QUERY_PATH}"))
        .collect();
    let measure = |k: usize| -> Result<(DriverResult, f64, f64), String> {
        println!(
            "ShareQueryCertInfo on {k} node(s), {} Rust HTTP/1.1 clients, {} s…",
            fleet.connections, fleet.seconds
        );
        let cpu = || pids[..k].iter().map(|p| cpu_seconds(*p)).sum::<f64>();
        let (before, host_before) = (cpu(), host_ticks());
        let r = rest_load(
            &urls[..k],
            fleet.token,
            fleet.ids,
            fleet.tail,
            fleet.connections,
            fleet.seconds,
        )?;
        let c = cpu_per_call(before, cpu(), r.rps, fleet.seconds);
        let host_after = host_ticks();
        let busy = 100.0 * (host_after.0 - host_before.0) as f64
            / (host_after.1 - host_before.1).max(1) as f64;
        println!(
            "  {:.0} req/s, p99 {:.2} ms, failures {}, nodes' CPU {c:.0} µs/call, host {busy:.0} % busy",
            r.rps, r.p99_ms, r.failures
        );
        Ok((r, c, busy))
    };
    let (mut one, mut many, mut busy_one, mut busy_many) = (vec![], vec![], 0.0, 0.0);
    for _ in 0..fleet.rounds {
        for (k, into) in [(1, 0), (n, 1), (n, 1), (1, 0)] {
            let (r, c, busy) = measure(k)?;
            if into == 0 {
                one.push((r, c));
                busy_one += busy;
            } else {
                many.push((r, c));
                busy_many += busy;
            }
        }
    }
    let runs = (2 * fleet.rounds) as f64;
    let ((o, oc), (m, mc)) = (mean_of(&one), mean_of(&many));
    drop(others);
    println!();
    println!(
        "ShareQueryCertInfo on 1 node (mean of {} runs): {:.0} req/s, p99 {:.2} ms, failures {}, nodes' CPU {oc:.0} µs/call, host {:.0} % busy",
        one.len(),
        o.rps,
        o.p99_ms,
        o.failures,
        busy_one / runs
    );
    println!(
        "ShareQueryCertInfo on {n} nodes (mean of {} runs): {:.0} req/s ({:.2}x one node), p99 {:.2} ms, failures {}, nodes' CPU {mc:.0} µs/call ({:.2}x), host {:.0} % busy",
        many.len(),
        m.rps,
        m.rps / o.rps.max(1e-9),
        m.p99_ms,
        m.failures,
        mc / oc.max(1e-9),
        busy_many / runs
    );
    Ok(())
}
