//! The audit log: appends, bounded values, queries, a license's events, the sorted runs.

use license_core::context::{CallCategory, CallContext, OperatorDetails};
use license_core::ports::*;
use license_core::{Interface, ReturnCode};
use license_store::{Backend, SeaStore};

use super::*;

/// Unchosen values longer than their columns are cut by the platform
/// ([`AuditEvent::bounded`]); the store then takes them on every backend.
pub(super) async fn bounded_audit_values(s: &SeaStore) {
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

pub(super) async fn audit(s: &SeaStore) {
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
pub(super) async fn audit_by_license(s: &SeaStore) {
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
    // Back to migration 3, before the drop of the license index (4) and everything after it —
    // on one connection, as the store migrates: on SQLite another pooled
    // connection's cached schema may not have seen the changes yet.
    let pinned = license_store::write_transaction(s.connection())
        .await
        .unwrap();
    let after_third = u32::try_from(Migrator::migrations().len() - 3).unwrap();
    Migrator::down(&pinned, Some(after_third)).await.unwrap();
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
pub(super) async fn audit_runs(s: &SeaStore) {
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
