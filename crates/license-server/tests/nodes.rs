//! Several `licensed` processes on one database and one data directory, as behind a load
//! balancer: a token made on one works on another; after a change commits on one node no node
//! hands out a file or a link on the old state — a license revoked on A answers 21 on B at
//! once, though B has just read it; an account disabled on B is refused on A at once; a link
//! made on A downloads on B, once when links are single-use; nodes with directories of their
//! own on a database server sign with one platform key. On SQLite always, on PostgreSQL and
//! MariaDB when `LICENSE_TEST_POSTGRES_URL` / `LICENSE_TEST_MYSQL_URL` are set.

mod common;

use common::{API, Node, context, enc, get, licenses, own_database, post_form, post_json, token};
use license_platform::sample::import_line;

/// A share call on a node; its envelope's status.
fn share(addr: &str, token: &str, name: &str, form: &str) -> common::Reply {
    let ctx = context("多节点测试", "多节点", "节点间一致");
    post_form(
        addr,
        &format!("{API}/{name}"),
        Some(token),
        &format!("{form}&{ctx}"),
    )
}

async fn one_truth(label: &str, base: Option<String>) {
    let db = match base {
        Some(url) => Some(own_database(&url, &format!("nodes_{label}")).await),
        None => None,
    };
    let node = Node::fresh(&format!("nodes-{label}"), "city", db).await;
    if node.database_url.is_some() {
        platform_key(&node, label);
    }
    node.provision("hall", "hall-client", "search,info,download,verify");
    node.provision("clerk", "clerk-client", "search,info,download,verify");
    node.provision("root", "root-client", "admin");
    node.import(&(0..2).map(|i| import_line(i) + "\n").collect::<String>());
    // Caches that would outlive the test: what hands out files must not consult them.
    let single_use = [
        ("LICENSED_SINGLE_USE_LINKS", "true".to_owned()),
        ("LICENSED_TOKEN_CACHE_TTL_MS", "600000".to_owned()),
        ("LICENSED_LICENSE_CACHE_TTL_MS", "600000".to_owned()),
    ];
    let (a, b) = (
        node.serve("127.0.0.1:0", &single_use),
        node.serve("127.0.0.1:0", &single_use),
    );
    let (a, b) = (a.http.clone(), b.http.clone());
    let root = token(&a, "root", "root-client");
    let all = licenses(&a, &root);
    let id = |i: usize| all[i]["certIdentifier"].as_str().unwrap().to_owned();

    // A token from A works on B; a link made on A downloads on B, once.
    let hall = token(&a, "hall", "hall-client");
    let query = format!("certificateID={}&interfaceType=1", enc(&id(0)));
    assert_eq!(
        share(&b, &hall, "ShareQueryCertInfo", &query).status_code(),
        "0",
        "{label}"
    );
    let links = share(
        &a,
        &hall,
        "ShareDownloadUrl",
        &format!("certificateID={}", enc(&id(0))),
    );
    let url = links
        .field("fileUrl")
        .unwrap_or_else(|| panic!("{label}: {links}"));
    let path = url.split(&a).nth(1).unwrap();
    assert_eq!(get(&b, path).status, 200, "{label}: a link from A on B");
    assert_eq!(get(&a, path).status, 404, "{label}: used up, on any node");

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
    let redeemed = get(&a, &made);
    assert_eq!(
        redeemed.status_code(),
        "21",
        "{label}: a link made before the revocation: {redeemed}"
    );

    // B disables an account that A has just served: A refuses its token at once.
    let clerk = token(&a, "clerk", "clerk-client");
    let own = format!("certificateIdentifier={}&interfaceType=1", enc(&id(0)));
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
    let _ = std::fs::remove_dir_all(&node.dir);
}

/// On a database server, nodes with data directories of their own sign with one key: three
/// started together on a database without one store one between them.
fn platform_key(node: &Node, label: &str) {
    let others: Vec<Node> = (0..3)
        .map(|i| Node {
            database_url: node.database_url.clone(),
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

on_every_database!(one_truth, "sqlite", "pg", "my");
