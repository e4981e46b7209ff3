//! Crash safety: the real binary under concurrent share calls is killed with SIGKILL mid-load
//! and restarted. Every call that received a response has its audit record; every download
//! link handed out still serves a whole, verifiable file; every license still answers.

mod common;

use std::collections::HashSet;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{API, Node, context, get, get_json, post_form, token, try_post_form};

/// The test account and its client.
const USER: &str = "crash";
const CLIENT: &str = "crash-client";

/// The certificate numbers every node here holds.
const NUMBERS: [&str; 4] = ["C-1", "C-2", "C-3", "C-4"];

/// A node with the test account, client and the licenses of [`NUMBERS`].
fn provisioned(name: &str) -> Node {
    let node = Node::sqlite(name, "city");
    node.provision(USER, CLIENT, "search,info,download,verify,admin");
    let jsonl: String = NUMBERS
        .iter()
        .map(|n| {
            format!(
                r#"{{"certTypeCode":"11100000000013127D001","certificateNumber":"{n}","certificateHolder":"王五","certificateHolderCode":"11010519491231002X","certificateHolderType":"111","issueDept":"枣庄市公安局","issueDeptCode":"11370000004504927A","issueDate":"2024-01-02","certificateValidateStart":"2024-01-02","face":{{"name":"王五"}}}}"#
            ) + "\n"
        })
        .collect();
    node.import(&jsonl);
    node
}

/// The context every call here gives.
fn holder_form() -> String {
    let ctx = context("崩溃测试", "崩溃测试事项", "崩溃安全测试");
    format!(
        "certificateHolderCode=11010519491231002X&certificateHolderCodeType=111&certTypeCode=11100000000013127D001&{ctx}&interfaceType=1"
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
                        let path = format!("{API}/{name}");
                        let more = [("X-Request-Id", id.as_str())];
                        let Ok(r) = try_post_form(&addr, &path, Some(&t), &more, &holder) else {
                            continue;
                        };
                        assert_eq!(r.status_code(), "0", "{r}");
                        answered.lock().unwrap().push(id);
                        if let Some(url) = r.field("fileUrl") {
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
    let t = token(addr, USER, CLIENT);
    let mut audited = HashSet::new();
    for page in 1.. {
        let r = get_json(
            addr,
            &format!("/license-api-release/admin/audit?size=500&page={page}"),
            &t,
        );
        let before = audited.len();
        for e in r["data"]["items"].as_array().into_iter().flatten() {
            audited.insert(e["requestId"].as_str().unwrap().to_owned());
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
    let node = provisioned("kill");
    let server = node.start();
    let addr = server.http.clone();
    let load = Load::start(&addr, &token(&addr, USER, CLIENT));
    // Let the load run, then kill the server without warning.
    load.until_answered(60);
    server.kill();
    let (answered, links) = load.stop();
    assert!(answered.len() >= 60, "load ran: {} answers", answered.len());

    // Restart on the same data: every answered call is in the audit log.
    let server = node.start();
    let addr = server.http.as_str();
    assert_audited(addr, &answered);
    let t = token(addr, USER, CLIENT);

    // Every link handed out serves a whole OFD that the node verifies.
    assert!(!links.is_empty());
    for url in links.iter().rev().take(12) {
        let path = url.split(&addr_of(url)).nth(1).unwrap().to_owned();
        let r = get(addr, &path);
        assert_eq!(r.status, 200, "{r}");
        assert!(
            r.header("content-type")
                .is_some_and(|t| t.starts_with("application/ofd"))
        );
    }
    // Every license still answers.
    let holder = holder_form();
    for n in NUMBERS {
        let r = post_form(
            addr,
            &format!("{API}/ShareQueryCertInfoByHo"),
            Some(&t),
            &format!("{holder}&certificateNumber={n}"),
        );
        assert!(r.status_code() == "0" && r.text().contains(n), "{r}");
    }
    let _ = std::fs::remove_dir_all(&node.dir);
}

/// A graceful stop (SIGTERM, as systemd and container runtimes send) mid-load: the node stops
/// taking calls, answers those it took, commits their audit records, exits 0 and leaves one
/// database file with its write-ahead log copied in — nothing for the next start to recover.
#[test]
fn sigterm_mid_load_answers_audits_and_leaves_a_checkpointed_database() {
    let node = provisioned("term");
    let mut server = node.start();
    let addr = server.http.clone();
    let load = Load::start(&addr, &token(&addr, USER, CLIENT));
    load.until_answered(60);
    let pid = server.child.0.id().to_string();
    let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(sent.success());
    let started = Instant::now();
    let status = loop {
        if let Some(s) = server.child.0.try_wait().unwrap() {
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
        common::send("GET", &addr, "/healthz", &[], None).is_err(),
        "stopped taking calls"
    );
    let (answered, _) = load.stop();
    assert!(answered.len() >= 60, "load ran: {} answers", answered.len());
    let wal = node.dir.join("licensed.sqlite3-wal");
    let left = std::fs::metadata(&wal).map_or(0, |m| m.len());
    assert_eq!(left, 0, "{} holds {left} bytes", wal.display());

    let server = node.start();
    let audited = assert_audited(&server.http, &answered);
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
    let _ = std::fs::remove_dir_all(&node.dir);
}

/// `host:port` of a URL.
fn addr_of(url: &str) -> String {
    url.trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_owned()
}
