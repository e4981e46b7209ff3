//! Federation rules in one process: a city platform whose province upstream is a province
//! platform behind a switch (the link can be cut), each on its own SQLite database. The sync
//! interfaces, the outbox (queueing, order, refusals, retry), automatic sync and the
//! province's collection interfaces.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use license_core::admin::NewLicense;
use license_core::ports::{PushState, SystemClock};
use license_core::service::*;
use license_core::upstream::{Credentials, OwnAccount};
use license_core::{Library, LicenseService, LicenseState, ReturnCode, Role, ServiceError};
use license_file::{NodeKey, OfdEngine, TrustStore};
use license_platform::{Platform, PlatformConfig, Ports, StateChange};
use license_store::{LocalFileStore, SeaStore};

const TYPE_ID: &str = "11100000000013127D001";
const TYPE_OTHER: &str = "11100000000013338W006";
const HOLDER: &str = "11010519491231002X";
const DEPT: &str = "11370000004504927A";

/// The link to the province: the city's own account, and a switch that cuts it (answers `1`
/// at once, as a refused connection does).
struct Link {
    province: Arc<Platform>,
    own: OwnAccount,
    up: AtomicBool,
}

impl Link {
    fn check(&self) -> ServiceResult<()> {
        if self.up.load(Ordering::SeqCst) {
            Ok(())
        } else {
            Err(ServiceError::new(
                ReturnCode::UpstreamUnreachable,
                "connection refused",
            ))
        }
    }
}

/// The whole trait through the link (async-trait must see the methods, so the macro writes the
/// impl block).
macro_rules! through {
    ($($name:ident($req:ty) -> $out:ty;)*) => {
        #[async_trait]
        impl LicenseService for Link {
            async fn issue_token(
                &self,
                caller: &Caller,
                grant: PasswordGrant,
            ) -> Result<TokenGrant, TokenError> {
                self.province.issue_token(caller, grant).await
            }
            async fn refresh_token(
                &self,
                caller: &Caller,
                grant: RefreshGrant,
            ) -> Result<TokenGrant, TokenError> {
                self.province.refresh_token(caller, grant).await
            }
            $(async fn $name(&self, caller: &Caller, req: $req) -> ServiceResult<$out> {
                self.check()?;
                self.own
                    .call(self, caller, |c| {
                        let req = req.clone();
                        async move { self.province.$name(&c, req).await }
                    })
                    .await
            })*
        }
    };
}

through! {
    share_download_url(DownloadUrlRequest) -> Answer<DownloadLinks>;
    query_cert_info(QueryCertInfoRequest) -> Answer<LicenseRecords>;
    verify_cert_info(VerifyInfoRequest) -> Answer<InfoVerification>;
    verify_cert_file(VerifyFileRequest) -> Answer<license_core::FileVerifyResult>;
    query_by_qr_code(QrQueryRequest) -> Answer<QrRecords>;
    query_by_holder(HolderQueryRequest) -> Answer<LicenseRecords>;
    download_urls_by_holder(HolderQueryRequest) -> Answer<DownloadLinks>;
    download_file(DownloadFileRequest) -> Answer<DownloadedFile>;
    insert_to_province(SyncRequest) -> String;
    update_to_province(SyncRequest) -> ();
    delete_to_province(SyncRequest) -> ();
    collect(CollectRequest) -> String;
    sheng_shi_state(HolderQueryRequest) -> ShengShiState;
    download_pdf(PdfRequest) -> Vec<u8>;
}

async fn platform(name: &str, role: Library, auto_sync: bool) -> Platform {
    let dir = std::env::temp_dir().join(format!("federation-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = SeaStore::sqlite_in(&dir).await.unwrap();
    let engine = OfdEngine::new(
        NodeKey::generate("测试平台", "枣庄市").unwrap(),
        "测试签章",
        TrustStore::default(),
        "http://127.0.0.1:8040/license-api-release/verify/",
    )
    .unwrap();
    let ports = Ports::from_store(
        Arc::new(store),
        Arc::new(LocalFileStore::new(dir.join("files")).unwrap()),
        Arc::new(engine),
        Arc::new(SystemClock),
    );
    let config = PlatformConfig {
        role,
        token_cache_ttl: std::time::Duration::ZERO,
        license_cache_ttl: std::time::Duration::ZERO,
        upstream_timeout: std::time::Duration::from_secs(2),
        outbox_retry_base: std::time::Duration::from_millis(1),
        outbox_retry_max: std::time::Duration::from_millis(2),
        auto_sync,
        ..PlatformConfig::default()
    };
    let p = Platform::new(ports, config).0;
    p.add_client("client", "client-secret").await.unwrap();
    p
}

fn new_license(ctype: &str, number: &str) -> NewLicense {
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
        issue_date: "2024-01-01".into(),
        certificate_validate_start: "2024-01-01".into(),
        certificate_validate_end: Some("2044-01-01".into()),
        state: Some("valid".into()),
        face,
        cert_identifier: None,
        file_number: None,
        abstract_code: None,
    }
}

async fn token(p: &Platform, user: &str) -> Caller {
    let g = p
        .issue_token(
            &Caller::default(),
            PasswordGrant {
                client_id: Some("client".into()),
                client_secret: Some("client-secret".into()),
                scope: None,
                username: Some(user.into()),
                password: Some("password-123".into()),
            },
        )
        .await
        .unwrap();
    Caller {
        token: Some(g.access_token),
        ..Caller::default()
    }
}

fn sync(file_number: &str, cert_identifier: Option<&str>) -> SyncRequest {
    SyncRequest {
        file_number: Some(file_number.into()),
        cert_identifier: cert_identifier.map(str::to_owned),
    }
}

fn code<T: std::fmt::Debug>(r: ServiceResult<T>) -> ReturnCode {
    r.map_or_else(|e| e.code, |_| ReturnCode::Success)
}

struct Pair {
    city: Arc<Platform>,
    province: Arc<Platform>,
    link: Arc<Link>,
    hall: Caller,
}

async fn pair(name: &str, auto_sync: bool) -> Pair {
    let province = Arc::new(platform(&format!("{name}-province"), Library::Province, false).await);
    province
        .create_account(
            "zaozhuang",
            "password-123",
            vec![Role::Sync, Role::Search, Role::Info],
            vec![],
            None,
        )
        .await
        .unwrap();
    let link = Arc::new(Link {
        province: province.clone(),
        own: OwnAccount::new(Credentials {
            client_id: "client".into(),
            client_secret: "client-secret".into(),
            username: "zaozhuang".into(),
            password: "password-123".into(),
        }),
        up: AtomicBool::new(true),
    });
    let city = Arc::new(
        platform(&format!("{name}-city"), Library::City, auto_sync)
            .await
            .with_upstream(link.clone()),
    );
    city.create_account("hall", "password-123", Role::ALL.to_vec(), vec![], None)
        .await
        .unwrap();
    let hall = token(&city, "hall").await;
    Pair {
        city,
        province,
        link,
        hall,
    }
}

/// The province's copy of a license, by its province identifier.
async fn province_copy(p: &Pair, id: &str) -> license_core::License {
    p.province.license(id).await.unwrap()
}

#[tokio::test]
async fn pushes_reach_the_province_once_and_in_order() {
    let p = pair("push", false).await;
    let (city, hall) = (&p.city, &p.hall);
    let a = city
        .issue_license(&new_license(TYPE_ID, "A-1"))
        .await
        .unwrap();

    // insertToProvince: the province assigns its own identifier; asked again, the same one.
    let id = city
        .insert_to_province(hall, sync(&a.file_number, None))
        .await
        .unwrap();
    assert_ne!(id, a.identifier.to_string());
    assert_eq!(
        city.insert_to_province(hall, sync(&a.file_number, None))
            .await
            .unwrap(),
        id
    );
    let copy = province_copy(&p, &id).await;
    assert_eq!(
        (
            copy.holder.as_str(),
            copy.certificate_number.as_str(),
            copy.state
        ),
        ("张三", "A-1", LicenseState::Valid)
    );
    assert_eq!(copy.face.get("certno").map(String::as_str), Some(HOLDER));
    // The city keeps the link: the province identifier is a key of its license; the province
    // copy keeps the city's file number, so calls forwarded with it find the copy.
    assert_eq!(city.license(&id).await.unwrap().identifier, a.identifier);
    assert_eq!(copy.file_number, a.file_number);
    assert_eq!(
        province_copy(&p, &a.file_number)
            .await
            .identifier
            .to_string(),
        id
    );

    // updateToProvince carries the license as the city holds it now.
    city.change_state(&a.file_number, StateChange::Suspend, "核查中")
        .await
        .unwrap();
    city.update_to_province(hall, sync(&a.file_number, Some(&id)))
        .await
        .unwrap();
    assert_eq!(province_copy(&p, &id).await.state, LicenseState::Suspended);
    // deleteToProvince revokes the province's copy.
    city.delete_to_province(hall, sync(&a.file_number, None))
        .await
        .unwrap();
    let copy = province_copy(&p, &id).await;
    assert_eq!(copy.state, LicenseState::Revoked);
    assert!(copy.state_reason.unwrap().contains("hall"));

    // The link goes down: pushes answer 1 with "queued" and wait in the outbox, in order.
    let b = city
        .issue_license(&new_license(TYPE_ID, "B-1"))
        .await
        .unwrap();
    p.link.up.store(false, Ordering::SeqCst);
    let queued = city
        .insert_to_province(hall, sync(&b.file_number, None))
        .await
        .unwrap_err();
    assert_eq!(queued.code, ReturnCode::UpstreamUnreachable);
    assert!(queued.message().contains("queued"), "{}", queued.message());
    city.change_state(&b.file_number, StateChange::Suspend, "核查")
        .await
        .unwrap();
    // An update behind a queued create: accepted by the city's keys, queued after it.
    let e = city
        .update_to_province(hall, sync(&b.file_number, Some(b.identifier.as_str())))
        .await
        .unwrap_err();
    assert_eq!(e.code, ReturnCode::UpstreamUnreachable);
    let pending = city.outbox(Some(PushState::Pending), 0, 10).await.unwrap();
    assert_eq!(pending.total, 2);
    // Newest first: the update waits behind the create, never attempted before it; the
    // create was attempted by the insert and again by the update's call.
    let seen: Vec<_> = pending
        .items
        .iter()
        .map(|p| (p.push.operation, p.attempts))
        .collect();
    assert_eq!(
        seen,
        [(CollectOperation::Update, 0), (CollectOperation::Create, 2)]
    );
    assert!(
        pending.items[1]
            .last_error
            .as_deref()
            .unwrap()
            .starts_with("1: ")
    );
    // Asked again while queued: the same push, not a second one.
    assert_eq!(
        code(
            city.insert_to_province(hall, sync(&b.file_number, None))
                .await
        ),
        ReturnCode::UpstreamUnreachable
    );
    assert_eq!(
        city.outbox(Some(PushState::Pending), 0, 10)
            .await
            .unwrap()
            .total,
        2
    );

    // The link comes back: the background round delivers both, create first.
    p.link.up.store(true, Ordering::SeqCst);
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let (delivered, _) = city.deliver_due().await.unwrap();
    assert_eq!(delivered, 2);
    let bid = city
        .insert_to_province(hall, sync(&b.file_number, None))
        .await
        .unwrap();
    assert_eq!(province_copy(&p, &bid).await.state, LicenseState::Suspended);
    assert_eq!(
        city.outbox(Some(PushState::Pending), 0, 10)
            .await
            .unwrap()
            .total,
        0
    );
    assert_eq!(
        city.outbox(Some(PushState::Delivered), 0, 10)
            .await
            .unwrap()
            .total,
        5,
        "a: create, update, revoke; b: create, update"
    );

    // The province's library holds each pushed license once.
    let collected = p
        .province
        .search_licenses(&license_core::ports::LicenseFilter {
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(collected.total, 2);
}

#[tokio::test]
async fn refusals_fail_the_push_and_an_admin_can_retry_it() {
    let p = pair("refuse", false).await;
    let (city, hall) = (&p.city, &p.hall);
    p.province
        .set_cert_type(TYPE_OTHER, false, vec!["certificateNumber".into()])
        .await
        .unwrap();
    let l = city
        .issue_license(&new_license(TYPE_OTHER, "O-1"))
        .await
        .unwrap();
    // The province's own answer comes back: the type is not published there.
    let e = city
        .insert_to_province(hall, sync(&l.file_number, None))
        .await
        .unwrap_err();
    assert_eq!(e.code, ReturnCode::UnknownCertType, "{}", e.message());
    let failed = city.outbox(Some(PushState::Failed), 0, 10).await.unwrap();
    assert_eq!(failed.total, 1);
    assert!(
        failed.items[0]
            .last_error
            .as_deref()
            .unwrap()
            .starts_with("13: ")
    );
    // Published at the province, the push is retried by an administrator and delivered.
    p.province
        .set_cert_type(TYPE_OTHER, true, vec!["certificateNumber".into()])
        .await
        .unwrap();
    city.retry_push(failed.items[0].sequence).await.unwrap();
    assert_eq!(
        city.retry_push(failed.items[0].sequence)
            .await
            .unwrap_err()
            .code,
        ReturnCode::NotFound
    );
    assert_eq!(city.deliver_due().await.unwrap().0, 1);
    let id = city
        .insert_to_province(hall, sync(&l.file_number, None))
        .await
        .unwrap();
    assert_eq!(province_copy(&p, &id).await.certificate_number, "O-1");
}

#[tokio::test]
async fn the_sync_interfaces_check_their_input() {
    let p = pair("input", false).await;
    let (city, hall) = (&p.city, &p.hall);
    let l = city
        .issue_license(&new_license(TYPE_ID, "I-1"))
        .await
        .unwrap();
    let blank = SyncRequest::default();
    assert_eq!(
        code(city.insert_to_province(hall, blank.clone()).await),
        ReturnCode::MissingParameter
    );
    assert_eq!(
        code(
            city.update_to_province(hall, sync(&l.file_number, None))
                .await
        ),
        ReturnCode::MissingParameter
    );
    assert_eq!(
        code(city.insert_to_province(hall, sync("nope", None)).await),
        ReturnCode::NotFound
    );
    // Never pushed: nothing to update or revoke at the province.
    assert_eq!(
        code(
            city.update_to_province(hall, sync(&l.file_number, Some(&l.file_number)))
                .await
        ),
        ReturnCode::NotFound
    );
    assert_eq!(
        code(
            city.delete_to_province(hall, sync(&l.file_number, None))
                .await
        ),
        ReturnCode::NotFound
    );
    let id = city
        .insert_to_province(hall, sync(&l.file_number, None))
        .await
        .unwrap();
    // certIdentifier must name this license.
    assert_eq!(
        code(
            city.update_to_province(hall, sync(&l.file_number, Some("1.2.156.other")))
                .await
        ),
        ReturnCode::NotFound
    );
    city.update_to_province(hall, sync(&l.file_number, Some(&id)))
        .await
        .unwrap();
    // No token, no sync role.
    assert_eq!(
        code(
            city.insert_to_province(&Caller::default(), sync(&l.file_number, None))
                .await
        ),
        ReturnCode::Unauthorized
    );
    city.create_account("reader", "password-123", vec![Role::Info], vec![], None)
        .await
        .unwrap();
    let reader = token(city, "reader").await;
    assert_eq!(
        code(
            city.insert_to_province(&reader, sync(&l.file_number, None))
                .await
        ),
        ReturnCode::Unauthorized
    );

    // A province offers no sync interface; a city collects nothing.
    p.province
        .create_account(
            "prov-admin",
            "password-123",
            Role::ALL.to_vec(),
            vec![],
            None,
        )
        .await
        .unwrap();
    let padmin = token(&p.province, "prov-admin").await;
    assert_eq!(
        code(
            p.province
                .insert_to_province(&padmin, sync(&l.file_number, None))
                .await
        ),
        ReturnCode::NotProvided
    );
    let push = CollectRequest {
        operation: CollectOperation::Create,
        operation_id: "op-1".into(),
        sequence: 1,
        city_file_number: "F-1".into(),
        license: Some(new_license(TYPE_ID, "C-1")),
        reason: None,
    };
    assert_eq!(
        code(city.collect(hall, push.clone()).await),
        ReturnCode::NotProvided
    );

    // The province applies a push once; a stale one changes nothing.
    let id = p.province.collect(&padmin, push.clone()).await.unwrap();
    assert_eq!(p.province.collect(&padmin, push.clone()).await.unwrap(), id);
    let mut revoke = CollectRequest {
        operation: CollectOperation::Revoke,
        operation_id: "op-3".into(),
        sequence: 3,
        license: None,
        reason: Some("作废".into()),
        ..push.clone()
    };
    p.province.collect(&padmin, revoke.clone()).await.unwrap();
    let update = CollectRequest {
        operation: CollectOperation::Update,
        operation_id: "op-2".into(),
        sequence: 2,
        ..push.clone()
    };
    assert_eq!(p.province.collect(&padmin, update).await.unwrap(), id);
    assert_eq!(
        province_copy(&p, &id).await.state,
        LicenseState::Revoked,
        "the late update is stale"
    );
    // Another city pushing the same file number: the province copy keeps file numbers, which
    // are unique in its library — refused (24), nothing stored.
    p.province
        .create_account("other-city", "password-123", vec![Role::Sync], vec![], None)
        .await
        .unwrap();
    let other = token(&p.province, "other-city").await;
    let clash = p.province.collect(&other, push.clone()).await.unwrap_err();
    assert_eq!(clash.code, ReturnCode::Unparseable, "{}", clash.message());
    assert_eq!(province_copy(&p, "F-1").await.identifier.to_string(), id);
    // Update or revoke of a license never collected: 10; a create without a license: 12.
    revoke.city_file_number = "F-unknown".into();
    assert_eq!(
        code(p.province.collect(&padmin, revoke).await),
        ReturnCode::NotFound
    );
    let bare = CollectRequest {
        city_file_number: "F-2".into(),
        license: None,
        ..push
    };
    assert_eq!(
        code(p.province.collect(&padmin, bare).await),
        ReturnCode::MissingParameter
    );
}

#[tokio::test]
async fn automatic_sync_pushes_what_the_city_issues_and_changes() {
    let p = pair("auto", true).await;
    let city = &p.city;
    let l = city
        .issue_license(&new_license(TYPE_ID, "S-1"))
        .await
        .unwrap();
    let pending = city.outbox(Some(PushState::Pending), 0, 10).await.unwrap();
    assert_eq!(pending.total, 1, "recorded with the license");
    assert_eq!(city.deliver_due().await.unwrap().0, 1);
    let id = city
        .license(&l.file_number)
        .await
        .unwrap()
        .province_identifier
        .unwrap();
    city.change_state(&l.file_number, StateChange::Suspend, "核查")
        .await
        .unwrap();
    // A re-issue revokes the old version and creates the new one, both pushed.
    let next = city
        .reissue(
            &l.file_number,
            &license_core::admin::Correction {
                certificate_number: Some("S-2".into()),
                reason: "更正编号".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(city.deliver_due().await.unwrap().0, 3);
    assert_eq!(province_copy(&p, &id).await.state, LicenseState::Revoked);
    let next_id = city
        .license(next.identifier.as_str())
        .await
        .unwrap()
        .province_identifier
        .unwrap();
    assert_eq!(province_copy(&p, &next_id).await.certificate_number, "S-2");
    assert_eq!(city.outbox(None, 0, 10).await.unwrap().total, 4);
}
