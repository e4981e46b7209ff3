//! Three `licensed` processes on one database, as behind a load balancer. On SQLite they share
//! one data directory; on PostgreSQL and MariaDB (when `LICENSE_TEST_POSTGRES_URL` /
//! `LICENSE_TEST_MYSQL_URL` are set) each has a directory of its own and the files are on a
//! real S3 server (`LICENSE_TEST_S3_SERVER`; `.ci/run` sets it), so nothing a node keeps on
//! its disk may matter:
//!
//! - a token from A works on B and C; a link made on A downloads on B, and once only when links
//!   are single-use; six callers on the three asking at once for a license's first file leave
//!   one file of it in the store; no file lies on a node's disk;
//! - after a change commits on one node no node hands out a file, a link or a token on the old
//!   state: a license revoked on A answers 21 on B at once though B has just read it (files,
//!   links, and links made before); a cert type unpublished on C answers 13 on A; a client
//!   removed on C and an account disabled on B are refused on A;
//! - 20 concurrent wrong passwords spread over the three lock the account on all of them;
//! - nodes with directories of their own sign with one platform key, made once;
//! - two city nodes (and a third) queue pushes while their province is down: once it is back,
//!   each push reaches it exactly once, in order;
//! - one node killed (SIGKILL) under load: the others answer every call, every answered call
//!   is audited, no answered push is lost;
//! - the S3 server stopped: what needs a file answers 99, naming nothing of the store; queries
//!   still answer.

mod common;

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::s3::{S3, files_under};
use common::{
    API, Node, Reply, Served, context, enc, get, get_json, licenses, outbox_count, own_database,
    post_form, post_json, put_json, token, try_post_form, upstream_env,
};
use license_platform::sample::{SAMPLE_TYPES, citizen_id, import_line};

/// Licenses pushed while the province is down, and pushed under load.
const PUSHED: std::ops::Range<u64> = 3..15;
const PUSHED_UNDER_LOAD: std::ops::Range<u64> = 15..27;
/// The license whose first file six callers ask for at once.
const RACED: u64 = 27;
/// The cities' upstream timeout.
const TIMEOUT_MS: u64 = 3_000;

/// A share call on a node; the answer.
fn share(addr: &str, token: &str, name: &str, form: &str) -> Reply {
    let ctx = context("多节点测试", "多节点", "节点间一致");
    post_form(
        addr,
        &format!("{API}/{name}"),
        Some(token),
        &format!("{form}&{ctx}"),
    )
}

/// The homes of the three nodes: one data directory served three times on SQLite; on a
/// database server three of their own, with the files on the S3 server (or, without one, in
/// one shared directory).
struct Cluster {
    label: &'static str,
    homes: Vec<Node>,
    s3: Option<S3>,
}

impl Cluster {
    async fn new(label: &'static str, base: Option<String>) -> Cluster {
        let Some(base) = base else {
            let home = Node::fresh(&format!("nodes-{label}"), "city", None).await;
            return Cluster {
                label,
                homes: vec![home],
                s3: None,
            };
        };
        let db = own_database(&base, &format!("nodes_{label}")).await;
        let s3 = S3::start(&format!("nodes-{label}"));
        let mut first = Node::fresh(&format!("nodes-{label}-a"), "city", Some(db)).await;
        first.env = match &s3 {
            Some(s3) => s3.env(label),
            None => {
                let shared = first.dir.with_extension("files");
                vec![(
                    "LICENSED_OBJECT_STORE_URL",
                    format!("file://{}", shared.display()),
                )]
            }
        };
        let others = ["b", "c"].map(|n| Node {
            database_url: first.database_url.clone(),
            env: first.env.clone(),
            ..Node::sqlite(&format!("nodes-{label}-{n}"), "city")
        });
        let mut homes = vec![first];
        homes.extend(others);
        Cluster { label, homes, s3 }
    }

    /// The node that runs the operators' commands.
    fn home(&self) -> &Node {
        &self.homes[0]
    }

    /// Three nodes serving with this environment.
    fn serve(&self, env: &[(&str, String)]) -> Vec<Served> {
        (0..3)
            .map(|i| self.homes[i % self.homes.len()].serve("127.0.0.1:0", env))
            .collect()
    }

    /// The shared file store's files, as keys.
    fn stored(&self) -> Vec<String> {
        let root = match (&self.s3, self.homes.len()) {
            (Some(s3), _) => s3.root(self.label),
            (None, 1) => self.homes[0].dir.join("files"),
            (None, _) => self.homes[0].dir.with_extension("files"),
        };
        files_under(&root)
    }

    /// No node keeps a file on its own disk: each is in the object store.
    fn files_only_in_the_store(&self) {
        if self.s3.is_none() {
            return;
        }
        for home in &self.homes {
            assert!(
                !home.dir.join("files").exists(),
                "{}: files on {}",
                self.label,
                home.dir.display()
            );
        }
        let objects = self.stored();
        assert!(
            objects.iter().any(|o| o.starts_with("licenses/"))
                && objects.iter().any(|o| o.starts_with("copies/")),
            "{}: license files and copies in the bucket: {objects:?}",
            self.label
        );
    }

    fn remove(self) {
        for home in &self.homes {
            let _ = std::fs::remove_dir_all(&home.dir);
            let _ = std::fs::remove_dir_all(home.dir.with_extension("files"));
        }
    }
}

async fn suite(label: &'static str, base: Option<String>) {
    let mut cluster = Cluster::new(label, base).await;
    let home = cluster.home();
    if home.database_url.is_some() {
        platform_key(home, label);
    }
    home.provision("hall", "hall-client", "search,info,download,verify");
    home.provision("clerk", "clerk-client", "search,info,download,verify");
    home.provision("target", "target-client", "search");
    home.provision("root", "root-client", "admin");
    home.provision(
        "pusher",
        "pusher-client",
        "search,info,download,verify,sync,admin",
    );
    home.import(
        &(0..=RACED)
            .map(|i| import_line(i) + "\n")
            .collect::<String>(),
    );
    one_truth(&cluster);
    lockout(&cluster);
    pushes_and_a_crash(&cluster).await;
    cluster.files_only_in_the_store();
    store_down(&mut cluster);
    cluster.remove();
}

/// With the object store unreachable, what needs a file answers 99 with a request id and no
/// word of the store, and queries still answer.
fn store_down(cluster: &mut Cluster) {
    let Some(s3) = &mut cluster.s3 else { return };
    s3.stop();
    let label = cluster.label;
    let a = cluster.homes[0].start();
    let hall = token(&a.http, "hall", "hall-client");
    let root = token(&a.http, "root", "root-client");
    let id = licenses(&a.http, &root)
        .into_iter()
        .find(|l| l["certificateNumber"] == "N000000000")
        .and_then(|l| l["certIdentifier"].as_str().map(str::to_owned))
        .unwrap();
    let r = share(
        &a.http,
        &hall,
        "ShareDownloadUrl",
        &format!("certificateID={}", enc(&id)),
    );
    assert_eq!(r.status_code(), "99", "{label}: {r}");
    let text = r.text();
    assert!(
        !text.contains(&s3.endpoint) && !text.to_lowercase().contains("s3"),
        "{label}: {text}"
    );
    let q = format!("certificateID={}&interfaceType=1", enc(&id));
    let r = share(&a.http, &hall, "ShareQueryCertInfo", &q);
    assert_eq!(r.status_code(), "0", "{label}: {r}");
}

/// Tokens, links and changes across the three nodes.
fn one_truth(cluster: &Cluster) {
    let label = cluster.label;
    // Caches that would outlive the test: what hands out files must not consult them.
    let nodes = cluster.serve(&[
        ("LICENSED_SINGLE_USE_LINKS", "true".to_owned()),
        ("LICENSED_TOKEN_CACHE_TTL_MS", "600000".to_owned()),
        ("LICENSED_LICENSE_CACHE_TTL_MS", "600000".to_owned()),
    ]);
    let [a, b, c] = [0, 1, 2].map(|i| nodes[i].http.clone());
    let root = token(&a, "root", "root-client");
    let all = licenses(&a, &root);
    let id = |i: usize| {
        all.iter()
            .find(|l| l["certificateNumber"] == format!("N{i:09}"))
            .and_then(|l| l["certIdentifier"].as_str())
            .unwrap()
            .to_owned()
    };

    // A token from A works on B and C; a link made on A downloads on B, once.
    let hall = token(&a, "hall", "hall-client");

    // Six callers on the three nodes ask at once for the file of a license never downloaded:
    // each gets it, and the store keeps one file of it (the record decides; losers' go).
    let raced = id(RACED as usize);
    let form = format!("certificateIdentifier={}&interfaceType=1", enc(&raced));
    let answers: Vec<String> = std::thread::scope(|s| {
        let calls: Vec<_> = (0..6)
            .map(|i| {
                let (addr, hall, form) = (&nodes[i % 3].http, &hall, &form);
                s.spawn(move || share(addr, hall, "ShareDownloadFile", form).status_code())
            })
            .collect();
        calls.into_iter().map(|c| c.join().unwrap()).collect()
    });
    assert!(answers.iter().all(|c| c == "0"), "{label}: {answers:?}");
    let made: Vec<String> = cluster
        .stored()
        .into_iter()
        .filter(|k| k.starts_with("licenses/") && k.contains(&format!("/{raced}-v")))
        .collect();
    assert_eq!(made.len(), 1, "{label}: one file of the license: {made:?}");

    let query = format!("certificateID={}&interfaceType=1", enc(&id(0)));
    for n in [&b, &c] {
        let r = share(n, &hall, "ShareQueryCertInfo", &query);
        assert_eq!(r.status_code(), "0", "{label}: {r}");
    }
    let links = share(
        &a,
        &hall,
        "ShareDownloadUrl",
        &format!("certificateID={}", enc(&id(0))),
    );
    let url = links
        .field("fileUrl")
        .unwrap_or_else(|| panic!("{label}: {links}"));
    let path = url.split(a.as_str()).nth(1).unwrap();
    let got = get(&b, path);
    assert_eq!(got.status, 200, "{label}: a link from A on B: {got}");
    assert!(got.body.starts_with(b"PK"), "{label}: an OFD package");
    assert_eq!(get(&c, path).status, 404, "{label}: used up, on any node");

    // B reads the license and makes a copy and a link, then A revokes it: B refuses at once,
    // and the link made before answers 21 on any node.
    let file = format!("certificateIdentifier={}&interfaceType=1", enc(&id(1)));
    let q1 = format!("certificateID={}&interfaceType=1", enc(&id(1)));
    assert_eq!(
        share(&b, &hall, "ShareQueryCertInfo", &q1).status_code(),
        "0"
    );
    assert_eq!(
        share(&b, &hall, "ShareDownloadFile", &file).status_code(),
        "0"
    );
    let made = share(
        &b,
        &hall,
        "ShareDownloadUrl",
        &format!("certificateID={}", enc(&id(1))),
    );
    let made = made
        .field("fileUrl")
        .unwrap_or_else(|| panic!("{label}: {made}"));
    let made = made.split(b.as_str()).nth(1).unwrap().to_owned();
    let v = post_json(
        &a,
        &format!("/license-api-release/admin/licenses/{}/state", enc(&id(1))),
        &root,
        r#"{"change":"revoke","reason":"多节点测试：注销"}"#,
    );
    assert_eq!(v["head"]["status"], "0", "{label}: {v}");
    let link = format!("certificateID={}", enc(&id(1)));
    assert_eq!(
        share(&b, &hall, "ShareDownloadFile", &file).status_code(),
        "21",
        "{label}: a file on the old state"
    );
    assert_eq!(
        share(&b, &hall, "ShareDownloadUrl", &link).status_code(),
        "21",
        "{label}: a link on the old state"
    );
    let redeemed = get(&c, &made);
    assert_eq!(
        redeemed.status_code(),
        "21",
        "{label}: a link made before the revocation: {redeemed}"
    );

    // C unpublishes a cert type that A has just served links of: A refuses at once.
    let holder = format!(
        "certificateHolderCode={}&certificateHolderCodeType=111&certTypeCode={}&interfaceType=1",
        citizen_id(0),
        SAMPLE_TYPES[2]
    );
    let r = share(&a, &hall, "ShareDownloadUrlsByHolderCode", &holder);
    assert_eq!(r.status_code(), "0", "{label}: {r}");
    let root_c = token(&c, "root", "root-client");
    let v = put_json(
        &c,
        &format!("/license-api-release/admin/cert-types/{}", SAMPLE_TYPES[2]),
        &root_c,
        r#"{"published":false}"#,
    );
    assert_eq!(v["head"]["status"], "0", "{label}: {v}");
    let r = share(&a, &hall, "ShareDownloadUrlsByHolderCode", &holder);
    assert_eq!(r.status_code(), "13", "{label}: an unpublished type: {r}");

    // C removes a client whose token A has just served: A refuses that token at once.
    cluster
        .home()
        .provision("kiosk", "kiosk-client", "search,info,download,verify");
    let kiosk = token(&a, "kiosk", "kiosk-client");
    let own = format!("certificateIdentifier={}&interfaceType=1", enc(&id(0)));
    assert_eq!(
        share(&a, &kiosk, "ShareDownloadFile", &own).status_code(),
        "0"
    );
    let v = common::call(
        "DELETE",
        &c,
        "/license-api-release/admin/clients/kiosk-client",
        &[("Authorization", &format!("Bearer {root_c}"))],
        None,
    )
    .json();
    assert_eq!(v["head"]["status"], "0", "{label}: {v}");
    assert_eq!(
        share(&a, &kiosk, "ShareDownloadFile", &own).status_code(),
        "11",
        "{label}: a removed client's token on another node"
    );
    let r = common::login(&b, "kiosk", "kiosk-client");
    assert_eq!(r.status, 401, "{label}: no new token: {r}");

    // B disables an account that A has just served: A refuses its token at once.
    let clerk = token(&a, "clerk", "clerk-client");
    assert_eq!(
        share(&a, &clerk, "ShareDownloadFile", &own).status_code(),
        "0"
    );
    let root_b = token(&b, "root", "root-client");
    let v = post_json(
        &b,
        "/license-api-release/admin/accounts/clerk/enabled",
        &root_b,
        r#"{"enabled":false}"#,
    );
    assert_eq!(v["head"]["status"], "0", "{label}: {v}");
    assert_eq!(
        share(&a, &clerk, "ShareDownloadFile", &own).status_code(),
        "11",
        "{label}: a disabled account's token on another node"
    );
}

/// 20 concurrent wrong passwords spread over the three nodes: the right one is then refused
/// on every node.
fn lockout(cluster: &Cluster) {
    let nodes = cluster.serve(&[]);
    let addrs: Vec<&str> = nodes.iter().map(|n| n.http.as_str()).collect();
    common::locked_out_by_twenty(cluster.label, &addrs, "target", "target-client");
}

/// How many calls of an account to one interface a node's audit log holds.
fn audited(addr: &str, admin: &str, username: &str, interface: &str) -> u64 {
    let v = get_json(
        addr,
        &format!(
            "/license-api-release/admin/audit?username={username}&interface={interface}&size=1"
        ),
        admin,
    );
    assert_eq!(v["head"]["status"], "0", "{v}");
    v["data"]["total"].as_u64().unwrap()
}

/// Waits until the cities' outbox has nothing pending.
fn drain(addr: &str, admin: &str, label: &str) {
    let started = Instant::now();
    while outbox_count(addr, admin, "pending") > 0 {
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "{label}: the outbox did not drain"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(outbox_count(addr, admin, "failed"), 0, "{label}");
}

/// The province library by certificate number: its state, none twice.
fn province_library(addr: &str, admin: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for l in licenses(addr, admin) {
        let number = l["certificateNumber"].as_str().unwrap().to_owned();
        let state = l["state"].as_str().unwrap().to_owned();
        assert!(
            out.insert(number.clone(), state).is_none(),
            "{number} is in the province twice"
        );
    }
    out
}

/// The three as city nodes of one province: pushes queued on all of them while it is down
/// reach it once each; then one node is killed under load.
async fn pushes_and_a_crash(cluster: &Cluster) {
    let label = cluster.label;
    let pnode = Node::fresh(&format!("nodes-{label}-province"), "province", None).await;
    pnode.provision(
        "zaozhuang",
        "zaozhuang-client",
        "search,info,view,download,verify,sync",
    );
    pnode.provision("padmin", "padmin-client", "admin");
    let paddr = pnode.start().http;
    // (Dropped: the province is down until it serves again at this address.)
    let mut env = upstream_env(&format!("http://{paddr}"), "rest", TIMEOUT_MS);
    env.push(("LICENSED_PROVINCE_RETRY_BASE_MS", "100".into()));
    env.push(("LICENSED_PROVINCE_RETRY_MAX_MS", "1000".into()));
    let mut nodes: Vec<Option<Served>> = cluster.serve(&env).into_iter().map(Some).collect();
    let addrs: Vec<String> = nodes
        .iter()
        .map(|n| n.as_ref().unwrap().http.clone())
        .collect();
    let t = token(&addrs[0], "pusher", "pusher-client");
    let files: BTreeMap<String, String> = licenses(&addrs[0], &t)
        .into_iter()
        .map(|l| {
            (
                l["certificateNumber"].as_str().unwrap().to_owned(),
                l["fileNumber"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let push = |addr: &str, name: &str, i: u64| -> Result<String, String> {
        let form = format!("fileNumber={}", files[&format!("N{i:09}")]);
        try_post_form(addr, &format!("{API}/{name}"), Some(&t), &[], &form)
            .map(|r| r.status_code())
            .map_err(|e| e.to_string())
    };

    // The province is down: each push is queued by the node that took it, and the first
    // three are revoked there afterwards, through another node.
    for i in PUSHED {
        let r = push(&addrs[i as usize % 3], "insertToProvince", i);
        assert_eq!(r.as_deref(), Ok("1"), "{label}: queued");
    }
    for i in PUSHED.start..PUSHED.start + 3 {
        let r = push(&addrs[(i as usize + 1) % 3], "deleteToProvince", i);
        assert_eq!(r.as_deref(), Ok("1"), "{label}: queued");
    }
    let p = pnode.serve(&paddr, &[]);
    drain(&addrs[1], &t, label);
    let padmin = token(&p.http, "padmin", "padmin-client");
    let library = province_library(&p.http, &padmin);
    for i in PUSHED {
        let revoked = i < PUSHED.start + 3;
        assert_eq!(
            library.get(&format!("N{i:09}")).map(String::as_str),
            Some(if revoked { "revoked" } else { "valid" }),
            "{label}: {i}: {library:?}"
        );
    }
    // The province audits each push it applies as one call of its collection interface.
    assert_eq!(
        audited(&p.http, &padmin, "zaozhuang", "collect"),
        PUSHED.end - PUSHED.start + 3,
        "{label}: each push delivered once, by one node"
    );

    // Load on all three — downloads from four callers, pushes spread over them from a fifth —
    // and C is killed (SIGKILL) a third of the way in. A caller that finds C gone goes on with A and B.
    let down = AtomicBool::new(false);
    let answered = AtomicUsize::new(0);
    let in_flight_on_c = AtomicUsize::new(0);
    let pushed: Mutex<Vec<u64>> = Mutex::new(Vec::new());
    let hall = token(&addrs[0], "hall", "hall-client");
    let all = licenses(&addrs[0], &t);
    let id = all
        .iter()
        .find(|l| l["certificateNumber"] == "N000000000")
        .and_then(|l| l["certIdentifier"].as_str())
        .unwrap()
        .to_owned();
    let file = format!("certificateIdentifier={}&interfaceType=1", enc(&id));
    let before = audited(&addrs[0], &t, "hall", "ShareDownloadFile");
    std::thread::scope(|s| {
        for w in 0..4 {
            let (down, answered, in_flight_on_c, addrs, hall, file) =
                (&down, &answered, &in_flight_on_c, &addrs, &hall, &file);
            s.spawn(move || {
                for n in 0..30 {
                    let i = (w + n) % 3;
                    let i = if i == 2 && down.load(Ordering::SeqCst) {
                        n % 2
                    } else {
                        i
                    };
                    let ctx = context("多节点测试", "多节点", "节点间一致");
                    let form = format!("{file}&{ctx}");
                    let path = format!("{API}/ShareDownloadFile");
                    if i == 2 {
                        in_flight_on_c.fetch_add(1, Ordering::SeqCst);
                    }
                    let r = try_post_form(&addrs[i], &path, Some(hall), &[], &form);
                    if i == 2 {
                        in_flight_on_c.fetch_sub(1, Ordering::SeqCst);
                    }
                    match r {
                        Ok(r) => {
                            assert_eq!(r.status_code(), "0", "{label}: node {i}: {r}");
                            answered.fetch_add(1, Ordering::SeqCst);
                        }
                        Err(e) => {
                            assert!(i == 2, "{label}: node {i} stopped answering: {e}");
                            assert!(down.load(Ordering::SeqCst), "{label}: C failed: {e}");
                        }
                    }
                }
            });
        }
        let (down, pushed, answered) = (&down, &pushed, &answered);
        let (addrs, push) = (&addrs, &push);
        s.spawn(move || {
            // Spread over the load: one push per eight answered downloads.
            for (k, i) in PUSHED_UNDER_LOAD.enumerate() {
                let started = Instant::now();
                while answered.load(Ordering::SeqCst) < 8 * k
                    && started.elapsed() < Duration::from_secs(30)
                {
                    std::thread::sleep(Duration::from_millis(1));
                }
                let n = i as usize % 3;
                let n = if n == 2 && down.load(Ordering::SeqCst) {
                    0
                } else {
                    n
                };
                match push(&addrs[n], "insertToProvince", i) {
                    Ok(code) => {
                        assert_eq!(code, "0", "{label}: push {i} on node {n}");
                        pushed.lock().unwrap().push(i);
                    }
                    Err(e) => assert!(n == 2, "{label}: node {n} stopped answering: {e}"),
                }
            }
        });
        let started = Instant::now();
        while answered.load(Ordering::SeqCst) < 40 && started.elapsed() < Duration::from_secs(60) {
            std::thread::sleep(Duration::from_millis(2));
        }
        down.store(true, Ordering::SeqCst);
        nodes[2].take().unwrap().kill();
    });
    let answered = answered.load(Ordering::SeqCst) as u64;
    let audit = audited(&addrs[0], &t, "hall", "ShareDownloadFile");
    assert!(
        audit - before >= answered && audit - before <= answered + 4,
        "{label}: {answered} answered downloads, {} audited",
        audit - before
    );
    let started = Instant::now();
    drain(&addrs[0], &t, label);
    eprintln!(
        "[{label}] C killed under load: {answered} downloads answered, {} audited; {} pushes answered; the outbox drained {} ms later",
        audit - before,
        pushed.lock().unwrap().len(),
        started.elapsed().as_millis()
    );
    let library = province_library(&p.http, &padmin);
    for i in pushed.lock().unwrap().iter() {
        assert!(
            library.contains_key(&format!("N{i:09}")),
            "{label}: answered push {i} was lost"
        );
    }
    drop(nodes);
    let _ = std::fs::remove_dir_all(&pnode.dir);
}

/// On a database server, nodes with data directories of their own sign with one key: three
/// started together on a database without one store one between them.
fn platform_key(node: &Node, label: &str) {
    let others: Vec<Node> = (0..3)
        .map(|i| Node {
            database_url: node.database_url.clone(),
            env: node.env.clone(),
            ..Node::sqlite(&format!("nodes-{label}-key{i}"), "city")
        })
        .collect();
    let shown: Vec<String> = std::thread::scope(|s| {
        let started: Vec<_> = others
            .iter()
            .map(|n| s.spawn(move || n.cli(&["key", "show"])))
            .collect();
        started.into_iter().map(|t| t.join().unwrap()).collect()
    });
    assert!(shown[0].starts_with("-----BEGIN CERTIFICATE-----"));
    assert!(
        shown.iter().all(|c| *c == shown[0]),
        "{label}: one platform key"
    );
    assert_eq!(
        node.cli(&["key", "show"]),
        shown[0],
        "{label}: and for every later node"
    );
    for n in &others {
        assert!(
            !n.dir.join("keys").exists(),
            "{label}: nothing on a node's disk"
        );
        let _ = std::fs::remove_dir_all(&n.dir);
    }
}

on_every_database!(suite, "sqlite", "pg", "my");
