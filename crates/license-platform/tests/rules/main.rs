//! The platform's rules, end to end on the real store, file store and document engine: on
//! SQLite always, and on PostgreSQL and MariaDB when `LICENSE_TEST_POSTGRES_URL` /
//! `LICENSE_TEST_MYSQL_URL` are set.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use license_core::context::RawCallContext;
use license_core::ports::Clock;
use license_core::service::*;
use license_core::{License, LicenseService, ReturnCode};
use license_file::{NodeKey, OfdEngine, TrustStore};
use license_platform::{NewLicense, Platform, PlatformConfig, Ports};
use license_store::{ObjectFileStore, SeaStore};

mod administration;
mod console;
mod downloads;
mod guards;
mod lookups;
mod tokens;
mod upkeep;
mod verification;

use administration::*;
use console::*;
use downloads::*;
use guards::*;
use lookups::*;
use tokens::*;
use upkeep::*;
use verification::*;

struct TestClock(Mutex<DateTime<Utc>>);

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

impl TestClock {
    fn advance(&self, d: Duration) {
        *self.0.lock().unwrap() += d;
    }
}

struct Fixture {
    platform: Platform,
    clock: Arc<TestClock>,
    engine: OfdEngine,
    /// The store behind the platform, for what a stage writes beside the rules.
    store: Arc<SeaStore>,
    _dir: std::path::PathBuf,
}

const TYPE_ID: &str = "11100000000013127D001";
const TYPE_OTHER: &str = "11100000000013338W006";
const HOLDER: &str = "11010519491231002X";
const DEPT: &str = "11370000004504927A";

async fn fixture(store: SeaStore, name: &str) -> Fixture {
    store.reset().await.unwrap();
    let dir = std::env::temp_dir().join(format!("platform-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let files = Arc::new(ObjectFileStore::local(dir.join("files")).unwrap());
    let key = NodeKey::generate("测试平台", "枣庄市").unwrap();
    let engine = OfdEngine::new(
        key,
        "测试签章",
        TrustStore::default(),
        "http://127.0.0.1:8040/license-api-release/verify/",
    )
    .unwrap();
    let clock = Arc::new(TestClock(Mutex::new(
        DateTime::parse_from_rfc3339("2026-11-22T02:00:00Z")
            .unwrap()
            .to_utc(),
    )));
    let store = Arc::new(store);
    let ports = Ports::from_store(
        store.clone(),
        files,
        Arc::new(engine.clone()),
        clock.clone(),
    );
    let config = PlatformConfig {
        token_cache_ttl: std::time::Duration::ZERO,
        holder_search_per_minute: 30,
        token_requests_per_address_per_minute: 20,
        ..PlatformConfig::default()
    };
    let (platform, _task) = Platform::new(ports, config);
    Fixture {
        platform,
        clock,
        engine,
        store,
        _dir: dir,
    }
}

/// Every file under a directory.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn ctx() -> RawCallContext {
    RawCallContext {
        system_name: Some("枣庄市网上办事大厅".into()),
        call_category: Some("0".into()),
        matter_name: Some("个人参保缴费证明查询打印".into()),
        event_code: Some("1137000000450258552372014020002".into()),
        copy_cause: Some("办理业务核验".into()),
        call_district: Some("峰城区".into()),
        call_department: None,
        district_level: Some("市级".into()),
    }
}

fn new_license(
    ctype: &str,
    number: &str,
    issue: &str,
    end: Option<&str>,
    state: &str,
) -> NewLicense {
    let mut face = BTreeMap::new();
    face.insert("name".to_owned(), "张三".to_owned());
    face.insert("certno".to_owned(), HOLDER.to_owned());
    NewLicense {
        cert_type_code: ctype.into(),
        certificate_name: None,
        certificate_number: number.into(),
        certificate_holder: "张三".into(),
        certificate_holder_code: HOLDER.into(),
        certificate_holder_type: "111".into(),
        issue_dept: "枣庄市公安局".into(),
        issue_dept_code: DEPT.into(),
        issue_date: issue.into(),
        certificate_validate_start: issue.into(),
        certificate_validate_end: end.map(str::to_owned),
        state: Some(state.into()),
        face,
        cert_identifier: None,
        file_number: None,
        abstract_code: None,
    }
}

fn caller(token: &str) -> Caller {
    Caller {
        token: Some(token.to_owned()),
        client_addr: Some("127.0.0.1".into()),
        request_id: uuid_like(),
    }
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(1);
    format!("req-{}", N.fetch_add(1, Ordering::Relaxed))
}

async fn login(p: &Platform, user: &str, password: &str) -> Result<TokenGrant, TokenError> {
    p.issue_token(
        &Caller::default(),
        PasswordGrant {
            client_id: Some("xxxx-oauth".into()),
            client_secret: Some("xxxx-mobile".into()),
            scope: Some("read write".into()),
            username: Some(user.into()),
            password: Some(password.into()),
        },
    )
    .await
}

fn code<T: std::fmt::Debug>(r: ServiceResult<T>) -> ReturnCode {
    match r {
        Ok(_) => ReturnCode::Success,
        Err(e) => e.code,
    }
}

fn query(id: &str) -> QueryCertInfoRequest {
    QueryCertInfoRequest {
        certificate_id: Some(id.into()),
        interface_type: Some("1".into()),
        context: ctx(),
    }
}

fn holder_req(ctype: &str) -> HolderQueryRequest {
    HolderQueryRequest {
        holder_code: Some(HOLDER.into()),
        holder_code_type: Some("111".into()),
        cert_type_code: Some(ctype.into()),
        interface_type: Some("1".into()),
        context: ctx(),
        ..Default::default()
    }
}

/// The licenses every stage after the first works on, one in each state.
#[derive(Clone)]
struct Issued {
    valid: License,
    expired: License,
    revoked: License,
    suspended: License,
    pending: License,
}

async fn scenarios(f: Fixture) {
    let (token, info_token, l) = tokens_and_licenses(&f).await;
    lookups(&f, token.clone(), info_token, &l).await;
    let ofd = downloads(&f, token.clone(), &l).await;
    verification(&f, token.clone(), ofd, &l).await;
    administration(&f, token, &l).await;
    upkeep(&f).await;
    retention(&f).await;
    console(&f).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite() {
    let dir = std::env::temp_dir().join(format!("platform-db-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = SeaStore::sqlite_in(&dir).await.unwrap();
    scenarios(fixture(store, "sqlite").await).await;
}

async fn external(var: &str, name: &str) {
    let Ok(url) = std::env::var(var) else {
        eprintln!("skipping: {var} is not set");
        return;
    };
    let store = SeaStore::connect(&url, 8)
        .await
        .unwrap_or_else(|e| panic!("{var}: {e}"));
    scenarios(fixture(store, name).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres() {
    external("LICENSE_TEST_POSTGRES_URL", "pg").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql() {
    external("LICENSE_TEST_MYSQL_URL", "my").await;
}
