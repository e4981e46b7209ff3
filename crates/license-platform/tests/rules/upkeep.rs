//! Housekeeping, last: the purge removes expired download links with their copies' files,
//! token pairs past their refresh expiry and lock-out records past their window — and nothing
//! that still counts; then audit events past their retention go to the archive, from which
//! an export reads them back.

use chrono::{Duration, NaiveDate};
use license_core::LicenseService;
use license_core::ports::{AuditQuery, AuditRecord, AuditStore};
use license_core::service::*;
use sha2::Digest;

use super::*;

/// The copies' files under the fixture's file store.
fn copies(f: &Fixture) -> usize {
    walk(&f._dir)
        .iter()
        .filter(|p| p.display().to_string().contains("copies"))
        .count()
}

pub(super) async fn upkeep(f: &Fixture) {
    let p = &f.platform;
    // (The last stage disabled the hall account.)
    p.set_account_enabled("hall", true).await.unwrap();
    let token = login(p, "hall", "hall-password")
        .await
        .unwrap()
        .access_token;
    let fresh = p
        .issue_license(&new_license(
            TYPE_ID,
            "UPKEEP-1",
            "2026-01-01",
            None,
            "valid",
        ))
        .await
        .unwrap();
    // Links made before this stage expire well before the one made now.
    f.clock.advance(Duration::hours(1));
    p.purge().await.unwrap().expect("no other purge runs");
    let link = p
        .share_download_url(
            &caller(&token),
            DownloadUrlRequest {
                certificate_id: Some(fresh.identifier.to_string()),
                expiry_time: None,
                context: ctx(),
            },
        )
        .await
        .unwrap();
    assert!(matches!(link.data, Shaped::City(_)));
    assert_eq!(
        copies(f),
        1,
        "earlier links' copies are gone, the live one stays"
    );
    let quiet = p.purge().await.unwrap().unwrap();
    assert_eq!((quiet.links, quiet.copies), (0, 0), "{quiet}");

    // A wrong password starts a lock-out record.
    assert!(login(p, "hall", "wrong").await.is_err());
    f.clock.advance(Duration::minutes(11));
    let r = p.purge().await.unwrap().unwrap();
    assert_eq!((r.links, r.copies), (1, 1), "{r}");
    assert_eq!(copies(f), 0);
    assert_eq!(r.login_records, 0, "its window (15 min) is not over: {r}");
    f.clock.advance(Duration::minutes(5));
    let r = p.purge().await.unwrap().unwrap();
    assert_eq!(r.login_records, 1, "{r}");

    // Tokens: the pairs of this run live 30 days from their refresh.
    let r = p.purge().await.unwrap().unwrap();
    assert_eq!(r.tokens, 0, "{r}");
    f.clock.advance(Duration::days(31));
    let r = p.purge().await.unwrap().unwrap();
    assert!(r.tokens >= 1, "{r}");
    assert!(
        login(p, "hall", "hall-password").await.is_ok(),
        "accounts and clients stay"
    );
    let last = p.last_purge().await.unwrap().unwrap();
    assert_eq!(last.report, r.to_string());
    assert_eq!(last.finished_at, f.clock.now());
}

/// Every record an export of the whole run's days gives, under `q`'s filters.
async fn exported(p: &license_platform::Platform, q: AuditQuery) -> Vec<AuditRecord> {
    let q = AuditQuery {
        from: Some(p.day_start(NaiveDate::from_ymd_opt(2026, 11, 1).unwrap())),
        until: Some(p.day_start(NaiveDate::from_ymd_opt(2027, 2, 1).unwrap())),
        ..q
    };
    let mut out = Vec::new();
    p.export_audit(&q, |r| {
        out.push(r);
        Ok(())
    })
    .await
    .unwrap();
    out
}

pub(super) async fn retention(f: &Fixture) {
    let p = &f.platform;
    let total = |q: AuditQuery| async move {
        p.audit_log(&AuditQuery { limit: 1, ..q })
            .await
            .unwrap()
            .total
    };
    let before = total(AuditQuery::default()).await;
    assert!(before > 50, "the run left events: {before}");
    let by_hall = AuditQuery {
        username: Some("hall".into()),
        ..AuditQuery::default()
    };
    let hall_before = total(by_hall.clone()).await;
    let first = exported(p, AuditQuery::default()).await;
    assert_eq!(first.len() as u64, before, "the export reads the database");
    let r = p.purge().await.unwrap().unwrap();
    assert_eq!(r.audit_events, 0, "every event is within 180 days: {r}");

    // 200 days on, the run's days are past the retention: archived, then deleted.
    f.clock.advance(Duration::days(200));
    let r = p.purge().await.unwrap().unwrap();
    assert_eq!(r.audit_events, before, "{r}");
    assert!(r.audit_days >= 2, "the run spans days: {r}");
    assert_eq!(total(AuditQuery::default()).await, 0);
    let archive = f._dir.join("files/archive/audit");
    let day = p.audit_day(first[0].at);
    let gz = std::fs::read(archive.join(format!("{day}.jsonl.gz"))).unwrap();
    let manifest = std::fs::read_to_string(archive.join(format!("{day}.jsonl.gz.sha256"))).unwrap();
    assert_eq!(
        manifest,
        format!(
            "{}  {day}.jsonl.gz\n",
            hex::encode(sha2::Sha256::digest(&gz))
        ),
        "sha256sum -c reads the manifest"
    );
    let archived = exported(p, AuditQuery::default()).await;
    assert_eq!(
        archived, first,
        "the export reads the archive as the database was"
    );
    assert_eq!(exported(p, by_hall.clone()).await.len() as u64, hall_before);

    // An event of an archived day that reaches the database late joins its archive.
    let old = first[0].at;
    f.store
        .append(&[admin_event(old, "late-arrival", Some("hall"))])
        .await
        .unwrap();
    assert_eq!(
        exported(p, by_hall.clone()).await.len() as u64,
        hall_before + 1,
        "an export holds it while it waits in the database"
    );
    let r = p.purge().await.unwrap().unwrap();
    assert_eq!((r.audit_events, r.audit_days), (1, 1), "{r}");
    let again = exported(p, AuditQuery::default()).await;
    assert_eq!(again.len() as u64, before + 1);
    assert!(again.iter().any(|e| e.request_id == "late-arrival"));
    assert_eq!(exported(p, by_hall).await.len() as u64, hall_before + 1);

    // A damaged archive stops the stage (answered 99, logged) and is left as it was, with
    // the day's late event in the database.
    let path = archive.join(format!("{day}.jsonl.gz"));
    std::fs::write(&path, b"damaged").unwrap();
    f.store
        .append(&[admin_event(old, "stray", None)])
        .await
        .unwrap();
    let e = p.purge().await.unwrap_err();
    assert_eq!(e.code, license_core::ReturnCode::Other, "{e:?}");
    assert_eq!(std::fs::read(&path).unwrap(), b"damaged");
    assert_eq!(
        total(AuditQuery::default()).await,
        1,
        "the stray event stays"
    );
}

/// An administration event at `at`.
fn admin_event(
    at: chrono::DateTime<chrono::Utc>,
    request_id: &str,
    username: Option<&str>,
) -> license_core::ports::AuditEvent {
    license_core::ports::AuditEvent {
        at,
        request_id: request_id.into(),
        interface: license_core::Interface::Admin,
        username: username.map(str::to_owned),
        client_addr: None,
        context: None,
        operator: None,
        code: license_core::ReturnCode::Success,
        licenses: Vec::new(),
        holder_code: None,
        in_library: false,
        latency_us: 1,
        purpose: None,
    }
}
