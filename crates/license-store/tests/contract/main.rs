//! The repository contract: the same scenarios on SQLite always, and on PostgreSQL and MariaDB
//! when `LICENSE_TEST_POSTGRES_URL` / `LICENSE_TEST_MYSQL_URL` are set (`.ci/run` sets both).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use license_core::ports::*;
use license_core::{CertIdentifier, Interface, License, LicenseState, ReturnCode, Validity};
use license_store::SeaStore;

mod access;
mod audit;
mod licenses;
mod outbox;
mod upkeep;

use access::*;
use audit::*;
use licenses::*;
use outbox::*;
use upkeep::*;

pub(crate) fn t(secs: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_760_000_000 + secs, 0).unwrap()
}

pub(crate) fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

pub(crate) fn license(serial: &str, holder_code: &str, issued: &str) -> License {
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

/// A successful `ShareQueryCertInfo` event of one license, with no context, holder code or
/// library flag (callers set what their scenario needs).
pub(crate) fn query_event(
    at: i64,
    request_id: String,
    username: &str,
    license: String,
) -> AuditEvent {
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

async fn contract(s: SeaStore) {
    s.reset().await.unwrap();
    s.ping().await.unwrap();
    upkeep(&s).await;
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
