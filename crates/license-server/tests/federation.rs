//! A city node and its province upstream as real `licensed` processes, on SQLite always and on
//! PostgreSQL and MariaDB when `LICENSE_TEST_POSTGRES_URL` / `LICENSE_TEST_MYSQL_URL` are set
//! (each node then gets a database of its own beside the named one).
//!
//! - Routing: `interfaceType=0` on the city answers from the province library over REST and
//!   gRPC, `1` from the city's own; `shengShiStateInfo` combines both; pushes travel over both
//!   transports.
//! - Province killed (SIGKILL) under a load of pushes and province queries: queries answer `1`
//!   within the timeout plus a margin, pushes answer `1` "queued"; restarted, the outbox drains
//!   and the province library ends exactly equal to what the city pushed.
//! - City killed mid-push: restarted, its outbox drains; nothing a caller was answered about is
//!   lost and nothing is duplicated.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{
    API, Node, holder_call, licenses, outbox_count, own_database, post_form, token, try_post_form,
    upstream_env,
};
use license_platform::sample::{SAMPLE_TYPES, citizen_id, import_line};

/// Licenses each fault test pushes.
const N: u64 = 30;
/// The city's upstream timeout in the fault tests.
const TIMEOUT_MS: u64 = 1_000;

/// The databases of a run: SQLite (none), or one of its own per node.
#[derive(Clone)]
struct Dbs {
    label: &'static str,
    base: Option<String>,
}

impl Dbs {
    async fn of(&self, node: &str) -> Option<String> {
        match &self.base {
            Some(url) => Some(own_database(url, node).await),
            None => None,
        }
    }

    async fn node(&self, name: &str, role: &'static str) -> Node {
        Node::fresh(&format!("{}-{name}", self.label), role, self.of(name).await).await
    }
}

fn holder_query(addr: &str, token: &str, holder: &str, interface_type: &str) -> String {
    holder_call(
        addr,
        "ShareQueryCertInfoByHo",
        token,
        holder,
        SAMPLE_TYPES[0],
        interface_type,
    )
    .text()
}

/// A sync call on one file number, with more of the form when given; its envelope.
fn sync_call(addr: &str, token: &str, name: &str, file: &str, more: &str) -> serde_json::Value {
    let form = format!("fileNumber={file}{more}");
    post_form(addr, &format!("{API}/{name}"), Some(token), &form).json()
}

fn status(v: &serde_json::Value) -> &str {
    v["head"]["status"].as_str().unwrap_or("?")
}

fn province_id(v: &serde_json::Value) -> String {
    v["data"]["dataList"][0]["certIdentifier"]
        .as_str()
        .unwrap_or_else(|| panic!("{v}"))
        .to_owned()
}

fn lines(range: std::ops::Range<u64>) -> String {
    range.map(|i| import_line(i) + "\n").collect()
}

/// A province serving, with the city's account (`zaozhuang`) and an administrator.
async fn province(dbs: &Dbs, name: &str) -> Node {
    let p = dbs.node(name, "province").await;
    p.provision(
        "zaozhuang",
        "zaozhuang-client",
        "search,info,view,download,verify,sync",
    );
    p.provision("padmin", "padmin-client", "admin");
    p
}

/// A city holding licenses `range`, with a hall account that may also administer.
async fn city(dbs: &Dbs, name: &str, range: std::ops::Range<u64>) -> Node {
    let c = dbs.node(name, "city").await;
    c.provision(
        "hall",
        "hall-client",
        "search,info,view,download,verify,sync,admin",
    );
    c.import(&lines(range));
    c
}

/// File numbers of the city's licenses by certificate number.
fn file_numbers(addr: &str, admin: &str) -> BTreeMap<String, String> {
    licenses(addr, admin)
        .into_iter()
        .map(|l| {
            (
                l["certificateNumber"].as_str().unwrap().to_owned(),
                l["fileNumber"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The province library by certificate number: (identifier, state), asserting none twice.
fn province_library(addr: &str, admin: &str) -> BTreeMap<String, (String, String)> {
    let all = licenses(addr, admin);
    let mut out = BTreeMap::new();
    for l in &all {
        let number = l["certificateNumber"].as_str().unwrap().to_owned();
        let previous = out.insert(
            number.clone(),
            (
                l["certIdentifier"].as_str().unwrap().to_owned(),
                l["state"].as_str().unwrap().to_owned(),
            ),
        );
        assert!(previous.is_none(), "{number} is in the province twice");
    }
    out
}

/// Waits until the city's outbox has nothing pending; how long it took.
fn drain(addr: &str, admin: &str, within: Duration) -> Duration {
    let started = Instant::now();
    while outbox_count(addr, admin, "pending") > 0 {
        assert!(
            started.elapsed() < within,
            "the outbox did not drain within {within:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    started.elapsed()
}

async fn routing(dbs: &Dbs) {
    // The province: one license (sample 0) in its library, an account for the city.
    let pnode = province(dbs, "route-province").await;
    pnode.import(&lines(0..1));
    let p = pnode.serve("127.0.0.1:0", &[]);
    let holder = citizen_id(0);
    let padmin = token(&p.http, "padmin", "padmin-client");

    for transport in ["rest", "grpc"] {
        // The city holds sample 30 (holder 10, same type), and one it pushes up: sample 40
        // (holder 13) or 50 (holder 16).
        let sample: u64 = if transport == "rest" { 40 } else { 50 };
        let cnode = city(dbs, &format!("route-city-{transport}"), 30..31).await;
        cnode.import(&lines(sample..sample + 1));
        let url = if transport == "rest" {
            format!("http://{}", p.http)
        } else {
            p.grpc.clone()
        };
        let c = cnode.serve("127.0.0.1:0", &upstream_env(&url, transport, 1_500));
        let t = token(&c.http, "hall", "hall-client");
        let from_province = holder_query(&c.http, &t, &holder, "0");
        assert!(
            from_province.contains("\"status\":\"0\"")
                && from_province.contains("\"type\":\"1\"")
                && from_province.contains("cert_identifier")
                && from_province.contains(&holder),
            "{transport}: {from_province}"
        );
        let from_city = holder_query(&c.http, &t, &holder, "1");
        assert!(
            from_city.contains("\"status\":\"10\""),
            "{transport}: the city library does not hold it: {from_city}"
        );
        // shengShiStateInfo combines both libraries, whatever interfaceType says.
        for (who, interface_type, province, city) in [
            (citizen_id(0), "1", "1", "0"),
            (citizen_id(10), "0", "0", "1"),
            (citizen_id(20), "1", "0", "0"),
        ] {
            let both = holder_call(
                &c.http,
                "shengShiStateInfo",
                &t,
                &who,
                SAMPLE_TYPES[0],
                interface_type,
            )
            .text();
            assert!(
                both.contains("\"status\":\"0\"")
                    && both.contains(&format!("\"shengIsExists\":\"{province}\""))
                    && both.contains(&format!("\"shiIsExists\":\"{city}\"")),
                "{transport} {who}: {both}"
            );
            assert_eq!(
                both.contains("\"data\":null"),
                province == "0" && city == "0",
                "{transport} {who}: {both}"
            );
        }
        // The city pushes its license up over this transport; then both libraries hold it.
        let number = format!("N{sample:09}");
        let file_number = file_numbers(&c.http, &t)[&number].clone();
        let pushed = sync_call(&c.http, &t, "insertToProvince", &file_number, "");
        assert_eq!(status(&pushed), "0", "{transport}: {pushed}");
        let id = province_id(&pushed);
        let again = sync_call(&c.http, &t, "insertToProvince", &file_number, "");
        assert_eq!(province_id(&again), id, "{transport}: idempotent");
        let updated = sync_call(
            &c.http,
            &t,
            "updateToProvince",
            &file_number,
            &format!("&certIdentifier={id}"),
        );
        assert_eq!(status(&updated), "0", "{transport}: {updated}");
        assert!(updated["data"].is_null(), "{updated}");
        let both = holder_call(
            &c.http,
            "shengShiStateInfo",
            &t,
            &citizen_id(sample / 3),
            SAMPLE_TYPES[0],
            "1",
        )
        .text();
        assert!(
            both.contains("\"shengIsExists\":\"1\"") && both.contains("\"shiIsExists\":\"1\""),
            "{transport}: {both}"
        );
        let deleted = sync_call(&c.http, &t, "deleteToProvince", &file_number, "");
        assert_eq!(status(&deleted), "0", "{transport}: {deleted}");
        let library = province_library(&p.http, &padmin);
        assert_eq!(
            library.get(&number).map(|l| l.1.as_str()),
            Some("revoked"),
            "{library:?}"
        );
    }
}

async fn province_killed(dbs: &Dbs) {
    let pnode = province(dbs, "pk-province").await;
    let mut p = Some(pnode.serve("127.0.0.1:0", &[]));
    let paddr = p.as_ref().unwrap().http.clone();
    let cnode = city(dbs, "pk-city", 0..N).await;
    let mut env = upstream_env(&format!("http://{paddr}"), "rest", TIMEOUT_MS);
    env.push(("LICENSED_PROVINCE_RETRY_BASE_MS", "100".into()));
    env.push(("LICENSED_PROVINCE_RETRY_MAX_MS", "1000".into()));
    let c = cnode.serve("127.0.0.1:0", &env);
    let t = token(&c.http, "hall", "hall-client");
    let files: Vec<String> = file_numbers(&c.http, &t).into_values().collect();
    assert_eq!(files.len() as u64, N);
    let push = |i: usize| sync_call(&c.http, &t, "insertToProvince", &files[i], "");

    // A third goes up while the province is there; one of them is revoked there.
    let third = files.len() / 3;
    let mut ids = BTreeMap::new();
    for i in 0..third {
        let v = push(i);
        assert_eq!(status(&v), "0", "{v}");
        ids.insert(i, province_id(&v));
    }
    let v = sync_call(&c.http, &t, "deleteToProvince", &files[0], "");
    assert_eq!(status(&v), "0", "{v}");

    // The province is killed. Queries answer 1 promptly; pushes answer 1, queued.
    drop(p.take());
    let margin = Duration::from_millis(TIMEOUT_MS + 2_000);
    for i in third..files.len() {
        let started = Instant::now();
        let v = push(i);
        assert_eq!(status(&v), "1", "{v}");
        assert!(
            v["head"]["message"].as_str().unwrap().contains("queued"),
            "{v}"
        );
        assert!(started.elapsed() < margin, "{:?}", started.elapsed());
        if i % 5 == 0 {
            let started = Instant::now();
            let q = holder_query(&c.http, &t, &citizen_id(0), "0");
            assert!(q.contains("\"status\":\"1\""), "{q}");
            assert!(started.elapsed() < margin, "{:?}", started.elapsed());
        }
    }
    // Changes to licenses already up queue behind nothing and wait too.
    let v = sync_call(&c.http, &t, "deleteToProvince", &files[1], "");
    assert_eq!(status(&v), "1", "{v}");
    let v = sync_call(
        &c.http,
        &t,
        "updateToProvince",
        &files[2],
        &format!("&certIdentifier={}", ids[&2]),
    );
    assert_eq!(status(&v), "1", "{v}");
    assert_eq!(
        outbox_count(&c.http, &t, "pending"),
        (files.len() - third) as u64 + 2
    );

    // The province comes back at the same address: the outbox drains by itself.
    let restarted = Instant::now();
    let p = pnode.serve(&paddr, &[]);
    let up = restarted.elapsed();
    let drained = drain(&c.http, &t, Duration::from_secs(60));
    eprintln!(
        "[{}] outbox of {} pushes drained {} ms after the province was serving again (restart took {} ms)",
        dbs.label,
        files.len() - third + 2,
        drained.as_millis(),
        up.as_millis()
    );
    assert_eq!(outbox_count(&c.http, &t, "failed"), 0);

    // The province library is exactly what the city pushed: each license once, 0 and 1
    // revoked, the rest valid.
    let padmin = token(&p.http, "padmin", "padmin-client");
    let library = province_library(&p.http, &padmin);
    let numbers: BTreeSet<String> = (0..N).map(|i| format!("N{i:09}")).collect();
    assert_eq!(library.keys().cloned().collect::<BTreeSet<_>>(), numbers);
    for (number, (_, state)) in &library {
        let revoked = number == "N000000000" || number == "N000000001";
        assert_eq!(state, if revoked { "revoked" } else { "valid" }, "{number}");
    }
    // Asked again, every push answers the identifier the province holds.
    for (i, file) in files.iter().enumerate() {
        let v = sync_call(&c.http, &t, "insertToProvince", file, "");
        assert_eq!(status(&v), "0", "{v}");
        let id = province_id(&v);
        if let Some(before) = ids.get(&i) {
            assert_eq!(&id, before);
        }
        assert!(library.values().any(|(pid, _)| *pid == id), "{id}");
    }
}

async fn city_killed(dbs: &Dbs) {
    let pnode = province(dbs, "ck-province").await;
    let p = pnode.serve("127.0.0.1:0", &[]);
    let cnode = city(dbs, "ck-city", 0..N).await;
    let mut env = upstream_env(&format!("http://{}", p.http), "rest", TIMEOUT_MS);
    env.push(("LICENSED_PROVINCE_RETRY_BASE_MS", "100".into()));
    env.push(("LICENSED_PROVINCE_RETRY_MAX_MS", "1000".into()));
    let c = cnode.serve("127.0.0.1:0", &env);
    let t = token(&c.http, "hall", "hall-client");
    let files: Arc<Vec<String>> = Arc::new(file_numbers(&c.http, &t).into_values().collect());

    // Three callers push concurrently; the city is killed after a third of the answers.
    let answered = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..3)
        .map(|w| {
            let (files, answered, addr, t) =
                (files.clone(), answered.clone(), c.http.clone(), t.clone());
            std::thread::spawn(move || {
                let mut got = Vec::new();
                for i in (w..files.len()).step_by(3) {
                    let form = format!("fileNumber={}", files[i]);
                    let path = format!("{API}/insertToProvince");
                    let Ok(r) = try_post_form(&addr, &path, Some(&t), &[], &form) else {
                        break;
                    };
                    let v = r.json();
                    got.push((i, status(&v).to_owned()));
                    answered.fetch_add(1, Ordering::SeqCst);
                }
                got
            })
        })
        .collect();
    while answered.load(Ordering::SeqCst) < files.len() / 3 {
        std::thread::sleep(Duration::from_millis(1));
    }
    drop(c);
    let answers: Vec<(usize, String)> = workers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    assert!(answers.len() >= files.len() / 3);
    assert!(answers.iter().all(|(_, s)| s == "0"), "{answers:?}");

    // Restarted, the city delivers whatever it had recorded.
    let c = cnode.serve("127.0.0.1:0", &env);
    let t = token(&c.http, "hall", "hall-client");
    let drained = drain(&c.http, &t, Duration::from_secs(60));
    eprintln!(
        "[{}] city restarted after {} answered pushes; its outbox drained in {} ms",
        dbs.label,
        answers.len(),
        drained.as_millis()
    );
    let padmin = token(&p.http, "padmin", "padmin-client");
    let library = province_library(&p.http, &padmin);
    for (i, _) in &answers {
        assert!(
            library.contains_key(&format!("N{i:09}")),
            "answered push {i} was lost"
        );
    }
    // Every license pushed again: answered, none twice at the province.
    for file in files.iter() {
        let v = sync_call(&c.http, &t, "insertToProvince", file, "");
        assert_eq!(status(&v), "0", "{v}");
    }
    let library = province_library(&p.http, &padmin);
    assert_eq!(library.len() as u64, N);
    assert_eq!(outbox_count(&c.http, &t, "failed"), 0);
}

async fn suite(label: &'static str, base: Option<String>) {
    let dbs = Dbs { label, base };
    routing(&dbs).await;
    province_killed(&dbs).await;
    city_killed(&dbs).await;
}

on_every_database!(suite, "sq", "pg", "my");
