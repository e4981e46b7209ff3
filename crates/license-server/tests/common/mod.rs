//! The one fixture of the end-to-end suites: the real `licensed` binary on a data directory
//! (and, when asked, a database) of its own, provisioned through its CLI, served on
//! `127.0.0.1:0` ([`node`]), and called over HTTP ([`http`]) with the contract's helpers here.

#![allow(dead_code)]

pub mod browser;
pub mod http;
pub mod node;
pub mod s3;
pub mod tls;

pub use http::*;
pub use node::*;

use license_platform::sample::SAMPLE_TYPES;
use serde_json::Value;

/// The tests of a suite that runs on SQLite always, and on PostgreSQL and MariaDB when
/// `LICENSE_TEST_POSTGRES_URL` / `LICENSE_TEST_MYSQL_URL` are set (`.ci/run` sets both):
/// `$suite(label, database_url)` with the labels given, `None` for SQLite.
#[macro_export]
macro_rules! on_every_database {
    ($suite:ident, $sqlite:literal, $postgres:literal, $mysql:literal) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn sqlite() {
            $suite($sqlite, None).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn postgres() {
            match std::env::var("LICENSE_TEST_POSTGRES_URL") {
                Ok(url) => $suite($postgres, Some(url)).await,
                Err(_) => eprintln!("skipping: LICENSE_TEST_POSTGRES_URL is not set"),
            }
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn mysql() {
            match std::env::var("LICENSE_TEST_MYSQL_URL") {
                Ok(url) => $suite($mysql, Some(url)).await,
                Err(_) => eprintln!("skipping: LICENSE_TEST_MYSQL_URL is not set"),
            }
        }
    };
}

/// Where the share interfaces live.
pub const API: &str = "/license-api-release/m/v/license/external/api";
/// The token endpoint.
pub const TOKEN_PATH: &str = "/license-api-release/oauth/token";
/// The password of every test account.
pub const PASSWORD: &str = "federation-password";
/// The secret of every test client.
pub const SECRET: &str = "federation-secret";

/// The city side of a `[province]` table, as environment.
pub fn upstream_env(url: &str, transport: &str, timeout_ms: u64) -> Vec<(&'static str, String)> {
    vec![
        ("LICENSED_PROVINCE_URL", url.to_owned()),
        ("LICENSED_PROVINCE_TRANSPORT", transport.to_owned()),
        ("LICENSED_PROVINCE_CLIENT_ID", "zaozhuang-client".to_owned()),
        ("LICENSED_PROVINCE_CLIENT_SECRET", SECRET.to_owned()),
        ("LICENSED_PROVINCE_USERNAME", "zaozhuang".to_owned()),
        ("LICENSED_PROVINCE_PASSWORD", PASSWORD.to_owned()),
        ("LICENSED_PROVINCE_TIMEOUT_MS", timeout_ms.to_string()),
    ]
}

/// A password-grant token request.
pub fn login(addr: &str, user: &str, client: &str) -> Reply {
    login_with(addr, user, client, PASSWORD)
}

/// A password-grant token request with this password.
pub fn login_with(addr: &str, user: &str, client: &str, password: &str) -> Reply {
    post_form(
        addr,
        TOKEN_PATH,
        None,
        &format!(
            "grant_type=password&client_id={client}&client_secret={SECRET}&username={}&password={}",
            enc(user),
            enc(password)
        ),
    )
}

/// 20 concurrent wrong passwords for an account, spread over the nodes at `addrs`: at most
/// five reach the hash, and then the right password is refused as locked on every node.
pub fn locked_out_by_twenty(label: &str, addrs: &[&str], user: &str, client: &str) {
    let answers: Vec<String> = std::thread::scope(|s| {
        let threads: Vec<_> = (0..20)
            .map(|i| {
                let addr = addrs[i % addrs.len()];
                s.spawn(move || login_with(addr, user, client, "wrong-password").text())
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let checked = answers
        .iter()
        .filter(|r| r.contains("bad username or password"))
        .count();
    assert!(
        (1..=5).contains(&checked),
        "{label}: {checked} wrong passwords reached the hash: {answers:?}"
    );
    for addr in addrs {
        let refused = login(addr, user, client).text();
        assert!(refused.contains("locked"), "{label}: {refused}");
    }
}

/// Waits, when fewer than `secs` seconds are left of the current minute, for the next one:
/// per-minute counts start afresh each minute, so a burst that must fall in one waits for room.
pub fn room_in_minute(secs: u64) {
    let into = chrono::Utc::now().timestamp().rem_euclid(60).unsigned_abs();
    if into + secs > 60 {
        std::thread::sleep(std::time::Duration::from_secs(61 - into));
    }
}

/// A password-grant access token.
pub fn token(addr: &str, user: &str, client: &str) -> String {
    let r = login(addr, user, client);
    r.field("access_token").unwrap_or_else(|| panic!("{r}"))
}

/// The call context of a share form (API.md §4.3.7): system, category 0, matter, event E1,
/// cause.
pub fn context(system: &str, matter: &str, cause: &str) -> String {
    format!(
        "certificateSystemName={}&certificateCallCategory=0&certificateMatterName={}&certificateEventCode=E1&certificateCopyCause={}",
        enc(system),
        enc(matter),
        enc(cause)
    )
}

/// A holder-code call (4.3.7 parameters) on a share interface.
pub fn holder_call(
    addr: &str,
    name: &str,
    token: &str,
    holder: &str,
    cert_type: &str,
    interface_type: &str,
) -> Reply {
    let ctx = context("市级办事大厅", "跨库查询", "联调测试");
    post_form(
        addr,
        &format!("{API}/{name}"),
        Some(token),
        &format!(
            "certificateHolderCode={holder}&certificateHolderCodeType=111&certTypeCode={cert_type}&interfaceType={interface_type}&{ctx}"
        ),
    )
}

/// Every license of a node (admin API), as JSON objects.
pub fn licenses(addr: &str, admin_token: &str) -> Vec<Value> {
    let v = get_json(
        addr,
        "/license-api-release/admin/licenses?size=500",
        admin_token,
    );
    assert_eq!(v["head"]["status"], "0", "{v}");
    v["data"]["items"].as_array().unwrap().clone()
}

/// How many pushes of a city's outbox are in a state.
pub fn outbox_count(addr: &str, admin_token: &str, state: &str) -> u64 {
    let v = get_json(
        addr,
        &format!("/license-api-release/admin/outbox?state={state}&size=1"),
        admin_token,
    );
    assert_eq!(v["head"]["status"], "0", "{v}");
    v["data"]["total"].as_u64().unwrap()
}

/// A database of its own for a node, beside the one a test URL names (created when missing):
/// `…/test` → `…/test_<suffix>`.
pub async fn own_database(url: &str, suffix: &str) -> String {
    use sea_orm::ConnectionTrait;
    let (base, name) = url.rsplit_once('/').unwrap();
    let name = name.split('?').next().unwrap();
    let db = format!("{name}_{}", suffix.replace('-', "_"));
    let store = license_store::SeaStore::connect(url, 1)
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    let sql = if url.starts_with("postgres") {
        format!("CREATE DATABASE {db}")
    } else {
        format!("CREATE DATABASE IF NOT EXISTS {db} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
    };
    // PostgreSQL has no IF NOT EXISTS for databases: "already exists" is fine.
    if let Err(e) = store.connection().execute_unprepared(&sql).await
        && !e.to_string().contains("already exists")
    {
        panic!("{sql}: {e}");
    }
    format!("{base}/{db}")
}

/// The annotated copy of a license made by `ShareDownloadFile`, base64.
pub fn copy(addr: &str, token: &str, identifier: &str) -> String {
    let r = post_form(
        addr,
        &format!("{API}/ShareDownloadFile"),
        Some(token),
        &format!(
            "certificateIdentifier={}&interfaceType=1&{}",
            enc(identifier),
            context("跨平台核验", "加注件", "核验他方签章")
        ),
    );
    let v = r.json();
    assert_eq!(v["head"]["status"], "0", "{r}");
    v["data"]["dataList"][0]["content"]
        .as_str()
        .unwrap_or_else(|| panic!("{r}"))
        .to_owned()
}

/// The file verification's `result` at a node's own library.
pub fn verify(addr: &str, token: &str, content: &str) -> String {
    let r = post_form(
        addr,
        &format!("{API}/ShareVerifyCertInfo"),
        Some(token),
        &format!(
            "certTypeCode={}&contentType=base64&content={}&useCause={}&interfaceType=1",
            SAMPLE_TYPES[0],
            enc(content),
            enc("核验他方加注件")
        ),
    );
    let v: Value = r.json();
    assert_eq!(v["head"]["status"], "0", "{r}");
    v["data"]["result"].as_str().unwrap_or("?").to_owned()
}
