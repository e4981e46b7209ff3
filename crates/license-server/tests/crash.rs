//! Crash safety: the real binary under concurrent share calls is killed with SIGKILL mid-load
//! and restarted. Every call that received a response has its audit record; every download
//! link handed out still serves a whole, verifiable file; every license still answers.

mod common;

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Demo, enc, field, post_form, try_http};

const BIN: &str = env!("CARGO_BIN_EXE_licensed");

fn cli(dir: &Path, args: &[&str], stdin: Option<&str>) {
    let mut child = Command::new(BIN)
        .args(args)
        .env("LICENSED_DATA_DIR", dir)
        .env("LICENSED_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    if let Some(s) = stdin {
        child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success(), "licensed {args:?}");
}

/// Starts `licensed serve` on a free port; its address.
fn serve(dir: &Path) -> (Demo, String) {
    let mut child = Command::new(BIN)
        .arg("serve")
        // A load of one account from one address: the budgets are not what is tested here.
        .env("LICENSED_RATE_LIMIT_PER_MINUTE", "0")
        .env("LICENSED_TOKEN_REQUESTS_PER_ADDRESS_PER_MINUTE", "0")
        .env("LICENSED_DATA_DIR", dir)
        .env("LICENSED_HTTP_ADDR", "127.0.0.1:0")
        .env("LICENSED_GRPC_ADDR", "127.0.0.1:0")
        .env("LICENSED_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(dir.join("server.log"))
                .unwrap(),
        )
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let server = Demo(child);
    let mut line = String::new();
    BufReader::new(out).read_line(&mut line).unwrap();
    let addr = line
        .trim()
        .strip_prefix("licensed listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    (server, addr)
}

fn token(addr: &str) -> String {
    let r = post_form(
        addr,
        "/license-api-release/oauth/token",
        None,
        "grant_type=password&client_id=crash-client&client_secret=crash-secret&username=crash&password=crash-password",
    );
    field(&r, "access_token").unwrap_or_else(|| panic!("{r}"))
}

fn request(addr: &str, token: &str, id: &str, name: &str, body: &str) -> String {
    format!(
        "POST /license-api-release/m/v/license/external/api/{name} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nAuthorization: Bearer {token}\r\nX-Request-Id: {id}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("licensed-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The certificate numbers every node here holds.
const NUMBERS: [&str; 4] = ["C-1", "C-2", "C-3", "C-4"];

/// A data directory with the test account, client and the licenses of [`NUMBERS`].
fn provisioned(name: &str) -> PathBuf {
    let dir = temp_dir(name);
    cli(
        &dir,
        &[
            "account",
            "add",
            "crash",
            "--roles",
            "search,info,download,verify,admin",
            "--password-stdin",
        ],
        Some("crash-password\n"),
    );
    cli(
        &dir,
        &["client", "add", "crash-client", "--secret", "crash-secret"],
        None,
    );
    let jsonl: String = NUMBERS
        .iter()
        .map(|n| {
            format!(
                r#"{{"certTypeCode":"11100000000013127D001","certificateNumber":"{n}","certificateHolder":"王五","certificateHolderCode":"11010519491231002X","certificateHolderType":"111","issueDept":"枣庄市公安局","issueDeptCode":"11370000004504927A","issueDate":"2024-01-02","certificateValidateStart":"2024-01-02","face":{{"name":"王五"}}}}"#
            ) + "\n"
        })
        .collect();
    std::fs::write(dir.join("licenses.jsonl"), jsonl).unwrap();
    cli(
        &dir,
        &[
            "license",
            "import",
            dir.join("licenses.jsonl").to_str().unwrap(),
        ],
        None,
    );

    dir
}

/// The context every call here gives.
fn holder_form() -> String {
    let ctx = format!(
        "certificateSystemName={}&certificateCallCategory=0&certificateMatterName={}&certificateEventCode=E1&certificateCopyCause={}&interfaceType=1",
        enc("崩溃测试"),
        enc("崩溃测试事项"),
        enc("崩溃安全测试")
    );
    format!(
        "certificateHolderCode=11010519491231002X&certificateHolderCodeType=111&certTypeCode=11100000000013127D001&{ctx}"
    )
}

/// Six clients calling holder queries and download links in a loop, each call with its own
/// request id; a call counts as answered once its whole response arrived.
struct Load {
    answered: Arc<Mutex<Vec<String>>>,
    links: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    workers: Vec<std::thread::JoinHandle<()>>,
}

impl Load {
    fn start(addr: &str, t: &str) -> Load {
        let holder = holder_form();
        let answered: Arc<Mutex<Vec<String>>> = Arc::default();
        let links: Arc<Mutex<Vec<String>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let workers = (0..6)
            .map(|w| {
                let (addr, t, holder, answered, links, stop) = (
                    addr.to_owned(),
                    t.to_owned(),
                    holder.clone(),
                    answered.clone(),
                    links.clone(),
                    stop.clone(),
                );
                std::thread::spawn(move || {
                    let mut n = 0;
                    while !stop.load(Ordering::Relaxed) {
                        n += 1;
                        let id = format!("crash-{w}-{n}");
                        let name = if n % 3 == 0 {
                            "ShareDownloadUrlsByHolderCode"
                        } else {
                            "ShareQueryCertInfoByHo"
                        };
                        let Some(r) = try_http(&addr, &request(&addr, &t, &id, name, &holder))
                        else {
                            continue;
                        };
                        assert!(r.contains("\"status\":\"0\""), "{r}");
                        answered.lock().unwrap().push(id);
                        if let Some(url) = field(&r, "fileUrl") {
                            links.lock().unwrap().push(url);
                        }
                    }
                })
            })
            .collect();
        Load {
            answered,
            links,
            stop,
            workers,
        }
    }

    /// Waits until `n` calls were answered (at most a minute).
    fn until_answered(&self, n: usize) {
        let started = Instant::now();
        while self.answered.lock().unwrap().len() < n && started.elapsed() < Duration::from_secs(60)
        {
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops the clients; the answered calls' request ids and the links handed out.
    fn stop(self) -> (Vec<String>, Vec<String>) {
        self.stop.store(true, Ordering::Relaxed);
        for w in self.workers {
            w.join().unwrap();
        }
        let answered = self.answered.lock().unwrap().clone();
        let links = self.links.lock().unwrap().clone();
        (answered, links)
    }
}

/// Every answered call has its audit record on the node at `addr`; the request ids audited.
fn assert_audited(addr: &str, answered: &[String]) -> HashSet<String> {
    let t = token(addr);
    let mut audited = HashSet::new();
    for page in 1.. {
        let r = common::http(
            addr,
            &format!(
                "GET /license-api-release/admin/audit?size=500&page={page} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nAuthorization: Bearer {t}\r\n\r\n"
            ),
        );
        let before = audited.len();
        for part in r.split("\"requestId\":\"").skip(1) {
            audited.insert(part.split('"').next().unwrap().to_owned());
        }
        if audited.len() == before {
            break;
        }
    }
    let missing: Vec<&String> = answered
        .iter()
        .filter(|id| !audited.contains(*id))
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} answered calls have no audit record: {:?}",
        missing.len(),
        answered.len(),
        &missing[..missing.len().min(5)]
    );
    audited
}

#[test]
fn sigkill_mid_load_loses_no_audit_record_and_no_file() {
    let dir = provisioned("kill");
    let (mut server, addr) = serve(&dir);
    let load = Load::start(&addr, &token(&addr));
    // Let the load run, then kill the server without warning.
    load.until_answered(60);
    server.0.kill().unwrap();
    server.0.wait().unwrap();
    let (answered, links) = load.stop();
    assert!(answered.len() >= 60, "load ran: {} answers", answered.len());

    // Restart on the same data: every answered call is in the audit log.
    let (_server, addr) = serve(&dir);
    assert_audited(&addr, &answered);
    let t = token(&addr);

    // Every link handed out serves a whole OFD that the node verifies.
    assert!(!links.is_empty());
    for url in links.iter().rev().take(12) {
        let path = url.split(&addr_of(url)).nth(1).unwrap().to_owned();
        let r = common::http(
            &addr,
            &format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
        );
        assert!(r.starts_with("HTTP/1.1 200"), "{}", &r[..r.len().min(300)]);
        assert!(r.contains("application/ofd"));
    }
    // Every license still answers.
    let holder = holder_form();
    for n in NUMBERS {
        let r = post_form(
            &addr,
            "/license-api-release/m/v/license/external/api/ShareQueryCertInfoByHo",
            Some(&t),
            &format!("{holder}&certificateNumber={n}"),
        );
        assert!(r.contains("\"status\":\"0\"") && r.contains(n), "{r}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A graceful stop (SIGTERM, as systemd and container runtimes send) mid-load: the node stops
/// taking calls, answers those it took, commits their audit records, exits 0 and leaves one
/// database file with its write-ahead log copied in — nothing for the next start to recover.
#[test]
fn sigterm_mid_load_answers_audits_and_leaves_a_checkpointed_database() {
    let dir = provisioned("term");
    let (mut server, addr) = serve(&dir);
    let load = Load::start(&addr, &token(&addr));
    load.until_answered(60);
    let pid = server.0.id().to_string();
    let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(sent.success());
    let started = Instant::now();
    let status = loop {
        if let Some(s) = server.0.try_wait().unwrap() {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "still running 30 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "exit after SIGTERM: {status:?}");
    assert!(
        try_http(
            &addr,
            &format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\n\r\n")
        )
        .is_none(),
        "stopped taking calls"
    );
    let (answered, _) = load.stop();
    assert!(answered.len() >= 60, "load ran: {} answers", answered.len());
    let wal = dir.join("licensed.sqlite3-wal");
    let left = std::fs::metadata(&wal).map_or(0, |m| m.len());
    assert_eq!(left, 0, "{} holds {left} bytes", wal.display());

    let (_server, addr) = serve(&dir);
    let audited = assert_audited(&addr, &answered);
    // The calls in flight at the signal were finished: a call whose audit record was
    // committed (just before its answer leaves) got its whole answer. A SIGKILL breaks this;
    // a graceful stop that dropped open connections would too.
    let answered: HashSet<&String> = answered.iter().collect();
    let dropped: Vec<&String> = audited
        .iter()
        .filter(|id| id.starts_with("crash-") && !answered.contains(id))
        .collect();
    assert!(
        dropped.is_empty(),
        "audited but never answered (dropped in flight): {dropped:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `host:port` of a URL.
fn addr_of(url: &str) -> String {
    url.trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_owned()
}
