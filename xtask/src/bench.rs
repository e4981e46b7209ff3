//! `cargo xtask bench`: a load run of the real `licensed` binary (release build) with `wrk`
//! (Debian's package): `ShareQueryCertInfo` (city, token check, committed audit) against a
//! trivial axum JSON endpoint measured in the same run, then `ShareDownloadUrl` (annotated copy
//! and grant) in two passes — the first also makes the file of each sampled license never
//! downloaded before, the second finds every file made — with the server's peak RSS;
//! `QueryCertInfo` over gRPC is driven by as many concurrent tonic clients as wrk has
//! connections, sharing a few channels as gRPC clients do (HTTP/2 carries many calls on one
//! connection) — plain tonic channels, and channels whose connections batch their writes as
//! `GrpcClient`'s do (`license_grpc::BatchedConnector`) — on the same data in the same run,
//! and — so the comparison is not one of load drivers — REST is driven again the same way by
//! as many concurrent Rust HTTP/1.1 clients (reqwest, keep-alive). These go in rounds of
//! A B C C B A and are reported as means, since the library's audit log grows with every run;
//! then one gRPC run with a channel per client.
//! For every run by a Rust driver the server's CPU time per call is reported (from `/proc`),
//! which no driver's own cost can skew, and the driver's own: both share this machine's cores,
//! so a driver that costs more leaves the server less.
//! `wrk` must be installed (`apt-get install wrk`); it is checked before anything is imported.
//!
//! Options (environment): `BENCH_LICENSES` (default 1,000,000), `BENCH_DB_URL` (default SQLite
//! in the data directory; a PostgreSQL URL is emptied first), `BENCH_SECONDS` (default 20),
//! `BENCH_CONNECTIONS` (default 64), `BENCH_GRPC_CHANNELS` (default 4), `BENCH_ROUNDS` (default
//! 2: rounds of the REST and gRPC runs in the order A B C C B A), `BENCH_WARMUP_SECONDS`
//! (default 5: one unmeasured wrk run first), `BENCH_DIR` (default `/var/tmp/license-bench`),
//! `BENCH_BIN` (a `licensed` binary to measure instead of building the workspace's; settings it
//! does not know are not given to it, so an older build can be compared with the current one —
//! in a `BENCH_DIR` of its own, since a newer build migrates the database beyond what it reads),
//! `BENCH_PERF` (set: `perf record` of the server during each run by a Rust driver, into
//! `BENCH_DIR/perf-<run>.data`, for `perf report`; `dwarf` for call graphs from DWARF, since
//! release builds keep no frame pointers; `stat` for `perf stat` counts of system calls and
//! context switches instead, printed per call), `BENCH_NODES` (set: instead of the runs above,
//! the audited query on one node and on `BENCH_NODES` nodes of the `BENCH_DB_URL` database in
//! rounds of 1 N N 1, the load spread over the nodes call by call: calls/s and the nodes' CPU
//! per call; see `bench/nodes.rs`), `BENCH_SYNCHRONOUS` (set: instead, the audited query with
//! SQLite's `synchronous` as `full` and as `normal`), `BENCH_PURGE` (set: instead, its p99 quiet
//! and during `licensed purge` of `BENCH_PURGE_EVENTS` old audit events; `bench/upkeep.rs`).
//! The imported data directory is kept and reused while its license count is unchanged.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

mod drivers;
mod nodes;
mod probes;
mod upkeep;

use drivers::*;
use probes::*;

/// The audited query every load run measures.
const QUERY_PATH: &str = "/license-api-release/m/v/license/external/api/ShareQueryCertInfo";

pub(crate) fn env<T: std::str::FromStr>(k: &str, d: T) -> T {
    std::env::var(k)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(d)
}

/// What a measurement of the audited query on the prepared library needs.
pub(crate) struct Load<'a> {
    pub(crate) bin: &'a Path,
    pub(crate) dir: &'a Path,
    pub(crate) db: Option<&'a str>,
    pub(crate) settings: &'a [(&'a str, &'a str)],
    pub(crate) token: &'a str,
    pub(crate) ids: &'a [String],
    pub(crate) tail: &'a str,
    pub(crate) connections: u32,
    pub(crate) seconds: u32,
    pub(crate) rounds: usize,
}

/// A running `licensed serve`, stopped gracefully when dropped.
pub(crate) struct Server(pub(crate) Child);

impl Drop for Server {
    /// A graceful stop (SIGTERM), as an operator's: the node commits its last audit events and
    /// leaves its database checkpointed, so the next run does not start by recovering and
    /// copying the last one's write-ahead log under load. Killed after a minute.
    fn drop(&mut self) {
        let pid = self.0.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let started = Instant::now();
        while started.elapsed() < std::time::Duration::from_secs(60) {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// Runs a command to completion; its standard output, or an error with its standard error.
pub(crate) fn run(cmd: &mut Command) -> Result<String, String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `bin` on data directory `dir` (and database `db`), logging warnings only.
pub(crate) fn licensed(bin: &Path, dir: &Path, db: Option<&str>) -> Command {
    let mut c = Command::new(bin);
    c.env("LICENSED_DATA_DIR", dir).env("LICENSED_LOG", "warn");
    if let Some(url) = db {
        c.env("LICENSED_DATABASE_URL", url);
    }
    c
}

/// Adds account `name` with `roles` (comma-separated) and `password` through `licensed`,
/// the password given on standard input.
pub(crate) fn add_account(
    mut licensed: Command,
    name: &str,
    roles: &str,
    password: &str,
) -> Result<(), String> {
    let mut add = licensed
        .args(["account", "add", name, "--roles", roles, "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    add.stdin
        .take()
        .expect("piped")
        .write_all(format!("{password}\n").as_bytes())
        .map_err(|e| e.to_string())?;
    if !add.wait().map_err(|e| e.to_string())?.success() {
        return Err(format!("account add {name} failed"));
    }
    Ok(())
}

/// Imports `n` sample licenses into a fresh data directory (or database); seconds taken.
fn prepare(bin: &Path, dir: &Path, db: Option<&str>, n: u64) -> Result<Option<f64>, String> {
    let marker = dir.join(format!("imported-{n}"));
    if marker.exists() {
        return Ok(None);
    }
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    if let Some(url) = db
        && url.starts_with("postgres")
    {
        run(Command::new("psql").arg(url).args([
            "-q",
            "-c",
            "drop schema public cascade; create schema public",
        ]))?;
    }
    add_account(
        licensed(bin, dir, db),
        "bench",
        "search,info,view,download,verify,sync,admin",
        "bench-password",
    )?;
    run(licensed(bin, dir, db).args(["client", "add", "bench", "--secret", "bench-secret"]))?;
    let file = dir.join("licenses.jsonl");
    {
        let mut w =
            std::io::BufWriter::new(std::fs::File::create(&file).map_err(|e| e.to_string())?);
        for i in 0..n {
            writeln!(w, "{}", license_platform::sample::import_line(i))
                .map_err(|e| e.to_string())?;
        }
    }
    let started = Instant::now();
    let mut import = licensed(bin, dir, db);
    import.args(["license", "import"]).arg(&file);
    // The import's peak memory, where GNU time is installed.
    let timed = Path::new("/usr/bin/time");
    if timed.is_file() {
        let mut t = Command::new(timed);
        t.args(["-f", "import: peak RSS %M KiB, %e s"])
            .arg(import.get_program())
            .args(import.get_args())
            .envs(import.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))));
        import = t;
    }
    let out = import.output().map_err(|e| format!("{import:?}: {e}"))?;
    let said = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(format!("license import: {}", said.trim()));
    }
    for line in said.lines().filter(|l| l.starts_with("import: ")) {
        println!("{line}");
    }
    let secs = started.elapsed().as_secs_f64();
    let _ = std::fs::remove_file(&file);
    std::fs::write(&marker, b"").map_err(|e| e.to_string())?;
    Ok(Some(secs))
}

/// Whether `bin` takes the setting `var=value`: a build that does not know the key refuses
/// to start on it. Probed on `licensed healthcheck` against a closed port, once with the
/// variable and once without: a known key (with a valid value) leaves the answer unchanged.
pub(crate) fn knows_setting(bin: &Path, var: &str, value: &str) -> bool {
    let probe = |with: bool| {
        let mut c = Command::new(bin);
        c.arg("healthcheck")
            .env("LICENSED_HTTP_ADDR", "127.0.0.1:1")
            .env("LICENSED_LOG", "warn")
            .env_remove(var)
            .stdout(Stdio::null());
        if with {
            c.env(var, value);
        }
        c.output().ok().map(|o| (o.status.code(), o.stderr))
    };
    let without = probe(false);
    without.is_some() && probe(true) == without
}

/// The `licensed` binary to measure: `BENCH_BIN`, else the workspace's release build (built
/// first).
pub(crate) fn release_binary() -> Result<PathBuf, String> {
    if let Ok(bin) = std::env::var("BENCH_BIN") {
        let bin = PathBuf::from(bin);
        if !bin.is_file() {
            return Err(format!("BENCH_BIN {} is not a file", bin.display()));
        }
        println!("measuring {}", bin.display());
        return Ok(bin);
    }
    println!("building licensed (release)…");
    run(Command::new(env!("CARGO")).current_dir(workspace()).args([
        "build",
        "--release",
        "-p",
        "license-server",
        "--bin",
        "licensed",
    ]))?;
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| workspace().join("target"));
    Ok(target.join("release/licensed"))
}

/// The running server (settings `env` on top of the data directory's), its HTTP base URL and
/// its gRPC URL.
pub(crate) fn serve(
    bin: &Path,
    dir: &Path,
    db: Option<&str>,
    env: &[(&str, &str)],
) -> Result<(Server, String, String), String> {
    let mut child = licensed(bin, dir, db)
        .arg("serve")
        .env("LICENSED_HTTP_ADDR", "127.0.0.1:0")
        .env("LICENSED_GRPC_ADDR", "127.0.0.1:0")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let out = child.stdout.take().expect("piped");
    let server = Server(child);
    let mut out = BufReader::new(out);
    let mut read = |prefix: &str| -> Result<String, String> {
        let mut line = String::new();
        out.read_line(&mut line).map_err(|e| e.to_string())?;
        line.trim()
            .strip_prefix(prefix)
            .map(str::to_owned)
            .ok_or_else(|| format!("unexpected output {line:?}"))
    };
    let base = read("licensed listening on ")?;
    let grpc = read("licensed gRPC on ")?;
    Ok((server, base, grpc))
}

/// `cargo xtask bench`.
pub fn main() -> Result<(), String> {
    let n: u64 = env("BENCH_LICENSES", 1_000_000);
    let seconds: u32 = env("BENCH_SECONDS", 20);
    let connections: u32 = env("BENCH_CONNECTIONS", 64);
    let grpc_channels: u32 = env("BENCH_GRPC_CHANNELS", 4);
    let warmup: u32 = env("BENCH_WARMUP_SECONDS", 5);
    let rounds: usize = env("BENCH_ROUNDS", 2usize).max(1);
    let db = std::env::var("BENCH_DB_URL").ok();
    let root: PathBuf = env("BENCH_DIR", PathBuf::from("/var/tmp/license-bench"));
    let backend = db
        .as_deref()
        .map_or("sqlite", |u| u.split(':').next().unwrap_or("db"));
    let dir = root.join(format!("{backend}-{n}"));

    if Command::new("wrk").arg("-v").output().is_err() {
        return Err("wrk is not installed: apt-get install wrk (Debian's package)".into());
    }
    let bin = release_binary()?;
    // The budget of personal-data calls stays on (its cost is part of every call) but never
    // refuses the load; the load comes from one address. Given only to a build that knows them.
    let settings: Vec<(&str, &str)> = [
        ("LICENSED_RATE_LIMIT_PER_MINUTE", "4000000000"),
        ("LICENSED_TOKEN_REQUESTS_PER_ADDRESS_PER_MINUTE", "0"),
    ]
    .into_iter()
    .filter(|(k, v)| {
        let known = knows_setting(&bin, k, v);
        if !known {
            println!("{k}: not a setting of this build, not given");
        }
        known
    })
    .collect();

    println!("preparing {n} licenses on {backend} in {}…", dir.display());
    let import = prepare(&bin, &dir, db.as_deref(), n)?;
    let (server, base, grpc) = serve(&bin, &dir, db.as_deref(), &settings)?;
    let pid = server.0.id();
    let token = curl(&[
        "-X",
        "POST",
        &format!("{base}/license-api-release/oauth/token"),
        "-d",
        "grant_type=password&client_id=bench&client_secret=bench-secret&username=bench&password=bench-password",
    ])?["access_token"]
        .as_str()
        .ok_or("no token")?
        .to_owned();
    // Identifiers spread over the library (a few admin pages at different offsets).
    let mut ids = Vec::new();
    let pages = (n / 500).max(1);
    for k in 0..8u64 {
        let page = 1 + k * pages / 8;
        let v = curl(&[
            "-H",
            &format!("Authorization: Bearer {token}"),
            &format!("{base}/license-api-release/admin/licenses?size=250&page={page}"),
        ])?;
        for item in v["data"]["items"].as_array().into_iter().flatten() {
            if let Some(id) = item["fileNumber"].as_str() {
                ids.push(id.to_owned());
            }
        }
    }
    if ids.is_empty() {
        return Err("no licenses found".into());
    }
    let ctx = "&certificateSystemName=bench&certificateCallCategory=0&certificateMatterName=bench&certificateEventCode=B1&certificateCopyCause=load%20test";
    let work = root.join("scripts");
    std::fs::create_dir_all(&work).map_err(|e| e.to_string())?;
    let query = script(
        &work,
        "query",
        QUERY_PATH,
        &token,
        &ids,
        &format!("{ctx}&interfaceType=1"),
    );
    let links = script(
        &work,
        "links",
        "/license-api-release/m/v/license/external/api/ShareDownloadUrl",
        &token,
        &ids,
        ctx,
    );
    // Each scripted call answers status 0 before it is measured.
    for (path, extra) in [
        ("ShareQueryCertInfo", format!("{ctx}&interfaceType=1")),
        ("ShareDownloadUrl", ctx.to_owned()),
    ] {
        let v = curl(&[
            "-H",
            &format!("Authorization: Bearer {token}"),
            "-d",
            &format!("certificateID={}{extra}", ids[0]),
            &format!("{base}/license-api-release/m/v/license/external/api/{path}"),
        ])?;
        if v["head"]["status"] != "0" {
            return Err(format!("{path} does not answer 0: {v}"));
        }
    }
    let trivial = work.join("trivial.lua");
    std::fs::write(&trivial, "wrk.method = \"POST\"\n").map_err(|e| e.to_string())?;

    // Warm-up, not measured: hosts that page out file pages idle for 60 s (DAMON) would
    // otherwise read a library left idle since its import or the last run from disk in the
    // first seconds of the first measured run (docs/performance.md, "Warm-up").
    if warmup > 0 {
        println!(
            "warm-up: ShareQueryCertInfo, {connections} connections, {warmup} s (not measured)…"
        );
        wrk(&format!("{base}/"), &query, connections, warmup)?;
    }
    let load = Load {
        bin: &bin,
        dir: &dir,
        db: db.as_deref(),
        settings: &settings,
        token: &token,
        ids: &ids,
        tail: &format!("{ctx}&interfaceType=1"),
        connections,
        seconds,
        rounds,
    };
    if std::env::var_os("BENCH_SYNCHRONOUS").is_some() || std::env::var_os("BENCH_PURGE").is_some()
    {
        // These restart the node with settings of their own.
        drop(server);
        return if std::env::var_os("BENCH_SYNCHRONOUS").is_some() {
            upkeep::synchronous(&load)
        } else {
            upkeep::purge(&load)
        };
    }
    if std::env::var_os("BENCH_NODES").is_some() {
        return nodes::run(&load, (pid, base.clone()));
    }
    let base_url = baseline()?;
    println!("baseline: trivial axum JSON endpoint, {connections} connections, {seconds} s…");
    let b = wrk(&base_url, &trivial, connections, seconds)?;
    println!("ShareQueryCertInfo, {connections} connections, {seconds} s…");
    let c0 = cpu_seconds(pid);
    let q = wrk(&format!("{base}/"), &query, connections, seconds)?;
    let q_cpu = cpu_per_call(c0, cpu_seconds(pid), q.rps, seconds);
    // REST and gRPC by the same kind of driver in rounds of A B C C B A (then the gRPC run on
    // a connection per client), so none gains from running earlier — the library's audit log
    // grows with every run — and each figure is the mean of its runs.
    let rest_run = || {
        rest_load(
            &[format!("{base}{QUERY_PATH}")],
            &token,
            &ids,
            &format!("{ctx}&interfaceType=1"),
            connections,
            seconds,
        )
    };
    let grpc_run = |transport| grpc_load(&grpc, &token, &ids, connections, transport, seconds);
    let profile = std::env::var("BENCH_PERF").ok();
    let runs = std::cell::Cell::new(0u32);
    let measured = |label: &str,
                    run: &dyn Fn() -> Result<DriverResult, String>|
     -> Result<(DriverResult, f64), String> {
        println!("{label}, {seconds} s…");
        runs.set(runs.get() + 1);
        // What the server spends with no load, just before: work left from the last run.
        let idle_before = cpu_seconds(pid);
        std::thread::sleep(std::time::Duration::from_secs(1));
        let idle_ms = (cpu_seconds(pid) - idle_before) * 1e3;
        // Started after the idle second, so a profile or count holds the run alone.
        let perf = profile
            .as_deref()
            .map(|mode| {
                let out = root.join(format!("perf-{}.data", runs.get()));
                println!("  profiled into {}", out.display());
                perf_record(pid, &out, mode).map(|p| (p, out))
            })
            .transpose()?;
        let before = cpu_seconds(pid);
        let driver_before = cpu_seconds(std::process::id());
        let r = run()?;
        let cpu = cpu_per_call(before, cpu_seconds(pid), r.rps, seconds);
        // The load driver shares the machine: what it spends is not the server's to use.
        let driver = cpu_per_call(
            driver_before,
            cpu_seconds(std::process::id()),
            r.rps,
            seconds,
        );
        println!(
            "  {:.0} req/s, server CPU {cpu:.0} µs/call, driver CPU {driver:.0} µs/call (server idle before: {idle_ms:.0} ms CPU in 1 s)",
            r.rps
        );
        if let Some((p, out)) = perf {
            p.finish()?;
            if profile.as_deref() == Some("stat") {
                print_stat(&out, r.rps * f64::from(seconds))?;
            }
        }
        Ok((r, cpu))
    };
    let rest_label = format!("ShareQueryCertInfo, {connections} Rust HTTP/1.1 clients");
    let channels_label = |batched: bool| {
        format!(
            "QueryCertInfo over gRPC, {connections} tonic clients sharing {grpc_channels} tonic channels{}",
            if batched { " with batched writes" } else { "" }
        )
    };
    let channels = |batched| {
        let label = channels_label(batched);
        move || -> Result<(DriverResult, f64), String> {
            measured(&label, &|| {
                grpc_run(GrpcTransport::SharedChannels {
                    channels: grpc_channels,
                    batched,
                })
            })
        }
    };
    let (plain, batched) = (channels(false), channels(true));
    // Rounds of A B C C B A, so no driver gains from running earlier, and drift in the
    // shared host's speed over the rounds falls on all alike.
    let (mut rest, mut shared, mut shared_batched) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        rest.push(measured(&rest_label, &rest_run)?);
        shared.push(plain()?);
        shared_batched.push(batched()?);
        shared_batched.push(batched()?);
        shared.push(plain()?);
        rest.push(measured(&rest_label, &rest_run)?);
    }
    // Last, outside that order: in its middle, the run after this one was the slowest twice.
    let (g, g_cpu) = measured(
        &format!("QueryCertInfo over gRPC, {connections} tonic clients, a channel each"),
        &|| grpc_run(GrpcTransport::OwnChannel),
    )?;
    for (k, ((r, c), cb)) in rest
        .chunks(2)
        .zip(shared.chunks(2))
        .zip(shared_batched.chunks(2))
        .enumerate()
    {
        let ((r, r_cpu), (c, c_cpu), (cb, cb_cpu)) = (mean_of(r), mean_of(c), mean_of(cb));
        println!(
            "  round {}: REST {:.0} req/s at {r_cpu:.0} µs/call; gRPC on shared channels {:.0} req/s at {c_cpu:.0} µs/call ({:.2}x), with batched writes {:.0} req/s at {cb_cpu:.0} µs/call ({:.2}x)",
            k + 1,
            r.rps,
            c.rps,
            c.rps / r.rps,
            cb.rps,
            cb.rps / r.rps
        );
    }
    let (r, r_cpu) = mean_of(&rest);
    let (gc, gc_cpu) = mean_of(&shared);
    let (gb, gb_cpu) = mean_of(&shared_batched);
    // The first pass makes the signed file of each sampled license never downloaded before
    // (once per license, then kept); the second measures what every later download costs: the
    // annotated copy and its grant.
    println!("ShareDownloadUrl, 16 connections, {seconds} s (first pass)…");
    let l_first = wrk(&format!("{base}/"), &links, 16, seconds)?;
    println!("ShareDownloadUrl, 16 connections, {seconds} s (second pass)…");
    let l = wrk(&format!("{base}/"), &links, 16, seconds)?;
    let rss = peak_rss_mib(pid);
    drop(server);

    println!();
    println!("backend {backend}, {n} licenses");
    if let Some(s) = import {
        println!("import: {s:.1} s ({:.0} licenses/s)", n as f64 / s);
    }
    println!(
        "baseline (trivial axum JSON): {:.0} req/s, p99 {:.2} ms",
        b.rps, b.p99_ms
    );
    println!(
        "ShareQueryCertInfo (wrk): {:.0} req/s ({:.1} % of baseline), p99 {:.2} ms, non-2xx {}, server CPU {q_cpu:.0} µs/call",
        q.rps,
        100.0 * q.rps / b.rps,
        q.p99_ms,
        q.non_2xx
    );
    println!(
        "ShareQueryCertInfo (Rust HTTP/1.1 clients, mean of {} runs): {:.0} req/s, p99 {:.2} ms, failures {}, server CPU {r_cpu:.0} µs/call",
        rest.len(),
        r.rps,
        r.p99_ms,
        r.failures
    );
    for (label, g, cpu) in [
        ("tonic clients, a channel each".to_owned(), &g, g_cpu),
        (
            format!(
                "tonic clients sharing {grpc_channels} tonic channels, mean of {} runs",
                shared.len()
            ),
            &gc,
            gc_cpu,
        ),
        (
            format!(
                "tonic clients sharing {grpc_channels} tonic channels with batched writes, mean of {} runs",
                shared_batched.len()
            ),
            &gb,
            gb_cpu,
        ),
    ] {
        println!(
            "QueryCertInfo over gRPC ({label}): {:.0} req/s ({:.2}x REST by the same kind of driver, {:.2}x REST by wrk), p99 {:.2} ms, failures {}, server CPU {cpu:.0} µs/call ({:.2}x REST's)",
            g.rps,
            g.rps / r.rps,
            g.rps / q.rps,
            g.p99_ms,
            g.failures,
            if r_cpu > 0.0 { cpu / r_cpu } else { 0.0 }
        );
    }
    println!(
        "ShareDownloadUrl, first pass (makes the file of each of the {} sampled licenses not downloaded in an earlier run): {:.0} req/s, p99 {:.2} ms, non-2xx {}",
        ids.len(),
        l_first.rps,
        l_first.p99_ms,
        l_first.non_2xx
    );
    println!(
        "ShareDownloadUrl, second pass (every file made: annotated copy + grant): {:.0} req/s, p99 {:.2} ms, non-2xx {}",
        l.rps, l.p99_ms, l.non_2xx
    );
    println!("server peak RSS: {rss:.0} MiB");
    Ok(())
}
