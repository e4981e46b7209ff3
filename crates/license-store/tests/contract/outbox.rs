//! A city's outbox and a province's collected links.

use license_core::License;
use license_core::ports::*;
use license_store::SeaStore;

use super::*;

pub(super) fn push(op: license_core::service::CollectOperation, l: &License, at: i64) -> NewPush {
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

/// The outbox lease: one holder at a time per license, extended by its holder, taken over
/// once it lapses, given back only by its holder; of many nodes claiming one license at
/// once, exactly one gets it.
async fn leases(s: &SeaStore) {
    let lease = |license: &'static str, holder: &'static str, now: i64, until: i64| {
        OutboxRepository::lease(s, license, holder, t(now), t(until))
    };
    assert!(lease("L1", "node-a", 100, 130).await.unwrap());
    assert!(
        !lease("L1", "node-b", 110, 140).await.unwrap(),
        "running: a's"
    );
    assert!(
        lease("L1", "node-a", 120, 150).await.unwrap(),
        "a extends its own"
    );
    assert!(
        !lease("L1", "node-b", 140, 170).await.unwrap(),
        "extended to 150"
    );
    assert!(
        lease("L2", "node-b", 140, 170).await.unwrap(),
        "another license"
    );
    assert!(
        lease("L1", "node-b", 150, 180).await.unwrap(),
        "lapsed: b takes over"
    );
    assert!(!lease("L1", "node-a", 160, 190).await.unwrap());
    OutboxRepository::release(s, "L1", "node-a").await.unwrap();
    assert!(
        !lease("L1", "node-a", 160, 190).await.unwrap(),
        "only b gives it back"
    );
    OutboxRepository::release(s, "L1", "node-b").await.unwrap();
    assert!(lease("L1", "node-a", 160, 190).await.unwrap());
    // Ten nodes at once on a license nobody holds.
    let holders: Vec<String> = (0..10).map(|i| format!("node-{i}")).collect();
    let won = futures_util::future::join_all(
        holders
            .iter()
            .map(|h| OutboxRepository::lease(s, "L3", h, t(200), t(230))),
    )
    .await;
    let won = won.into_iter().filter(|r| *r.as_ref().unwrap()).count();
    assert_eq!(won, 1, "exactly one node holds a new lease");
}

pub(super) async fn outbox(s: &SeaStore) {
    leases(s).await;
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
