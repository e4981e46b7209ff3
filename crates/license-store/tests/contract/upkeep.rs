//! Housekeeping: one holder of a job's lease at a time, the last run kept, and what has expired
//! found and removed in batches — nothing that has not.

use license_core::ports::*;
use license_store::SeaStore;

use super::*;

pub(super) async fn upkeep(s: &SeaStore) {
    // The lease: one holder at a time, renewable by it, taken over once lapsed.
    assert!(s.lease_job("purge", "a", t(0), t(100)).await.unwrap());
    assert!(!s.lease_job("purge", "b", t(10), t(110)).await.unwrap());
    assert!(s.lease_job("purge", "a", t(20), t(120)).await.unwrap());
    assert!(
        s.lease_job("other", "b", t(20), t(120)).await.unwrap(),
        "per job"
    );
    assert!(
        s.lease_job("purge", "b", t(130), t(230)).await.unwrap(),
        "lapsed"
    );
    assert_eq!(s.last_run("purge").await.unwrap(), None);
    s.finish_job("purge", "b", t(140), "1 link").await.unwrap();
    s.finish_job("purge", "b", t(150), "2 links").await.unwrap();
    assert_eq!(
        s.last_run("purge").await.unwrap(),
        Some(JobRun {
            finished_at: t(150),
            report: "2 links".into()
        })
    );
    assert!(
        s.lease_job("purge", "a", t(151), t(251)).await.unwrap(),
        "given back when finished"
    );
    // Ten of them a batch of eight at a time; the eleventh has not expired.
    for i in 0..11 {
        let g = DownloadGrant {
            digest: format!("{i:064}"),
            identifier: "id".into(),
            copy_key: format!("copies/{i}.ofd"),
            format: "ofd".into(),
            file_name: "证照.ofd".into(),
            expires_at: t(1_000 + i),
            single_use: false,
            downloads: 0,
        };
        GrantRepository::insert(s, &g).await.unwrap();
    }
    let first = s.expired_grants(t(1_010), 8).await.unwrap();
    assert_eq!(first.len(), 8);
    assert_eq!(first[0].copy_key, "copies/0.ofd", "oldest first");
    let digests: Vec<String> = first.iter().map(|g| g.digest.clone()).collect();
    assert_eq!(s.delete_grants(&digests).await.unwrap(), 8);
    assert_eq!(s.delete_grants(&[]).await.unwrap(), 0);
    let rest = s.expired_grants(t(1_010), 8).await.unwrap();
    assert_eq!(rest.len(), 2);
    assert!(
        s.redeem(&format!("{:064}", 10), t(1_005))
            .await
            .unwrap()
            .is_some()
    );

    // Token pairs: those whose refresh token expired go.
    for i in 0..5 {
        let tok = StoredToken {
            access_digest: format!("a{i:063}"),
            refresh_digest: format!("r{i:063}"),
            username: "u".into(),
            client_id: "c".into(),
            scope: "read".into(),
            access_expires_at: t(10),
            refresh_expires_at: t(100 + i),
        };
        TokenRepository::insert(s, &tok).await.unwrap();
    }
    assert_eq!(s.purge_tokens(t(103), 2).await.unwrap(), 2);
    assert_eq!(s.purge_tokens(t(103), 2).await.unwrap(), 1);
    assert_eq!(s.purge_tokens(t(103), 2).await.unwrap(), 0);
    assert!(
        s.find_by_access(&format!("a{:063}", 4))
            .await
            .unwrap()
            .is_some()
    );

    // Lock-out records: an old window goes, a lock still running stays, a new window stays.
    let policy = Lockout {
        max_failures: 2,
        window: chrono::Duration::seconds(100),
        lock_for: chrono::Duration::seconds(1_000),
    };
    s.attempt("old", t(0), &policy).await.unwrap();
    for _ in 0..3 {
        s.attempt("locked", t(0), &policy).await.unwrap();
    }
    s.attempt("new", t(250), &policy).await.unwrap();
    assert_eq!(s.purge_login_failures(t(200), t(300), 10).await.unwrap(), 1);
    assert!(LoginGuard::get(s, "old").await.unwrap().is_none());
    assert!(LoginGuard::get(s, "locked").await.unwrap().is_some());
    assert!(LoginGuard::get(s, "new").await.unwrap().is_some());
    assert_eq!(
        s.purge_login_failures(t(200), t(2_000), 10).await.unwrap(),
        1,
        "once its lock has run out"
    );
}
