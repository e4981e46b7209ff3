//! What the bench reads off the server and the host: `perf` records and counts, CPU time and
//! peak memory from `/proc`, `wrk` runs and their scripts, the trivial baseline endpoint.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::*;

/// What `BENCH_PERF=stat` counts.
pub(super) const STAT_EVENTS: &str = "raw_syscalls:sys_enter,syscalls:sys_enter_write,syscalls:sys_enter_writev,syscalls:sys_enter_sendto,syscalls:sys_enter_recvfrom,syscalls:sys_enter_futex,context-switches,task-clock";

/// Prints the counts of a `perf stat -x ,` output file per call of `calls`.
pub(super) fn print_stat(out: &Path, calls: f64) -> Result<(), String> {
    let text = std::fs::read_to_string(out).map_err(|e| e.to_string())?;
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let fields: Vec<&str> = line.split(',').collect();
        if let (Some(v), Some(event)) = (fields.first(), fields.get(2))
            && let Ok(v) = v.parse::<f64>()
        {
            println!("  {event}: {:.2} per call", v / calls.max(1.0));
        }
    }
    Ok(())
}

/// A `perf record` of a process, stopped (SIGINT) and waited for by [`Perf::finish`].
pub(super) struct Perf(Child);

impl Perf {
    pub(super) fn finish(mut self) -> Result<(), String> {
        let pid = self.0.id().to_string();
        run(Command::new("kill").args(["-INT", &pid]))?;
        self.0.wait().map(drop).map_err(|e| e.to_string())
    }
}

/// Starts `perf` on process `pid` into `out`: `stat` counts system calls and context switches,
/// `dwarf` records with call graphs from DWARF, anything else with frame pointers.
pub(super) fn perf_record(pid: u32, out: &Path, mode: &str) -> Result<Perf, String> {
    let mut perf = Command::new("perf");
    match mode {
        "stat" => perf.args(["stat", "-x", ",", "-e", STAT_EVENTS]),
        "dwarf" => perf.args(["record", "-q", "-F", "499", "--call-graph", "dwarf,16384"]),
        _ => perf.args(["record", "-q", "-F", "499", "--call-graph", "fp"]),
    };
    perf.args(["-p", &pid.to_string(), "-o"])
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(Perf)
        .map_err(|e| format!("perf: {e}"))
}

/// The server's CPU time so far (user + system), seconds.
pub(super) fn cpu_seconds(pid: u32) -> f64 {
    // Clock ticks a second, asked once (several readings bracket every run).
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    let ticks = *TICKS.get_or_init(|| {
        run(Command::new("getconf").arg("CLK_TCK"))
            .ok()
            .and_then(|s| s.trim().parse::<f64>().ok())
            .unwrap_or(100.0)
    });
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            // Fields after the command name (which may hold spaces) start at state (field 3).
            let rest = s.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            Some((f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?) / ticks)
        })
        .unwrap_or(0.0)
}

/// The mean of a driver's runs: throughput and server CPU per call averaged, p99 the worst,
/// failures summed.
pub(super) fn mean_of(runs: &[(DriverResult, f64)]) -> (DriverResult, f64) {
    let n = runs.len().max(1) as f64;
    (
        DriverResult {
            rps: runs.iter().map(|r| r.0.rps).sum::<f64>() / n,
            p99_ms: runs.iter().map(|r| r.0.p99_ms).fold(0.0, f64::max),
            failures: runs.iter().map(|r| r.0.failures).sum(),
        },
        runs.iter().map(|r| r.1).sum::<f64>() / n,
    )
}

/// Server CPU microseconds per call over a run: (CPU after − before) / calls.
pub(super) fn cpu_per_call(before: f64, after: f64, rps: f64, seconds: u32) -> f64 {
    let calls = rps * f64::from(seconds);
    if calls > 0.0 {
        (after - before) * 1e6 / calls
    } else {
        0.0
    }
}

pub(super) fn curl(args: &[&str]) -> Result<serde_json::Value, String> {
    let out = run(Command::new("curl").arg("-sf").args(args))?;
    serde_json::from_str(&out).map_err(|e| format!("{e}: {out}"))
}

/// Peak resident memory of a process so far, MiB.
pub(super) fn peak_rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

pub(super) struct WrkResult {
    pub(super) rps: f64,
    pub(super) p99_ms: f64,
    pub(super) non_2xx: u64,
}

pub(super) fn wrk(
    url: &str,
    script: &Path,
    connections: u32,
    seconds: u32,
) -> Result<WrkResult, String> {
    let out = run(Command::new("wrk")
        .args([
            "-t2",
            &format!("-c{connections}"),
            &format!("-d{seconds}s"),
            "--latency",
            "-s",
        ])
        .arg(script)
        .arg(url))?;
    let rps = out
        .lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| format!("no Requests/sec in {out}"))?;
    let p99 = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("99%"))
        .map(str::trim)
        .ok_or_else(|| format!("no 99% in {out}"))?;
    let p99_ms = if let Some(v) = p99.strip_suffix("ms") {
        v.parse().unwrap_or(f64::NAN)
    } else if let Some(v) = p99.strip_suffix("us") {
        v.parse::<f64>().unwrap_or(f64::NAN) / 1000.0
    } else if let Some(v) = p99.strip_suffix('s') {
        v.parse::<f64>().unwrap_or(f64::NAN) * 1000.0
    } else {
        f64::NAN
    };
    let non_2xx = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("Non-2xx or 3xx responses:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    Ok(WrkResult {
        rps,
        p99_ms,
        non_2xx,
    })
}

/// A wrk script: POSTs a form to `path`, `certificateID` drawn from `ids`.
pub(super) fn script(
    dir: &Path,
    name: &str,
    path: &str,
    token: &str,
    ids: &[String],
    extra: &str,
) -> PathBuf {
    let ids_lua: String = ids.iter().map(|i| format!("\"{i}\",")).collect();
    let text = format!(
        r#"local ids = {{{ids_lua}}}
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Bearer {token}"
request = function()
  local id = ids[math.random(#ids)]
  return wrk.format(nil, "{path}", nil, "certificateID=" .. id .. "{extra}")
end
"#
    );
    let p = dir.join(format!("{name}.lua"));
    std::fs::write(&p, text).expect("script written");
    p
}

/// A trivial axum JSON endpoint on a free port, served from this process: the baseline.
pub(super) fn baseline() -> Result<String, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    listener.set_nonblocking(true).map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let app = axum::Router::new().route(
                "/",
                axum::routing::post(|| async {
                    axum::Json(serde_json::json!({"head": {"status": "0"}, "data": null}))
                }),
            );
            let l = tokio::net::TcpListener::from_std(listener).expect("listener");
            let _ = axum::serve(l, app).await;
        });
    });
    Ok(format!("http://{addr}"))
}
