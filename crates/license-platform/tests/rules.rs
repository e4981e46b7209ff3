//! The platform's rules, end to end on the real store, file store and document engine: on
//! SQLite always, and on PostgreSQL and MariaDB when `LICENSE_TEST_POSTGRES_URL` /
//! `LICENSE_TEST_MYSQL_URL` are set.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use license_core::context::RawCallContext;
use license_core::ports::{AuditQuery, Clock};
use license_core::service::*;
use license_core::{
    FileVerifyResult, InfoVerifyResult, Interface, LicenseService, LicenseStatus, ReturnCode, Role,
};
use license_file::{NodeKey, OfdEngine, TrustStore};
use license_platform::{NewLicense, Platform, PlatformConfig, Ports, StateChange};
use license_store::{LocalFileStore, SeaStore};

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
    let files = Arc::new(LocalFileStore::new(dir.join("files")).unwrap());
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
    let ports = Ports::from_store(
        Arc::new(store),
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

/// 40 concurrent wrong passwords: at most `max_failures` reach the hash, the rest answer
/// "locked", and the right password is refused until the lock ends. Names that are no account
/// lock alike, without a row. One address past its budget is slowed down before any check.
async fn concurrent_lockout(f: &Fixture) {
    let p = &f.platform;
    p.create_account("racer", "racer-password", vec![Role::Info], vec![], None)
        .await
        .unwrap();
    let max = p.config().lockout.max_failures as usize;
    let attempts = (0..40).map(|_| login(p, "racer", "wrong-password"));
    let answers = futures_util::future::join_all(attempts).await;
    let checked = answers
        .iter()
        .filter(|r| {
            r.as_ref()
                .is_err_and(|e| e.description.contains("bad username"))
        })
        .count();
    let locked = answers
        .iter()
        .filter(|r| r.as_ref().is_err_and(|e| e.description.contains("locked")))
        .count();
    assert_eq!((checked, locked), (max, 40 - max), "{answers:?}");
    let stored = p.ports().logins.get("racer").await.unwrap().unwrap();
    assert_eq!(stored.count as usize, max);
    let refused = login(p, "racer", "racer-password").await.unwrap_err();
    assert!(refused.description.contains("locked"), "{refused:?}");

    for _ in 0..max {
        let e = login(p, "no-such-user", "guess").await.unwrap_err();
        assert!(e.description.contains("bad username"), "{e:?}");
    }
    let e = login(p, "no-such-user", "guess").await.unwrap_err();
    assert!(
        e.description.contains("locked"),
        "an unknown name locks too: {e:?}"
    );
    assert_eq!(p.ports().logins.get("no-such-user").await.unwrap(), None);

    let from = Caller {
        client_addr: Some("198.51.100.7".into()),
        ..Caller::default()
    };
    let budget = p.config().token_requests_per_address_per_minute as usize;
    let mut slowed = 0;
    for i in 0..budget + 3 {
        let r = p
            .issue_token(
                &from,
                PasswordGrant {
                    client_id: Some("xxxx-oauth".into()),
                    client_secret: Some("wrong-secret".into()),
                    scope: None,
                    username: Some(format!("u{i}")),
                    password: Some("x".into()),
                },
            )
            .await
            .unwrap_err();
        if r.kind == OAuthErrorKind::SlowDown {
            slowed += 1;
        }
    }
    assert_eq!(slowed, 3, "past {budget} a minute from one address");
    f.clock.advance(Duration::minutes(1));
    let e = p
        .issue_token(
            &from,
            PasswordGrant {
                client_id: Some("xxxx-oauth".into()),
                client_secret: Some("wrong-secret".into()),
                ..PasswordGrant::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind, OAuthErrorKind::InvalidClient, "a new minute");
}

/// One budget per account over every interface of personal data, counted in the database:
/// a second platform on the same store (a second node) draws on the same budget.
async fn shared_budget(f: &Fixture) {
    let p = &f.platform;
    let mut account = p
        .create_account(
            "scraper",
            "scraper-password",
            Role::ALL.to_vec(),
            vec![],
            None,
        )
        .await
        .unwrap();
    account.rate_limit_per_minute = Some(40);
    p.update_account(&account).await.unwrap();
    let (other, _task) = Platform::new(p.ports().clone(), p.config().clone());
    let token = login(p, "scraper", "scraper-password")
        .await
        .unwrap()
        .access_token;
    let mut answers = Vec::new();
    for i in 0..60 {
        let node = if i % 2 == 0 { p } else { &other };
        // Queries and verifications alike draw on the one budget.
        let r = if i % 3 == 0 {
            node.query_by_holder(&caller(&token), holder_req(TYPE_ID))
                .await
                .map(drop)
        } else {
            node.query_cert_info(&caller(&token), query("nothing-by-this-key"))
                .await
                .map(drop)
        };
        answers.push(r);
    }
    let limited: Vec<_> = answers
        .iter()
        .filter_map(|r| r.as_ref().err())
        .filter(|e| e.code == ReturnCode::Other)
        .collect();
    assert_eq!(limited.len(), 20, "40 of 60 calls within the budget");
    let e = limited[0];
    assert!(e.detail.as_ref().unwrap().contains("rate limit exceeded"));
    assert!(e.retry_after_secs.is_some_and(|s| s <= 60));
    // A new minute, a new budget.
    f.clock.advance(Duration::minutes(1));
    assert_ne!(
        code(
            other
                .query_cert_info(&caller(&token), query("nothing-by-this-key"))
                .await
        ),
        ReturnCode::Other
    );
}

async fn scenarios(f: Fixture) {
    let p = &f.platform;
    p.add_client("xxxx-oauth", "xxxx-mobile").await.unwrap();
    p.create_account(
        "hall",
        "hall-password",
        Role::ALL.to_vec(),
        vec![],
        Some("枣庄市行政审批服务局".into()),
    )
    .await
    .unwrap();
    p.create_account(
        "info-only",
        "info-password",
        vec![Role::Info],
        vec![TYPE_OTHER.into()],
        None,
    )
    .await
    .unwrap();

    // --- tokens -------------------------------------------------------------------------
    let grant = login(p, "hall", "hall-password").await.unwrap();
    assert_eq!(grant.scope, "read write");
    assert_eq!(grant.expires_in, 43_200);
    assert_eq!(grant.access_token.len(), 36, "a UUID");
    let e = login(p, "hall", "wrong").await.unwrap_err();
    assert_eq!(e.kind, OAuthErrorKind::InvalidGrant);
    let bad_client = p
        .issue_token(
            &Caller::default(),
            PasswordGrant {
                client_id: Some("xxxx-oauth".into()),
                client_secret: Some("no".into()),
                username: Some("hall".into()),
                password: Some("hall-password".into()),
                scope: None,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(bad_client.kind, OAuthErrorKind::InvalidClient);
    let bad_scope = p
        .issue_token(
            &Caller::default(),
            PasswordGrant {
                client_id: Some("xxxx-oauth".into()),
                client_secret: Some("xxxx-mobile".into()),
                username: Some("hall".into()),
                password: Some("hall-password".into()),
                scope: Some("admin".into()),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(bad_scope.kind, OAuthErrorKind::InvalidScope);
    // Lock-out: five failures lock even the right password out.
    for _ in 0..5 {
        let _ = login(p, "info-only", "nope").await;
    }
    let locked = login(p, "info-only", "info-password").await.unwrap_err();
    assert!(locked.description.contains("locked"), "{locked:?}");
    f.clock.advance(Duration::minutes(16));
    let info_token = login(p, "info-only", "info-password")
        .await
        .unwrap()
        .access_token;
    concurrent_lockout(&f).await;
    shared_budget(&f).await;

    // Refresh rotates both tokens.
    let refreshed = p
        .refresh_token(
            &Caller::default(),
            RefreshGrant {
                client_id: Some("xxxx-oauth".into()),
                client_secret: Some("xxxx-mobile".into()),
                scope: None,
                refresh_token: Some(grant.refresh_token.clone()),
            },
        )
        .await
        .unwrap();
    let again = p
        .refresh_token(
            &Caller::default(),
            RefreshGrant {
                client_id: Some("xxxx-oauth".into()),
                client_secret: Some("xxxx-mobile".into()),
                scope: None,
                refresh_token: Some(grant.refresh_token.clone()),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(again.kind, OAuthErrorKind::InvalidGrant);
    let token = refreshed.access_token;

    // --- licenses -----------------------------------------------------------------------
    let valid = p
        .issue_license(&new_license(TYPE_ID, "V-1", "2024-01-01", None, "valid"))
        .await
        .unwrap();
    let expired = p
        .issue_license(&new_license(
            TYPE_ID,
            "E-1",
            "2020-01-01",
            Some("2025-12-31"),
            "valid",
        ))
        .await
        .unwrap();
    let revoked = p
        .issue_license(&new_license(TYPE_ID, "R-1", "2021-01-01", None, "revoked"))
        .await
        .unwrap();
    let suspended = p
        .issue_license(&new_license(
            TYPE_ID,
            "S-1",
            "2022-01-01",
            None,
            "suspended",
        ))
        .await
        .unwrap();
    let pending = p
        .issue_license(&new_license(TYPE_ID, "P-1", "2023-01-01", None, "pending"))
        .await
        .unwrap();
    assert_eq!(
        valid.identifier.scheme(),
        license_core::CheckScheme::Standard
    );
    assert_eq!(valid.abstract_code.len(), 9);
    assert_eq!(valid.certificate_name, "中华人民共和国居民身份证");

    // Old token is gone after the refresh.
    assert_eq!(
        code(
            p.query_cert_info(
                &caller(&grant.access_token),
                query(valid.identifier.as_str())
            )
            .await
        ),
        ReturnCode::Unauthorized
    );

    // --- validation order (API.md §4) --------------------------------------------------------
    let mut no_id = query("");
    no_id.certificate_id = None;
    let e = p
        .query_cert_info(&Caller::default(), no_id.clone())
        .await
        .unwrap_err();
    assert_eq!(e.code, ReturnCode::Unauthorized, "token before parameters");
    assert_eq!(e.detail.as_deref(), Some("access_token is missing"));
    assert_eq!(
        code(p.query_cert_info(&caller("unknown"), query("x")).await),
        ReturnCode::Unauthorized
    );
    let e = p
        .download_file(
            &caller(&info_token),
            DownloadFileRequest {
                certificate_identifier: Some("x".into()),
                context: ctx(),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(e.code, ReturnCode::Unauthorized, "role");
    assert!(e.detail.unwrap().contains("download"));
    let e = p.query_cert_info(&caller(&token), no_id).await.unwrap_err();
    assert_eq!(
        (e.code, e.detail.as_deref()),
        (ReturnCode::MissingParameter, Some("certificateID"))
    );
    let mut long = query(valid.identifier.as_str());
    long.context.copy_cause = Some("因".repeat(201));
    assert_eq!(
        code(p.query_cert_info(&caller(&token), long).await),
        ReturnCode::BadReason
    );
    let mut cat = query(valid.identifier.as_str());
    cat.context.call_category = Some("7".into());
    assert_eq!(
        code(p.query_cert_info(&caller(&token), cat).await),
        ReturnCode::Unparseable
    );
    let mut it = query(valid.identifier.as_str());
    it.interface_type = Some("9".into());
    assert_eq!(
        code(p.query_cert_info(&caller(&token), it).await),
        ReturnCode::Unparseable
    );
    let mut province = query(valid.identifier.as_str());
    province.interface_type = None;
    let e = p
        .query_cert_info(&caller(&token), province)
        .await
        .unwrap_err();
    assert_eq!(
        e.code,
        ReturnCode::NotProvided,
        "interfaceType 0 without an upstream"
    );
    assert_eq!(
        code(
            p.query_cert_info(&caller(&token), query("1.2.156.3005.2.NOPE"))
                .await
        ),
        ReturnCode::NotFound
    );
    let e = p
        .query_cert_info(&caller(&info_token), query(valid.identifier.as_str()))
        .await
        .unwrap_err();
    assert_eq!(
        e.code,
        ReturnCode::Unauthorized,
        "type outside the account's types"
    );
    assert!(e.detail.unwrap().contains(TYPE_ID));

    // --- ShareQueryCertInfo --------------------------------------------------------------
    let a = p
        .query_cert_info(&caller(&token), query(valid.identifier.as_str()))
        .await
        .unwrap();
    let Shaped::City(page) = a.data else {
        panic!("city shape")
    };
    assert_eq!(page.total, 1);
    let r = &page.items[0];
    assert_eq!(
        (r.certificate_id.as_str(), r.state, r.validate_end),
        (valid.file_number.as_str(), LicenseStatus::Valid, None)
    );
    assert_eq!(r.certificate_type, "中华人民共和国居民身份证");
    for (l, s) in [
        (&expired, LicenseStatus::Expired),
        (&revoked, LicenseStatus::Revoked),
        (&suspended, LicenseStatus::Suspended),
        (&pending, LicenseStatus::NotActivated),
    ] {
        let a = p
            .query_cert_info(&caller(&token), query(&l.file_number))
            .await
            .unwrap();
        let Shaped::City(page) = a.data else { panic!() };
        assert_eq!(page.items[0].state, s, "queries answer any state");
    }

    // --- holder search ---------------------------------------------------------------------
    let a = p
        .query_by_holder(&caller(&token), holder_req(TYPE_ID))
        .await
        .unwrap();
    let Shaped::City(page) = a.data else { panic!() };
    assert_eq!((page.total, page.items.len()), (5, 5));
    assert_eq!(
        page.items[0].certificate_number, "V-1",
        "most recently issued first"
    );
    let mut paged = holder_req(TYPE_ID);
    paged.page = Some("2".into());
    paged.size = Some("2".into());
    let Shaped::City(page) = p
        .query_by_holder(&caller(&token), paged)
        .await
        .unwrap()
        .data
    else {
        panic!()
    };
    assert_eq!((page.total, page.items.len()), (5, 2));
    let mut bad_page = holder_req(TYPE_ID);
    bad_page.page = Some("0".into());
    assert_eq!(
        code(p.query_by_holder(&caller(&token), bad_page).await),
        ReturnCode::Unparseable
    );
    // A page whose offset would overflow does not wrap to page 1.
    let mut huge_page = holder_req(TYPE_ID);
    huge_page.page = Some("4611686018427387905".into());
    huge_page.size = Some("100".into());
    let e = p
        .query_by_holder(&caller(&token), huge_page)
        .await
        .unwrap_err();
    assert_eq!(e.code, ReturnCode::Unparseable, "{e:?}");
    // An ID number with a lower-case check character is the same holder, in the search and
    // in the audit log.
    assert!(HOLDER.ends_with('X'));
    let mut lower = holder_req(TYPE_ID);
    lower.holder_code = Some(HOLDER.to_ascii_lowercase());
    let lower_caller = Caller {
        request_id: "lower-case-x".into(),
        ..caller(&token)
    };
    let Shaped::City(page) = p.query_by_holder(&lower_caller, lower).await.unwrap().data else {
        panic!()
    };
    assert_eq!(page.total, 5, "found under the lower-case x");
    // Free text past its documented maximum: 24 naming the parameter, nothing stored.
    let mut long_matter = holder_req(TYPE_ID);
    long_matter.context.matter_name = Some("事".repeat(256));
    let e = p
        .query_by_holder(&caller(&token), long_matter)
        .await
        .unwrap_err();
    assert_eq!(e.code, ReturnCode::Unparseable);
    assert!(e.detail.unwrap().contains("certificateMatterName"));
    let mut long_operator = holder_req(TYPE_ID);
    long_operator.operator.oper_user_name = Some("o".repeat(256));
    let e = p
        .query_by_holder(&caller(&token), long_operator)
        .await
        .unwrap_err();
    assert_eq!(e.code, ReturnCode::Unparseable);
    assert!(e.detail.unwrap().contains("operUserName"));
    assert_eq!(
        code(
            p.query_by_holder(&caller(&token), holder_req(TYPE_OTHER))
                .await
        ),
        ReturnCode::NotFound
    );
    assert_eq!(
        code(
            p.query_by_holder(&caller(&token), holder_req("999999999999999999999"))
                .await
        ),
        ReturnCode::UnknownCertType
    );
    let mut bad_holder = holder_req(TYPE_ID);
    bad_holder.holder_code = Some("110105194912310021".into());
    let e = p
        .query_by_holder(&caller(&token), bad_holder)
        .await
        .unwrap_err();
    assert_eq!(e.code, ReturnCode::BadHolderCode);
    assert!(e.detail.unwrap().contains("GB 11643"));
    let mut bad_type = holder_req(TYPE_ID);
    bad_type.holder_code_type = Some("123".into());
    assert_eq!(
        code(p.query_by_holder(&caller(&token), bad_type).await),
        ReturnCode::BadHolderCode
    );
    p.set_cert_type(TYPE_OTHER, false, vec![]).await.unwrap();
    let e = p
        .query_by_holder(&caller(&token), holder_req(TYPE_OTHER))
        .await
        .unwrap_err();
    assert_eq!(e.code, ReturnCode::UnknownCertType);
    assert!(e.detail.unwrap().contains("not published"));
    p.set_cert_type(TYPE_OTHER, true, vec![]).await.unwrap();

    // --- downloads -------------------------------------------------------------------------
    let dl = |key: &str| DownloadUrlRequest {
        certificate_id: Some(key.into()),
        expiry_time: None,
        context: ctx(),
    };
    let a = p
        .share_download_url(&caller(&token), dl(valid.identifier.as_str()))
        .await
        .unwrap();
    let Shaped::City(page) = a.data else { panic!() };
    let url = &page.items[0].file_url;
    assert!(
        url.starts_with(
            "http://127.0.0.1:8040/license-api-release/elssp/v1/download_national?fileId="
        ),
        "{url}"
    );
    assert!(url.ends_with("&fileFormat=OFD"));
    let id = url
        .split("fileId=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let (name, bytes) = p.redeem_download(&Caller::default(), id).await.unwrap();
    assert!(name.ends_with(".ofd"));
    // Nothing stored names the link: the copy's file is keyed by a name of its own.
    let stored: Vec<String> = walk(&f._dir)
        .into_iter()
        .map(|p| p.display().to_string())
        .collect();
    assert!(stored.iter().any(|p| p.contains("copies")), "{stored:?}");
    assert!(
        stored.iter().all(|p| !p.contains(id)),
        "a stored path reveals the link id {id}: {stored:?}"
    );
    let report = license_file::verify(&bytes).unwrap();
    assert_eq!(
        report.signatures.len(),
        2,
        "issuer's signature and the platform's annotation signature"
    );
    assert!(report.is_valid(license_file::Mode::Strict));
    assert_eq!(
        code(p.redeem_download(&Caller::default(), "not-a-link").await),
        ReturnCode::NotFound
    );
    f.clock.advance(Duration::minutes(11));
    assert_eq!(
        code(p.redeem_download(&Caller::default(), id).await),
        ReturnCode::NotFound,
        "links expire after 10 minutes"
    );
    for (l, c) in [
        (&revoked, ReturnCode::Revoked),
        (&expired, ReturnCode::Expired),
        (&suspended, ReturnCode::Restricted),
        (&pending, ReturnCode::Restricted),
    ] {
        assert_eq!(
            code(
                p.share_download_url(&caller(&token), dl(&l.file_number))
                    .await
            ),
            c
        );
    }
    let mut past = dl(valid.identifier.as_str());
    past.expiry_time = Some("2020-01-01".into());
    assert_eq!(
        code(p.share_download_url(&caller(&token), past).await),
        ReturnCode::Unparseable
    );
    let a = p
        .download_urls_by_holder(&caller(&token), holder_req(TYPE_ID))
        .await
        .unwrap();
    let Shaped::City(page) = a.data else { panic!() };
    assert_eq!(page.total, 1, "only currently valid licenses get links");

    let file = |t: Option<&str>| DownloadFileRequest {
        certificate_identifier: Some(valid.identifier.to_string()),
        file_type: t.map(str::to_owned),
        interface_type: Some("1".into()),
        context: ctx(),
        ..Default::default()
    };
    let a = p.download_file(&caller(&token), file(None)).await.unwrap();
    let FileContent::Ofd(ofd) = a.data.content else {
        panic!("ofd")
    };
    assert!(
        license_file::verify(&ofd)
            .unwrap()
            .is_valid(license_file::Mode::Strict)
    );
    let a = p
        .download_file(&caller(&token), file(Some("png")))
        .await
        .unwrap();
    let FileContent::PageImages(pages) = a.data.content else {
        panic!("images")
    };
    assert!(pages[0].starts_with(&[0xFF, 0xD8]), "JPEG");
    assert_eq!(
        code(p.download_file(&caller(&token), file(Some("gif"))).await),
        ReturnCode::Unparseable
    );
    let pdf = p
        .download_pdf(
            &caller(&token),
            PdfRequest {
                abstract_code: Some(valid.abstract_code.to_uppercase()),
            },
        )
        .await
        .unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    assert_eq!(
        code(
            p.download_pdf(
                &caller(&token),
                PdfRequest {
                    abstract_code: Some(revoked.abstract_code.clone())
                }
            )
            .await
        ),
        ReturnCode::Revoked
    );

    // --- verification ------------------------------------------------------------------------
    let vi = |number: &str, data: &str| VerifyInfoRequest {
        cert_type_code: Some(TYPE_ID.into()),
        certificate_data: Some(data.replace("{n}", number)),
        use_for: Some("核验".into()),
        holder_code: Some(HOLDER.into()),
        interface_type: Some("1".into()),
        context: RawCallContext::default(),
    };
    let results = [
        (
            "V-1",
            r#"{"certificateNumber":"{n}"}"#,
            InfoVerifyResult::Valid,
        ),
        (
            "P-1",
            r#"{"certificateNumber":"{n}"}"#,
            InfoVerifyResult::NotActivated,
        ),
        (
            "S-1",
            r#"{"certificateNumber":"{n}"}"#,
            InfoVerifyResult::Suspended,
        ),
        (
            "R-1",
            r#"{"certificateNumber":"{n}"}"#,
            InfoVerifyResult::Invalidated,
        ),
        (
            "E-1",
            r#"{"certificateNumber":"{n}"}"#,
            InfoVerifyResult::Invalidated,
        ),
        ("V-1", r#"{"name":"张三"}"#, InfoVerifyResult::Incomplete),
        (
            "V-1",
            r#"{"certificateNumber":"{n}","name":"李四"}"#,
            InfoVerifyResult::NoSuchInformation,
        ),
        (
            "X-9",
            r#"{"certificateNumber":"{n}"}"#,
            InfoVerifyResult::NoSuchInformation,
        ),
    ];
    for (n, data, want) in results {
        let a = p
            .verify_cert_info(&caller(&token), vi(n, data))
            .await
            .unwrap();
        assert_eq!(
            a.data,
            Shaped::City(want == InfoVerifyResult::Valid),
            "{n} {data}"
        );
    }
    assert_eq!(
        code(
            p.verify_cert_info(&caller(&token), vi("V-1", "[1,2]"))
                .await
        ),
        ReturnCode::Unparseable
    );
    let mut no_reason = vi("V-1", "{}");
    no_reason.use_for = Some("!!!".into());
    assert_eq!(
        code(p.verify_cert_info(&caller(&token), no_reason).await),
        ReturnCode::BadReason
    );

    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let vf = |content: String| VerifyFileRequest {
        cert_type_code: Some(TYPE_ID.into()),
        content_type: Some("base64".into()),
        content: Some(content),
        use_cause: Some("核验文件".into()),
        interface_type: Some("1".into()),
        context: RawCallContext::default(),
    };
    let original = f
        .engine
        .issue_document(&f.engine.document(&valid), Utc::now())
        .unwrap();
    let tok = token.as_str();
    let vfile = |bytes: &[u8]| {
        let req = vf(b64(bytes));
        async move { p.verify_cert_file(&caller(tok), req).await.map(|a| a.data) }
    };
    assert_eq!(vfile(&original).await.unwrap(), FileVerifyResult::Passed);
    assert_eq!(
        vfile(&ofd).await.unwrap(),
        FileVerifyResult::Passed,
        "an annotated copy verifies"
    );
    let rev_file = f
        .engine
        .issue_document(&f.engine.document(&revoked), Utc::now())
        .unwrap();
    assert_eq!(
        vfile(&rev_file).await.unwrap(),
        FileVerifyResult::Invalidated
    );
    let sus_file = f
        .engine
        .issue_document(&f.engine.document(&suspended), Utc::now())
        .unwrap();
    assert_eq!(vfile(&sus_file).await.unwrap(), FileVerifyResult::Suspended);
    let pen_file = f
        .engine
        .issue_document(&f.engine.document(&pending), Utc::now())
        .unwrap();
    assert_eq!(
        vfile(&pen_file).await.unwrap(),
        FileVerifyResult::NotActivated
    );
    let stranger = OfdEngine::new(
        NodeKey::generate("他人", "x").unwrap(),
        "他章",
        TrustStore::default(),
        "q/",
    )
    .unwrap();
    let foreign = stranger
        .issue_document(&f.engine.document(&valid), Utc::now())
        .unwrap();
    assert_eq!(
        vfile(&foreign).await.unwrap(),
        FileVerifyResult::SignatureFailed
    );
    let unsigned = license_file::ofd::write_package(&f.engine.document(&valid))
        .unwrap()
        .write()
        .unwrap();
    assert_eq!(
        vfile(&unsigned).await.unwrap(),
        FileVerifyResult::FileFailed
    );
    assert_eq!(
        code(p.verify_cert_file(&caller(&token), vf("%%%".into())).await),
        ReturnCode::Unparseable
    );
    assert_eq!(
        code(p.verify_cert_file(&caller(&token), vf(b64(b"hello"))).await),
        ReturnCode::Unparseable
    );
    let mut ct = vf(b64(&original));
    ct.content_type = Some("hex".into());
    assert_eq!(
        code(p.verify_cert_file(&caller(&token), ct).await),
        ReturnCode::Unparseable
    );

    // --- QR --------------------------------------------------------------------------------
    let qr = |v: &str| QrQueryRequest {
        qr_value: Some(v.into()),
        interface_type: Some("1".into()),
        context: ctx(),
        operator: Default::default(),
    };
    let url = format!(
        "http://127.0.0.1:8040/license-api-release/verify/{}",
        valid.qr_token
    );
    for v in [url.as_str(), valid.qr_token.as_str()] {
        let a = p.query_by_qr_code(&caller(&token), qr(v)).await.unwrap();
        let Shaped::City(r) = a.data else { panic!() };
        assert_eq!(r.license_number, "V-1");
        assert_eq!(r.license_state, LicenseStatus::Valid);
    }
    assert_eq!(
        code(p.query_by_qr_code(&caller(&token), qr("nope")).await),
        ReturnCode::NotFound
    );

    // --- sync interfaces without an upstream ---------------------------------------------------
    assert_eq!(
        code(
            p.insert_to_province(
                &caller(&token),
                SyncRequest {
                    file_number: Some("x".into()),
                    cert_identifier: None
                }
            )
            .await
        ),
        ReturnCode::NotProvided
    );

    // --- administration --------------------------------------------------------------------
    let s = p
        .change_state(valid.identifier.as_str(), StateChange::Suspend, "核查")
        .await
        .unwrap();
    assert_eq!(s.state, license_core::LicenseState::Suspended);
    assert!(
        p.change_state(valid.identifier.as_str(), StateChange::Activate, "x")
            .await
            .is_err()
    );
    p.change_state(
        valid.identifier.as_str(),
        StateChange::Reinstate,
        "核查完毕",
    )
    .await
    .unwrap();
    let v2 = p
        .reissue(
            valid.identifier.as_str(),
            &license_platform::Correction {
                certificate_holder: Some("张叁".into()),
                reason: "更正姓名".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!((v2.version, v2.identifier.version()), (2, "002"));
    let old = p.license(valid.identifier.as_str()).await.unwrap();
    assert_eq!(old.state, license_core::LicenseState::Revoked);
    assert!(old.state_reason.unwrap().contains(v2.identifier.as_str()));

    let jsonl = format!(
        "{}\n{}\nnot json\n{}\n",
        serde_json::to_string(&serde_json::json!({"certTypeCode": TYPE_ID, "certificateNumber": "I-1", "certificateHolder": "王五", "certificateHolderCode": HOLDER, "certificateHolderType": "111", "issueDept": "枣庄市公安局", "issueDeptCode": DEPT, "issueDate": "2024-05-01", "certificateValidateStart": "2024-05-01", "certificateValidateEnd": null, "face": {"name": "王五"}})).unwrap(),
        serde_json::to_string(&serde_json::json!({"certTypeCode": TYPE_ID, "certificateNumber": "I-2", "certificateHolder": "王五", "certificateHolderCode": "110105194912310021", "certificateHolderType": "111", "issueDept": "枣庄市公安局", "issueDeptCode": DEPT, "issueDate": "2024-05-01", "certificateValidateStart": "2024-05-01"})).unwrap(),
        serde_json::to_string(&serde_json::json!({"certTypeCode": TYPE_ID, "certificateNumber": "I-3", "certificateHolder": "王五", "certificateHolderCode": HOLDER, "certificateHolderType": "111", "issueDept": "枣庄市公安局", "issueDeptCode": DEPT, "issueDate": "2024-05-01", "certificateValidateStart": "2024-05-01", "certIdentifier": "1.2.156.3005.2.11100000000013127D001.11370000004504927A.CFD93524173848F3A2ED4AB7A36E7A50.001.8", "fileNumber": "02-12370400F49201558F-51-370481198304040037-00-A000102935"})).unwrap(),
    );
    let report = p.import_jsonl(&jsonl).await;
    assert_eq!(report.imported, 2);
    assert_eq!(
        report.rejected.iter().map(|r| r.line).collect::<Vec<_>>(),
        [2, 3]
    );
    assert!(
        report.rejected[0].reason.contains("错误的持证主体代码类型"),
        "{:?}",
        report.rejected
    );
    let kept = p
        .license("02-12370400F49201558F-51-370481198304040037-00-A000102935")
        .await
        .unwrap();
    assert_eq!(kept.identifier.scheme(), license_core::CheckScheme::Legacy);
    let again = p.import_jsonl(&jsonl).await;
    assert_eq!(again.imported, 0, "duplicates are rejected");

    // --- rate limit on holder searches -----------------------------------------------------
    let mut limited = None;
    for _ in 0..40 {
        if let Err(e) = p
            .query_by_holder(&caller(&token), holder_req(TYPE_ID))
            .await
            && e.code == ReturnCode::Other
        {
            limited = Some(e);
            break;
        }
    }
    let e = limited.expect("the rate limit answers 99");
    assert!(e.detail.unwrap().contains("rate exceeded"));
    assert!(e.retry_after_secs.is_some());

    // --- audit ---------------------------------------------------------------------------------
    // An administrator's search records the licenses it returned.
    let found = license_core::AdminService::search_licenses(
        p,
        &caller(&token),
        license_core::ports::LicenseFilter {
            holder_code: Some(HOLDER.into()),
            limit: 100,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(found.items.iter().any(|l| l.identifier == valid.identifier));
    let looked = p
        .audit_log(&AuditQuery {
            license: Some(valid.identifier.to_string()),
            interface: Some(Interface::Admin),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        looked.total, 1,
        "the admin search is found by the license it returned"
    );
    let used = p
        .audit_log(&AuditQuery {
            license: Some(revoked.identifier.to_string()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(used.total >= 3, "who used this license: {}", used.total);
    // A call that read its one license from the library says so: the store finds its event
    // through the holder code's index and writes no link row for it.
    let queried = used
        .items
        .iter()
        .find(|e| e.interface == Interface::ShareQueryCertInfo && e.code == ReturnCode::Success)
        .expect("a query of the revoked license");
    assert!(queried.in_library);
    assert_eq!(
        queried.holder_code.as_deref(),
        Some(revoked.holder_code.as_str())
    );
    let failures = p
        .audit_log(&AuditQuery {
            interface: Some(Interface::Token),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        failures
            .items
            .iter()
            .any(|e| e.code == ReturnCode::Unauthorized
                && e.username.as_deref() == Some("info-only")),
        "failed logins are audited"
    );
    let by_holder = p
        .audit_log(&AuditQuery {
            holder_code: Some(HOLDER.into()),
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        by_holder
            .items
            .iter()
            .any(|e| e.request_id == "lower-case-x"),
        "the lower-case search is audited under the holder's code"
    );
    let searched = by_holder
        .items
        .iter()
        .find(|e| e.interface == Interface::ShareQueryCertInfoByHo && e.code == ReturnCode::Success)
        .unwrap();
    let c = searched.context.as_ref().unwrap();
    assert_eq!(
        c.call_district.as_deref(),
        Some("峄城区"),
        "the misprint is stored corrected"
    );
    assert_eq!(searched.username.as_deref(), Some("hall"));
    assert_eq!(
        searched.in_library,
        searched.licenses.len() == 1,
        "a search's event rides on the holder index only when it found one license"
    );
    let bad = p
        .audit_log(&AuditQuery {
            username: Some("hall".into()),
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        bad.items.iter().any(|e| e.code == ReturnCode::BadReason),
        "failures are audited too"
    );

    // Disabling an account revokes its tokens at once.
    p.set_account_enabled("hall", false).await.unwrap();
    assert_eq!(
        code(
            p.query_cert_info(&caller(&token), query(v2.identifier.as_str()))
                .await
        ),
        ReturnCode::Unauthorized
    );
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
