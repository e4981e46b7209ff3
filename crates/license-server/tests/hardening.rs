//! Hostile callers against the real binary, on SQLite always and on PostgreSQL and MariaDB when
//! `LICENSE_TEST_POSTGRES_URL` / `LICENSE_TEST_MYSQL_URL` are set (a database of its own each):
//!
//! - audit poisoning: share calls mixed with logins whose username is longer than its column,
//!   and with forged forwarding headers — no call answers `99`, every login is refused as a bad
//!   login, the long name is stored cut and the forged address is not believed;
//! - lock-out: concurrent wrong passwords lock the account, the right password is refused;
//! - tokens: RFC 7009 revocation, and a password change that ends every token at once;
//! - the operators' command line leaves a trace in the audit log.

mod common;

use common::{
    API, Node, PASSWORD, Reply, SECRET, TOKEN_PATH, enc, get, get_json, holder_call, own_database,
    post_form, post_json, token, try_post_form,
};
use license_platform::sample::{SAMPLE_TYPES, citizen_id, import_line};
use serde_json::Value;

/// A password login's response.
fn login(addr: &str, client: &str, user: &str, password: &str, forwarded_for: &str) -> String {
    let body = format!(
        "grant_type=password&client_id={client}&client_secret={SECRET}&username={}&password={}",
        enc(user),
        enc(password)
    );
    let forwarded = [("X-Forwarded-For", forwarded_for)];
    let more: &[(&str, &str)] = if forwarded_for.is_empty() {
        &[]
    } else {
        &forwarded
    };
    try_post_form(addr, TOKEN_PATH, None, more, &body)
        .unwrap_or_else(|e| panic!("{e}"))
        .text()
}

fn status(v: &Value) -> String {
    v["head"]["status"].as_str().unwrap_or("?").to_owned()
}

fn audit(addr: &str, admin: &str, query: &str) -> Vec<Value> {
    let v = get_json(
        addr,
        &format!("/license-api-release/admin/audit?size=500&{query}"),
        admin,
    );
    assert_eq!(status(&v), "0", "{v}");
    v["data"]["items"].as_array().unwrap().clone()
}

async fn hostile(label: &str, base: Option<String>) {
    let db = match base {
        Some(url) => Some(own_database(&url, &format!("hardening_{label}")).await),
        None => None,
    };
    let node = Node::fresh(&format!("hardening-{label}"), "city", db).await;
    node.provision("hall", "hall-client", "search,info,download,verify");
    node.provision("root", "root-client", "admin");
    node.import(&(0..3).map(|i| import_line(i) + "\n").collect::<String>());
    let served = node.serve(
        "127.0.0.1:0",
        &[
            ("LICENSED_TOKEN_REQUESTS_PER_ADDRESS_PER_MINUTE", "0".into()),
            ("LICENSED_RATE_LIMIT_PER_MINUTE", "100000".into()),
        ],
    );
    let addr = served.http.clone();
    let hall = token(&addr, "hall", "hall-client");
    let root = token(&addr, "root", "root-client");
    let holder = citizen_id(0);

    // 1. 200 share calls mixed with 200 logins whose username overflows its column, with a
    // forged 100-character X-Forwarded-For: no 99, every login a plain bad login.
    let long_name = format!("攻击者{}", "x".repeat(300));
    let forged = "f".repeat(100);
    let (shares, logins) = std::thread::scope(|s| {
        let share_threads: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| {
                    (0..25)
                        .map(|_| {
                            holder_call(
                                &addr,
                                "ShareQueryCertInfoByHo",
                                &hall,
                                &holder,
                                SAMPLE_TYPES[0],
                                "1",
                            )
                            .status_code()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let login_threads: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| {
                    (0..25)
                        .map(|_| login(&addr, "hall-client", &long_name, "guess", &forged))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let shares: Vec<String> = share_threads
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect();
        let logins: Vec<String> = login_threads
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect();
        (shares, logins)
    });
    assert_eq!(shares.len(), 200);
    let faults = shares.iter().filter(|s| *s == "99").count();
    assert_eq!(faults, 0, "{label}: share calls answered 99: {shares:?}");
    assert!(shares.iter().all(|s| s == "0"), "{label}: {shares:?}");
    for r in &logins {
        assert!(
            r.contains("invalid_grant"),
            "{label}: a bad login is invalid_grant, not a fault: {r}"
        );
    }
    let events = audit(&addr, &root, "interface=oauth/token");
    let cut = events
        .iter()
        .find(|e| {
            e["username"]
                .as_str()
                .is_some_and(|u| u.starts_with("攻击者"))
        })
        .unwrap_or_else(|| panic!("{label}: the long login is audited"));
    let stored = cut["username"].as_str().unwrap();
    assert_eq!(stored.chars().count(), 128, "{stored}");
    assert!(stored.ends_with('…'));
    assert_eq!(
        cut["clientAddr"], "127.0.0.1",
        "{label}: a forwarding header from an untrusted peer is not believed"
    );

    // 3. Lock-out: 20 concurrent wrong passwords, then the right one is refused.
    common::locked_out_by_twenty(label, &[&addr], "hall", "hall-client");

    // 6. An account's budget of personal-data calls: past it 99 with a detail and
    // Retry-After, counted in the metrics.
    let v = post_json(
        &addr,
        "/license-api-release/admin/accounts",
        &root,
        &format!(
            r#"{{"username":"scraper","password":"{PASSWORD}","roles":["search","info"],"rateLimitPerMinute":30}}"#
        ),
    );
    assert_eq!(status(&v), "0", "{v}");
    assert_eq!(v["data"]["rateLimitPerMinute"], 30, "{v}");
    let scraper = token(&addr, "scraper", "hall-client");
    common::room_in_minute(30);
    let calls: Vec<Reply> = (0..35)
        .map(|_| {
            holder_call(
                &addr,
                "ShareQueryCertInfoByHo",
                &scraper,
                &holder,
                SAMPLE_TYPES[0],
                "1",
            )
        })
        .collect();
    let refused: Vec<&Reply> = calls.iter().filter(|r| r.status_code() == "99").collect();
    assert_eq!(refused.len(), 5, "{label}: 30 of 35 within the budget");
    assert!(refused[0].header("retry-after").is_some(), "{}", refused[0]);
    assert!(refused[0].text().contains("rate limit exceeded"));
    let metrics = get(&addr, "/metrics").text();
    assert!(
        metrics.contains("licensed_rate_limited_total{interface=\"ShareQueryCertInfoByHo\"} 5"),
        "{label}: {metrics}"
    );

    // 10. Revocation (RFC 7009): the token stops working at once; unknown tokens are no error.
    let query = |t: &str| {
        holder_call(
            &addr,
            "ShareQueryCertInfoByHo",
            t,
            &holder,
            SAMPLE_TYPES[0],
            "1",
        )
        .status_code()
    };
    assert_eq!(query(&hall), "0");
    let revoke = |t: &str| {
        post_form(
            &addr,
            "/license-api-release/oauth/revoke",
            None,
            &format!("client_id=hall-client&client_secret={SECRET}&token={t}"),
        )
    };
    let r = revoke(&hall);
    assert_eq!(r.status, 200, "{r}");
    assert_eq!(query(&hall), "11", "{label}: a revoked token is refused");
    assert_eq!(revoke("no-such-token").status, 200);
    let wrong_client = post_form(
        &addr,
        "/license-api-release/oauth/revoke",
        None,
        "client_id=hall-client&client_secret=nope&token=x",
    );
    assert_eq!(wrong_client.status, 401, "{wrong_client}");

    // 10. A password change through the admin API ends every token of the account at once.
    let root2 = token(&addr, "root", "root-client");
    let v = post_json(
        &addr,
        "/license-api-release/admin/accounts/root/password",
        &root,
        r#"{"password":"a-new-long-password"}"#,
    );
    assert_eq!(status(&v), "0", "{v}");
    let v = get_json(&addr, "/license-api-release/admin/accounts", &root2);
    assert_eq!(status(&v), "11", "{label}: the old token is refused: {v}");
    let old = login(&addr, "root-client", "root", PASSWORD, "");
    assert!(old.contains("invalid_grant"), "{old}");
    let fresh = login(&addr, "root-client", "root", "a-new-long-password", "");
    let admin = serde_json::from_str::<Value>(&fresh).unwrap()["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("{fresh}"))
        .to_owned();

    // 9. The command line's account, client and import actions are in the audit log.
    let cli: Vec<String> = audit(&addr, &admin, "interface=admin")
        .iter()
        .filter(|e| {
            e["username"]
                .as_str()
                .is_some_and(|u| u.starts_with("cli:"))
        })
        .filter_map(|e| {
            e["context"]["certificateMatterName"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    for action in [
        "account add hall",
        "account add root",
        "client add hall-client",
    ] {
        assert!(
            cli.iter().any(|a| a == action),
            "{label}: {action} in {cli:?}"
        );
    }
    assert!(
        cli.iter().any(|a| a.starts_with("license import")),
        "{label}: {cli:?}"
    );
    // The CLI's password change, on a node that serves meanwhile.
    let passwd = node.run(
        &["account", "passwd", "hall", "--password-stdin"],
        "another-long-password\n",
    );
    assert!(passwd.status.success(), "{passwd:?}");
    let cli_passwd = audit(&addr, &admin, "interface=admin")
        .iter()
        .any(|e| e["context"]["certificateMatterName"] == "account passwd hall");
    assert!(cli_passwd, "{label}: the CLI's password change is audited");

    // 9. Verification keeps its reason; the public page's visits are audited.
    let _ = post_form(
        &addr,
        &format!("{API}/ShareVerifyCertInfo"),
        Some(&admin),
        &format!(
            "certTypeCode={}&certificateHolderCode={holder}&certificateData={}&useFor={}&interfaceType=1",
            SAMPLE_TYPES[0],
            enc(r#"{"certificateNumber":"N000000000"}"#),
            enc("核验办事材料")
        ),
    );
    let verified = audit(&addr, &admin, "interface=ShareVerifyCertInfo");
    assert!(
        verified.iter().any(|e| e["purpose"] == "核验办事材料"),
        "{label}: {verified:?}"
    );
    let page = get(&addr, "/license-api-release/verify/nosuchtoken");
    assert_eq!(page.status, 404, "{page}");
    assert!(page.header("content-security-policy").is_some());
    let visits = audit(&addr, &admin, "interface=verify");
    assert!(
        visits.iter().any(|e| e["code"] == "10"),
        "{label}: the page visit is audited: {visits:?}"
    );
    drop(served);
    across_nodes(label, &node, &holder);
}

/// Three nodes on one database (item 11): the holder-search limit and the token requests per
/// address are counted across them (4 searches and 6 token requests a minute, whichever node
/// answers).
fn across_nodes(label: &str, node: &Node, holder: &str) {
    let limits = [
        ("LICENSED_HOLDER_SEARCH_PER_MINUTE", "4".to_owned()),
        (
            "LICENSED_TOKEN_REQUESTS_PER_ADDRESS_PER_MINUTE",
            "6".to_owned(),
        ),
        ("LICENSED_RATE_LIMIT_PER_MINUTE", "100000".to_owned()),
    ];
    let nodes = [0, 1, 2].map(|_| node.serve("127.0.0.1:0", &limits));
    let minute = || chrono::Utc::now().timestamp().div_euclid(60);
    // Counts start afresh each minute: a round that straddles two is played again.
    for round in 0..3 {
        let (user, client) = (
            format!("harvester{round}"),
            format!("harvest-client{round}"),
        );
        node.provision(&user, &client, "search");
        let started = minute();
        let logins: Vec<Reply> = (0..8)
            .map(|i| common::login(&nodes[i % 3].http, &user, &client))
            .collect();
        let t = logins
            .iter()
            .find_map(|r| r.field("access_token"))
            .unwrap_or_else(|| panic!("{label}: no token"));
        let searches: Vec<String> = (0..8)
            .map(|i| {
                holder_call(
                    &nodes[i % 3].http,
                    "ShareQueryCertInfoByHo",
                    &t,
                    holder,
                    SAMPLE_TYPES[0],
                    "1",
                )
                .status_code()
            })
            .collect();
        if minute() != started {
            continue;
        }
        let granted = logins.iter().filter(|r| r.status == 200).count();
        assert_eq!(granted, 6, "{label}: token requests across nodes");
        assert!(
            logins.iter().skip(6).all(|r| r.status == 429),
            "{label}: past the budget, slow_down"
        );
        let answered = searches.iter().filter(|s| *s == "0").count();
        assert_eq!(
            answered, 4,
            "{label}: holder searches across nodes: {searches:?}"
        );
        assert!(
            searches.iter().skip(4).all(|s| s == "99"),
            "{label}: {searches:?}"
        );
        return;
    }
    panic!("{label}: three rounds straddled a minute");
}

on_every_database!(hostile, "sqlite", "postgres", "mysql");
