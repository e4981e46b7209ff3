//! The repository contract: the same scenarios on SQLite always, and on PostgreSQL and MariaDB
//! when `LICENSE_TEST_POSTGRES_URL` / `LICENSE_TEST_MYSQL_URL` are set (`.ci/run` sets both).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use license_core::context::{CallCategory, CallContext, OperatorDetails};
use license_core::ports::*;
use license_core::{CertIdentifier, Interface, License, LicenseState, ReturnCode, Role, Validity};
use license_store::{Backend, SeaStore};

fn t(secs: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_760_000_000 + secs, 0).unwrap()
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn license(serial: &str, holder_code: &str, issued: &str) -> License {
    let id =
        CertIdentifier::build("11100000000013127D001", "11370000004504927A", serial, 1).unwrap();
    let mut face = BTreeMap::new();
    face.insert("name".to_owned(), "张三".to_owned());
    face.insert("住址".to_owned(), "山东省枣庄市市中区光明路１号".to_owned());
    License {
        file_number: id.to_string(),
        identifier: id,
        province_identifier: None,
        cert_type_code: "11100000000013127D001".into(),
        certificate_name: "中华人民共和国居民身份证".into(),
        certificate_number: format!("NO{serial}"),
        holder: "张三".into(),
        holder_code: holder_code.into(),
        holder_code_type: "111".into(),
        issue_dept: "枣庄市公安局市中分局".into(),
        issue_dept_code: "11370000004504927A".into(),
        issue_date: d(issued),
        validity: Validity {
            start: d(issued),
            end: None,
        },
        state: LicenseState::Valid,
        state_reason: None,
        state_changed_at: None,
        face,
        abstract_code: format!("ab{serial}")
            .chars()
            .take(9)
            .collect::<String>()
            .to_lowercase(),
        qr_token: format!("qr-{serial}"),
        version: 1,
        created_at: t(0),
        updated_at: t(0),
    }
}

async fn licenses(s: &SeaStore) {
    let a = license("A1", "11010519491231002X", "2020-01-01");
    LicenseRepository::insert(s, &a).await.unwrap();
    assert!(matches!(
        LicenseRepository::insert(s, &a).await,
        Err(PortError::Conflict(_))
    ));
    let got = s.find_by_key(a.identifier.as_str()).await.unwrap().unwrap();
    assert_eq!(got, a, "Chinese text and every column round-trip");
    assert_eq!(
        s.find_by_key(&a.identifier.as_str().to_ascii_lowercase())
            .await
            .unwrap()
            .unwrap(),
        a
    );
    assert_eq!(s.find_by_qr_token("qr-A1").await.unwrap().unwrap(), a);
    assert_eq!(
        s.find_by_abstract_code(&a.abstract_code)
            .await
            .unwrap()
            .unwrap(),
        a
    );
    assert_eq!(s.find_by_key("nope").await.unwrap(), None);

    let mut legacy = license("B2", "11010519491231002X", "2021-06-01");
    legacy.file_number = "02-12370400F49201558F-51-370481198304040037-00-A000102935".into();
    legacy.province_identifier = Some("1.2.156.3005.2.PROVINCE.1".into());
    let dup = license("A1", "x", "2020-01-01");
    let c = license("C3", "11010519491231002X", "2022-03-01");
    let results = s
        .insert_many(&[legacy.clone(), dup, c.clone()])
        .await
        .unwrap();
    assert!(results[0].is_ok() && results[2].is_ok());
    assert!(matches!(results[1], Err(PortError::Conflict(_))));
    assert_eq!(
        s.find_by_key(&legacy.file_number).await.unwrap().unwrap(),
        legacy
    );
    assert_eq!(
        s.find_by_key("1.2.156.3005.2.PROVINCE.1")
            .await
            .unwrap()
            .unwrap(),
        legacy
    );
    assert_eq!(LicenseRepository::count(s).await.unwrap(), 3);

    // Many look-ups at once are grouped into shared queries: each still gets its own answer,
    // by any of the three keys, in any case for identifiers, padded, or none.
    let asks: Vec<(String, Option<&License>)> = (0..200)
        .map(|i| match i % 5 {
            0 => (a.identifier.as_str().to_owned(), Some(&a)),
            1 => (c.identifier.as_str().to_ascii_lowercase(), Some(&c)),
            2 => (format!(" {} ", legacy.file_number), Some(&legacy)),
            3 => ("1.2.156.3005.2.PROVINCE.1".to_owned(), Some(&legacy)),
            _ => (format!("missing-{i}"), None),
        })
        .collect();
    let answers = futures_util::future::join_all(asks.iter().map(|(k, _)| s.find_by_key(k))).await;
    for ((key, want), got) in asks.iter().zip(answers) {
        assert_eq!(got.unwrap().as_ref(), *want, "{key}");
    }

    let page = s
        .search_by_holder(&HolderSearch {
            holder_code: "11010519491231002X".into(),
            cert_type_code: "11100000000013127D001".into(),
            certificate_number: None,
            offset: 0,
            limit: 2,
        })
        .await
        .unwrap();
    assert_eq!(page.total, 3);
    assert_eq!(
        page.items
            .iter()
            .map(|l| l.certificate_number.as_str())
            .collect::<Vec<_>>(),
        ["NOC3", "NOB2"]
    );
    let page = s
        .search_by_holder(&HolderSearch {
            holder_code: "11010519491231002X".into(),
            cert_type_code: "11100000000013127D001".into(),
            certificate_number: Some("NOA1".into()),
            offset: 0,
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!((page.total, page.items.len()), (1, 1));

    let mut changed = c.clone();
    changed.state = LicenseState::Revoked;
    changed.state_reason = Some("作废".into());
    changed.state_changed_at = Some(t(5));
    assert!(LicenseRepository::update(s, &changed).await.unwrap());
    assert_eq!(
        s.find_by_key(c.identifier.as_str()).await.unwrap().unwrap(),
        changed
    );
    let revoked = s
        .search(&LicenseFilter {
            state: Some(LicenseState::Revoked),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(revoked.total, 1);
    let beyond = s
        .search(&LicenseFilter {
            offset: u64::MAX,
            limit: u64::MAX,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        beyond.items.is_empty(),
        "offsets past i64 are just past the end"
    );

    let f = StoredFile {
        key: "licenses/a1.ofd".into(),
        format: "ofd".into(),
        sm3: "ab".repeat(32),
        size: 10,
    };
    assert_eq!(s.file(a.identifier.as_str(), "ofd").await.unwrap(), None);
    s.set_file(a.identifier.as_str(), &f).await.unwrap();
    assert_eq!(
        s.file(a.identifier.as_str(), "ofd").await.unwrap(),
        Some(f.clone())
    );
    assert!(
        s.set_file(a.identifier.as_str(), &f).await.is_err(),
        "one file per format"
    );
}

async fn accounts_clients_tokens(s: &SeaStore) {
    let acct = Account {
        username: "办事大厅".into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$x$y".into(),
        roles: vec![Role::Info, Role::Search],
        cert_types: vec![],
        enabled: true,
        department: Some("枣庄市行政审批服务局".into()),
        holder_search_per_minute: Some(60),
        rate_limit_per_minute: Some(1_000),
    };
    AccountRepository::insert(s, &acct).await.unwrap();
    assert!(matches!(
        AccountRepository::insert(s, &acct).await,
        Err(PortError::Conflict(_))
    ));
    assert_eq!(
        AccountRepository::find(s, "办事大厅")
            .await
            .unwrap()
            .unwrap(),
        acct
    );
    let mut more = acct.clone();
    more.roles.push(Role::Admin);
    more.cert_types = vec!["11100000000013127D001".into()];
    assert!(AccountRepository::update(s, &more).await.unwrap());
    assert!(s.set_enabled("办事大厅", false).await.unwrap());
    let got = AccountRepository::find(s, "办事大厅")
        .await
        .unwrap()
        .unwrap();
    assert!(!got.enabled && got.roles.contains(&Role::Admin) && got.cert_types.len() == 1);
    assert!(!s.set_enabled("nobody", false).await.unwrap());
    assert_eq!(AccountRepository::list(s).await.unwrap().len(), 1);

    let client = OAuthClient {
        client_id: "xxxx-oauth".into(),
        secret_hash: "h".into(),
    };
    ClientRepository::insert(s, &client).await.unwrap();
    assert!(ClientRepository::insert(s, &client).await.is_err());
    assert_eq!(
        ClientRepository::find(s, "xxxx-oauth").await.unwrap(),
        Some(client.clone())
    );
    assert_eq!(ClientRepository::list(s).await.unwrap(), [client]);
    assert!(ClientRepository::delete(s, "xxxx-oauth").await.unwrap());
    assert!(!ClientRepository::delete(s, "xxxx-oauth").await.unwrap());

    let tok = StoredToken {
        access_digest: "a".repeat(64),
        refresh_digest: "r".repeat(64),
        username: "办事大厅".into(),
        client_id: "xxxx-oauth".into(),
        scope: "read write".into(),
        access_expires_at: t(100),
        refresh_expires_at: t(200),
    };
    TokenRepository::insert(s, &tok).await.unwrap();
    assert_eq!(
        s.find_by_access(&"a".repeat(64)).await.unwrap(),
        Some(tok.clone())
    );
    assert_eq!(
        s.take_by_refresh(&"r".repeat(64)).await.unwrap(),
        Some(tok.clone())
    );
    assert_eq!(
        s.take_by_refresh(&"r".repeat(64)).await.unwrap(),
        None,
        "a refresh token works once"
    );
    assert_eq!(s.find_by_access(&"a".repeat(64)).await.unwrap(), None);
    TokenRepository::insert(s, &tok).await.unwrap();
    assert_eq!(s.revoke_account("办事大厅").await.unwrap(), 1);

    login_lockout(s).await;
}

/// Lock-out: the count is raised atomically with the lock checked, on every backend, also
/// under concurrent attempts (as from several nodes sharing the database).
async fn login_lockout(s: &SeaStore) {
    let policy = Lockout {
        max_failures: 3,
        window: chrono::Duration::minutes(10),
        lock_for: chrono::Duration::minutes(5),
    };
    assert_eq!(LoginGuard::get(s, "u").await.unwrap(), None);
    for _ in 0..2 {
        assert_eq!(
            s.attempt("u", t(0), &policy).await.unwrap(),
            LoginAttempt::Allowed
        );
    }
    assert_eq!(LoginGuard::get(s, "u").await.unwrap().unwrap().count, 2);
    assert_eq!(
        s.attempt("u", t(1), &policy).await.unwrap(),
        LoginAttempt::Allowed,
        "the third attempt is checked, and locks"
    );
    assert_eq!(
        s.attempt("u", t(2), &policy).await.unwrap(),
        LoginAttempt::Locked(t(301))
    );
    // The lock ends: a new count.
    assert_eq!(
        s.attempt("u", t(301), &policy).await.unwrap(),
        LoginAttempt::Allowed
    );
    let f = LoginGuard::get(s, "u").await.unwrap().unwrap();
    assert_eq!((f.count, f.locked_until), (1, None));
    // The window ends: a new count.
    s.attempt("u", t(302), &policy).await.unwrap();
    s.attempt("u", t(301 + 601), &policy).await.unwrap();
    assert_eq!(LoginGuard::get(s, "u").await.unwrap().unwrap().count, 1);
    LoginGuard::clear(s, "u").await.unwrap();
    assert_eq!(LoginGuard::get(s, "u").await.unwrap(), None);

    // 40 concurrent attempts on a fresh name: exactly `max_failures` are allowed.
    let attempts = (0..40).map(|_| s.attempt("racer", t(10), &policy));
    let results = futures_util::future::join_all(attempts).await;
    let allowed = results
        .iter()
        .filter(|r| matches!(r, Ok(LoginAttempt::Allowed)))
        .count();
    let locked = results
        .iter()
        .filter(|r| matches!(r, Ok(LoginAttempt::Locked(_))))
        .count();
    assert_eq!((allowed, locked), (3, 37), "{results:?}");
    LoginGuard::clear(s, "racer").await.unwrap();
}

/// Per-account budgets: concurrent claims (as from several nodes) never grant more than the
/// limit, a short claim takes what is left, and opening a minute forgets the account's
/// earlier ones.
async fn rate_budget(s: &SeaStore) {
    let claims = (0..20).map(|_| s.claim("scraper", 100, 7, 50));
    let granted: u32 = futures_util::future::join_all(claims)
        .await
        .into_iter()
        .map(Result::unwrap)
        .sum();
    assert_eq!(granted, 50, "20 claims of 7 against a limit of 50");
    // Many concurrent claims on a minute nobody opened yet, far from the limit: each gets
    // what it asked for — none takes the rest of the budget, none is refused.
    let claims = (0..40).map(|_| s.claim("crowd", 100, 10, 100_000));
    let grants: Vec<u32> = futures_util::future::join_all(claims)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert!(grants.iter().all(|&g| g == 10), "{grants:?}");
    assert_eq!(s.claim("scraper", 100, 7, 50).await.unwrap(), 0);
    assert_eq!(
        s.claim("other", 100, 7, 50).await.unwrap(),
        7,
        "its own budget"
    );
    assert_eq!(
        s.claim("other", 100, 50, 50).await.unwrap(),
        43,
        "what is left"
    );
    let windows = |account: &'static str| async move {
        use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
        license_store::entity::rate_window::Entity::find()
            .filter(license_store::entity::rate_window::Column::Account.eq(account))
            .count(s.connection())
            .await
            .unwrap()
    };
    assert_eq!(windows("scraper").await, 1);
    assert_eq!(
        s.claim("scraper", 101, 7, 50).await.unwrap(),
        7,
        "a new minute"
    );
    assert_eq!(
        windows("scraper").await,
        1,
        "the earlier minute is forgotten"
    );
    assert_eq!(windows("other").await, 1, "another account's minute stays");
}

/// Unchosen values longer than their columns are cut by the platform
/// ([`AuditEvent::bounded`]); the store then takes them on every backend.
async fn bounded_audit_values(s: &SeaStore) {
    let e = AuditEvent {
        at: t(0),
        request_id: "r".repeat(200),
        interface: Interface::Token,
        username: Some("用".repeat(300)),
        client_addr: Some("1".repeat(100)),
        context: None,
        operator: None,
        code: ReturnCode::Unauthorized,
        licenses: Vec::new(),
        holder_code: Some("h".repeat(100)),
        in_library: false,
        latency_us: 1,
        purpose: None,
    }
    .bounded();
    s.append(std::slice::from_ref(&e)).await.unwrap();
    let got = s
        .query(&AuditQuery {
            username: e.username.clone(),
            limit: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(got.total, 1);
    assert_eq!(got.items[0].client_addr, e.client_addr);
}

async fn grants_and_types(s: &SeaStore) {
    let g = DownloadGrant {
        digest: "g".repeat(64),
        identifier: "id".into(),
        copy_key: "copies/x.ofd".into(),
        format: "ofd".into(),
        file_name: "证照.ofd".into(),
        expires_at: t(600),
        single_use: true,
        downloads: 0,
    };
    GrantRepository::insert(s, &g).await.unwrap();
    assert_eq!(s.redeem(&g.digest, t(700)).await.unwrap(), None, "expired");
    let got = s.redeem(&g.digest, t(10)).await.unwrap().unwrap();
    assert_eq!(got.downloads, 1);
    assert_eq!(
        s.redeem(&g.digest, t(11)).await.unwrap(),
        None,
        "single use"
    );
    let multi = DownloadGrant {
        digest: "m".repeat(64),
        single_use: false,
        ..g.clone()
    };
    GrantRepository::insert(s, &multi).await.unwrap();
    s.redeem(&multi.digest, t(1)).await.unwrap().unwrap();
    assert_eq!(
        s.redeem(&multi.digest, t(2))
            .await
            .unwrap()
            .unwrap()
            .downloads,
        2
    );
    assert_eq!(s.redeem("unknown", t(2)).await.unwrap(), None);

    let ct = CertTypeSettings {
        code: "11100000000013127D001".into(),
        published: false,
        verify_fields: vec![],
    };
    CertTypeRepository::put(s, &ct).await.unwrap();
    let ct2 = CertTypeSettings {
        published: true,
        verify_fields: vec!["certificateNumber".into(), "name".into()],
        ..ct.clone()
    };
    CertTypeRepository::put(s, &ct2).await.unwrap();
    assert_eq!(
        CertTypeRepository::get(s, &ct.code).await.unwrap(),
        Some(ct2.clone())
    );
    assert_eq!(CertTypeRepository::list(s).await.unwrap(), [ct2]);
}

async fn audit(s: &SeaStore) {
    let ctx = CallContext {
        system_name: "XXXX服务平台".into(),
        call_category: CallCategory::Matter,
        matter_name: "个人参保缴费证明查询打印".into(),
        event_code: "1137000000450258552372014020002".into(),
        copy_cause: "办理业务".into(),
        call_district: Some("峄城区".into()),
        call_department: None,
        district_level: Some("市级".into()),
    };
    let event =
        |i: i64, user: &str, interface, licenses: Vec<&str>, holder: Option<&str>| AuditEvent {
            at: t(i),
            request_id: format!("req-{i}"),
            interface,
            username: Some(user.into()),
            client_addr: Some("127.0.0.1".into()),
            context: Some(ctx.clone()),
            operator: Some(OperatorDetails {
                oper_user_name: Some("李四".into()),
                ..Default::default()
            }),
            code: ReturnCode::Success,
            licenses: licenses.into_iter().map(str::to_owned).collect(),
            holder_code: holder.map(str::to_owned),
            in_library: false,
            latency_us: 120,
            purpose: None,
        };
    let events = vec![
        event(
            1,
            "a",
            Interface::ShareQueryCertInfo,
            vec!["L1"],
            Some("H1"),
        ),
        event(
            2,
            "b",
            Interface::ShareQueryCertInfoByHo,
            vec!["L1", "L2"],
            Some("H1"),
        ),
        event(3, "a", Interface::ShareDownloadUrl, vec!["L2"], Some("H2")),
        AuditEvent {
            code: ReturnCode::Unauthorized,
            context: None,
            operator: None,
            username: None,
            ..event(4, "x", Interface::Token, vec![], None)
        },
    ];
    s.append(&events).await.unwrap();
    s.append(&[]).await.unwrap();
    let all = s
        .query(&AuditQuery {
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(all.total, 4);
    assert_eq!(
        all.items[0], events[3],
        "newest first, every field round-trips"
    );
    assert_eq!(all.items[3], events[0]);
    let q = |f: fn(&mut AuditQuery)| {
        let mut q = AuditQuery {
            limit: 100,
            ..Default::default()
        };
        f(&mut q);
        q
    };
    let ids = |p: license_core::service::Page<AuditEvent>| {
        p.items
            .into_iter()
            .map(|e| e.request_id)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(s
            .query(&q(|q| q.license = Some("L1".into())))
            .await
            .unwrap()),
        ["req-2", "req-1"]
    );
    assert_eq!(
        ids(s
            .query(&q(|q| q.license = Some("L2".into())))
            .await
            .unwrap()),
        ["req-3", "req-2"]
    );
    assert_eq!(
        ids(s
            .query(&q(|q| q.username = Some("a".into())))
            .await
            .unwrap()),
        ["req-3", "req-1"]
    );
    assert_eq!(
        ids(s
            .query(&q(|q| q.holder_code = Some("H1".into())))
            .await
            .unwrap()),
        ["req-2", "req-1"]
    );
    assert_eq!(
        ids(s
            .query(&q(|q| q.interface = Some(Interface::Token)))
            .await
            .unwrap()),
        ["req-4"]
    );
    let window = s
        .query(&AuditQuery {
            from: Some(t(2)),
            until: Some(t(4)),
            limit: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!((window.total, ids(window)), (2, vec!["req-3".to_owned()]));
    let beyond = s
        .query(&AuditQuery {
            offset: u64::MAX,
            limit: u64::MAX,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(beyond.items.is_empty());
    // A batch whose calls each touched one license the library does not hold is found by
    // license like the rest.
    s.append(&[
        event(5, "c", Interface::ShareQueryCertInfo, vec!["L3"], None),
        event(6, "c", Interface::ShareDownloadUrl, vec!["L1"], None),
    ])
    .await
    .unwrap();
    assert_eq!(
        ids(s
            .query(&q(|q| q.license = Some("L3".into())))
            .await
            .unwrap()),
        ["req-5"]
    );
    assert_eq!(
        ids(s
            .query(&q(|q| q.license = Some("L1".into())))
            .await
            .unwrap()),
        ["req-6", "req-2", "req-1"]
    );
    // A batch larger than one statement takes (256 + 44 rows) commits whole, its link rows
    // with it.
    let big: Vec<AuditEvent> = (0..300)
        .map(|i| {
            let licenses = if i % 3 == 0 {
                vec!["L9", "L8"]
            } else {
                vec!["L9"]
            };
            event(
                100 + i,
                "big",
                Interface::ShareQueryCertInfo,
                licenses,
                None,
            )
        })
        .collect();
    s.append(&big).await.unwrap();
    let by_user = s
        .query(&q(|q| q.username = Some("big".into())))
        .await
        .unwrap();
    assert_eq!(by_user.total, 300);
    assert_eq!(by_user.items[0], big[299]);
    let l9 = s
        .query(&q(|q| q.license = Some("L9".into())))
        .await
        .unwrap();
    let l8 = s
        .query(&q(|q| q.license = Some("L8".into())))
        .await
        .unwrap();
    assert_eq!((l9.total, l8.total), (300, 100));
}

/// A license's events are found through its holder code when the call read it from the
/// library under that code (no link row: the hot path writes no random index entry), else by
/// link rows — also after its holder code changes in place, and for events from before the
/// license index went.
async fn audit_by_license(s: &SeaStore) {
    use license_store::entity::audit_license;
    use sea_orm::sea_query::Query;
    use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let held = license("000777", "370402199001017777", "2024-01-02");
    let id = held.identifier.to_string();
    LicenseRepository::insert(s, &held).await.unwrap();
    let event = |i: i64, holder: Option<&str>, in_library: bool| {
        let mut e = query_event(100 + i, format!("own-{i}"), "a", id.clone());
        e.holder_code = holder.map(str::to_owned);
        e.in_library = in_library;
        e
    };
    s.append(&[
        event(1, Some("370402199001017777"), true),
        event(2, Some("370402199001018888"), false),
        event(3, None, false),
    ])
    .await
    .unwrap();
    let by_license = || async {
        s.query(&AuditQuery {
            license: Some(id.clone()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|e| e.request_id)
        .collect::<Vec<_>>()
    };
    let links = || async {
        audit_license::Entity::find()
            .filter(audit_license::Column::Identifier.eq(id.as_str()))
            .count(s.connection())
            .await
            .unwrap()
    };
    assert_eq!(by_license().await, ["own-3", "own-2", "own-1"]);
    assert_eq!(
        links().await,
        2,
        "the event the library gave under its holder code has no link"
    );

    // The holder code changes in place (a correction, or a province applying a push): the
    // events under the old code are still found, with no link written.
    let mut moved = held.clone();
    moved.holder_code = "370402199001019999".into();
    assert!(LicenseRepository::update(s, &moved).await.unwrap());
    s.append(&[event(4, Some("370402199001019999"), true)])
        .await
        .unwrap();
    assert_eq!(by_license().await, ["own-4", "own-3", "own-2", "own-1"]);
    moved.holder_code = "370402199001016666".into();
    s.enqueue(&[], &[LicenseWrite::Update(&moved)])
        .await
        .unwrap();
    assert_eq!(by_license().await, ["own-4", "own-3", "own-2", "own-1"]);
    assert_eq!(links().await, 2);
    let holder = s
        .query(&AuditQuery {
            holder_code: Some("370402199001019999".into()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(holder.items.len(), 1);
    assert_eq!(holder.items[0], event(4, Some("370402199001019999"), true));

    // Events written while the license index existed: the migration that drops it links every
    // event its holder code would not find.
    use license_store::migration::Migrator;
    use sea_orm_migration::MigratorTrait;
    // Back before the verification purpose (6), the holder runs (5) and the drop of the
    // license index (4) — on one connection, as the store migrates: on SQLite another pooled
    // connection's cached schema may not have seen the changes yet.
    let pinned = license_store::write_transaction(s.connection())
        .await
        .unwrap();
    Migrator::down(&pinned, Some(3)).await.unwrap();
    let legacy = |key: &str, at: i64, holder: &str| {
        Query::insert()
            .into_table("audit_events")
            .columns([
                "event_key",
                "at",
                "request_id",
                "interface",
                "code",
                "licenses",
                "license",
                "holder_code",
                "latency_us",
            ])
            .values_panic([
                key.into(),
                t(at).into(),
                key.into(),
                Interface::ShareQueryCertInfo.label().into(),
                0.into(),
                serde_json::json!([id]).into(),
                id.clone().into(),
                holder.into(),
                1.into(),
            ])
            .to_owned()
    };
    // One under a holder code the license no longer has (needs a link), one under the code
    // the library holds now (found through it: no link).
    for stmt in [
        legacy("legacy", 99, "370402199001017777"),
        legacy("legacy-held", 98, "370402199001016666"),
    ] {
        pinned.execute(&stmt).await.unwrap();
    }
    Migrator::up(&pinned, None).await.unwrap();
    pinned.commit().await.unwrap();
    assert_eq!(
        by_license().await,
        ["own-4", "own-3", "own-2", "own-1", "legacy", "legacy-held"]
    );
    let linked = |key: &'static str| async move {
        audit_license::Entity::find()
            .filter(audit_license::Column::EventKey.eq(key))
            .count(s.connection())
            .await
            .unwrap()
    };
    assert_eq!(linked("legacy").await, 1);
    assert_eq!(
        linked("legacy-held").await,
        0,
        "the migration links only what the holder index would not find"
    );
}

/// The holder index in sorted runs answers the same at every step of its upkeep — moves of
/// the tail, merges in steps, deletion of merged runs — by holder code and by license, and
/// ends with every event in one live run and none building or dead.
async fn audit_runs(s: &SeaStore) {
    use license_store::RunPolicy;
    use license_store::entity::{audit_event, audit_holder_run, audit_run};
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let held = license("000999", "RH3", "2024-01-02");
    let held_id = held.identifier.to_string();
    LicenseRepository::insert(s, &held).await.unwrap();
    // Events 0.. under seven holder codes (every eleventh with none); those of `RH3` read the
    // library's license under it (found through the holder index), the rest link theirs.
    let event = |i: i64| {
        let holder = (i % 11 != 0).then(|| format!("RH{}", i % 7));
        let in_library = holder.as_deref() == Some("RH3");
        let license = if in_library {
            held_id.clone()
        } else {
            format!("RL{}", i % 5)
        };
        let mut e = query_event(1000 + i, format!("run-{i}"), "runs", license);
        e.holder_code = holder;
        e.in_library = in_library;
        e
    };
    let newest_first = |n: i64, keep: &dyn Fn(&AuditEvent) -> bool| -> Vec<String> {
        (0..n)
            .rev()
            .map(event)
            .filter(|e| keep(e))
            .map(|e| e.request_id)
            .collect()
    };
    let found = |q: AuditQuery| async move {
        s.query(&AuditQuery { limit: 1000, ..q })
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|e| e.request_id)
            .collect::<Vec<_>>()
    };
    let check = |n: i64, when: String| {
        let (found, newest_first, held_id) = (&found, &newest_first, &held_id);
        async move {
            for h in 0..7 {
                let code = format!("RH{h}");
                let q = AuditQuery {
                    holder_code: Some(code.clone()),
                    ..Default::default()
                };
                let want = newest_first(n, &|e| e.holder_code.as_deref() == Some(code.as_str()));
                assert_eq!(found(q).await, want, "holder {code} {when}");
            }
            let q = AuditQuery {
                license: Some(held_id.clone()),
                ..Default::default()
            };
            let want = newest_first(n, &|e| e.licenses == [held_id.clone()]);
            assert_eq!(found(q).await, want, "license {held_id} {when}");
        }
    };
    let policy = RunPolicy {
        move_events: 9,
        fanout: 3,
        merge_rows: 2,
        delete_rows: 4,
    };
    let mut n = 0;
    let mut steps = 0;
    for batch in [1, 40, 7, 90, 62] {
        let events: Vec<AuditEvent> = (n..n + batch).map(event).collect();
        s.append(&events).await.unwrap();
        n += batch;
        check(n, format!("after {n} events")).await;
        while s.index_audit_step(&policy).await.unwrap() {
            steps += 1;
            check(n, format!("after step {steps}")).await;
        }
    }
    let runs = audit_run::Entity::find().all(s.connection()).await.unwrap();
    assert!(runs.iter().all(|r| r.state == "live"), "{runs:?}");
    if s.backend() == Backend::Sqlite {
        // The store's own task may take some of this work, in larger steps.
        assert!(steps >= 2, "moves, merges and deletions: {steps} steps");
        assert!(runs.iter().any(|r| r.level >= 1), "merged: {runs:?}");
    } else {
        // No task of the store's: every step was this test's, checked after each.
        assert!(steps > 40, "moves, merges and deletions: {steps} steps");
        assert!(runs.iter().any(|r| r.level >= 2), "merged twice: {runs:?}");
    }
    for level in 0..4 {
        let at_level = runs.iter().filter(|r| r.level == level).count();
        assert!(
            at_level < 3,
            "{at_level} runs left at level {level}: {runs:?}"
        );
    }
    let rows = audit_holder_run::Entity::find()
        .count(s.connection())
        .await
        .unwrap();
    let with_holder = audit_event::Entity::find()
        .filter(audit_event::Column::HolderCode.is_not_null())
        .count(s.connection())
        .await
        .unwrap();
    assert_eq!(rows, with_holder, "every event with a holder code, once");
    let counted: i64 = runs.iter().map(|r| r.events).sum();
    assert_eq!(counted as u64, rows);
}

/// A successful `ShareQueryCertInfo` event of one license, with no context, holder code or
/// library flag (callers set what their scenario needs).
fn query_event(at: i64, request_id: String, username: &str, license: String) -> AuditEvent {
    AuditEvent {
        at: t(at),
        request_id,
        interface: Interface::ShareQueryCertInfo,
        username: Some(username.into()),
        client_addr: None,
        context: None,
        operator: None,
        code: ReturnCode::Success,
        licenses: vec![license],
        holder_code: None,
        in_library: false,
        latency_us: 1,
        purpose: None,
    }
}

fn push(op: license_core::service::CollectOperation, l: &License, at: i64) -> NewPush {
    NewPush {
        operation_id: format!("op-{}-{at}", op.name()),
        license: l.identifier.to_string(),
        file_number: l.file_number.clone(),
        operation: op,
        record: Some(license_core::admin::NewLicense::snapshot(l)),
        reason: None,
        at: t(at),
    }
}

async fn outbox(s: &SeaStore) {
    use license_core::service::CollectOperation::{Create, Revoke, Update};
    let mut a = license("OB1", "11010519491231002X", "2021-01-01");
    a.holder = "李四·阿不都".into();
    let b = license("OB2", "11010519491231002X", "2021-01-02");
    // The license and its push commit together.
    let seqs = OutboxRepository::enqueue(s, &[push(Create, &a, 10)], &[LicenseWrite::Insert(&a)])
        .await
        .unwrap();
    assert_eq!(seqs.len(), 1);
    assert!(
        LicenseRepository::find_by_key(s, a.identifier.as_str())
            .await
            .unwrap()
            .is_some()
    );
    // A failing write rolls its pushes back: nothing half-recorded.
    let missing = license("OB9", "11010519491231002X", "2021-01-09");
    assert!(
        OutboxRepository::enqueue(
            s,
            &[push(Update, &missing, 11)],
            &[LicenseWrite::Update(&missing)]
        )
        .await
        .is_err()
    );
    let more = OutboxRepository::enqueue(
        s,
        &[
            push(Update, &a, 12),
            push(Create, &b, 13),
            push(Revoke, &a, 14),
        ],
        &[LicenseWrite::Insert(&b)],
    )
    .await
    .unwrap();
    assert!(more.windows(2).all(|w| w[0] < w[1]) && seqs[0] < more[0]);
    let pending = s.pending(100).await.unwrap();
    assert_eq!(pending.len(), 4);
    assert_eq!(
        pending[0].push.record.as_ref().unwrap().certificate_holder,
        "李四·阿不都"
    );
    let for_a = s.pending_for(a.identifier.as_str()).await.unwrap();
    assert_eq!(
        for_a.iter().map(|p| p.push.operation).collect::<Vec<_>>(),
        [Create, Update, Revoke]
    );
    s.retry_later(seqs[0], 1, t(100), "province unreachable")
        .await
        .unwrap();
    let p = &s.pending_for(a.identifier.as_str()).await.unwrap()[0];
    assert_eq!((p.attempts, p.next_attempt_at), (1, t(100)));
    assert_eq!(p.last_error.as_deref(), Some("province unreachable"));
    // Delivering a create stores the province identifier on the license.
    s.delivered(seqs[0], "1.2.156.3005.2.P1", t(101))
        .await
        .unwrap();
    let stored = LicenseRepository::find_by_key(s, "1.2.156.3005.2.P1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.identifier, a.identifier);
    s.failed(more[0], 1, "13 not published").await.unwrap();
    assert_eq!(s.pending(100).await.unwrap().len(), 2);
    let failed = OutboxRepository::list(s, Some(PushState::Failed), 0, 10)
        .await
        .unwrap();
    assert_eq!((failed.total, failed.items[0].sequence), (1, more[0]));
    assert!(s.requeue(more[0], t(200)).await.unwrap());
    assert!(!s.requeue(more[0], t(200)).await.unwrap());
    let all = OutboxRepository::list(s, None, 0, 2).await.unwrap();
    assert_eq!(all.total, 4);
    assert_eq!(all.items[0].sequence, more[2]);
    let delivered = OutboxRepository::list(s, Some(PushState::Delivered), 0, 10)
        .await
        .unwrap();
    assert_eq!(
        delivered.items[0].province_identifier.as_deref(),
        Some("1.2.156.3005.2.P1")
    );
    assert_eq!(delivered.items[0].delivered_at, Some(t(101)));

    // The province side: links move forward only.
    let mut copy = license("PC1", "11010519491231002X", "2021-01-03");
    let link = CollectedLink {
        origin: "city-a".into(),
        city_file_number: "02-CITY-FILE-1".into(),
        province_identifier: copy.identifier.to_string(),
        sequence: 5,
        operation_id: "op5".into(),
        updated_at: t(300),
    };
    assert!(s.collect(&link, LicenseWrite::Insert(&copy)).await.unwrap());
    assert!(matches!(
        s.collect(&link, LicenseWrite::Insert(&copy)).await,
        Err(PortError::Conflict(_))
    ));
    LicenseRepository::set_file(
        s,
        copy.identifier.as_str(),
        &StoredFile {
            key: "k".into(),
            format: "ofd".into(),
            sm3: "00".into(),
            size: 1,
        },
    )
    .await
    .unwrap();
    copy.holder = "王五".into();
    let stale = CollectedLink {
        sequence: 5,
        ..link.clone()
    };
    assert!(
        !s.collect(&stale, LicenseWrite::Update(&copy))
            .await
            .unwrap()
    );
    assert_eq!(
        LicenseRepository::find_by_key(s, copy.identifier.as_str())
            .await
            .unwrap()
            .unwrap()
            .holder,
        "张三"
    );
    let next = CollectedLink {
        sequence: 7,
        operation_id: "op7".into(),
        ..link.clone()
    };
    assert!(s.collect(&next, LicenseWrite::Update(&copy)).await.unwrap());
    assert_eq!(
        LicenseRepository::find_by_key(s, copy.identifier.as_str())
            .await
            .unwrap()
            .unwrap()
            .holder,
        "王五"
    );
    // The made file belonged to the old record.
    assert!(
        LicenseRepository::file(s, copy.identifier.as_str(), "ofd")
            .await
            .unwrap()
            .is_none()
    );
    let got = s.link("city-a", "02-CITY-FILE-1").await.unwrap().unwrap();
    assert_eq!((got.sequence, got.operation_id.as_str()), (7, "op7"));
    assert!(s.link("city-b", "02-CITY-FILE-1").await.unwrap().is_none());
}

async fn contract(s: SeaStore) {
    s.reset().await.unwrap();
    s.ping().await.unwrap();
    licenses(&s).await;
    accounts_clients_tokens(&s).await;
    grants_and_types(&s).await;
    audit(&s).await;
    audit_by_license(&s).await;
    audit_runs(&s).await;
    outbox(&s).await;
    bounded_audit_values(&s).await;
    rate_budget(&s).await;
    // Closing closes every clone of the store.
    let other = s.clone();
    s.close().await.unwrap();
    assert!(
        other.ping().await.is_err(),
        "a clone still answers after close"
    );
}

#[tokio::test]
async fn sqlite() {
    let dir = std::env::temp_dir().join(format!("store-contract-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let s = SeaStore::sqlite_in(&dir).await.unwrap();
    contract(s).await;
    // Closed, the library is one file: the write-ahead log was copied in and emptied.
    let wal = dir.join("licensed.sqlite3-wal");
    let left = std::fs::metadata(&wal).map_or(0, |m| m.len());
    assert_eq!(left, 0, "{} holds {left} bytes after close", wal.display());
    std::fs::remove_dir_all(&dir).unwrap();
}

async fn external(var: &str) {
    let Ok(url) = std::env::var(var) else {
        eprintln!("skipping: {var} is not set");
        return;
    };
    let s = SeaStore::connect(&url, 4)
        .await
        .unwrap_or_else(|e| panic!("{var}: {e}"));
    contract(s).await;
}

#[tokio::test]
async fn postgres() {
    external("LICENSE_TEST_POSTGRES_URL").await;
}

#[tokio::test]
async fn mysql() {
    external("LICENSE_TEST_MYSQL_URL").await;
}
