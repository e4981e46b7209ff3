//! A real node for the REST tests: platform on SQLite with the real document engine, served
//! by the REST router on a free local port, with one account (every role), one OAuth client and
//! one license.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Arc;

use license_core::Role;
use license_core::admin::NewLicense;
use license_core::context::RawCallContext;
use license_core::ports::SystemClock;
use license_core::service::Caller;
use license_file::{NodeKey, OfdEngine, TrustStore};
use license_http::{AppState, Metrics};
use license_platform::{Platform, PlatformConfig, Ports};
use license_store::{ObjectFileStore, SeaStore};

pub const HOLDER: &str = "11010519491231002X";

pub struct Node {
    pub platform: Arc<Platform>,
    pub base: String,
    pub identifier: String,
    pub abstract_code: String,
    pub qr: String,
    _dir: tempdir::Dir,
}

mod tempdir {
    /// A directory removed on drop.
    pub struct Dir(pub std::path::PathBuf);
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

pub async fn node() -> Node {
    let dir = std::env::temp_dir().join(format!(
        "rest-client-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let store = SeaStore::sqlite_in(&dir).await.unwrap();
    let files = Arc::new(ObjectFileStore::local(dir.join("files")).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let engine = OfdEngine::new(
        NodeKey::generate("测试平台", "枣庄市").unwrap(),
        "测试签章",
        TrustStore::default(),
        format!("{base}/license-api-release/verify/"),
    )
    .unwrap();
    let ports = Ports::from_store(
        Arc::new(store),
        files,
        Arc::new(engine),
        Arc::new(SystemClock),
    );
    let (platform, _task) = Platform::new(
        ports,
        PlatformConfig {
            public_url: base.clone(),
            ..PlatformConfig::default()
        },
    );
    let platform = Arc::new(platform);
    platform
        .create_account("hall", "hall-password", Role::ALL.to_vec(), vec![], None)
        .await
        .unwrap();
    platform
        .add_client("hall-client", "hall-secret")
        .await
        .unwrap();
    let mut face = BTreeMap::new();
    face.insert("name".to_owned(), "张三".to_owned());
    let l = platform
        .issue_license(&NewLicense {
            cert_type_code: "11100000000013127D001".into(),
            certificate_name: None,
            certificate_number: "370402199001011234".into(),
            certificate_holder: "张三".into(),
            certificate_holder_code: HOLDER.into(),
            certificate_holder_type: "111".into(),
            issue_dept: "枣庄市公安局".into(),
            issue_dept_code: "11370000004504927A".into(),
            issue_date: "2024-01-02".into(),
            certificate_validate_start: "2024-01-02".into(),
            certificate_validate_end: Some("2044-01-02".into()),
            state: None,
            face,
            cert_identifier: None,
            file_number: None,
            abstract_code: None,
        })
        .await
        .unwrap();
    let state = AppState {
        service: platform.clone(),
        node: platform.clone(),
        admin: platform.clone(),
        metrics: Arc::new(Metrics::default()),
        console: Arc::new(license_http::console::ConsoleInfo {
            version: "test".into(),
            role: "city".into(),
            idle_secs: 1_800,
            ..Default::default()
        }),
    };
    let app = license_http::router(state, license_http::HttpOptions::default());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Node {
        platform,
        base,
        identifier: l.identifier.to_string(),
        abstract_code: l.abstract_code.clone(),
        qr: l.qr_token.clone(),
        _dir: tempdir::Dir(dir),
    }
}

pub fn ctx() -> RawCallContext {
    RawCallContext {
        system_name: Some("枣庄市网上办事大厅".into()),
        call_category: Some("0".into()),
        matter_name: Some("个人参保缴费证明查询打印".into()),
        event_code: Some("1137000000450258552372014020002".into()),
        copy_cause: Some("办理业务核验".into()),
        call_district: None,
        call_department: None,
        district_level: None,
    }
}

pub fn caller(token: Option<&str>) -> Caller {
    Caller {
        token: token.map(str::to_owned),
        client_addr: None,
        request_id: uuid::Uuid::new_v4().simple().to_string(),
    }
}

/// An access token for `user` through the token endpoint (client `hall-client`).
pub async fn token(base: &str, user: &str, password: &str) -> String {
    let v: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/license-api-release/oauth/token"))
        .form(&[
            ("grant_type", "password"),
            ("client_id", "hall-client"),
            ("client_secret", "hall-secret"),
            ("username", user),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["access_token"].as_str().unwrap().to_owned()
}
