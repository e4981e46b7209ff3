//! The fixture: a city and a province platform, each on its own SQLite database, the city's
//! upstream a switchable link to the province.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use license_core::admin::NewLicense;
use license_core::ports::SystemClock;
use license_core::service::*;
use license_core::upstream::{Credentials, OwnAccount};
use license_core::{Library, LicenseService, ReturnCode, Role, ServiceError};
use license_file::{NodeKey, OfdEngine, TrustStore};
use license_platform::{Platform, PlatformConfig, Ports};
use license_store::{ObjectFileStore, SeaStore};

pub(super) const TYPE_ID: &str = "11100000000013127D001";
pub(super) const TYPE_OTHER: &str = "11100000000013338W006";
pub(super) const HOLDER: &str = "11010519491231002X";
pub(super) const DEPT: &str = "11370000004504927A";

/// The link to the province: the city's own account, and a switch that cuts it (answers `1`
/// at once, as a refused connection does).
pub(super) struct Link {
    pub(super) province: Arc<Platform>,
    pub(super) own: OwnAccount,
    pub(super) up: AtomicBool,
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

pub(super) async fn platform(name: &str, role: Library, auto_sync: bool) -> Platform {
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
        Arc::new(ObjectFileStore::local(dir.join("files")).unwrap()),
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

pub(super) fn new_license(ctype: &str, number: &str) -> NewLicense {
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

pub(super) async fn token(p: &Platform, user: &str) -> Caller {
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

pub(super) fn sync(file_number: &str, cert_identifier: Option<&str>) -> SyncRequest {
    SyncRequest {
        file_number: Some(file_number.into()),
        cert_identifier: cert_identifier.map(str::to_owned),
    }
}

pub(super) fn code<T: std::fmt::Debug>(r: ServiceResult<T>) -> ReturnCode {
    r.map_or_else(|e| e.code, |_| ReturnCode::Success)
}

pub(super) struct Pair {
    pub(super) city: Arc<Platform>,
    pub(super) province: Arc<Platform>,
    pub(super) link: Arc<Link>,
    pub(super) hall: Caller,
}

pub(super) async fn pair(name: &str, auto_sync: bool) -> Pair {
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
pub(super) async fn province_copy(p: &Pair, id: &str) -> license_core::License {
    p.province.license(id).await.unwrap()
}
