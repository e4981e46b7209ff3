//! `cargo xtask hostile`: what hostile callers can learn and stall, measured on the real
//! `licensed` binary (release build, or `BENCH_BIN`) serving a fresh SQLite data directory on
//! loopback.
//!
//! - Timing oracle: medians of sequential password grants — a known user with a wrong password
//!   against an unknown user, a known client with a wrong secret against an unknown client —
//!   interleaved so that drift falls on both alike, and the ratio unknown/known (1 when the
//!   time taken does not tell a known name from an unknown one).
//! - Stalling: `/healthz` and the audited query (`ShareQueryCertInfo` with a valid token and
//!   call context) answered one after the other, first on a quiet node, then while a flood of
//!   token requests with a wrong client secret runs, each flooding caller on a loopback
//!   address of its own (127.0.0.2 on) so that the per-address throttle of the token endpoint
//!   does not spare the node the secret checks; p50 and p99 of each, and loaded/quiet.
//!
//! The node runs on its defaults but for the login lockout, raised so that every wrong password
//! reaches the hash (a locked name answers at once, known or not). Each phase of the audited
//! query has an account of its own, so the per-account budget of personal-data calls is never
//! what answers. Every series of the timing oracle comes from an address of its own
//! (127.0.1.1 to 127.0.1.4), and each caller sends fewer token requests than the per-address
//! throttle's default allows in a minute.
//!
//! Options (environment): `BENCH_BIN` (a `licensed` binary to measure instead of building the
//! workspace's), `HOSTILE_DIR` (default `/var/tmp/license-hostile`; emptied first),
//! `HOSTILE_SAMPLES` (default 40: requests of each timing series), `HOSTILE_REQUESTS` (default
//! 200: sequential calls of each endpoint and phase, at most 500), `HOSTILE_INTERVAL_MS`
//! (default 20: a pair of calls started every so often, so that the loaded phase lasts a few
//! seconds), `HOSTILE_FLOOD` (default 200: concurrent wrong-secret token requests, one per
//! address, at most 250).

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::bench::{add_account, env, licensed, release_binary, run, serve};

/// The client every caller names.
const CLIENT: &str = "hostile";
const CLIENT_SECRET: &str = "hostile-secret";
const PASSWORD: &str = "hostile-password";
/// The call context of the audited query.
const CONTEXT: &str = "certificateSystemName=hostile&certificateCallCategory=0&certificateMatterName=hostile&certificateEventCode=H1&certificateCopyCause=load%20test";
const TOKEN_PATH: &str = "/license-api-release/oauth/token";
const API: &str = "/license-api-release/m/v/license/external/api";
/// The longest any one request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// The longest a flood or a measured phase may last.
const PHASE_LIMIT: Duration = Duration::from_secs(120);
/// Token requests a flooding caller sends at most: under the per-address throttle's default
/// (120 a minute), so that every one of them reaches the secret check.
const FLOOD_PER_ADDRESS: u32 = 100;

/// A fresh data directory: accounts `names`, client [`CLIENT`], a few sample licenses.
fn prepare(bin: &Path, dir: &Path, names: &[&str]) -> Result<(), String> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    for name in names {
        add_account(licensed(bin, dir, None), name, "info,search", PASSWORD)?;
    }
    run(licensed(bin, dir, None).args(["client", "add", CLIENT, "--secret", CLIENT_SECRET]))?;
    let file = dir.join("licenses.jsonl");
    let lines: Vec<String> = (0..30).map(license_platform::sample::import_line).collect();
    std::fs::write(&file, lines.join("\n") + "\n").map_err(|e| e.to_string())?;
    run(licensed(bin, dir, None)
        .args(["license", "import"])
        .arg(&file))?;
    let _ = std::fs::remove_file(&file);
    Ok(())
}

/// An HTTP/1.1 keep-alive client, bound to `from` when given.
fn client(from: Option<IpAddr>) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .http1_only()
        .timeout(REQUEST_TIMEOUT)
        .local_address(from)
        .build()
        .map_err(|e| e.to_string())
}

/// Posts a form; the status code and the body.
async fn post(
    c: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    body: String,
) -> Result<(u16, String), String> {
    let mut req = c
        .post(url)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body);
    if let Some(t) = token {
        req = req.header("Authorization", format!("Bearer {t}"));
    }
    let resp = req.send().await.map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let text = resp.text().await.map_err(|e| e.to_string())?;
    Ok((status, text))
}

/// A password-grant form.
fn grant(client_id: &str, secret: &str, username: &str, password: &str) -> String {
    format!(
        "grant_type=password&client_id={client_id}&client_secret={secret}&username={username}&password={password}"
    )
}

/// An access token of account `name`.
async fn token(c: &reqwest::Client, base: &str, name: &str) -> Result<String, String> {
    let (_, body) = post(
        c,
        &format!("{base}{TOKEN_PATH}"),
        None,
        grant(CLIENT, CLIENT_SECRET, name, PASSWORD),
    )
    .await?;
    let v: serde_json::Value = serde_json::from_str(&body).map_err(|e| format!("{e}: {body}"))?;
    v["access_token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("no token for {name}: {body}"))
}

/// The first string value of a `key` anywhere in `v`.
fn find_str<'a>(v: &'a serde_json::Value, key: &str) -> Option<&'a str> {
    match v {
        serde_json::Value::Object(m) => m
            .get(key)
            .and_then(serde_json::Value::as_str)
            .or_else(|| m.values().find_map(|x| find_str(x, key))),
        serde_json::Value::Array(a) => a.iter().find_map(|x| find_str(x, key)),
        _ => None,
    }
}

/// The identifier of sample license 0, found by its holder (`ShareQueryCertInfoByHolderCode`).
async fn sample_identifier(c: &reqwest::Client, base: &str, token: &str) -> Result<String, String> {
    let line: serde_json::Value = serde_json::from_str(&license_platform::sample::import_line(0))
        .map_err(|e| e.to_string())?;
    let (holder, kind) = (
        line["certificateHolderCode"].as_str().unwrap_or_default(),
        line["certTypeCode"].as_str().unwrap_or_default(),
    );
    let (_, body) = post(
        c,
        &format!("{base}{API}/ShareQueryCertInfoByHolderCode"),
        Some(token),
        format!(
            "certificateHolderCode={holder}&certificateHolderCodeType=111&certTypeCode={kind}&interfaceType=1&{CONTEXT}"
        ),
    )
    .await?;
    let v: serde_json::Value = serde_json::from_str(&body).map_err(|e| format!("{e}: {body}"))?;
    find_str(&v, "certificateID")
        .map(str::to_owned)
        .ok_or_else(|| format!("no certificateID in {body}"))
}

/// Milliseconds since `t`.
fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

/// The `q`-th percentile of `v` (sorted in place), nearest rank below.
fn percentile(v: &mut [f64], q: usize) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[(v.len() * q / 100).min(v.len() - 1)]
}

/// One timing series: a client bound to an address of its own, the form it sends and the
/// OAuth error it must answer.
struct Series {
    label: &'static str,
    client: reqwest::Client,
    form: String,
    error: &'static str,
    times: Vec<f64>,
    wrong_answers: u32,
}

/// The timing oracle: medians (ms) of the four series, in the order of `series`.
async fn timing(base: &str, samples: u32) -> Result<Vec<(&'static str, f64, u32)>, String> {
    let from = |last: u8| Some(IpAddr::V4(Ipv4Addr::new(127, 0, 1, last)));
    let mut series = [
        (
            "known user, wrong password",
            1,
            grant(CLIENT, CLIENT_SECRET, "hostile", "wrong-password"),
            "invalid_grant",
        ),
        (
            "unknown user",
            2,
            grant(CLIENT, CLIENT_SECRET, "hostile-nobody", "wrong-password"),
            "invalid_grant",
        ),
        (
            "known client, wrong secret",
            3,
            grant(CLIENT, "wrong-secret", "hostile", PASSWORD),
            "invalid_client",
        ),
        (
            "unknown client",
            4,
            grant("hostile-nobody", "wrong-secret", "hostile", PASSWORD),
            "invalid_client",
        ),
    ]
    .into_iter()
    .map(|(label, last, form, error)| {
        Ok(Series {
            label,
            client: client(from(last))?,
            form,
            error,
            times: Vec::new(),
            wrong_answers: 0,
        })
    })
    .collect::<Result<Vec<_>, String>>()?;
    let url = format!("{base}{TOKEN_PATH}");
    let started = Instant::now();
    // Two unmeasured rounds first: connections opened, lazily made hashes made.
    for round in 0..samples + 2 {
        if started.elapsed() > PHASE_LIMIT {
            break;
        }
        for s in &mut series {
            let t = Instant::now();
            let answer = post(&s.client, &url, None, s.form.clone()).await;
            let took = ms(t);
            if round < 2 {
                continue;
            }
            match answer {
                Ok((_, body)) if body.contains(s.error) => s.times.push(took),
                _ => s.wrong_answers += 1,
            }
        }
    }
    Ok(series
        .into_iter()
        .map(|mut s| (s.label, percentile(&mut s.times, 50), s.wrong_answers))
        .collect())
}

/// Latencies (ms) of `/healthz` and of the audited query.
struct Latencies {
    healthz: Vec<f64>,
    query: Vec<f64>,
    failures: u32,
}

/// `/healthz` and the audited query called in turn `n` times, a pair started every `interval`
/// (or as soon as the last one is answered, when that takes longer).
async fn sequential(
    c: &reqwest::Client,
    base: &str,
    token: &str,
    id: &str,
    n: u32,
    interval: Duration,
) -> Latencies {
    let mut l = Latencies {
        healthz: Vec::new(),
        query: Vec::new(),
        failures: 0,
    };
    let started = tokio::time::Instant::now();
    for i in 0..n {
        if started.elapsed() > PHASE_LIMIT {
            break;
        }
        tokio::time::sleep_until(started + interval * i).await;
        let t = Instant::now();
        let healthy = match c.get(format!("{base}/healthz")).send().await {
            Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
            Err(_) => false,
        };
        if healthy {
            l.healthz.push(ms(t));
        } else {
            l.failures += 1;
        }
        let t = Instant::now();
        match post(
            c,
            &format!("{base}{API}/ShareQueryCertInfo"),
            Some(token),
            format!("certificateID={id}&interfaceType=1&{CONTEXT}"),
        )
        .await
        {
            Ok((_, body)) if body.contains(r#""status":"0""#) => l.query.push(ms(t)),
            _ => l.failures += 1,
        }
    }
    l
}

/// What the flood's token requests were answered.
#[derive(Default)]
struct Flood {
    invalid_client: AtomicU64,
    throttled: AtomicU64,
    other: AtomicU64,
}

/// `n` callers, each on loopback address 127.0.0.(2 + k), sending token requests with a wrong
/// client secret back to back until `stop` (or [`FLOOD_PER_ADDRESS`] requests, or
/// [`PHASE_LIMIT`]).
fn flood(
    base: &str,
    n: u8,
    stop: &Arc<AtomicBool>,
    answers: &Arc<Flood>,
) -> Result<Vec<tokio::task::JoinHandle<()>>, String> {
    let url = Arc::new(format!("{base}{TOKEN_PATH}"));
    (0..n)
        .map(|k| {
            let c = client(Some(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2 + k))))?;
            let (url, stop, answers) = (url.clone(), stop.clone(), answers.clone());
            Ok(tokio::spawn(async move {
                let started = Instant::now();
                for _ in 0..FLOOD_PER_ADDRESS {
                    if stop.load(Ordering::Relaxed) || started.elapsed() > PHASE_LIMIT {
                        break;
                    }
                    let form = grant(CLIENT, &format!("wrong-secret-{k}"), "hostile", PASSWORD);
                    let counter = match post(&c, &url, None, form).await {
                        Ok((_, body)) if body.contains("invalid_client") => &answers.invalid_client,
                        Ok((_, body)) if body.contains("slow_down") => &answers.throttled,
                        _ => &answers.other,
                    };
                    counter.fetch_add(1, Ordering::Relaxed);
                }
            }))
        })
        .collect()
}

/// `cargo xtask hostile`.
pub fn main() -> Result<(), String> {
    let samples: u32 = env("HOSTILE_SAMPLES", 40u32).max(1);
    let requests: u32 = env("HOSTILE_REQUESTS", 200u32).clamp(1, 500);
    let interval = Duration::from_millis(env("HOSTILE_INTERVAL_MS", 20u64));
    let flooders: u8 = env("HOSTILE_FLOOD", 200u8).clamp(1, 250);
    let dir: PathBuf = env("HOSTILE_DIR", PathBuf::from("/var/tmp/license-hostile"));
    let bin = release_binary()?;
    println!("preparing a data directory in {}…", dir.display());
    prepare(&bin, &dir, &["hostile", "hostile-loaded"])?;
    let (server, base, _) = serve(
        &bin,
        &dir,
        None,
        &[("LICENSED_LOCKOUT_MAX_FAILURES", "1000000")],
    )?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let result = rt.block_on(measure(&base, samples, requests, interval, flooders));
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn measure(
    base: &str,
    samples: u32,
    requests: u32,
    interval: Duration,
    flooders: u8,
) -> Result<(), String> {
    let c = client(None)?;
    let quiet_token = token(&c, base, "hostile").await?;
    let loaded_token = token(&c, base, "hostile-loaded").await?;
    let id = sample_identifier(&c, base, &quiet_token).await?;

    println!("timing oracle: {samples} password grants of each kind, interleaved…");
    let t = timing(base, samples).await?;

    println!(
        "quiet: /healthz and ShareQueryCertInfo in turn, {requests} each, a pair every {} ms…",
        interval.as_millis()
    );
    let mut quiet = sequential(&c, base, &quiet_token, &id, requests, interval).await;

    println!(
        "loaded: the same while {flooders} callers from {flooders} addresses send token requests with a wrong client secret…"
    );
    let (stop, answers) = (Arc::new(AtomicBool::new(false)), Arc::new(Flood::default()));
    let load_client = client(None)?;
    // A call first on the measuring connection, so that it is open before the flood starts.
    let _ = load_client.get(format!("{base}/healthz")).send().await;
    let tasks = flood(base, flooders, &stop, &answers)?;
    // Every flooding caller connected and waiting on its first answer.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let answered_before = answers.invalid_client.load(Ordering::Relaxed);
    let started = Instant::now();
    let mut loaded = sequential(&load_client, base, &loaded_token, &id, requests, interval).await;
    let loaded_secs = started.elapsed().as_secs_f64();
    let answered_during = answers.invalid_client.load(Ordering::Relaxed) - answered_before;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        let _ = task.await;
    }

    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { f64::NAN };
    println!();
    println!("timing oracle (medians of {samples} sequential password grants):");
    for (label, median, wrong) in &t {
        println!(
            "  {label}: {median:.2} ms{}",
            if *wrong > 0 {
                format!(" ({wrong} answers not the expected error)")
            } else {
                String::new()
            }
        );
    }
    let user = ratio(t[1].1, t[0].1);
    let client_ratio = ratio(t[3].1, t[2].1);
    println!("  unknown/known user: {user:.2}");
    println!("  unknown/known client: {client_ratio:.2}");

    let (hq50, hq99) = (
        percentile(&mut quiet.healthz, 50),
        percentile(&mut quiet.healthz, 99),
    );
    let (qq50, qq99) = (
        percentile(&mut quiet.query, 50),
        percentile(&mut quiet.query, 99),
    );
    let (hl50, hl99) = (
        percentile(&mut loaded.healthz, 50),
        percentile(&mut loaded.healthz, 99),
    );
    let (ql50, ql99) = (
        percentile(&mut loaded.query, 50),
        percentile(&mut loaded.query, 99),
    );
    println!(
        "stalling ({} and {} calls of each, quiet and loaded; failures {} and {}):",
        quiet.healthz.len(),
        loaded.healthz.len(),
        quiet.failures,
        loaded.failures
    );
    println!(
        "  /healthz: quiet p50 {hq50:.2} ms, p99 {hq99:.2} ms; loaded p50 {hl50:.2} ms, p99 {hl99:.2} ms; loaded/quiet p99 {:.1}x",
        ratio(hl99, hq99)
    );
    println!(
        "  ShareQueryCertInfo: quiet p50 {qq50:.2} ms, p99 {qq99:.2} ms; loaded p50 {ql50:.2} ms, p99 {ql99:.2} ms; loaded/quiet p99 {:.1}x",
        ratio(ql99, qq99)
    );
    println!(
        "  flood: {answered_during} wrong secrets checked during the {loaded_secs:.1} s loaded phase ({:.0}/s); in all {} invalid_client, {} throttled, {} other",
        answered_during as f64 / loaded_secs.max(1e-9),
        answers.invalid_client.load(Ordering::Relaxed),
        answers.throttled.load(Ordering::Relaxed),
        answers.other.load(Ordering::Relaxed)
    );
    let holds = |ok: bool| if ok { "holds" } else { "does not hold" };
    println!("bounds:");
    println!(
        "  unknown/known within 20 % (users and clients): {}",
        holds((0.8..=1.2).contains(&user) && (0.8..=1.2).contains(&client_ratio))
    );
    println!("  /healthz loaded p99 under 20 ms: {}", holds(hl99 < 20.0));
    println!(
        "  ShareQueryCertInfo loaded p99 under 3x quiet: {}",
        holds(ql99 < 3.0 * qq99)
    );
    Ok(())
}
